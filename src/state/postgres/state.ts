/**
 * PostgreSQL implementation of SyncState: the same contract as SQLite, parameterized statements only, a pool,
 * one transaction per page. `fenced(lease)` gives a view whose page commits first check, in the same
 * transaction, that the lease is still held (distributed mode).
 */
import { pageOf, rowToRun, toConflict, toIssue, toLink, toSyncLog, type ConflictRow, type IssueRow, type LinkRow, type RunRow, type SyncLogRow } from '../rows.js';
import type { Checkpoint, Link, LinkState, SyncLogEntry, SyncState } from '../types.js';
import { recordKey } from '../record-key.js';
import { checkFence, type Fence } from './lease.js';
import { inTx, migrate, openPool, type Db, type PoolOptions, type Tx } from './pool.js';

export interface PostgresState extends SyncState {
  readonly db: Db;
  /** This state with every page commit refused (FencedError) unless `fence` still holds its connection's lease. */
  fenced(fence: Fence): SyncState;
}

const now = () => new Date().toISOString();
type Query = Pick<Db, 'query'>;

/** One statement per page for the links: the page travels as one JSON array. */
const UPSERT_LINKS = `
  INSERT INTO links (connection, crm_id, referral_id, base, referral_snapshot, referral_etag, crm_version, state, message, written, crm_echo, direction, updated_at)
  SELECT $1, x.crm_id, x.referral_id, x.base, x.referral_snapshot, x.referral_etag, x.crm_version, x.state, x.message, x.written, x.crm_echo, x.direction, $2
  FROM json_to_recordset($3::json) AS x(crm_id text, referral_id text, base text, referral_snapshot text, referral_etag text, crm_version text, state text, message text, written text, crm_echo text, direction text)
  ON CONFLICT (connection, crm_id) DO UPDATE SET referral_id = excluded.referral_id, base = excluded.base, referral_snapshot = excluded.referral_snapshot,
    referral_etag = excluded.referral_etag, crm_version = excluded.crm_version, state = excluded.state, message = excluded.message,
    written = excluded.written, crm_echo = excluded.crm_echo, direction = excluded.direction, updated_at = excluded.updated_at`;

const linkJson = (l: Link) => ({
  crm_id: l.crmId,
  referral_id: l.referralId,
  base: JSON.stringify(l.base),
  referral_snapshot: l.referralSnapshot ? JSON.stringify(l.referralSnapshot) : null,
  referral_etag: l.referralEtag,
  crm_version: l.crmVersion,
  state: l.state,
  message: l.message,
  written: JSON.stringify(l.written),
  crm_echo: JSON.stringify(l.crmEcho ?? {}),
  direction: l.direction,
});

async function insertSyncLog(c: Query, entries: Omit<SyncLogEntry, 'id'>[]): Promise<void> {
  if (!entries.length) return;
  await c.query(
    `INSERT INTO sync_log (run_id, connection, at, crm_id, referral_id, name, outcome, reason)
     SELECT (e->>'runId')::bigint, e->>'connection', e->>'at', e->>'crmId', e->>'referralId', e->>'name', e->>'outcome', e->>'reason'
     FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, n) ORDER BY n`,
    [JSON.stringify(entries)],
  );
}

async function writeCheckpoint(c: Tx, connection: string, cp: Checkpoint): Promise<void> {
  const t = now();
  // A page may name a record twice (a link, then its update): the last one wins, as row-by-row upserts would.
  const links = [...new Map((cp.links ?? []).map((l) => [l.crmId, l])).values()];
  if (links.length) await c.query(UPSERT_LINKS, [connection, t, JSON.stringify(links.map(linkJson))]);
  if (cp.unlink?.length) await c.query('DELETE FROM links WHERE connection = $1 AND crm_id = ANY($2::text[])', [connection, cp.unlink]);
  if (cp.cursor) {
    await c.query(
      `INSERT INTO cursors (connection, direction, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (connection, direction) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [connection, cp.cursor.direction, cp.cursor.value, t],
    );
  }
  for (const i of cp.issues ?? []) {
    await c.query(
      `INSERT INTO issues (connection, record_key, kind, message, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (connection, record_key) DO UPDATE SET kind = excluded.kind, message = excluded.message,
         last_seen = excluded.last_seen, attempts = issues.attempts + 1, retry = false`,
      [connection, i.recordKey, i.kind, i.message, t],
    );
  }
  if (cp.clearIssues?.length) await c.query('DELETE FROM issues WHERE connection = $1 AND record_key = ANY($2::text[])', [connection, cp.clearIssues]);
  for (const x of cp.conflicts ?? []) {
    await c.query(
      `INSERT INTO conflicts (connection, crm_id, referral_id, field, base_value, crm_value, referral_value, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (connection, crm_id, field) WHERE resolved_at IS NULL DO UPDATE SET
         base_value = excluded.base_value, crm_value = excluded.crm_value, referral_value = excluded.referral_value`,
      [connection, x.crmId, x.referralId, x.field, JSON.stringify(x.baseValue ?? null), JSON.stringify(x.crmValue ?? null), JSON.stringify(x.referralValue ?? null), t],
    );
  }
  for (const p of cp.pending?.add ?? []) {
    await c.query('INSERT INTO pending_creates (connection, key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [connection, p.key, p.createdAt]);
  }
  if (cp.pending?.remove?.length) await c.query('DELETE FROM pending_creates WHERE connection = $1 AND key = ANY($2::text[])', [connection, cp.pending.remove]);
  await addRetries(c, connection, cp.retry ?? []);
  await insertSyncLog(c, cp.log ?? []);
}

const addRetries = (c: Query, connection: string, keys: string[]) =>
  keys.length ? c.query('INSERT INTO retries (connection, record_key) SELECT $1, k FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING', [connection, keys]) : Promise.resolve();

const takeRetries = async (c: Query, connection: string) =>
  (await c.query<{ record_key: string }>('DELETE FROM retries WHERE connection = $1 RETURNING record_key', [connection])).rows.map((r) => r.record_key);

/** A WHERE clause from conditions; `$?` in a condition stands for its value, numbered in order. */
type Cond = [sql: string, value?: unknown];
function where(conds: Cond[]): { sql: string; args: unknown[] } {
  const args: unknown[] = [];
  const parts = conds.map(([c, v]) => (c.includes('$?') ? (args.push(v), c.replace('$?', `$${args.length}`)) : c));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export async function openPostgresState(opts: PoolOptions): Promise<PostgresState> {
  const db = openPool(opts);
  try {
    await migrate(db);
  } catch (err) {
    await db.end();
    throw err;
  }
  const rows = async <R extends object>(sql: string, args: unknown[] = []) => (await db.query<R>(sql, args)).rows;

  const linksWhere = async (column: 'crm_id' | 'referral_id', connection: string, ids: string[]) => {
    const out = new Map<string, Link>();
    if (ids.length === 0) return out;
    for (const r of await rows<LinkRow>(`SELECT * FROM links WHERE connection = $1 AND ${column} = ANY($2::text[])`, [connection, ids])) {
      out.set(column === 'crm_id' ? r.crm_id : r.referral_id, toLink(r));
    }
    return out;
  };
  const conflictConds = (connection: string | undefined, includeResolved: boolean) =>
    where([...(connection ? [['connection = $?', connection] as Cond] : []), ...(includeResolved ? [] : [['resolved_at IS NULL'] as Cond])]);

  const state: PostgresState = {
    db,
    fenced(fence) {
      return {
        ...state,
        checkpoint: (connection, cp) => inTx(db, async (c) => (await checkFence(c, connection, fence, { pageCommit: true }), await writeCheckpoint(c, connection, cp))),
        // Taking the retry queue is a write too: a worker that lost its lease must leave it for the one that has it.
        takeRetries: (connection) => inTx(db, async (c) => (await checkFence(c, connection, fence, { pageCommit: false }), await takeRetries(c, connection))),
      };
    },
    async ensureConnection(name, kind) {
      await db.query('INSERT INTO connections (name, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [name, kind, now()]);
    },
    getLinks: (connection, crmIds) => linksWhere('crm_id', connection, crmIds),
    getLinksByReferral: (connection, referralIds) => linksWhere('referral_id', connection, referralIds),
    async getCursor(connection, direction) {
      return (await rows<{ value: string | null }>('SELECT value FROM cursors WHERE connection = $1 AND direction = $2', [connection, direction]))[0]?.value ?? null;
    },
    async checkpoint(connection, cp) {
      await inTx(db, (c) => writeCheckpoint(c, connection, cp));
    },
    async pendingCreates(connection) {
      return (await rows<{ key: string; created_at: string }>('SELECT key, created_at FROM pending_creates WHERE connection = $1', [connection])).map((r) => ({
        key: r.key,
        createdAt: r.created_at,
      }));
    },
    async startRun(connection, correlationId) {
      return inTx(db, async (c) => {
        // A run left 'running' by a killed worker is marked as such, so status tells the truth.
        await c.query("UPDATE runs SET status = 'interrupted', ended_at = $1 WHERE connection = $2 AND status = 'running'", [now(), connection]);
        const r = await c.query<{ id: string }>("INSERT INTO runs (connection, correlation_id, started_at, status, counts) VALUES ($1, $2, $3, 'running', '{}') RETURNING id", [
          connection,
          correlationId,
          now(),
        ]);
        return Number(r.rows[0]!.id);
      });
    },
    async finishRun(id, status, counts, error) {
      await db.query('UPDATE runs SET ended_at = $1, status = $2, counts = $3, error = $4 WHERE id = $5', [now(), status, JSON.stringify(counts), error ?? null, id]);
    },
    async lastRuns(connection, limit = 10) {
      const w = where(connection ? [['connection = $?', connection]] : []);
      return (await rows<RunRow>(`SELECT * FROM runs ${w.sql} ORDER BY id DESC LIMIT $${w.args.length + 1}`, [...w.args, limit])).map(rowToRun);
    },
    async issues(connection) {
      const w = where(connection ? [['connection = $?', connection]] : []);
      return (await rows<IssueRow>(`SELECT * FROM issues ${w.sql} ORDER BY last_seen DESC`, w.args)).map(toIssue);
    },
    async conflicts(connection, includeResolved = false) {
      const w = conflictConds(connection, includeResolved);
      return (await rows<ConflictRow>(`SELECT * FROM conflicts ${w.sql} ORDER BY id`, w.args)).map(toConflict);
    },
    async resolveConflict(id, take) {
      return inTx(db, async (c) => {
        const row = (await c.query<ConflictRow>('SELECT * FROM conflicts WHERE id = $1 AND resolved_at IS NULL FOR UPDATE', [id])).rows[0];
        if (!row) return null;
        const x = toConflict(row);
        const link = (await c.query<LinkRow>('SELECT * FROM links WHERE connection = $1 AND crm_id = $2 FOR UPDATE', [x.connection, x.crmId])).rows[0];
        if (link) {
          const base = JSON.parse(link.base) as Record<string, unknown>;
          // The losing side's value becomes the base, so the winner is the only change next cycle.
          base[x.field] = take === 'crm' ? x.referralValue : x.crmValue;
          // The CRM side of that field is compared against the new base, not an older read-back.
          const echo = JSON.parse(link.crm_echo) as Record<string, unknown>;
          delete echo[x.field];
          await c.query('UPDATE links SET base = $1, crm_echo = $2, crm_version = NULL WHERE connection = $3 AND crm_id = $4', [
            JSON.stringify(base),
            JSON.stringify(echo),
            x.connection,
            x.crmId,
          ]);
        }
        const at = now();
        await c.query('UPDATE conflicts SET resolved_at = $1, resolution = $2 WHERE id = $3', [at, take, id]);
        await addRetries(c, x.connection, [recordKey('crm', x.crmId)]);
        return { ...x, resolvedAt: at, resolution: take };
      });
    },
    async requestRetry(connection, recordKeys) {
      return inTx(db, async (c) => {
        const keys = recordKeys ?? (await c.query<{ record_key: string }>('SELECT record_key FROM issues WHERE connection = $1', [connection])).rows.map((r) => r.record_key);
        await addRetries(c, connection, keys);
        await c.query('UPDATE issues SET retry = true WHERE connection = $1 AND record_key = ANY($2::text[])', [connection, keys]);
        return keys.length;
      });
    },
    takeRetries: (connection) => takeRetries(db, connection),
    async linkCounts(connection) {
      const out: Record<LinkState, number> = { ok: 0, blocked: 0, error: 0 };
      for (const r of await rows<{ state: LinkState; n: string }>('SELECT state, COUNT(*) n FROM links WHERE connection = $1 GROUP BY state', [connection]))
        out[r.state] = Number(r.n);
      return out;
    },
    async resetCursors(connection) {
      await db.query('DELETE FROM cursors WHERE connection = $1', [connection]);
    },
    async syncLog(q) {
      const conds: Cond[] = [];
      if (q.connection) conds.push(['connection = $?', q.connection]);
      if (q.runId !== undefined) conds.push(['run_id = $?', q.runId]);
      if (q.before !== undefined) conds.push(['id < $?', q.before]);
      const w = where(conds);
      let sql = w.sql;
      const args = [...w.args];
      if (q.search) {
        args.push(q.search, `%${q.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
        const s = `(crm_id = $${args.length - 1} OR referral_id = $${args.length - 1} OR name LIKE $${args.length} ESCAPE '\\')`;
        sql = sql ? `${sql} AND ${s}` : `WHERE ${s}`;
      }
      args.push(q.limit + 1);
      return pageOf((await rows<SyncLogRow>(`SELECT * FROM sync_log ${sql} ORDER BY id DESC LIMIT $${args.length}`, args)).map(toSyncLog), q.limit, (e) => e.id);
    },
    async pruneSyncLog(olderThan) {
      return (await db.query('DELETE FROM sync_log WHERE at < $1', [olderThan])).rowCount ?? 0;
    },
    async runsPage(q) {
      const w = where([...(q.connection ? [['connection = $?', q.connection] as Cond] : []), ...(q.before !== undefined ? [['id < $?', q.before] as Cond] : [])]);
      const r = await rows<RunRow>(`SELECT * FROM runs ${w.sql} ORDER BY id DESC LIMIT $${w.args.length + 1}`, [...w.args, q.limit + 1]);
      return pageOf(r.map(rowToRun), q.limit, (x) => x.id);
    },
    async issuesPage(q) {
      const w = where(q.connection ? [['connection = $?', q.connection]] : []);
      const n = w.args.length;
      const r = await rows<IssueRow>(`SELECT * FROM issues ${w.sql} ORDER BY last_seen DESC, record_key LIMIT $${n + 1} OFFSET $${n + 2}`, [...w.args, q.limit + 1, q.offset]);
      const total = Number((await rows<{ n: string }>(`SELECT COUNT(*) n FROM issues ${w.sql}`, w.args))[0]!.n);
      return { ...pageOf(r.map(toIssue), q.limit, () => q.offset + q.limit), total };
    },
    async conflictsPage(q) {
      const w = conflictConds(q.connection, q.includeResolved);
      const n = w.args.length;
      const r = await rows<ConflictRow>(`SELECT * FROM conflicts ${w.sql} ORDER BY id LIMIT $${n + 1} OFFSET $${n + 2}`, [...w.args, q.limit + 1, q.offset]);
      const total = Number((await rows<{ n: string }>(`SELECT COUNT(*) n FROM conflicts ${w.sql}`, w.args))[0]!.n);
      return { ...pageOf(r.map(toConflict), q.limit, () => q.offset + q.limit), total };
    },
    async setPaused(connection, paused) {
      if (paused) await db.query('INSERT INTO paused (connection, at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [connection, now()]);
      else await db.query('DELETE FROM paused WHERE connection = $1', [connection]);
    },
    async pausedConnections() {
      return (await rows<{ connection: string }>('SELECT connection FROM paused ORDER BY connection')).map((r) => r.connection);
    },
    async close() {
      await db.end();
    },
  };
  return state;
}
