/**
 * The sync state contract. SQLite implements it today; a PostgreSQL implementation can replace it for
 * platforms running many connections, without touching the engine (every method is async for that reason).
 */
import type { DealFields } from '../domain/index.js';

export type LinkState = 'ok' | 'blocked' | 'error';
export type Direction = 'crm' | 'referrals';

export interface Link {
  connection: string;
  crmId: string;
  referralId: string;
  /** The DealFields both sides agreed on at the last successful sync. */
  base: DealFields;
  /**
   * The referral as last seen (at `referralEtag`). It differs from `base` where a field is in conflict or
   * blocked, so a cycle that sees only a CRM change still compares against what the referral really holds.
   */
  referralSnapshot: DealFields | null;
  referralEtag: string | null;
  /** CRM version written or seen last (echo fast path). */
  crmVersion: string | null;
  state: LinkState;
  /** Last status reason shown on the CRM record (without its time); the line is rewritten only when it changes. */
  message: string | null;
  /** Write-back values last written to the CRM record (referral id, status, …): only differences are written. */
  written: Record<string, unknown>;
  /**
   * Deal fields as the CRM reads them back where that differs from `base`: a many-to-one stage (Expired is
   * written as Closed Lost), a field the mapping cannot write (a template). The CRM side is compared against
   * `base` overlaid with this, so what the sync wrote never reads back as a rep's edit.
   */
  crmEcho: Partial<DealFields>;
  direction: 'Incoming' | 'Outgoing';
  updatedAt: string;
}

export interface RecordIssue {
  connection: string;
  /** `crm:<id>` or `referral:<id>`. */
  recordKey: string;
  kind: string;
  message: string;
  firstSeen: string;
  lastSeen: string;
  attempts: number;
  retry: boolean;
}

export interface Conflict {
  id: number;
  connection: string;
  crmId: string;
  referralId: string;
  field: string;
  baseValue: unknown;
  crmValue: unknown;
  referralValue: unknown;
  createdAt: string;
  resolvedAt: string | null;
  resolution: 'crm' | 'referral' | null;
}

export interface RunCounts {
  pulledCrm: number;
  pulledReferrals: number;
  created: number;
  updated: number;
  writtenBack: number;
  createdInCrm: number;
  blocked: number;
  conflicts: number;
  issues: number;
  unchanged: number;
  /** API calls this run made on each side, and the CRM's daily budget as last seen ("used/max"). */
  crmCalls: number;
  referralCalls: number;
  crmBudget: string | null;
}

export interface Run {
  id: number;
  connection: string;
  correlationId: string;
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  counts: RunCounts;
  error: string | null;
}

/** Everything a page commits at once: a killed process resumes at the last page with nothing lost. */
export interface Checkpoint {
  links?: Link[];
  unlink?: string[];
  cursor?: { direction: Direction; value: string | null };
  issues?: Omit<RecordIssue, 'firstSeen' | 'attempts' | 'lastSeen' | 'retry'>[];
  clearIssues?: string[];
  conflicts?: Omit<Conflict, 'id' | 'createdAt' | 'resolvedAt' | 'resolution'>[];
  /** Records to read again next cycle (a failed CRM write, a 412 that would not settle). */
  retry?: string[];
  /** Creates that are about to be sent / have been settled (crash healing). */
  pending?: { add?: PendingCreate[]; remove?: string[] };
  /** Sync-log lines of this page, committed with it: a page's log is never lost or doubled apart from its records. */
  log?: Omit<SyncLogEntry, 'id'>[];
}

export interface PendingCreate {
  /** `referral:<crmId>` (creating a referral) or `crm:<referralId>` (creating an opportunity). */
  key: string;
  createdAt: string;
}

export type SyncOutcome = 'created' | 'updated' | 'written back' | 'created in CRM' | 'blocked' | 'conflict' | 'issue';

/** One line of the sync log: what a run did to one record, and why. */
export interface SyncLogEntry {
  id: number;
  runId: number;
  connection: string;
  at: string;
  crmId: string | null;
  referralId: string | null;
  name: string | null;
  outcome: SyncOutcome;
  reason: string | null;
}

export interface SyncLogQuery {
  connection?: string;
  runId?: number;
  /** Matches a CRM id, a referral id (exactly) or a part of the name. */
  search?: string;
  outcome?: SyncOutcome;
  /** Entries with an id below this (paging newest first). */
  before?: number;
  limit: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `before`/`offset` to get the next page; null on the last page. */
  next: number | null;
}

export interface SyncState {
  ensureConnection(name: string, kind: string): Promise<void>;
  getLinks(connection: string, crmIds: string[]): Promise<Map<string, Link>>;
  getLinksByReferral(connection: string, referralIds: string[]): Promise<Map<string, Link>>;
  getCursor(connection: string, direction: Direction): Promise<string | null>;
  checkpoint(connection: string, cp: Checkpoint): Promise<void>;
  pendingCreates(connection: string): Promise<PendingCreate[]>;
  startRun(connection: string, correlationId: string): Promise<number>;
  finishRun(id: number, status: Run['status'], counts: RunCounts, error?: string): Promise<void>;
  lastRuns(connection?: string, limit?: number): Promise<Run[]>;
  issues(connection?: string): Promise<RecordIssue[]>;
  conflicts(connection?: string, includeResolved?: boolean): Promise<Conflict[]>;
  /**
   * Settle a `manual` conflict: the link's base takes the other side's value, so the next cycle sees the chosen
   * side as the only change and carries it across. The record is queued for that cycle.
   */
  resolveConflict(id: number, take: 'crm' | 'referral'): Promise<Conflict | null>;
  /**
   * Queue records (`crm:<id>` / `referral:<id>`; default: every record with an issue) to be read from both
   * sides and synced again on the next cycle.
   */
  requestRetry(connection: string, recordKeys?: string[]): Promise<number>;
  /** Record keys queued for retry; taken off the queue when read. */
  takeRetries(connection: string): Promise<string[]>;
  linkCounts(connection: string): Promise<Record<LinkState, number>>;
  /** Forget cursors (full resync); links stay so the resync reconciles instead of duplicating. */
  resetCursors(connection: string): Promise<void>;
  syncLog(q: SyncLogQuery): Promise<Page<SyncLogEntry>>;
  /** Drop sync log lines older than this ISO time; returns how many. */
  pruneSyncLog(olderThan: string): Promise<number>;
  /** Runs newest first, paged by id. */
  runsPage(q: { connection?: string; before?: number; limit: number }): Promise<Page<Run>>;
  issuesPage(q: { connection?: string; offset: number; limit: number }): Promise<Page<RecordIssue> & { total: number }>;
  conflictsPage(q: { connection?: string; includeResolved: boolean; offset: number; limit: number }): Promise<Page<Conflict> & { total: number }>;
  setPaused(connection: string, paused: boolean): Promise<void>;
  pausedConnections(): Promise<string[]>;
  close(): Promise<void>;
}

export function emptyCounts(): RunCounts {
  return {
    pulledCrm: 0,
    pulledReferrals: 0,
    created: 0,
    updated: 0,
    writtenBack: 0,
    createdInCrm: 0,
    blocked: 0,
    conflicts: 0,
    issues: 0,
    unchanged: 0,
    crmCalls: 0,
    referralCalls: 0,
    crmBudget: null,
  };
}
