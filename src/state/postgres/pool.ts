/** A PostgreSQL pool on one schema, migrated at open, with a transaction helper. */
import pg from 'pg';
import { PG_MIGRATIONS } from './migrations.js';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;

export interface PoolOptions {
  url: string;
  /** Schema the tables live in (tests use one each); created when missing. Default `public`. */
  schema?: string;
  max?: number;
  /**
   * A transaction left idle this long is ended by the server (ms, default 15 s). Ours never wait on anything but
   * their own statements, so only a stalled process (frozen, paused, swapped out) leaves one idle: without the
   * limit it would keep its lease row locked and no other worker could take the connection over until it woke.
   */
  idleInTransactionMs?: number;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

export function openPool(opts: PoolOptions): Db {
  const schema = opts.schema ?? 'public';
  if (!identifier.test(schema)) throw new Error(`postgres: schema '${schema}' is not a plain lower-case identifier`);
  // search_path as a startup option: every pooled connection is on the schema before its first query.
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 5,
    options: `-c search_path=${schema}`,
    application_name: 'cosell-sync',
    idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? 15_000,
  });
  // An idle pooled connection the server closed (a restart, the limit above) is dropped by the pool; the next query
  // takes a new one. Without a listener the event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

export async function inTx<T>(db: Db, fn: (c: Tx) => Promise<T>): Promise<T> {
  const c = await db.connect();
  // A checked-out connection the server ends (the idle-in-transaction limit) fails the statement that runs next;
  // its 'error' event must not end the process meanwhile.
  const onError = () => undefined;
  c.on('error', onError);
  let broken = false;
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    c.off('error', onError);
    // A connection that could not even roll back is discarded, not handed to the next caller.
    c.release(broken);
  }
}

/** Run the migrations not yet applied; returns the ids it applied. */
export async function migrate(db: Db): Promise<number[]> {
  return inTx(db, async (c) => {
    // One migrator at a time across processes; the lock ends with the transaction.
    await c.query("SELECT pg_advisory_xact_lock(hashtext('cosell-sync migrations'))");
    // The pool's search_path is one identifier checked by openPool.
    const { search_path: schema } = (await c.query<{ search_path: string }>('SHOW search_path')).rows[0]!;
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query('CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ id: number }>('SELECT id FROM migrations')).rows.map((r) => r.id));
    const ran: number[] = [];
    for (const [i, sql] of PG_MIGRATIONS.entries()) {
      if (done.has(i + 1)) continue;
      await c.query(sql);
      await c.query('INSERT INTO migrations (id) VALUES ($1)', [i + 1]);
      ran.push(i + 1);
    }
    return ran;
  });
}
