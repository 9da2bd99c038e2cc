/**
 * A BullMQ worker that syncs connections. Per job: take the connection's lease in PostgreSQL (busy → the job is
 * delayed and tried again), renew it while the cycle runs, run the cycle on a state view fenced by the lease's
 * token, release the lease. A lost lease stops the cycle after its page, and that page's commit is refused
 * anyway. Fatal errors (auth, budget, config) park the connection (paused, the reason on its run and in the log)
 * instead of retrying; others are retried with backoff. Stalled jobs (a killed worker) go back to the queue.
 * Fairness: a cycle longer than its slice yields at a page boundary and its connection queues again at the back.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { CycleResult } from '../sync/index.js';
import { AuthError, BudgetExhaustedError, ConfigError, describeError, shareLanePauses, type Logger, type RuntimeConfig } from '../runtime/index.js';
import { acquireLease, FencedError, releaseLease, renewLease, type Fence, type PostgresState } from '../state/index.js';
import { withSyncLog } from '../sync/index.js';
import { openSyncQueue, QUEUE, redisConnection, syncJobSchema, type SyncJob } from './queue.js';
import { redisLanePauses } from './shared-pauses.js';

export interface WorkerConnection {
  name: string;
  runCycle(opts: { signal: AbortSignal; full?: boolean; state: ReturnType<PostgresState['fenced']> }): Promise<CycleResult>;
}

export interface SyncWorkerDeps {
  connections: WorkerConnection[];
  /** A connection added since start (stored in PostgreSQL), opened on its first job. */
  resolve?: (name: string) => Promise<WorkerConnection | undefined>;
  state: PostgresState;
  redisUrl: string;
  runtime: Pick<RuntimeConfig, 'prefix' | 'leaseSeconds' | 'concurrency' | 'sliceSeconds'>;
  log: Logger;
  /** Each cycle's end, for the HTTP surface's run metrics and readiness (as `start` reports its runs). */
  observe?: (connection: string, result: 'ok' | 'failed' | 'interrupted', seconds: number, counts: CycleResult['counts'] | null, error?: unknown) => void;
  /** How long a job waits before asking again for a lease another worker holds. */
  busyRetryMs?: number;
}

export interface SyncWorker {
  readonly holder: string;
  /** Resolves once the worker's Redis connections are up and it is taking jobs (what "ready" should mean). */
  ready(): Promise<void>;
  /** Graceful: running cycles finish their page and checkpoint, leases are released, then the worker closes. */
  close(): Promise<void>;
}

export type JobOutcome = { connection: string; result: 'ok' | 'interrupted' | 'yielded' | 'paused' | 'fenced'; created?: number; updated?: number };

const isFatal = (err: unknown) => err instanceof AuthError || err instanceof BudgetExhaustedError || err instanceof ConfigError;

export function startSyncWorker(deps: SyncWorkerDeps): SyncWorker {
  const { state, log } = deps;
  const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const ttlMs = deps.runtime.leaseSeconds * 1000;
  const active = new Set<AbortController>();
  const requeueQueue = openSyncQueue(deps.redisUrl, deps.runtime.prefix);
  let closing = false;
  const byName = new Map(deps.connections.map((c) => [c.name, c]));

  async function processJob(job: Job<SyncJob>, token?: string, jobSignal?: AbortSignal): Promise<JobOutcome> {
    const parsed = syncJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: bad data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { connection, full } = parsed.data;
    const conn = byName.get(connection) ?? (await resolveNew(connection));
    if (!conn) throw new UnrecoverableError(`job ${job.id}: no connection named '${connection}' on this worker`);
    if ((await state.pausedConnections()).includes(connection)) return { connection, result: 'paused' };

    const fence = await acquireLease(state.db, connection, holder, ttlMs);
    if (!fence) {
      log.debug('connection leased elsewhere; job delayed', { connection, job: job.id });
      await job.moveToDelayed(Date.now() + (deps.busyRetryMs ?? 2000), token);
      throw new DelayedError();
    }
    const controller = new AbortController();
    active.add(controller);
    jobSignal?.addEventListener('abort', () => controller.abort(), { once: true });
    const renew = setInterval(() => {
      renewLease(state.db, fence, ttlMs).then(
        (held) => held || lost(fence, controller, 'renewal refused'),
        (err: unknown) => log.warn('lease renewal failed', { connection, error: describeError(err) }),
      );
    }, ttlMs / 3);
    let yielded = false;
    const slice = setTimeout(() => ((yielded = true), controller.abort()), deps.runtime.sliceSeconds * 1000);
    const jlog = log.child({ connection, job: job.id, token: fence.token });
    jlog.info('sync job started', { attempt: job.attemptsMade + 1, name: job.name });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const r = await conn.runCycle({ signal: controller.signal, ...(full ? { full } : {}), state: withSyncLog(state.fenced(fence)) });
      // Its slice is up: the rest of the backlog queues behind the other connections (the cursor is committed).
      const requeue = r.interrupted && yielded && !closing;
      if (requeue) await requeueQueue.syncNow(connection);
      deps.observe?.(connection, r.interrupted ? 'interrupted' : 'ok', seconds(), r.counts);
      jlog.info('sync job finished', { interrupted: r.interrupted, yielded: requeue, created: r.counts.created, updated: r.counts.updated, writtenBack: r.counts.writtenBack });
      return { connection, result: requeue ? 'yielded' : r.interrupted ? 'interrupted' : 'ok', created: r.counts.created, updated: r.counts.updated };
    } catch (err) {
      deps.observe?.(connection, err instanceof FencedError ? 'interrupted' : 'failed', seconds(), null, err);
      if (err instanceof FencedError) {
        // Another worker holds the connection now: its cycle does the work; retrying here would only race it.
        jlog.warn('sync job fenced off', { error: err.message });
        return { connection, result: 'fenced' };
      }
      if (isFatal(err)) {
        await state.setPaused(connection, true);
        jlog.error('connection parked', { reason: describeError(err) });
        throw new UnrecoverableError(`connection ${connection} parked: ${describeError(err)} (resume with cosell-sync resume --connection ${connection})`);
      }
      jlog.warn('sync job failed; retried with backoff', { error: describeError(err), attempt: job.attemptsMade + 1 });
      throw err;
    } finally {
      clearTimeout(slice);
      clearInterval(renew);
      active.delete(controller);
      await releaseLease(state.db, fence).catch((err: unknown) => jlog.warn('lease release failed', { error: describeError(err) }));
    }
  }

  // One opening per new connection, however many of its jobs arrive at once.
  const opening = new Map<string, Promise<WorkerConnection | undefined>>();
  async function resolveNew(name: string) {
    if (!opening.has(name))
      opening.set(
        name,
        (deps.resolve?.(name) ?? Promise.resolve(undefined)).then((c) => (c && byName.set(name, c), c)),
      );
    const c = await opening.get(name)!;
    if (!c) opening.delete(name);
    return c;
  }

  function lost(fence: Fence, controller: AbortController, why: string) {
    log.warn('lease lost; stopping after this page', { connection: fence.connection, token: fence.token, why });
    controller.abort();
    return false;
  }

  const redis = redisConnection(deps.redisUrl);
  // A Retry-After one worker sees pauses that API for every worker.
  const pauses = redisConnection(deps.redisUrl);
  shareLanePauses(redisLanePauses(pauses, deps.runtime.prefix));
  const worker = new Worker<SyncJob, JobOutcome>(QUEUE, processJob, {
    connection: redis,
    prefix: deps.runtime.prefix,
    concurrency: deps.runtime.concurrency,
    // The queue's lock and the lease last as long: a job stalled past its lock finds the lease expired or soon so.
    lockDuration: ttlMs,
    stalledInterval: Math.max(1000, ttlMs / 2),
    // A killed worker's job goes back to the queue however often workers die; it never fails for that alone.
    maxStalledCount: 1000,
  });
  worker.on('error', (err) => log.warn('worker error', { error: describeError(err) }));
  log.info('worker started', { holder, concurrency: deps.runtime.concurrency, leaseSeconds: deps.runtime.leaseSeconds });

  return {
    holder,
    async ready() {
      await worker.waitUntilReady();
      // The blocking connection is made on the first fetch; wait for the worker loop to have started it.
      while (!worker.isRunning()) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      closing = true;
      for (const c of active) c.abort();
      await worker.close();
      redis.disconnect();
      await requeueQueue.close();
      shareLanePauses(null);
      pauses.disconnect();
      log.info('worker stopped', { holder });
    },
  };
}
