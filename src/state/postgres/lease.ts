/**
 * The lease of a connection in PostgreSQL, with a fencing token. A worker syncs a connection only while it holds
 * the lease; every page commit checks, in its own transaction and under a row lock, that its token is still the
 * lease's and not expired. A worker that stalled past its lease (GC pause, SIGSTOP, a lost network) and wakes up
 * therefore commits nothing over the worker that took the connection over: the queue's lock alone cannot
 * promise that, since the stalled worker does not know it lost it.
 */
import type { Db, Tx } from './pool.js';

export interface Fence {
  connection: string;
  token: number;
  holder: string;
}

export class FencedError extends Error {
  constructor(readonly fence: Fence) {
    super(`connection ${fence.connection}: lease token ${fence.token} of ${fence.holder} is no longer valid; page not committed`);
    this.name = 'FencedError';
  }
}

/** Take the connection's lease when it is free, expired or already ours; a new token every time. */
export async function acquireLease(db: Db, connection: string, holder: string, ttlMs: number): Promise<Fence | null> {
  const r = await db.query<{ token: string }>(
    `INSERT INTO leases (connection, token, holder, acquired_at, expires_at)
     VALUES ($1, nextval('lease_tokens'), $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3::float8 / 1000))
     -- The expiry counts from when the row is taken: the statement may have waited on a stalled holder's lock.
     ON CONFLICT (connection) DO UPDATE SET token = excluded.token, holder = excluded.holder, acquired_at = clock_timestamp(),
       expires_at = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
     WHERE leases.expires_at < clock_timestamp() OR leases.holder = excluded.holder
     RETURNING token`,
    [connection, holder, ttlMs],
  );
  const row = r.rows[0];
  if (!row) return null;
  // The overlap log of a connection keeps a day, so it stays small while still covering any test or incident.
  await db.query("DELETE FROM page_commits WHERE connection = $1 AND committed_at < now() - interval '1 day'", [connection]);
  return { connection, token: Number(row.token), holder };
}

/** Extend the lease; false when it is no longer ours (expired and taken, or released). */
export async function renewLease(db: Db, fence: Fence, ttlMs: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
     WHERE connection = $1 AND token = $2 AND expires_at > clock_timestamp()`,
    [fence.connection, fence.token, ttlMs],
  );
  return r.rowCount === 1;
}

export async function releaseLease(db: Db, fence: Fence): Promise<void> {
  await db.query('DELETE FROM leases WHERE connection = $1 AND token = $2', [fence.connection, fence.token]);
}

/**
 * Inside a page's transaction: lock the lease row and refuse unless the token is current and unexpired. The
 * row lock orders this commit against a take-over (which updates the row), so one of them sees the other.
 */
export async function checkFence(c: Tx, connection: string, fence: Fence, opts: { pageCommit: boolean }): Promise<void> {
  if (connection !== fence.connection) throw new FencedError(fence);
  const r = await c.query('SELECT 1 FROM leases WHERE connection = $1 AND token = $2 AND expires_at > clock_timestamp() FOR UPDATE', [connection, fence.token]);
  if (r.rowCount !== 1) throw new FencedError(fence);
  if (opts.pageCommit) await c.query('INSERT INTO page_commits (connection, token, holder) VALUES ($1, $2, $3)', [connection, fence.token, fence.holder]);
}
