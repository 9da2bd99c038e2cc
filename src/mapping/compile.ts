/**
 * Compiles a mapping once into plain functions (paths split, converters chosen, maps inverted), so mapping a
 * record is a few property reads. Nothing here throws on bad data: problems are returned with the CRM field.
 * The stages: sources (compile-source), stages, the reader (toDeal), the writer (fromDeal, write-back, inbound),
 * and what a pull reads (fields, eligibility).
 */
import type { CrmRecord } from '../../connectors/index.js';
import type { DealFieldKey, DealFields, DealStage, Issue, ReferralFacts } from '../domain/index.js';
import { compileReader } from './compile-reader.js';
import { compileEligibility, fieldsToRead } from './compile-reads.js';
import { compileSource, DEFAULT_CONVERT, type Flat } from './compile-source.js';
import { compileStages, type StageRead } from './compile-stages.js';
import { compileWriter } from './compile-writer.js';
import { DEFAULT_POLICIES, type Mapping, type Source } from './schema.js';

export { compilePath } from './compile-source.js';
export type { StageRead } from './compile-stages.js';

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
  const flat: Flat = [];
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
  const stages = compileStages(m);
  const writer = compileWriter(m, flat, stages, now);
  const wb = m.writeBack;
  return {
    crm: m.crm,
    fieldsToRead: fieldsToRead(m, flat),
    eligibility: { ...(m.eligibility.flag ? { flagField: m.eligibility.flag } : {}), linkedField: wb.referralId },
    referralIdField: wb.referralId,
    onDelete: m.onDelete,
    statusField: wb.statusLine ? { field: wb.statusLine.field, maxLength: wb.statusLine.maxLength } : null,
    toDeal: compileReader(m, flat, stages),
    stageOf: stages.stageOf,
    eligible: compileEligibility(m),
    ...writer,
    policy: (key) => m.conflicts.fields[key] ?? DEFAULT_POLICIES[key] ?? m.conflicts.default,
    crmStageFor: stages.crmStageFor,
    closeFor: stages.closeFor,
    sources: () => flat.map(([key, src]) => ({ key, source: src.label })),
    mappedStageValues: stages.mappedStageValues,
  };
}
