/**
 * SQLite implementation of SyncState (better-sqlite3, WAL, one file). All I/O of the sync's memory lives here;
 * no business logic.
 */
import Database from 'better-sqlite3';
import { preparePrivateFile } from '../runtime/index.js';
import { MIGRATIONS } from './migrations.js';
import { pageOf, rowToRun, toConflict, toIssue, toLink, toSyncLog, type ConflictRow, type IssueRow, type LinkRow, type RunRow, type SyncLogRow } from './rows.js';
import type { Checkpoint, Direction, Link, LinkState, PendingCreate, SyncLogEntry, SyncState } from './types.js';
import { recordKey } from './record-key.js';

export function openSqliteState(file: string): SyncState {
  preparePrivateFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // SQLite's own default page cache (2 MB): better-sqlite3 builds with 16 MB per connection, which a sync's state
  // fills within 100,000 records — RSS the process keeps (bench/RESULTS.md, B4). A page's reads are index probes
  // and its writes append, so the interior pages that matter stay cached; the rest is the OS's file cache.
  db.pragma('cache_size = -2000');
  db.exec('CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM migrations').all() as { id: number }[]).map((r) => r.id));
  MIGRATIONS.forEach((sql, i) => {
    if (applied.has(i + 1)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)').run(i + 1, new Date().toISOString());
    })();
  });

  const now = () => new Date().toISOString();
  const upsertLink = db.prepare(`
    INSERT INTO links (connection, crm_id, referral_id, base, referral_snapshot, referral_etag, crm_version, state, message, written, crm_echo, direction, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (connection, crm_id) DO UPDATE SET referral_id = excluded.referral_id, base = excluded.base, referral_snapshot = excluded.referral_snapshot,
      referral_etag = excluded.referral_etag, crm_version = excluded.crm_version, state = excluded.state,
      message = excluded.message, written = excluded.written, crm_echo = excluded.crm_echo, direction = excluded.direction, updated_at = excluded.updated_at`);
  const deleteLink = db.prepare('DELETE FROM links WHERE connection = ? AND crm_id = ?');
  const upsertCursor = db.prepare(`
    INSERT INTO cursors (connection, direction, value, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (connection, direction) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  const upsertIssue = db.prepare(`
    INSERT INTO issues (connection, record_key, kind, message, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (connection, record_key) DO UPDATE SET kind = excluded.kind, message = excluded.message,
      last_seen = excluded.last_seen, attempts = attempts + 1, retry = 0`);
  const clearIssue = db.prepare('DELETE FROM issues WHERE connection = ? AND record_key = ?');
  const insertConflict = db.prepare(`
    INSERT INTO conflicts (connection, crm_id, referral_id, field, base_value, crm_value, referral_value, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (connection, crm_id, field) WHERE resolved_at IS NULL DO UPDATE SET
      base_value = excluded.base_value, crm_value = excluded.crm_value, referral_value = excluded.referral_value`);
  const addPending = db.prepare('INSERT OR IGNORE INTO pending_creates (connection, key, created_at) VALUES (?, ?, ?)');
  const removePending = db.prepare('DELETE FROM pending_creates WHERE connection = ? AND key = ?');
  const addRetry = db.prepare('INSERT OR IGNORE INTO retries (connection, record_key) VALUES (?, ?)');
  const insertSyncLog = db.prepare(`
    INSERT INTO sync_log (run_id, connection, at, crm_id, referral_id, name, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const logLine = (e: Omit<SyncLogEntry, 'id'>) => insertSyncLog.run(e.runId, e.connection, e.at, e.crmId, e.referralId, e.name, e.outcome, e.reason);

  const checkpoint = db.transaction((connection: string, cp: Checkpoint) => {
    const t = now();
    for (const l of cp.links ?? []) {
      upsertLink.run(
        connection,
        l.crmId,
        l.referralId,
        JSON.stringify(l.base),
        l.referralSnapshot ? JSON.stringify(l.referralSnapshot) : null,
        l.referralEtag,
        l.crmVersion,
        l.state,
        l.message,
        JSON.stringify(l.written),
        JSON.stringify(l.crmEcho ?? {}),
        l.direction,
        t,
      );
    }
    for (const id of cp.unlink ?? []) deleteLink.run(connection, id);
    if (cp.cursor) upsertCursor.run(connection, cp.cursor.direction, cp.cursor.value, t);
    for (const i of cp.issues ?? []) upsertIssue.run(connection, i.recordKey, i.kind, i.message, t, t);
    for (const k of cp.clearIssues ?? []) clearIssue.run(connection, k);
    for (const c of cp.conflicts ?? []) {
      insertConflict.run(
        connection,
        c.crmId,
        c.referralId,
        c.field,
        JSON.stringify(c.baseValue ?? null),
        JSON.stringify(c.crmValue ?? null),
        JSON.stringify(c.referralValue ?? null),
        t,
      );
    }
    for (const p of cp.pending?.add ?? []) addPending.run(connection, p.key, p.createdAt);
    for (const k of cp.pending?.remove ?? []) removePending.run(connection, k);
    for (const k of cp.retry ?? []) addRetry.run(connection, k);
    for (const e of cp.log ?? []) logLine(e);
  });

  // One prepared statement per key column: the ids travel as one JSON array, so no IN list is rebuilt per page.
  const linksBy = {
    crm_id: db.prepare('SELECT * FROM links WHERE connection = ? AND crm_id IN (SELECT value FROM json_each(?))'),
    referral_id: db.prepare('SELECT * FROM links WHERE connection = ? AND referral_id IN (SELECT value FROM json_each(?))'),
  };
  const linksWhere = (column: 'crm_id' | 'referral_id', connection: string, ids: string[]) => {
    const out = new Map<string, Link>();
    if (ids.length === 0) return out;
    for (const r of linksBy[column].all(connection, JSON.stringify(ids)) as LinkRow[]) out.set(column === 'crm_id' ? r.crm_id : r.referral_id, toLink(r));
    return out;
  };

  const conflictsWhere = (connection: string | undefined, includeResolved: boolean, limit: number, offset: number, select = '*') => {
    const where = [connection ? 'connection = ?' : '1=1', includeResolved ? '1=1' : 'resolved_at IS NULL'].join(' AND ');
    return db.prepare(`SELECT ${select} FROM conflicts WHERE ${where} ORDER BY id LIMIT ? OFFSET ?`).all(...(connection ? [connection] : []), limit, offset) as ConflictRow[];
  };
  const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

  return {
    async ensureConnection(name, kind) {
      db.prepare('INSERT OR IGNORE INTO connections (name, kind, created_at) VALUES (?, ?, ?)').run(name, kind, now());
    },
    async getLinks(connection, crmIds) {
      return linksWhere('crm_id', connection, crmIds);
    },
    async getLinksByReferral(connection, referralIds) {
      return linksWhere('referral_id', connection, referralIds);
    },
    async getCursor(connection, direction: Direction) {
      const row = db.prepare('SELECT value FROM cursors WHERE connection = ? AND direction = ?').get(connection, direction) as { value: string | null } | undefined;
      return row?.value ?? null;
    },
    async checkpoint(connection, cp) {
      checkpoint(connection, cp);
    },
    async pendingCreates(connection) {
      return (db.prepare('SELECT key, created_at FROM pending_creates WHERE connection = ?').all(connection) as { key: string; created_at: string }[]).map(
        (r): PendingCreate => ({ key: r.key, createdAt: r.created_at }),
      );
    },
    async startRun(connection, correlationId) {
      // A run left 'running' by a killed process is marked as such, so status tells the truth.
      db.prepare("UPDATE runs SET status = 'interrupted', ended_at = ? WHERE connection = ? AND status = 'running'").run(now(), connection);
      const info = db.prepare("INSERT INTO runs (connection, correlation_id, started_at, status, counts) VALUES (?, ?, ?, 'running', '{}')").run(connection, correlationId, now());
      return Number(info.lastInsertRowid);
    },
    async finishRun(id, status, counts, error) {
      db.prepare('UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE id = ?').run(now(), status, JSON.stringify(counts), error ?? null, id);
    },
    async lastRuns(connection, limit = 10) {
      const rows = connection
        ? db.prepare('SELECT * FROM runs WHERE connection = ? ORDER BY id DESC LIMIT ?').all(connection, limit)
        : db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit);
      return (rows as RunRow[]).map(rowToRun);
    },
    async issues(connection) {
      const rows = (
        connection
          ? db.prepare('SELECT * FROM issues WHERE connection = ? ORDER BY last_seen DESC').all(connection)
          : db.prepare('SELECT * FROM issues ORDER BY last_seen DESC').all()
      ) as IssueRow[];
      return rows.map(toIssue);
    },
    async conflicts(connection, includeResolved = false) {
      return conflictsWhere(connection, includeResolved, -1, 0).map(toConflict);
    },
    async resolveConflict(id, take) {
      const row = db.prepare('SELECT * FROM conflicts WHERE id = ? AND resolved_at IS NULL').get(id) as ConflictRow | undefined;
      if (!row) return null;
      const c = toConflict(row);
      db.transaction(() => {
        const link = db.prepare('SELECT * FROM links WHERE connection = ? AND crm_id = ?').get(c.connection, c.crmId) as LinkRow | undefined;
        if (link) {
          const base = JSON.parse(link.base) as Record<string, unknown>;
          // The losing side's value becomes the base, so the winner is the only change next cycle.
          base[c.field] = take === 'crm' ? c.referralValue : c.crmValue;
          // The CRM side of that field is compared against the new base, not an older read-back.
          const echo = JSON.parse(link.crm_echo) as Record<string, unknown>;
          delete echo[c.field];
          db.prepare('UPDATE links SET base = ?, crm_echo = ?, crm_version = NULL WHERE connection = ? AND crm_id = ?').run(
            JSON.stringify(base),
            JSON.stringify(echo),
            c.connection,
            c.crmId,
          );
        }
        db.prepare('UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE id = ?').run(now(), take, id);
        addRetry.run(c.connection, recordKey('crm', c.crmId));
      })();
      return { ...c, resolvedAt: now(), resolution: take };
    },
    async requestRetry(connection, recordKeys) {
      const keys = recordKeys ?? (db.prepare('SELECT record_key FROM issues WHERE connection = ?').all(connection) as { record_key: string }[]).map((r) => r.record_key);
      db.transaction(() => {
        for (const k of keys) {
          addRetry.run(connection, k);
          db.prepare('UPDATE issues SET retry = 1 WHERE connection = ? AND record_key = ?').run(connection, k);
        }
      })();
      return keys.length;
    },
    async takeRetries(connection) {
      return db.transaction(() => {
        const keys = (db.prepare('SELECT record_key FROM retries WHERE connection = ?').all(connection) as { record_key: string }[]).map((r) => r.record_key);
        db.prepare('DELETE FROM retries WHERE connection = ?').run(connection);
        return keys;
      })();
    },
    async linkCounts(connection) {
      const out: Record<LinkState, number> = { ok: 0, blocked: 0, error: 0 };
      for (const r of db.prepare('SELECT state, COUNT(*) n FROM links WHERE connection = ? GROUP BY state').all(connection) as { state: LinkState; n: number }[]) {
        out[r.state] = r.n;
      }
      return out;
    },
    async resetCursors(connection) {
      db.prepare('DELETE FROM cursors WHERE connection = ?').run(connection);
    },
    async syncLog(q) {
      const where: string[] = [];
      const args: unknown[] = [];
      if (q.connection) where.push('connection = ?'), args.push(q.connection);
      if (q.runId !== undefined) where.push('run_id = ?'), args.push(q.runId);
      if (q.before !== undefined) where.push('id < ?'), args.push(q.before);
      if (q.outcome) where.push('outcome = ?'), args.push(q.outcome);
      if (q.search) {
        where.push("(crm_id = ? OR referral_id = ? OR name LIKE ? ESCAPE '\\')");
        args.push(q.search, q.search, `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      const sql = `SELECT * FROM sync_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return pageOf((db.prepare(sql).all(...args, q.limit + 1) as SyncLogRow[]).map(toSyncLog), q.limit, (e) => e.id);
    },
    async pruneSyncLog(olderThan) {
      return db.prepare('DELETE FROM sync_log WHERE at < ?').run(olderThan).changes;
    },
    async runsPage(q) {
      const where = [q.connection ? 'connection = ?' : '1=1', q.before !== undefined ? 'id < ?' : '1=1'].join(' AND ');
      const args = [...(q.connection ? [q.connection] : []), ...(q.before !== undefined ? [q.before] : [])];
      const rows = db.prepare(`SELECT * FROM runs WHERE ${where} ORDER BY id DESC LIMIT ?`).all(...args, q.limit + 1) as RunRow[];
      return pageOf(rows.map(rowToRun), q.limit, (r) => r.id);
    },
    async issuesPage(q) {
      const where = q.connection ? 'WHERE connection = ?' : '';
      const args = q.connection ? [q.connection] : [];
      const rows = db.prepare(`SELECT * FROM issues ${where} ORDER BY last_seen DESC, record_key LIMIT ? OFFSET ?`).all(...args, q.limit + 1, q.offset) as IssueRow[];
      return { ...pageOf(rows.map(toIssue), q.limit, () => q.offset + q.limit), total: count(`SELECT COUNT(*) n FROM issues ${where}`, ...args) };
    },
    async conflictsPage(q) {
      const rows = conflictsWhere(q.connection, q.includeResolved, q.limit + 1, q.offset).map(toConflict);
      const total = (conflictsWhere(q.connection, q.includeResolved, -1, 0, 'COUNT(*) n')[0] as unknown as { n: number }).n;
      return { ...pageOf(rows, q.limit, () => q.offset + q.limit), total };
    },
    async setPaused(connection, paused) {
      if (paused) db.prepare('INSERT OR IGNORE INTO paused (connection, at) VALUES (?, ?)').run(connection, now());
      else db.prepare('DELETE FROM paused WHERE connection = ?').run(connection);
    },
    async pausedConnections() {
      return (db.prepare('SELECT connection FROM paused ORDER BY connection').all() as { connection: string }[]).map((r) => r.connection);
    },
    async close() {
      db.close();
    },
  };
}
