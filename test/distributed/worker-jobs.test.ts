/**
 * The worker's job handling, in process with stand-in cycles: one job per connection at a time however often
 * "sync now" is asked, a lease held elsewhere delays the job (not run, not lost), fatal errors park the connection
 * with the reason instead of retrying, other errors are retried with backoff, graceful close releases the lease.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openSyncQueue, type SyncQueue } from '../../src/jobs/index.js';
import { startSyncWorker, type SyncWorker, type WorkerConnection } from '../../src/jobs/index.js';
import { AuthError, silentLogger } from '../../src/runtime/index.js';
import { emptyCounts, openPostgresState, type PostgresState } from '../../src/state/index.js';
import { acquireLease } from '../../src/state/index.js';
import { databaseUrl, redisUrl, servicesUp, tearDown, uniqueName } from '../helpers/services.js';

const up = await servicesUp({ postgres: true, redis: true });

describe.skipIf(!up)('worker jobs', () => {
  let state: PostgresState;
  let queue: SyncQueue;
  let worker: SyncWorker | null = null;
  let schema = '';
  let prefix = '';
  afterEach(async () => {
    await worker?.close();
    await tearDown({ queue, state, schema, prefix });
  });

  async function setup(run: WorkerConnection['runCycle']) {
    schema = uniqueName('jobs');
    prefix = uniqueName('cosell-jobs');
    state = await openPostgresState({ url: databaseUrl, schema });
    queue = openSyncQueue(redisUrl, prefix);
    worker = startSyncWorker({
      connections: [{ name: 'sf', runCycle: run }],
      state,
      redisUrl,
      runtime: { prefix, leaseSeconds: 5, concurrency: 4, sliceSeconds: 60 },
      log: silentLogger,
      busyRetryMs: 200,
    });
  }
  const ok = { counts: emptyCounts(), openIssues: 0, planned: [], interrupted: false };
  const until = async (cond: () => Promise<boolean> | boolean, ms = 20_000) => {
    for (const end = Date.now() + ms; !(await cond()); ) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('runs one cycle of a connection at a time however often sync now is asked, and releases the lease', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    await setup(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 300));
      running--;
      runs++;
      return ok;
    });
    for (let i = 0; i < 10; i++) await queue.syncNow('sf');
    await until(async () => runs >= 1 && (await queue.queue.getJobCounts('waiting', 'active', 'delayed')).active === 0 && running === 0);
    await until(async () => Object.values(await queue.queue.getJobCounts('waiting', 'active', 'delayed')).every((n) => n === 0));
    expect(most).toBe(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect((await state.db.query('SELECT * FROM leases')).rows).toEqual([]);
  });

  it('delays a job while another holder has the lease, then runs it', async () => {
    let runs = 0;
    await setup(async () => (runs++, ok));
    const other = await acquireLease(state.db, 'sf', 'someone-else', 1500);
    expect(other).not.toBeNull();
    await queue.syncNow('sf');
    await new Promise((r) => setTimeout(r, 800));
    expect(runs, 'not run while the lease is held').toBe(0);
    await until(() => runs === 1);
  });

  it('parks the connection on a fatal error with the reason instead of retrying', async () => {
    let calls = 0;
    await setup(async () => {
      calls++;
      throw new AuthError("salesforce: invalid_grant: user hasn't approved this consumer");
    });
    const id = await queue.syncNow('sf');
    await until(async () => (await queue.queue.getJob(id))?.failedReason !== undefined);
    const job = await queue.queue.getJob(id);
    expect(job!.failedReason).toMatch(/parked: salesforce: invalid_grant.*resume --connection sf/);
    expect(calls).toBe(1);
    expect(await state.pausedConnections()).toEqual(['sf']);
  });
});

describe.skipIf(!up)('worker retries', () => {
  it('a transient error is retried with backoff until it passes', async () => {
    const schema = uniqueName('retry');
    const prefix = uniqueName('cosell-retry');
    const state = await openPostgresState({ url: databaseUrl, schema });
    const queue = openSyncQueue(redisUrl, prefix);
    let calls = 0;
    const worker = startSyncWorker({
      connections: [
        {
          name: 'sf',
          runCycle: async () => {
            if (++calls < 2) throw new Error('socket hang up');
            return { counts: emptyCounts(), openIssues: 0, planned: [], interrupted: false };
          },
        },
      ],
      state,
      redisUrl,
      runtime: { prefix, leaseSeconds: 5, concurrency: 1, sliceSeconds: 60 },
      log: silentLogger,
    });
    try {
      await queue.queue.add('now', { connection: 'sf' }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
      for (const end = Date.now() + 20_000; calls < 2 || ((await queue.queue.getJobCounts('completed')).completed ?? 0) < 1; ) {
        if (Date.now() > end) throw new Error('not retried');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(calls).toBe(2);
    } finally {
      await worker.close();
      await tearDown({ queue, state, schema, prefix });
    }
  });
});
