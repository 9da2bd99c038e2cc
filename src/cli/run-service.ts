/**
 * The service's life, from a loaded config: open everything (sandboxes, store, state), the HTTP surface, the
 * scheduler and the first cycle of every connection; then sync on schedule until `signal` aborts, when the
 * server stops accepting and the running cycles finish their page. `start` runs this; so do the browser tests,
 * which need the running service's sandboxes in the same process.
 */
import PQueue from 'p-queue';
import { pruneSyncLog } from '../admin/index.js';
import { startScheduler, type LoadedConfig, type Logger } from '../runtime/index.js';
import type { HttpServer } from '../server/index.js';
import { progressReporter, summaryLine } from './progress.js';
import { openService, type Service, type ServiceConnection } from './service.js';

export interface RunServiceOptions {
  /** One cycle of every connection, then return (no HTTP surface). */
  once?: boolean;
  signal: AbortSignal;
  /** Called once the service is up (the HTTP surface listening, the first cycles started). */
  onReady?: (running: { service: Service; http: HttpServer | null; runNow(connection: string): Promise<void> }) => void;
  /** Where the per-run summary lines go (default stdout). */
  write?: (line: string) => void;
}

/** Runs the service until `signal` aborts (or one cycle with `once`); resolves to the process exit code. */
export async function runService(config: LoadedConfig, log: Logger, opts: RunServiceOptions): Promise<number> {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line));
  const service = await openService(config, log);
  // The HTTP surface (fastify, prom-client) loads only when it is served.
  const surface = config.server.enabled && !opts.once ? (await import('./surface.js')).createSurface(service, config, log) : null;
  let failed = false;
  const runCycle = async (c: ServiceConnection, signal: AbortSignal) => {
    if ((await service.state.pausedConnections()).includes(c.name)) {
      log.info('connection paused; cycle skipped', { connection: c.name });
      return;
    }
    const progress = progressReporter(c.name);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await c.runCycle({ signal, onProgress: progress.update });
      progress.done();
      surface?.runFinished(c.name, result.interrupted ? 'interrupted' : 'ok', seconds(), result.counts);
      write(`${summaryLine(c.name, result)}\n`);
    } catch (err) {
      progress.done();
      failed = true;
      surface?.runFinished(c.name, 'failed', seconds(), null, err);
      log.error('cycle failed', { connection: c.name, error: (err as Error).message });
      write(`${c.name}: ✖ ${(err as Error).message}\n`);
    }
    await pruneSyncLog(service.state, config.server.syncLogDays);
  };
  // At most `runtime.concurrency` cycles run at once in this process, the rest wait their turn in order: each
  // running cycle holds its pages in work, its requests in flight and its sockets, so 20 connections started
  // together held all of theirs at once (bench/RESULTS.md, goal 4). A cycle whose turn comes after shutdown
  // began does not start.
  const turns = new PQueue({ concurrency: config.runtime.concurrency });
  const cycle = (c: ServiceConnection, signal: AbortSignal) => turns.add(async () => (signal.aborted ? undefined : runCycle(c, signal)));
  const jobs = service.connections.map((c) => ({ name: c.name, schedule: c.schedule, run: (signal: AbortSignal) => cycle(c, signal) }));
  try {
    if (opts.once) {
      await Promise.all(service.connections.map((c) => cycle(c, opts.signal)));
      return failed ? 1 : 0;
    }
    const scheduler = startScheduler(jobs, log);
    const runNow = (name: string) => scheduler.runNow(name);
    // Graceful: stop accepting requests first, then let the running cycles finish their page.
    const http = surface ? await surface.listen(runNow, (name) => scheduler.nextRun(name)).catch(async (err: unknown) => (await scheduler.stop(), Promise.reject(err))) : null;
    log.info('scheduler running', { connections: service.connections.map((c) => `${c.name} (${c.schedule})`), http: http?.url ?? 'off' });
    // The embedded store sends its referral events to this service, so a Partner Center-side edit syncs in seconds.
    if (http && config.server.webhooks.enabled && config.server.webhooks.subscribeEmbeddedStore) await subscribeWebhooks(service, `${http.url}/webhooks/partner-center`, log);
    // The initial cycle runs at once, not at the first cron tick.
    if (!opts.signal.aborted) void scheduler.runAllNow();
    opts.onReady?.({ service, http, runNow });
    if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
    await http?.close();
    await scheduler.stop();
    return 0;
  } finally {
    await service.close();
  }
}

export async function subscribeWebhooks(service: Service, callbackUrl: string, log: Logger): Promise<void> {
  for (const c of service.connections) {
    if (!c.subscribeWebhooks) continue;
    try {
      await c.subscribeWebhooks(callbackUrl);
      log.info('referral events subscribed', { connection: c.name, callbackUrl });
    } catch (err) {
      // The scheduled cycles still sync everything; webhooks only make it sooner.
      log.warn('referral events not subscribed; changes arrive with the next scheduled cycle', { connection: c.name, error: (err as Error).message });
    }
  }
}
