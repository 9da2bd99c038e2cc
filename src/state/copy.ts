/**
 * Move a deployment's state from a SQLite file into PostgreSQL: every table, row for row (ids kept, sequences
 * moved past them), in one PostgreSQL transaction, then counted on both sides. An empty target only, so a
 * second copy never mixes two histories.
 */
import Database from 'better-sqlite3';
import { inTx, migrate, openPool, type PoolOptions } from './postgres/pool.js';
import { openSqliteState } from './sqlite.js';

/** In dependency-free order; the ones with a BIGSERIAL id have their sequence moved past the copied ids. */
const TABLES = ['connections', 'links', 'cursors', 'runs', 'issues', 'conflicts', 'pending_creates', 'retries', 'sync_log', 'paused'] as const;
const SERIAL = new Set<string>(['runs', 'conflicts', 'sync_log']);
const BATCH = 1000;

export type CopyCounts = Record<(typeof TABLES)[number], number>;

export async function copySqliteToPostgres(file: string, target: PoolOptions): Promise<CopyCounts> {
  // Opening through the state brings an older file up to the current schema first.
  await openSqliteState(file).close();
  const src = new Database(file, { readonly: true, fileMustExist: true });
  const db = openPool(target);
  try {
    await migrate(db);
    return await inTx(db, async (c) => {
      const busy = await c.query<{ n: string }>('SELECT (SELECT COUNT(*) FROM links) + (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM cursors) AS n');
      if (Number(busy.rows[0]!.n) > 0) throw new Error('state copy: the PostgreSQL target already holds links, runs or cursors; copy into an empty database or schema');
      const counts = {} as CopyCounts;
      for (const table of TABLES) {
        const rows = src.prepare(`SELECT * FROM ${table}`).all();
        for (let i = 0; i < rows.length; i += BATCH) {
          // Rows map onto the table by column name; SQLite's 0/1 is valid boolean input.
          await c.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(rows.slice(i, i + BATCH))]);
        }
        if (SERIAL.has(table))
          await c.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT MAX(id) FROM ${table}), 1), (SELECT COUNT(*) > 0 FROM ${table}))`);
        const copied = Number((await c.query<{ n: string }>(`SELECT COUNT(*) n FROM ${table}`)).rows[0]!.n);
        if (copied !== rows.length) throw new Error(`state copy: ${table}: read ${rows.length} rows from ${file} but ${copied} landed; nothing committed`);
        counts[table] = copied;
      }
      return counts;
    });
  } finally {
    src.close();
    await db.end();
  }
}
