/**
 * The admin's tools, as pure functions over what the CRM describes: `check` (unmapped stage values, stale
 * mapped values, missing or mistyped fields, missing write-back fields), `suggest` (stage rules from the CRM's
 * probabilities and names), `preview` (what one record maps to).
 */
import { stringify } from 'yaml';
import type { CrmRecord, FieldInfo, StageInfo } from '../../connectors/index.js';
import { dealFieldsToCreate, deriveDealType, invitesMicrosoft, nearestStage, STAGE_PERCENT, validateCreate, type DealFields, type Issue } from '../domain/index.js';
import type { CompiledMapping } from './compile.js';
import type { Mapping } from './schema.js';

export interface CheckFinding {
  level: 'error' | 'warning';
  message: string;
  hint?: string;
}

const NUMERIC = new Set(['double', 'currency', 'int', 'integer', 'decimal', 'money', 'percent', 'number']);
const DATEISH = new Set(['date', 'datetime', 'dateonly']);

export function checkMapping(m: Mapping, compiled: CompiledMapping, stages: StageInfo[], fields: FieldInfo[]): CheckFinding[] {
  const out: CheckFinding[] = [];
  const stageField = m.stages.field;
  const inUse = stages.filter((s) => s.field === stageField && s.active);
  const mapped = new Set(Object.keys(m.stages.map));
  const ruled = m.stages.rules.length > 0;
  for (const s of inUse) {
    if (!mapped.has(s.value) && !m.stages.byProbability) {
      out.push({
        level: ruled ? 'warning' : 'error',
        message: `stage '${s.value}' (${s.label}${s.probability !== undefined ? `, ${s.probability} %` : ''}) is in use but no rule maps it`,
        hint: `add it under stages.map, e.g. "${s.value}": ${suggestTarget(s)}`,
      });
    }
  }
  const known = new Set(stages.filter((s) => s.field === stageField).map((s) => s.value));
  for (const v of mapped) {
    if (known.size && !known.has(v)) out.push({ level: 'warning', message: `stages.map names '${v}', which the CRM no longer has`, hint: 'remove it or fix its spelling' });
  }
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const plain = (p: string) => (p.includes('.') ? null : p);
  // Opportunity fields only: the status record's columns live on their own table.
  const wb = Object.values(m.writeBack).flatMap((v) => (typeof v === 'string' ? [v] : v && typeof v === 'object' && 'field' in v ? [v.field] : []));
  for (const f of wb) {
    const info = byName.get(f.toLowerCase());
    if (!info) out.push({ level: 'error', message: `write-back field ${f} does not exist`, hint: `run \`cosell-sync setup ${m.crm}\` to create it` });
    else if (!info.updateable) out.push({ level: 'error', message: `write-back field ${f} is read-only for the integration user` });
  }
  for (const read of compiled.fieldsToRead.map(plain).filter((x): x is string => x !== null)) {
    if (wb.includes(read)) continue;
    if (!byName.has(read.toLowerCase())) out.push({ level: 'error', message: `field ${read} does not exist on ${m.object}`, hint: 'check the spelling (API name, not label)' });
  }
  const typed: [string | undefined, Set<string>, string][] = [
    [typeof m.fields.value === 'string' ? m.fields.value : undefined, NUMERIC, 'a number'],
    [typeof m.fields.closeDate === 'string' ? m.fields.closeDate : undefined, DATEISH, 'a date'],
  ];
  for (const [field, types, what] of typed) {
    const info = field ? byName.get(field.toLowerCase()) : undefined;
    if (info && !types.has(info.type.toLowerCase())) out.push({ level: 'error', message: `${field} is a ${info.type} field; expected ${what}` });
  }
  return out;
}

function suggestTarget(s: StageInfo): string {
  if (s.isClosed) return s.isWon ? 'Won' : /declin/i.test(s.label) ? 'declined' : 'Lost';
  if (/hold/i.test(s.label)) return 'on-hold';
  const near = s.probability !== undefined ? nearestStage(s.probability) : null;
  return near ?? 'initial';
}

/** Stage rules as YAML the admin can review and paste. */
export function suggestStages(stages: StageInfo[], field?: string): string {
  const chosen = stages.filter((s) => s.active && (!field || s.field === field));
  const map: Record<string, string> = {};
  for (const s of chosen) map[s.value] = suggestTarget(s);
  const lines = chosen.map((s) => `#   ${s.value}: ${s.probability ?? '?'} % → ${map[s.value]}${s.isClosed ? ' (closed)' : ''}`);
  return `# Suggested from the CRM's stages (nearest standard percentage; closed-won → Won; closed-lost → Lost).\n${lines.join('\n')}\n${stringify({ stages: { field: field ?? chosen[0]?.field ?? 'StageName', map } })}`;
}

export interface Preview {
  dealType: string;
  stage: string;
  percent: number | null;
  fields: { key: string; source: string; value: unknown }[];
  problems: Issue[];
  deal: DealFields;
}

export function previewRecord(compiled: CompiledMapping, record: CrmRecord): Preview {
  const { deal, problems } = compiled.toDeal(record);
  const body = dealFieldsToCreate(deal, record.id);
  const all = [...problems, ...validateCreate(body, { microsoftInvited: invitesMicrosoft(body) })];
  const valueOf = (key: string): unknown =>
    key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), key.startsWith('team.') ? { team: deal.team[0] } : deal);
  const percent = deal.stage in STAGE_PERCENT ? STAGE_PERCENT[deal.stage as keyof typeof STAGE_PERCENT] : deal.stage === 'initial' ? 10 : null;
  return {
    dealType: deriveDealType({ helpType: deal.helpType, visibleToMicrosoft: deal.visibleToMicrosoft }),
    stage: deal.stage,
    percent,
    fields: compiled.sources().map(({ key, source }) => ({ key, source, value: valueOf(key) })),
    problems: all,
    deal,
  };
}

export interface StageRow {
  value: string;
  label: string;
  probability: number | null;
  closed: boolean;
  won: boolean;
  /** What the mapping makes of it now, and by which part of the file; null: unmapped (its records can't sync). */
  mapped: string | null;
  by: 'rule' | 'map' | 'probability' | null;
  /** What `suggest` would map it to. */
  suggested: string;
}

/** The stage table of the console: every active stage the live CRM has, against what the mapping makes of it. */
export function stageTable(m: Mapping, stages: StageInfo[]): StageRow[] {
  const field = m.stages.field;
  const byRange = (p: number | undefined) => (p === undefined ? undefined : m.stages.byProbability?.ranges.find((r) => p >= r.min && p <= r.max)?.stage);
  return stages
    .filter((s) => s.field === field && s.active)
    .map((s) => {
      const rule = m.stages.rules.find((r) => r.field === field && String(r.equals) === s.value)?.stage;
      const listed = m.stages.map[s.value];
      const ranged = byRange(s.probability);
      const [mapped, by] = rule ? [rule, 'rule' as const] : listed ? [listed, 'map' as const] : ranged ? [ranged, 'probability' as const] : [null, null];
      return { value: s.value, label: s.label, probability: s.probability ?? null, closed: s.isClosed, won: s.isWon, mapped, by, suggested: suggestTarget(s) };
    });
}
