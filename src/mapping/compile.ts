/**
 * Compiles a mapping once into plain functions (paths split, converters chosen, maps inverted), so mapping a
 * record is a few property reads. Nothing here throws on bad data: problems are returned with the CRM field.
 */
import type { CrmRecord } from '../../connectors/index.js';
import {
  emptyDealFields,
  HELP_TYPES,
  type DealFieldKey,
  type DealFields,
  type DealStage,
  type Issue,
  type Person,
  type ReferralFacts,
} from '../domain/index.js';
import { converter, type Converted, type ConverterName } from './convert.js';
import { DEFAULT_POLICIES, type Mapping, type Source, type StageTarget } from './schema.js';

type Getter = (fields: Record<string, unknown>) => unknown;

/** `head.leaf` from a record, or the whole path as one flat key when the record has no `head` (see compilePath). */
function readTwo(f: Record<string, unknown>, head: string, leaf: string, path: string): unknown {
  const h = f[head];
  if (h === undefined) return f[path];
  return h !== null && typeof h === 'object' ? (h as Record<string, unknown>)[leaf] : undefined;
}

/**
 * `Account.BillingCountry` → reads nested objects. When the record has no field by the first segment, the whole
 * path is read as one flat key (Dataverse annotations such as `estimatedvalue@OData.Community.Display.V1…`).
 */
export function compilePath(path: string): Getter {
  const parts = path.split('.');
  if (parts.length === 1) return (f) => f[path];
  const [head, leaf] = parts as [string, string];
  if (parts.length === 2) return (f) => readTwo(f, head, leaf, path);
  return (f) => {
    if (f[head] === undefined) return f[path];
    let v: unknown = f;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  };
}

interface CompiledSource {
  /** CRM field paths read (for the connector's pull and for `check`). */
  reads: string[];
  /** The plain CRM field this source could be written back to (no relationship path, no template). */
  writable: string | null;
  get(fields: Record<string, unknown>): Converted;
  /** Put before a conversion problem so it names the CRM field (empty for constants and templates). */
  problemPrefix: string;
  /** A plain field read (no default, no value map): the path and converter, so the record loop reads it inline. */
  direct?: { path: string; conv: (v: unknown) => Converted };
  /** True when the record has no value and the mapping's default stands in (a default is not a CRM edit). */
  defaulted?: (fields: Record<string, unknown>) => boolean;
  /** Deal value → CRM value (inverse map; dates and numbers as they are). */
  toCrm(value: unknown): unknown;
  label: string;
}

const TEMPLATE_VAR = /\{([^}]+)\}/g;

const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** YAML map keys are strings; option-set values (Dataverse) are integers on the wire. */
function crmValue(v: unknown): unknown {
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
}

function compileSource(src: Source, defaultConvert: ConverterName, opts: { timeZone: string }): CompiledSource {
  if (typeof src === 'string') return compileSource({ field: src }, defaultConvert, opts);
  if ('value' in src) {
    return { reads: [], writable: null, problemPrefix: '', get: () => ({ ok: true, value: src.value }), toCrm: (v) => v, label: `constant ${JSON.stringify(src.value)}` };
  }
  if ('template' in src) {
    const vars = [...src.template.matchAll(TEMPLATE_VAR)].map((m) => m[1]!);
    // Split once into literal text and field reads: a record is then a few concatenations.
    const literals = src.template.split(TEMPLATE_VAR).filter((_, i) => i % 2 === 0);
    const getters = vars.map(compilePath);
    const conv = converter(src.convert ?? defaultConvert, opts);
    return {
      reads: vars,
      writable: null,
      problemPrefix: '',
      get: (f) => {
        let text = literals[0]!;
        for (let i = 0; i < getters.length; i++) text += String(getters[i]!(f) ?? '') + literals[i + 1]!;
        return conv(text.trim());
      },
      toCrm: (v) => v,
      label: `template "${src.template}"`,
    };
  }
  const get = compilePath(src.field);
  const conv = converter(src.convert ?? defaultConvert, opts);
  const map = src.map;
  const inverse = map ? new Map(Object.entries(map).map(([k, v]) => [String(v), k])) : null;
  const fallback = src.default;
  return {
    reads: [src.field],
    writable: src.field.includes('.') ? null : src.field,
    problemPrefix: `${src.field}: `,
    ...(map === undefined && fallback === undefined ? { direct: { path: src.field, conv } } : {}),
    ...(fallback !== undefined ? { defaulted: (f: Record<string, unknown>) => isBlank(get(f)) } : {}),
    // Most fields have neither a default nor a value map: read and convert, nothing else per record.
    get: map === undefined && fallback === undefined ? (f) => conv(get(f)) : (f) => {
      let raw = get(f);
      if (isBlank(raw) && fallback !== undefined) raw = fallback;
      if (map && raw !== null && raw !== undefined) {
        const key = String(raw);
        if (key in map) raw = map[key];
      }
      return conv(raw);
    },
    toCrm: (v) => (inverse && v !== null && v !== undefined ? crmValue(inverse.get(String(v)) ?? v) : v),
    label: src.field,
  };
}

const HELP_TYPE_SET: ReadonlySet<string> = new Set(HELP_TYPES);

/** Per deal field: its converter when the admin names none. */
const DEFAULT_CONVERT: Record<string, ConverterName> = {
  value: 'money',
  currency: 'currency',
  closeDate: 'date',
  'customer.country': 'country',
  solutions: 'list',
  'contact.email': 'email',
  'contact.phone': 'phone',
  'team.email': 'email',
  'team.phone': 'phone',
};

/** Required for a new referral; an empty one is named by its CRM field so the admin knows what to fill in. */
const REQUIRED: Record<string, string> = {
  name: 'the deal name',
  'customer.name': "the customer's name",
  'customer.country': "the customer's country",
  value: 'the estimated value',
  currency: 'the currency',
  closeDate: 'the estimated close date',
};

export interface StageRead {
  stage: DealStage | null;
  problem?: string;
}

export interface CompiledMapping {
  readonly crm: Mapping['crm'];
  readonly fieldsToRead: string[];
  readonly eligibility: { flagField?: string; linkedField?: string };
  readonly referralIdField: string;
  readonly onDelete: Mapping['onDelete'];
  readonly statusField: { field: string; maxLength: number } | null;
  toDeal(record: CrmRecord): { deal: DealFields; problems: Issue[]; defaulted: string[] };
  stageOf(fields: Record<string, unknown>): StageRead;
  eligible(record: CrmRecord): boolean;
  fromDeal(deal: DealFields, keys: DealFieldKey[]): Record<string, unknown>;
  writeBackFields(facts: ReferralFacts): Record<string, unknown>;
  inboundCreate(deal: DealFields, facts: ReferralFacts): Record<string, unknown>;
  /** Values of a new opportunity that live on related records (`Account.Name`, `transactioncurrencyid.isocurrencycode`). */
  inboundRelated(deal: DealFields): Record<string, Record<string, unknown>>;
  policy(key: DealFieldKey): 'crm-wins' | 'partner-center-wins' | 'manual';
  crmStageFor(stage: DealStage): { fields: Record<string, unknown>; close?: 'won' | 'lost' };
  /** How the CRM closes a record that reaches `stage`; undefined when it does not, or `current` is already closed. */
  closeFor(stage: DealStage, current?: Record<string, unknown>): { outcome: 'won' | 'lost'; reason?: string } | undefined;
  /** What the CRM reads after `value` is written to deal field `key`; undefined when the mapping cannot write it. */
  readBack(key: DealFieldKey, value: unknown): unknown;
  /** The CRM field(s) a deal field path comes from (`team.email` → `Owner.Email`), for messages; null if unmapped. */
  fieldFor(dealPath: string): string | null;
  /** Every deal field with the CRM source it comes from (for `preview`). */
  sources(): { key: string; source: string }[];
  /** Stage values the mapping names (for `check`). */
  mappedStageValues(): string[];
}

export function compileMapping(m: Mapping, now: () => Date = () => new Date()): CompiledMapping {
  const opts = { timeZone: m.timeZone };
  const flat: [string, CompiledSource][] = [];
  const add = (key: string, src: Source | undefined) => {
    if (src !== undefined) flat.push([key, compileSource(src, DEFAULT_CONVERT[key] ?? 'text', opts)]);
  };
  const f = m.fields;
  add('name', f.name);
  for (const k of ['name', 'country', 'city', 'state', 'postalCode', 'addressLine1', 'duns'] as const) add(`customer.${k}`, f.customer?.[k]);
  for (const k of ['firstName', 'lastName', 'email', 'phone'] as const) add(`contact.${k}`, f.contact?.[k]);
  for (const k of ['firstName', 'lastName', 'email', 'phone'] as const) add(`team.${k}`, f.team?.[k]);
  add('value', f.value);
  add('currency', f.currency);
  add('closeDate', f.closeDate);
  add('notes', f.notes);
  add('campaignId', f.campaignId);
  add('statusReason', f.statusReason);
  add('solutions', f.solutions);
  const byKey = new Map(flat);

  const stageGet = compilePath(m.stages.field);
  const rules = m.stages.rules.map((r) => ({ get: compilePath(r.field), equals: String(r.equals), stage: r.stage }));
  const prob = m.stages.byProbability ? { get: compilePath(m.stages.byProbability.field), ranges: m.stages.byProbability.ranges } : null;
  const stageMap = new Map(Object.entries(m.stages.map));
  const closedRules = rules.filter((r) => r.stage === 'Won' || r.stage === 'Lost');

  // One answer object per target, made once: reading a stage allocates nothing.
  const answers = new Map<StageTarget, StageRead>();
  const resolve = (t: StageTarget): StageRead => {
    let a = answers.get(t);
    if (!a) answers.set(t, (a = Object.freeze(t === 'ignore' ? { stage: null } : { stage: t })));
    return a;
  };
  const stageOf = (fields: Record<string, unknown>): StageRead => {
    for (const r of rules) if (String(r.get(fields) ?? '') === r.equals) return resolve(r.stage);
    const raw = stageGet(fields);
    const value = raw === null || raw === undefined ? '' : String(raw);
    const hit = stageMap.get(value);
    if (hit) return resolve(hit);
    if (prob) {
      const p = Number(prob.get(fields));
      const range = Number.isFinite(p) ? prob.ranges.find((r) => p >= r.min && p <= r.max) : undefined;
      if (range) return resolve(range.stage);
    }
    return { stage: null, problem: `${m.stages.field} '${value}' is not mapped to a co-sell stage (add it under stages.map)` };
  };

  const help = m.dealType.helpType;
  const helpGet = help ? compilePath(help.field) : null;
  const vis = m.dealType.visibility;
  const visGet = vis ? compilePath(vis.field) : null;
  const visConv = converter('boolean');
  const solutionMap = new Map(Object.entries(m.solutions.map));
  const solutionInverse = new Map(Object.entries(m.solutions.map).map(([k, v]) => [v, k]));
  const flagGet = m.eligibility.flag ? compilePath(m.eligibility.flag) : null;
  const linkedGet = compilePath(m.writeBack.referralId);
  const filters = m.eligibility.filter.map((c) => ({ ...c, get: compilePath(c.field) }));

  const helpInverse = help?.map ? new Map(Object.entries(help.map).map(([k, v]) => [v, k])) : null;

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
    const st = stageOf(fields);
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

  const derivedWrite = new Map<string, string>();
  for (const [value, target] of Object.entries(m.stages.map)) if (!derivedWrite.has(target)) derivedWrite.set(target, value);

  const crmStageFor = (stage: DealStage): { fields: Record<string, unknown>; close?: 'won' | 'lost' } => {
    const explicit = m.stages.write[stage];
    if (explicit !== undefined) {
      if (typeof explicit === 'object' && explicit !== null) return { fields: { ...explicit.fields }, ...(explicit.close ? { close: explicit.close } : {}) };
      return { fields: { [m.stages.field]: explicit } };
    }
    const value = derivedWrite.get(stage) ?? (stage === 'expired' || stage === 'declined' ? derivedWrite.get('Lost') : undefined);
    return value === undefined ? { fields: {} } : { fields: { [m.stages.field]: value } };
  };

  const fromDeal = (deal: DealFields, keys: DealFieldKey[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const put = (key: string, value: unknown) => {
      const src = byKey.get(key);
      if (src?.writable) out[src.writable] = src.toCrm(value);
    };
    for (const key of keys) {
      switch (key) {
        case 'customer':
          for (const [k, v] of Object.entries(deal.customer)) put(`customer.${k}`, v);
          break;
        case 'contact':
          for (const [k, v] of Object.entries(deal.contact ?? {})) put(`contact.${k}`, v);
          break;
        case 'team':
          for (const [k, v] of Object.entries(deal.team[0] ?? {})) put(`team.${k}`, v);
          break;
        case 'solutions':
          put('solutions', deal.solutions.map((s) => solutionInverse.get(s) ?? s).join(';'));
          break;
        case 'stage':
          Object.assign(out, crmStageFor(deal.stage).fields);
          break;
        case 'helpType':
          if (help && !help.field.includes('.')) out[help.field] = crmValue(helpInverse?.get(deal.helpType) ?? deal.helpType);
          break;
        case 'visibleToMicrosoft':
          if (vis && !vis.field.includes('.')) out[vis.field] = deal.visibleToMicrosoft;
          break;
        default:
          put(key, deal[key]);
      }
    }
    return out;
  };

  /** The stage the CRM reads after a stage is written: many CRM values may share one stage, and a close is Won/Lost. */
  const stageReadBack = (stage: DealStage): DealStage => {
    const w = crmStageFor(stage);
    const read = Object.keys(w.fields).length ? stageOf(w.fields).stage : null;
    if (w.close) return read === 'Won' || read === 'Lost' || read === 'declined' ? read : w.close === 'won' ? 'Won' : 'Lost';
    return read ?? stage;
  };
  /** Deal fields every part of which the mapping can write to a plain CRM field (no relationship path, no template). */
  const writableParts = (prefix: string) => {
    const parts = flat.filter(([k]) => k.startsWith(prefix));
    return parts.length > 0 && parts.every(([, src]) => src.writable !== null);
  };
  const writable = new Set<DealFieldKey>(
    (['name', 'value', 'currency', 'closeDate', 'notes', 'campaignId', 'statusReason', 'solutions'] as const).filter((k) => byKey.get(k)?.writable),
  );
  if (writableParts('customer.')) writable.add('customer');
  if (writableParts('contact.')) writable.add('contact');
  if (writableParts('team.')) writable.add('team');
  if (help && !help.field.includes('.')) writable.add('helpType');
  if (vis && !vis.field.includes('.')) writable.add('visibleToMicrosoft');
  const readBack = (key: DealFieldKey, value: unknown): unknown => {
    if (key === 'stage') return stageReadBack(value as DealStage);
    return writable.has(key) ? value : undefined;
  };

  const fieldFor = (dealPath: string): string | null => {
    if (dealPath === 'stage') return m.stages.field;
    if (dealPath === 'helpType') return help?.field ?? null;
    if (dealPath === 'visibleToMicrosoft') return vis?.field ?? null;
    const one = byKey.get(dealPath);
    if (one) return one.label;
    const parts = flat.filter(([k]) => k.startsWith(`${dealPath}.`)).map(([, src]) => src.label);
    return parts.length ? parts.join(', ') : null;
  };

  const wb = m.writeBack;
  const writeBackFields = (facts: ReferralFacts): Record<string, unknown> => {
    const out: Record<string, unknown> = { [wb.referralId]: facts.referralId };
    if (wb.link) out[wb.link] = facts.link;
    if (wb.status) out[wb.status] = facts.status;
    if (wb.substatus) out[wb.substatus] = facts.substatus;
    if (wb.salesStage) out[wb.salesStage] = facts.salesStage;
    if (wb.engagementId) out[wb.engagementId] = facts.engagementId;
    if (wb.microsoftCrmId) out[wb.microsoftCrmId] = facts.microsoftMsxId;
    return out;
  };

  const allKeys: DealFieldKey[] = ['name', 'value', 'currency', 'closeDate', 'notes', 'campaignId', 'helpType', 'visibleToMicrosoft', 'solutions', 'statusReason', 'stage'];
  const inboundCreate = (deal: DealFields, facts: ReferralFacts): Record<string, unknown> => {
    const closeDate = deal.closeDate ?? new Date(now().getTime() + m.inbound.closeDateDays * 86_400_000).toISOString().slice(0, 10);
    const fields = fromDeal({ ...deal, closeDate, name: deal.name ?? `Microsoft referral ${facts.referralId}` }, allKeys);
    return { ...fields, ...m.inbound.fields };
  };

  const inboundRelated = (deal: DealFields): Record<string, Record<string, unknown>> => {
    const out: Record<string, Record<string, unknown>> = {};
    const put = (key: string, value: unknown) => {
      const src = byKey.get(key);
      const path = src && !src.writable && src.reads.length === 1 && src.label === src.reads[0] ? src.reads[0].split('.') : [];
      if (path.length !== 2 || value === null || value === undefined) return;
      (out[path[0]!] ??= {})[path[1]!] = src!.toCrm(value);
    };
    for (const [k, v] of Object.entries(deal.customer)) put(`customer.${k}`, v);
    for (const [k, v] of Object.entries(deal.contact ?? {})) put(`contact.${k}`, v);
    put('currency', deal.currency);
    return out;
  };

  const reads = new Set<string>([m.stages.field, ...rules.map((_, i) => m.stages.rules[i]!.field)]);
  for (const [, src] of flat) for (const r of src.reads) reads.add(r);
  if (m.stages.byProbability) reads.add(m.stages.byProbability.field);
  if (help) reads.add(help.field);
  if (vis) reads.add(vis.field);
  if (m.eligibility.flag) reads.add(m.eligibility.flag);
  for (const c of m.eligibility.filter) reads.add(c.field);
  for (const v of Object.values(wb)) if (typeof v === 'string') reads.add(v);
  if (wb.statusLine) reads.add(wb.statusLine.field);

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

  return {
    crm: m.crm,
    fieldsToRead: [...reads],
    eligibility: { ...(m.eligibility.flag ? { flagField: m.eligibility.flag } : {}), linkedField: wb.referralId },
    referralIdField: wb.referralId,
    onDelete: m.onDelete,
    statusField: wb.statusLine ? { field: wb.statusLine.field, maxLength: wb.statusLine.maxLength } : null,
    toDeal,
    stageOf,
    eligible(record) {
      const linked = linkedGet(record.fields);
      if (linked !== null && linked !== undefined && linked !== '') return true;
      const flagged = flagGet ? converter('boolean')(flagGet(record.fields)) : { ok: true as const, value: true };
      return flagged.ok && flagged.value === true && passes(record.fields);
    },
    fromDeal,
    writeBackFields,
    inboundCreate,
    inboundRelated,
    policy: (key) => m.conflicts.fields[key] ?? DEFAULT_POLICIES[key] ?? m.conflicts.default,
    crmStageFor,
    closeFor(stage, current) {
      const w = crmStageFor(stage);
      if (!w.close) return undefined;
      // A record a Won/Lost rule already matches (Dataverse statecode 1/2) is closed: closing again would fail.
      if (current && closedRules.some((r) => String(r.get(current) ?? '') === r.equals)) return undefined;
      return { outcome: w.close };
    },
    readBack,
    fieldFor,
    sources: () => flat.map(([key, src]) => ({ key, source: src.label })),
    mappedStageValues: () => [...stageMap.keys()],
  };
}
