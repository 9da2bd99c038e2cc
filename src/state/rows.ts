/**
 * Rows as both SQL backends store them, and their mapping to the state's types (one place for both). PostgreSQL
 * returns BIGSERIAL ids as strings and booleans as booleans where SQLite has numbers and 0/1.
 */
import type { DealFields } from '../domain/index.js';
import type { Conflict, LinkState, Page, RecordIssue, Run, RunCounts, SyncLogEntry, Link } from './types.js';

export interface LinkRow {
  connection: string;
  crm_id: string;
  referral_id: string;
  base: string;
  referral_snapshot: string | null;
  referral_etag: string | null;
  crm_version: string | null;
  state: LinkState;
  message: string | null;
  written: string;
  crm_echo: string;
  direction: 'Incoming' | 'Outgoing';
  updated_at: string;
}

export const toLink = (r: LinkRow): Link => ({
  connection: r.connection,
  crmId: r.crm_id,
  referralId: r.referral_id,
  base: JSON.parse(r.base) as DealFields,
  referralSnapshot: r.referral_snapshot ? (JSON.parse(r.referral_snapshot) as DealFields) : null,
  referralEtag: r.referral_etag,
  crmVersion: r.crm_version,
  state: r.state,
  message: r.message,
  written: JSON.parse(r.written) as Record<string, unknown>,
  crmEcho: JSON.parse(r.crm_echo) as Partial<DealFields>,
  direction: r.direction,
  updatedAt: r.updated_at,
});

export interface ConflictRow {
  id: number | string;
  connection: string;
  crm_id: string;
  referral_id: string;
  field: string;
  base_value: string | null;
  crm_value: string | null;
  referral_value: string | null;
  created_at: string;
  resolved_at: string | null;
  resolution: 'crm' | 'referral' | null;
}

const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
export const toConflict = (r: ConflictRow): Conflict => ({
  id: Number(r.id),
  connection: r.connection,
  crmId: r.crm_id,
  referralId: r.referral_id,
  field: r.field,
  baseValue: parse(r.base_value),
  crmValue: parse(r.crm_value),
  referralValue: parse(r.referral_value),
  createdAt: r.created_at,
  resolvedAt: r.resolved_at,
  resolution: r.resolution,
});

export interface IssueRow {
  connection: string;
  record_key: string;
  kind: string;
  message: string;
  first_seen: string;
  last_seen: string;
  attempts: number;
  retry: number | boolean;
}
export const toIssue = (r: IssueRow): RecordIssue => ({
  connection: r.connection,
  recordKey: r.record_key,
  kind: r.kind,
  message: r.message,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  attempts: r.attempts,
  retry: r.retry === 1 || r.retry === true,
});

export interface SyncLogRow {
  id: number | string;
  run_id: number | string;
  connection: string;
  at: string;
  crm_id: string | null;
  referral_id: string | null;
  name: string | null;
  outcome: SyncLogEntry['outcome'];
  reason: string | null;
}
export const toSyncLog = (r: SyncLogRow): SyncLogEntry => ({
  id: Number(r.id),
  runId: Number(r.run_id),
  connection: r.connection,
  at: r.at,
  crmId: r.crm_id,
  referralId: r.referral_id,
  name: r.name,
  outcome: r.outcome,
  reason: r.reason,
});

/** A page of `limit` from `limit + 1` fetched rows: the extra row only says there is a next page. */
export function pageOf<T>(rows: T[], limit: number, nextOf: (last: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? nextOf(items[items.length - 1]!) : null };
}

export interface RunRow {
  id: number | string;
  connection: string;
  correlation_id: string;
  started_at: string;
  ended_at: string | null;
  status: Run['status'];
  counts: string;
  error: string | null;
}
export const rowToRun = (r: RunRow): Run => ({
  id: Number(r.id),
  connection: r.connection,
  correlationId: r.correlation_id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  status: r.status,
  counts: JSON.parse(r.counts) as RunCounts,
  error: r.error,
});
