/** Compiling the reader of a mapping: a CRM record to the deal's fields (the hot path of every sync). */
import type { CrmRecord } from '../../connectors/index.js';
import { emptyDealFields, type DealFields, type Issue, type Person } from '../domain/index.js';
import { compilePath, type Flat, HELP_TYPE_SET, readTwo, REQUIRED } from './compile-source.js';
import type { CompiledStages } from './compile-stages.js';
import { converter, type Converted } from './convert.js';
import type { Mapping } from './schema.js';

export function compileReader(m: Mapping, flat: Flat, stages: CompiledStages) {
  const help = m.dealType.helpType;
  const helpGet = help ? compilePath(help.field) : null;
  const vis = m.dealType.visibility;
  const visGet = vis ? compilePath(vis.field) : null;
  const visConv = converter('boolean');
  const solutionMap = new Map(Object.entries(m.solutions.map));

  // Each source writes straight into its slot of the deal, and plain fields (one or two path segments) are
  // read inline: the record loop below is the hot path of every sync, so it avoids a call per step.
  const emptyPerson = (): Person => ({ firstName: null, lastName: null, email: null, phone: null });
  const SLOT = { top: 0, customer: 1, contact: 2, team: 3, solutions: 4 } as const;
  const readers = flat.map(([key, src]) => {
    const [head, leaf = ''] = key.split('.') as [string, string | undefined];
    const slot = head === 'customer' || head === 'contact' || head === 'team' || head === 'solutions' ? SLOT[head] : SLOT.top;
    const parts = src.direct?.path.split('.') ?? [];
    const inline = src.direct && parts.length <= 2 ? { path: src.direct.path, first: parts[0]!, second: parts[1] ?? null, conv: src.direct.conv } : null;
    return { key, src, head, leaf, slot, inline, required: REQUIRED[key] };
  });

  const toDeal = (record: CrmRecord): { deal: DealFields; problems: Issue[]; defaulted: string[] } => {
    const fields = record.fields;
    const deal = emptyDealFields();
    const problems: Issue[] = [];
    const defaulted: string[] = [];
    for (let i = 0; i < readers.length; i++) {
      const r = readers[i]!;
      let c: Converted;
      const p = r.inline;
      if (p === null) c = r.src.get(fields);
      else if (p.second === null) c = p.conv(fields[p.first]);
      else c = p.conv(readTwo(fields, p.first, p.second, p.path));
      if (!c.ok) {
        problems.push({ path: r.key, message: r.src.problemPrefix + c.problem });
        continue;
      }
      const v = c.value ?? null;
      if (r.src.defaulted?.(fields)) defaulted.push(r.key);
      if (r.required && (v === null || v === '')) problems.push({ path: r.key, message: `${r.src.label} is empty: ${r.required} is required` });
      switch (r.slot) {
        case SLOT.top:
          (deal as unknown as Record<string, unknown>)[r.head] = v;
          break;
        case SLOT.customer:
          (deal.customer as Record<string, unknown>)[r.leaf] = v;
          break;
        // A contact or team member exists only when one of its values does.
        case SLOT.contact:
          if (v !== null) ((deal.contact ??= emptyPerson()) as Record<string, unknown>)[r.leaf] = v;
          break;
        case SLOT.team:
          if (v !== null) ((deal.team[0] ??= emptyPerson()) as Record<string, unknown>)[r.leaf] = v;
          break;
        case SLOT.solutions:
          // Two CRM names may map to one solution id: each id once.
          deal.solutions = [...new Set(((v as string[] | null) ?? []).map((x) => solutionMap.get(x) ?? x))];
          break;
      }
    }
    const st = stages.stageOf(fields);
    if (st.problem) problems.push({ path: 'stage', message: st.problem });
    deal.stage = st.stage ?? 'initial';
    if (helpGet) {
      const raw = helpGet(fields);
      const key = raw === null || raw === undefined ? '' : String(raw);
      const mapped = help?.map?.[key] ?? (key === '' ? 'None' : key);
      if (mapped === 'None' || HELP_TYPE_SET.has(mapped)) deal.helpType = mapped as DealFields['helpType'];
      else problems.push({ path: 'helpType', message: `${help!.field} '${key}' is not a help type (map it under dealType.helpType.map)` });
    }
    if (visGet) {
      const raw = visGet(fields);
      const mapped = vis?.map && raw !== null && raw !== undefined && String(raw) in vis.map ? vis.map[String(raw)] : undefined;
      const r = mapped !== undefined ? { ok: true as const, value: mapped } : visConv(raw);
      if (r.ok) deal.visibleToMicrosoft = r.value === true;
      else problems.push({ path: 'visibleToMicrosoft', message: `${vis!.field}: ${r.problem}` });
    }
    return { deal, problems, defaulted };
  };
  return toDeal;
}
