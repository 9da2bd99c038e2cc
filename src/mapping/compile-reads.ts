/** Compiling what a pull reads: the CRM fields a mapping needs, and which records it syncs at all. */
import type { CrmRecord } from '../../connectors/index.js';
import { compilePath, type Flat } from './compile-source.js';
import { converter } from './convert.js';
import type { Mapping } from './schema.js';

/** Every CRM field the mapping reads (sources, stage, deal type, eligibility, write-back). */
export function fieldsToRead(m: Mapping, flat: Flat): string[] {
  const wb = m.writeBack;
  const reads = new Set<string>([m.stages.field, ...m.stages.rules.map((r) => r.field)]);
  for (const [, src] of flat) for (const r of src.reads) reads.add(r);
  if (m.stages.byProbability) reads.add(m.stages.byProbability.field);
  if (m.dealType.helpType) reads.add(m.dealType.helpType.field);
  if (m.dealType.visibility) reads.add(m.dealType.visibility.field);
  if (m.eligibility.flag) reads.add(m.eligibility.flag);
  for (const c of m.eligibility.filter) reads.add(c.field);
  for (const v of Object.values(wb)) if (typeof v === 'string') reads.add(v);
  if (wb.statusLine) reads.add(wb.statusLine.field);

  return [...reads];
}

/** Which records a pull takes: linked ones always, others when flagged and passing the filters. */
export function compileEligibility(m: Mapping): (record: CrmRecord) => boolean {
  const flagGet = m.eligibility.flag ? compilePath(m.eligibility.flag) : null;
  const linkedGet = compilePath(m.writeBack.referralId);
  const filters = m.eligibility.filter.map((c) => ({ ...c, get: compilePath(c.field) }));
  const passes = (fields: Record<string, unknown>) =>
    filters.every((c) => {
      const v = c.get(fields);
      switch (c.op) {
        case 'eq':
          return String(v) === String(c.value);
        case 'ne':
          return String(v) !== String(c.value);
        case 'in':
          return Array.isArray(c.value) && c.value.map(String).includes(String(v));
        case 'gt':
          return Number(v) > Number(c.value);
        case 'lt':
          return Number(v) < Number(c.value);
        case 'empty':
          return v === null || v === undefined || v === '';
        case 'notEmpty':
          return !(v === null || v === undefined || v === '');
      }
    });
  return (record) => {
    const linked = linkedGet(record.fields);
    if (linked !== null && linked !== undefined && linked !== '') return true;
    const flagged = flagGet ? converter('boolean')(flagGet(record.fields)) : { ok: true as const, value: true };
    return flagged.ok && flagged.value === true && passes(record.fields);
  };
}
