/**
 * The PostgreSQL and Redis the distributed tests run against (COSELL_TEST_DATABASE_URL, COSELL_TEST_REDIS_URL).
 * Missing servers skip those tests with one line naming what to start; with COSELL_REQUIRE_SERVICES=1 (CI) the
 * skip is a failure instead. Each test gets its own schema / key prefix and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { SyncQueue } from '../../src/jobs/index.js';

export const databaseUrl = process.env.COSELL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.COSELL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** True when the servers answer; otherwise one line saying what to start (or an error when they are required). */
export async function servicesUp(need: { postgres?: boolean; redis?: boolean }): Promise<boolean> {
  const missing: string[] = [];
  if (need.postgres && !(await reachable(databaseUrl, 5432))) missing.push(`PostgreSQL at ${databaseUrl} (COSELL_TEST_DATABASE_URL)`);
  if (need.redis && !(await reachable(redisUrl, 6379))) missing.push(`Redis at ${redisUrl} (COSELL_TEST_REDIS_URL)`);
  if (missing.length === 0) return true;
  const line = `distributed tests need ${missing.join(' and ')}: start them, e.g. docker compose -f deploy/docker-compose.yaml up postgres redis`;
  if (process.env.COSELL_REQUIRE_SERVICES === '1') throw new Error(`${line} (COSELL_REQUIRE_SERVICES=1)`);
  console.warn(`skipped: ${line}`);
  return false;
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Empty and close the queue, close the state, drop the schema and every Redis key under the prefix. */
export async function tearDown(t: { queue?: SyncQueue; state?: { close(): Promise<void> }; schema?: string; prefix?: string }): Promise<void> {
  await t.queue?.queue.obliterate({ force: true }).catch(() => undefined);
  await t.queue?.close();
  await t.state?.close();
  if (t.schema) await dropSchema(t.schema);
  if (t.prefix) {
    const r = new Redis(redisUrl);
    const keys = await r.keys(`${t.prefix}:*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  }
}
