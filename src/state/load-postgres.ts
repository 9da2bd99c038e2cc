/**
 * The PostgreSQL backend's entry points that need the `pg` driver, loaded on first call: a sync on SQLite (the
 * default) never loads pg. The lease and stored-connection helpers take a pool they are handed, so they need no
 * driver and stay plain exports of index.ts.
 */
import type { CopyCounts } from './copy.js';
import type { Db, PoolOptions, PostgresState } from './postgres/index.js';

const postgres = () => import('./postgres/index.js');

export async function openPostgresState(opts: PoolOptions): Promise<PostgresState> {
  return (await postgres()).openPostgresState(opts);
}

export async function openPool(opts: PoolOptions): Promise<Db> {
  return (await postgres()).openPool(opts);
}

export async function migrate(db: Db): Promise<number[]> {
  return (await postgres()).migrate(db);
}

/** copy.ts opens a pool, so it loads with the driver. */
export async function copySqliteToPostgres(file: string, target: PoolOptions): Promise<CopyCounts> {
  return (await import('./copy.js')).copySqliteToPostgres(file, target);
}
