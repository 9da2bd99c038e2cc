/**
 * What an admin can do to the sync state, as functions the CLI and the HTTP API both call: status per
 * connection, issues (list, retry), conflicts (list, resolve), a full resync, pause/resume, runs and the sync log.
 */
import { NotFoundError, ValidationError } from '../runtime/index.js';
import type { SyncState } from '../state/index.js';
import type { CycleResult, PlannedRecord } from '../sync/index.js';

export interface ConnectionInfo {
  name: string;
  kind: 'salesforce' | 'dynamics365';
}

export interface ConnectionStatus {
  connection: string;
  crm: string;
  paused: boolean;
  lastRun: { id: number; status: string; startedAt: string; endedAt: string | null } | null;
  /** Seconds since the last run that finished without failing started: changes older than that are synced. */
  lagSeconds: number | null;
  counts: { created: number; updated: number; writtenBack: number; createdInCrm: number };
  linked: number;
  blocked: number;
  conflicts: number;
  /** Records with an open issue now. */
  issues: number;
  /** Issues seen by the last run (each record once). */
  issuesLastRun: number;
  apiCalls: { crm: number; referrals: number } | null;
  /** The CRM's daily API budget as last seen ("used/max"). */
  crmBudget: string | null;
}

export function requireConnection<C extends ConnectionInfo>(connections: readonly C[], name: string): C {
  const c = connections.find((x) => x.name === name);
  if (!c) throw new NotFoundError(`no connection named '${name}' (have: ${connections.map((x) => x.name).join(', ')})`);
  return c;
}

/** Seconds since the start of the newest successful run (`null` when none succeeded yet). */
export async function lagSeconds(state: SyncState, connection: string, now = Date.now()): Promise<number | null> {
  const ok = (await state.lastRuns(connection, 20)).find((r) => r.status === 'ok');
  return ok ? Math.max(0, Math.round((now - Date.parse(ok.startedAt)) / 1000)) : null;
}

export async function connectionStatus(state: SyncState, c: ConnectionInfo, now = Date.now()): Promise<ConnectionStatus> {
  const [last] = await state.lastRuns(c.name, 1);
  const links = await state.linkCounts(c.name);
  const paused = (await state.pausedConnections()).includes(c.name);
  return {
    connection: c.name,
    crm: c.kind,
    paused,
    lastRun: last ? { id: last.id, status: last.status, startedAt: last.startedAt, endedAt: last.endedAt } : null,
    lagSeconds: await lagSeconds(state, c.name, now),
    counts: {
      created: last?.counts.created ?? 0,
      updated: last?.counts.updated ?? 0,
      writtenBack: last?.counts.writtenBack ?? 0,
      createdInCrm: last?.counts.createdInCrm ?? 0,
    },
    linked: links.ok + links.blocked + links.error,
    blocked: links.blocked,
    conflicts: (await state.conflictsPage({ connection: c.name, includeResolved: false, offset: 0, limit: 0 })).total,
    issues: (await state.issuesPage({ connection: c.name, offset: 0, limit: 0 })).total,
    issuesLastRun: last?.counts.issues ?? 0,
    apiCalls: last ? { crm: last.counts.crmCalls ?? 0, referrals: last.counts.referralCalls ?? 0 } : null,
    crmBudget: last?.counts.crmBudget ?? null,
  };
}

const RECORD_KEY = /^(crm|referral):.+$/;

/** Queue records (default: every record with an issue) for the next cycle; returns how many. */
export async function retryIssues(state: SyncState, connection: string, records?: string[]): Promise<number> {
  const bad = (records ?? []).filter((k) => !RECORD_KEY.test(k));
  if (bad.length)
    throw new ValidationError(
      'bad record keys',
      bad.map((k) => ({ path: 'records', message: `'${k}': expected crm:<id> or referral:<id>` })),
    );
  return state.requestRetry(connection, records?.length ? records : undefined);
}

export async function resolveConflict(state: SyncState, id: number, take: 'crm' | 'referral') {
  const c = await state.resolveConflict(id, take);
  if (!c) throw new NotFoundError(`no open conflict with id ${id}`);
  return c;
}

/** Forget the cursors: the next cycle reads everything and reconciles against the links (no duplicates). */
export async function fullResync(state: SyncState, connection: string): Promise<void> {
  await state.resetCursors(connection);
}

export async function setPaused(state: SyncState, connection: string, paused: boolean): Promise<void> {
  await state.setPaused(connection, paused);
}

/** Drop sync log lines older than `days` days. */
export async function pruneSyncLog(state: SyncState, days: number, now = Date.now()): Promise<number> {
  return state.pruneSyncLog(new Date(now - days * 86_400_000).toISOString());
}

/** The records a dry-run cycle would change (or report), from its result. */
export function plannedChanges(result: CycleResult): PlannedRecord[] {
  return result.planned.filter((p) => p.actions.length || p.blocked.length || p.conflicts.length || p.problems.length);
}
