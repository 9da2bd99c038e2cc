/**
 * What a page's record outcomes add up to, as a pure function: the checkpoint to commit, the CRM updates and
 * creates to send, and the counts. The page pipeline makes the calls; this only decides.
 */
import type { CrmCreate, CrmUpdate } from '../../connectors/index.js';
import { sameValue } from '../domain/index.js';
import { recordKey, type Checkpoint, type Direction, type RecordKey, type RunCounts } from '../state/index.js';
import type { MappingPort } from './ports.js';
import type { RecordOutcome, RecordWork } from './record.js';
import { renderStatusLine, sameStatus } from './status-line.js';

export type Cursor = { direction: Direction; value: string | null };

/** A record's outcome, or why it failed (the page goes on; the record is an issue and is retried). */
export type Settled = { work: RecordWork; outcome: RecordOutcome } | { work: RecordWork; failure: { key: RecordKey; message: string } };

export type PageCheckpoint = Required<Pick<Checkpoint, 'links' | 'unlink' | 'issues' | 'clearIssues' | 'conflicts' | 'retry'>> & Checkpoint;

export interface UpdateToSend {
  update: CrmUpdate;
  outcome: RecordOutcome;
}

export interface CreateToSend {
  create: CrmCreate;
  outcome: RecordOutcome;
}

export type FoldMapping = Pick<MappingPort, 'fromDeal' | 'writeBackFields' | 'statusField' | 'inboundCreate' | 'inboundRelated'>;

export interface FoldInput {
  connection: string;
  at: Date;
  mapping: FoldMapping;
  cursor: Cursor | null;
  /** The pending-create keys this page announced: settled by its commit. */
  pending: string[];
  settled: Settled[];
}

export interface Folded {
  checkpoint: PageCheckpoint;
  updates: UpdateToSend[];
  creates: CreateToSend[];
  counts: Pick<RunCounts, 'created' | 'updated' | 'blocked' | 'unchanged'>;
  /** Records with an issue on this page; the cycle counts each once. */
  issues: RecordKey[];
  /** `<crmId>:<field>` of each conflict; the cycle counts each once. */
  conflicts: string[];
}

export const INBOUND_MESSAGE = 'received from Partner Center';

export function foldOutcomes(input: FoldInput): Folded {
  const folded: Folded = {
    checkpoint: {
      links: [],
      unlink: [],
      issues: [],
      clearIssues: [],
      conflicts: [],
      retry: [],
      pending: { remove: input.pending },
      ...(input.cursor ? { cursor: input.cursor } : {}),
    },
    updates: [],
    creates: [],
    counts: { created: 0, updated: 0, blocked: 0, unchanged: 0 },
    issues: [],
    conflicts: [],
  };
  for (const s of input.settled) {
    if ('failure' in s) foldFailure(folded, input.connection, s.failure);
    else foldOutcome(folded, input, s.work, s.outcome);
  }
  return folded;
}

/** The key a record's issue is filed under: its CRM id when it has one, else its referral id. */
export function workKey(work: RecordWork): RecordKey {
  return work.crmRecord ? recordKey('crm', work.crmRecord.id) : recordKey('referral', String(work.referral?.referral.id ?? work.link?.referralId));
}

function foldFailure(f: Folded, connection: string, failure: { key: RecordKey; message: string }): void {
  f.checkpoint.issues.push({ connection, recordKey: failure.key, kind: 'error', message: failure.message });
  f.checkpoint.retry.push(failure.key);
  f.issues.push(failure.key);
}

function foldOutcome(f: Folded, input: FoldInput, work: RecordWork, o: RecordOutcome): void {
  const { connection, at, mapping } = input;
  const cp = f.checkpoint;
  f.counts.created += o.counters.created;
  f.counts.updated += o.counters.updated;
  f.counts.blocked += o.counters.blocked;
  if (o.planned.length === 0 && !o.blocked.length && !o.conflicts.length && !o.problems.length) f.counts.unchanged++;
  const key = o.crmId ? recordKey('crm', o.crmId) : recordKey('referral', String(o.referralId));
  if (o.problems.length) {
    f.issues.push(key);
    cp.issues.push({ connection, recordKey: key, kind: o.rejected ? 'rejected' : 'validation', message: o.problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
  } else {
    cp.clearIssues.push(key);
  }
  for (const c of o.conflicts) {
    f.conflicts.push(`${o.crmId}:${c.key}`);
    cp.conflicts.push({ connection, crmId: o.crmId!, referralId: o.referralId!, field: c.key, baseValue: c.base, crmValue: c.crm, referralValue: c.referral });
  }
  if (o.unlink && o.crmId) cp.unlink.push(o.crmId);
  if (o.crmCreate) {
    f.creates.push({ create: inboundCreate(mapping, o.crmCreate, at), outcome: o });
    return;
  }
  if (o.link) cp.links.push({ ...o.link, connection, updatedAt: at.toISOString() });
  if (!o.crmId || work.crmRecord?.deleted) return;
  const fields = crmFieldsFor(mapping, o, work.crmRecord?.fields ?? o.link?.written ?? {}, at);
  if (Object.keys(fields).length > 0) {
    f.updates.push({ update: { id: o.crmId, fields, ...(o.crmWrite?.close ? { close: o.crmWrite.close } : {}) }, outcome: o });
  }
}

/** A new opportunity for an inbound referral: its deal, its write-back facts and a ✔ line saying where it came from. */
function inboundCreate(mapping: FoldMapping, c: NonNullable<RecordOutcome['crmCreate']>, at: Date): CrmCreate {
  const fields = { ...mapping.inboundCreate(c.deal, c.facts), ...mapping.writeBackFields(c.facts) };
  if (mapping.statusField) fields[mapping.statusField.field] = renderStatusLine(true, INBOUND_MESSAGE, at, mapping.statusField.maxLength);
  const related = mapping.inboundRelated?.(c.deal);
  return { ref: c.facts.referralId, fields, ...(related ? { related } : {}) };
}

/** CRM fields to write for one outcome: deal fields, changed write-back facts, and the status line if its meaning changed. */
function crmFieldsFor(mapping: FoldMapping, o: RecordOutcome, current: Record<string, unknown>, at: Date): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (o.crmWrite && o.link) Object.assign(fields, mapping.fromDeal(o.link.base, o.crmWrite.keys));
  if (o.crmWrite?.facts) {
    for (const [k, v] of Object.entries(mapping.writeBackFields(o.crmWrite.facts))) {
      if (!sameValue(current[k] ?? null, v ?? null)) fields[k] = v;
    }
  }
  const status = mapping.statusField;
  if (status && o.status && !sameStatus(current[status.field] as string | undefined, o.status.ok, o.status.reason, status.maxLength)) {
    fields[status.field] = renderStatusLine(o.status.ok, o.status.reason, at, status.maxLength);
  }
  return fields;
}

/** The write-back part of what was written (deal fields are tracked by the base, not here). */
export function pickWriteBack(fields: Record<string, unknown>, mapping: Pick<MappingPort, 'writeBackFields' | 'statusField'>, o: RecordOutcome): Record<string, unknown> {
  const facts = o.crmWrite?.facts ?? o.crmCreate?.facts;
  if (!facts) return {};
  const keys = new Set(Object.keys(mapping.writeBackFields(facts)));
  if (mapping.statusField) keys.add(mapping.statusField.field);
  return Object.fromEntries(Object.entries(fields).filter(([k]) => keys.has(k)));
}
