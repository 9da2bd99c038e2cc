/**
 * The sync log, recorded without touching the engine: a SyncState wrapper that reads each page's checkpoint
 * (links, issues, conflicts) against the links as they were before it, and appends one line per record that
 * changed — created, updated, written back, created in CRM, blocked, conflict or issue — under the current run,
 * committed in the page's own transaction.
 */
import type { Checkpoint, Link, SyncLogEntry, SyncState } from '../state/index.js';

type Entry = Omit<SyncLogEntry, 'id'>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What one link's change means, or null when nothing a person cares about moved (an ETag, a snapshot). */
function linkOutcome(prev: Link | undefined, next: Link): Pick<Entry, 'outcome' | 'reason'> | null {
  if (next.state === 'blocked') return prev?.state === 'blocked' && prev.message === next.message ? null : { outcome: 'blocked', reason: next.message };
  if (!prev) return { outcome: next.direction === 'Incoming' ? 'created in CRM' : 'created', reason: null };
  if (!same(prev.base, next.base)) return { outcome: 'updated', reason: null };
  if (!same(prev.written, next.written)) return { outcome: 'written back', reason: next.message };
  return null;
}

export function entriesFor(connection: string, runId: number, at: string, cp: Checkpoint, before: Map<string, Link>): Entry[] {
  const out: Entry[] = [];
  for (const l of cp.links ?? []) {
    const o = linkOutcome(before.get(l.crmId), l);
    if (o) out.push({ runId, connection, at, crmId: l.crmId, referralId: l.referralId, name: l.base.name, ...o });
  }
  for (const i of cp.issues ?? []) {
    const [side, id] = [i.recordKey.slice(0, i.recordKey.indexOf(':')), i.recordKey.slice(i.recordKey.indexOf(':') + 1)];
    out.push({
      runId,
      connection,
      at,
      crmId: side === 'crm' ? id : null,
      referralId: side === 'referral' ? id : null,
      name: null,
      outcome: 'issue',
      reason: `${i.kind}: ${i.message}`,
    });
  }
  for (const c of cp.conflicts ?? []) {
    out.push({
      runId,
      connection,
      at,
      crmId: c.crmId,
      referralId: c.referralId,
      name: before.get(c.crmId)?.base.name ?? null,
      outcome: 'conflict',
      reason: `${c.field}: CRM ${JSON.stringify(c.crmValue)} vs referral ${JSON.stringify(c.referralValue)}`,
    });
  }
  return out;
}

/** Wrap a state so every run's page commits also write the sync log. */
export function withSyncLog(state: SyncState, now: () => Date = () => new Date()): SyncState {
  const currentRun = new Map<string, number>();
  return {
    ...state,
    async startRun(connection, correlationId) {
      const id = await state.startRun(connection, correlationId);
      currentRun.set(connection, id);
      return id;
    },
    async checkpoint(connection, cp) {
      const runId = currentRun.get(connection);
      const links = cp.links ?? [];
      const before =
        runId !== undefined && links.length
          ? await state.getLinks(
              connection,
              links.map((l) => l.crmId),
            )
          : new Map<string, Link>();
      if (runId === undefined) return state.checkpoint(connection, cp);
      const entries = entriesFor(connection, runId, now().toISOString(), cp, before);
      await state.checkpoint(connection, entries.length ? { ...cp, log: entries } : cp);
    },
  };
}
