/**
 * Benchmarks of distributed mode (not part of `npm run bench`; needs PostgreSQL and Redis, COSELL_TEST_DATABASE_URL
 * and COSELL_TEST_REDIS_URL as the tests): `node --import tsx bench/distributed.ts [--records 500] [--connections 6]`.
 *
 *   S  state cost per 1,000 records: page commits of 200 links (upserts, cursor) and the link reads a page does,
 *      PostgreSQL vs SQLite (baseline).
 *   I  the distributed overhead of one idle cycle: a no-op cycle queued, leased, fenced and released, vs the
 *      same no-op called directly; PostgreSQL statements it costs.
 *   T  throughput, 1 vs 2 worker processes: --connections × --records initial syncs from Salesforce sandboxes to
 *      the store (both in this process) until the queue drains.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSyncQueue } from '../src/jobs/index.js';
import { startSyncWorker } from '../src/jobs/index.js';
import { silentLogger } from '../src/runtime/index.js';
import { emptyCounts, openPostgresState, openSqliteState, type SyncState } from '../src/state/index.js';
import { startDistStack } from '../test/helpers/distributed-stack.js';
import { databaseUrl, dropSchema, redisUrl, tearDown, uniqueName } from '../test/helpers/services.js';
import { link } from '../test/helpers/state-fixtures.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function stateCost(s: SyncState, pages: number): Promise<number> {
  const started = performance.now();
  for (let p = 0; p < pages; p++) {
    const ids = Array.from({ length: 200 }, (_, i) => `r${p}-${i}`);
    await s.getLinks('sf', ids);
    await s.checkpoint('sf', { links: ids.map((id) => link(id)), cursor: { direction: 'crm', value: `c${p}` } });
  }
  return ((performance.now() - started) / (pages * 200)) * 1000;
}

async function measureState() {
  const schema = uniqueName('bench');
  const pg = await openPostgresState({ url: databaseUrl, schema });
  const sqlite = openSqliteState(join(mkdtempSync(join(tmpdir(), 'cosell-bench-')), 'state.db'));
  try {
    await stateCost(pg, 5);
    await stateCost(sqlite, 5); // warm-up
    const pgMs = await stateCost(pg, 50);
    const sqliteMs = await stateCost(sqlite, 50);
    return `| S | state cost per 1,000 records (page commits of 200 + reads) | ${(pgMs / sqliteMs).toFixed(1)} | — | PostgreSQL ${pgMs.toFixed(0)} ms vs SQLite ${sqliteMs.toFixed(0)} ms |`;
  } finally {
    await pg.close();
    await sqlite.close();
    await dropSchema(schema);
  }
}

async function measureIdle() {
  const schema = uniqueName('bench');
  const prefix = uniqueName('cosell-bench');
  const state = await openPostgresState({ url: databaseUrl, schema });
  const queue = openSyncQueue(redisUrl, prefix);
  let statements = 0;
  const query = state.db.query.bind(state.db);
  (state.db as { query: unknown }).query = (...a: unknown[]) => (statements++, (query as (...x: unknown[]) => unknown)(...a));
  const noop = async () => ({ counts: emptyCounts(), openIssues: 0, planned: [], interrupted: false });
  const worker = startSyncWorker({
    connections: [{ name: 'sf', runCycle: noop }],
    state,
    redisUrl,
    runtime: { prefix, leaseSeconds: 30, concurrency: 1, sliceSeconds: 60 },
    log: silentLogger,
  });
  const { QueueEvents } = await import('bullmq');
  const events = new QueueEvents('cosell-sync', { connection: { url: redisUrl }, prefix });
  await events.waitUntilReady();
  try {
    const rounds = 30;
    let total = 0;
    let perJob = 0;
    for (let i = 0; i < rounds + 3; i++) {
      const before = statements;
      const t = performance.now();
      const job = await queue.queue.add('now', { connection: 'sf' });
      await job.waitUntilFinished(events);
      // The first three warm up.
      if (i >= 3) total += performance.now() - t;
      perJob = statements - before;
    }
    const direct = performance.now();
    for (let i = 0; i < rounds; i++) await noop();
    const directMs = (performance.now() - direct) / rounds;
    return `| I | distributed overhead of one idle cycle (queue, lease, release) | — | — | ${(total / rounds).toFixed(1)} ms per job vs ${directMs.toFixed(3)} ms direct; ${perJob} PostgreSQL statements |`;
  } finally {
    await events.close();
    await worker.close();
    await tearDown({ queue, state, schema, prefix });
  }
}

async function measureThroughput(connections: number, records: number) {
  const seconds: number[] = [];
  for (const workers of [1, 2]) {
    const stack = await startDistStack({ connections, records });
    try {
      await Promise.all(Array.from({ length: workers }, () => stack.startWorker({ DW_CONCURRENCY: '2', DW_PAGE_SIZE: '200' })));
      const t = performance.now();
      for (const c of stack.connections) await stack.queue.syncNow(c.name);
      await stack.drained(600_000);
      seconds.push((performance.now() - t) / 1000);
    } finally {
      await stack.close();
    }
  }
  const total = connections * records;
  return `| T | throughput, 2 vs 1 worker processes (${connections} × ${records} records) | ${(seconds[0]! / seconds[1]!).toFixed(2)} | ≥ 1.6 | ${(total / seconds[0]!).toFixed(0)} vs ${(total / seconds[1]!).toFixed(0)} rec/s (1 vs 2 workers) |`;
}

const rows = [await measureState(), await measureIdle(), await measureThroughput(arg('connections', 6), arg('records', 500))];
process.stdout.write(`| | measure | ratio | target | raw |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
process.exit(0);
