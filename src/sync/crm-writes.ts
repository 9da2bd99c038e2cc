/**
 * A page's CRM writes, after its referral calls: the batched write-back, then the inbound creates (healing any
 * whose create was interrupted). What the CRM answers is folded into the page's checkpoint before it commits.
 */
import type { CrmRecord, WriteResult } from '../../connectors/index.js';
import { recordKey, type Link } from '../state/index.js';
import { INBOUND_MESSAGE, pickWriteBack, type CreateToSend, type Folded, type UpdateToSend } from './fold.js';
import { pendingCrmKey } from './pending.js';
import type { ConnectionPorts } from './ports.js';
import type { RunTally } from './tally.js';

export interface CrmWriteEnv extends Pick<ConnectionPorts, 'connection' | 'crm' | 'mapping' | 'log'> {
  tally: RunTally;
  /** CRM fields read with a record (the healing lookup reads the same). */
  readFields: string[];
  /** Pending creates at the start of the cycle: an inbound create among them may have reached the CRM. */
  pending: ReadonlySet<string>;
  /** A full resync looks every inbound create up first. */
  full: boolean;
}

export async function writeBack(env: CrmWriteEnv, folded: Folded): Promise<void> {
  if (!folded.updates.length) return;
  const results = await env.crm.writeBack(folded.updates.map((u) => u.update));
  const linkOf = new Map(folded.checkpoint.links.map((l) => [l.crmId, l]));
  results.forEach((r, i) => {
    const { update, outcome } = folded.updates[i]!;
    const link = linkOf.get(update.id);
    // The rep closed the row between our read and this write (the plan never closes a closed row): the
    // deal is over either way, so not a failure.
    if (!r.ok && r.code === 'RECORD_CLOSED') {
      env.log.info('crm record closed meanwhile; close skipped', { connection: env.connection, crmId: update.id });
    } else if (r.ok) {
      env.tally.add({ writtenBack: 1 });
      // Remember what is now on the record; its new version marks our own echo on the next pull.
      if (link) {
        link.written = { ...link.written, ...pickWriteBack(update.fields, env.mapping, outcome) };
        if (r.version) link.crmVersion = r.version;
        if (outcome.status) link.message = outcome.status.reason;
      }
    } else {
      writeFailed(env, folded, { update, outcome }, r, link);
    }
  });
}

function writeFailed(env: CrmWriteEnv, folded: Folded, { update, outcome }: UpdateToSend, r: WriteResult, link: Link | undefined): void {
  const key = recordKey('crm', update.id);
  const cp = folded.checkpoint;
  env.tally.issue(key);
  env.log.warn('crm write failed', { connection: env.connection, crmId: update.id, code: r.code, error: r.message });
  cp.issues.push({ connection: env.connection, recordKey: key, kind: 'crm-write', message: `CRM rejected the write-back: ${r.code ?? ''} ${r.message ?? ''}`.trim() });
  cp.clearIssues = cp.clearIssues.filter((k) => k !== key);
  cp.retry.push(key);
  // Keep the old link (or, for a just-created referral, the link without claiming the write-back landed).
  if (link && outcome.counters.created === 0) cp.links = cp.links.filter((l) => l !== link);
  else if (link) link.written = {};
}

export async function createInbound(env: CrmWriteEnv, folded: Folded, at: Date): Promise<void> {
  const creates = folded.creates;
  if (!creates.length) return;
  const existing = await existingFor(env, creates);
  const toCreate = creates.filter((n) => !existing.has(n.create.ref));
  const results = toCreate.length ? await env.crm.create(toCreate.map((n) => n.create)) : [];
  for (const n of creates) {
    const found = existing.get(n.create.ref);
    if (found) linkInbound(env, folded, n, found.id, found.version, at);
  }
  results.forEach((r, i) => {
    const n = toCreate[i]!;
    if (r.ok && r.id) {
      env.tally.add({ createdInCrm: 1 });
      linkInbound(env, folded, n, r.id, r.version ?? null, at);
    } else {
      createFailed(env, folded, n, r);
    }
  });
}

/** Healing: an opportunity may already exist for a referral whose create was interrupted. */
async function existingFor(env: CrmWriteEnv, creates: CreateToSend[]): Promise<Map<string, CrmRecord>> {
  const maybe = creates.filter((n) => env.pending.has(pendingCrmKey(n.create.ref)) || env.full);
  if (!maybe.length) return new Map();
  const found = await env.crm.findBy(
    env.mapping.referralIdField,
    maybe.map((n) => n.create.ref),
    env.readFields,
  );
  return new Map(found.map((r) => [String(r.fields[env.mapping.referralIdField]), r]));
}

function linkInbound(env: CrmWriteEnv, folded: Folded, n: CreateToSend, crmId: string, version: string | null, at: Date): void {
  const created = n.outcome.crmCreate!;
  folded.checkpoint.links.push({
    connection: env.connection,
    crmId,
    referralId: n.create.ref,
    base: created.deal,
    referralSnapshot: created.deal,
    referralEtag: created.facts.eTag,
    crmVersion: version,
    state: 'ok',
    message: INBOUND_MESSAGE,
    written: pickWriteBack(n.create.fields, env.mapping, n.outcome),
    crmEcho: created.echo,
    direction: 'Incoming',
    updatedAt: at.toISOString(),
  });
  folded.checkpoint.clearIssues.push(recordKey('referral', n.create.ref));
}

function createFailed(env: CrmWriteEnv, folded: Folded, n: CreateToSend, r: WriteResult): void {
  const key = recordKey('referral', n.create.ref);
  const cp = folded.checkpoint;
  env.tally.issue(key);
  cp.clearIssues = cp.clearIssues.filter((k) => k !== key);
  env.log.warn('crm create failed', { connection: env.connection, referralId: n.create.ref, code: r.code, error: r.message });
  cp.issues.push({ connection: env.connection, recordKey: key, kind: 'crm-create', message: `CRM rejected the new opportunity: ${r.code ?? ''} ${r.message ?? ''}`.trim() });
  cp.retry.push(key);
}
