/**
 * `cosell-sync start`: the service. With config/default.yaml it starts both CRM sandboxes and the embedded
 * referral store in this process, the HTTP surface (probes, metrics, webhooks, admin API; not with --once),
 * runs an initial cycle of every connection (a progress bar on a TTY, one summary line per run otherwise),
 * then keeps syncing on each connection's schedule until SIGINT/SIGTERM: the server stops accepting, the
 * running cycles finish their current page and checkpoint, and the process exits 0.
 */
import type { Command } from 'commander';
import { pruneSyncLog } from '../../admin/index.js';
import { onShutdownSignal, startScheduler } from '../../runtime/index.js';
import { cliContext } from '../context.js';
import { progressReporter, summaryLine } from '../progress.js';
import { openService, type ServiceConnection } from '../service.js';
import { createSurface } from '../surface.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the sync service (with config/default.yaml: the sandboxes, the embedded store, the HTTP surface and the scheduler)')
    .option('--once', 'run one cycle of every connection and exit (0 when every record synced or was reported)')
    .action(async (opts: { once?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const service = await openService(config, log);
      const surface = config.server.enabled && !opts.once ? createSurface(service, config, log) : null;
      const stopController = new AbortController();
      const unhook = onShutdownSignal((sig) => {
        log.info('shutting down', { signal: sig });
        stopController.abort();
      });
      let failed = false;
      const cycle = async (c: ServiceConnection, signal: AbortSignal) => {
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
          process.stdout.write(`${summaryLine(c.name, result)}\n`);
        } catch (err) {
          progress.done();
          failed = true;
          surface?.runFinished(c.name, 'failed', seconds(), null, err);
          log.error('cycle failed', { connection: c.name, error: (err as Error).message });
          process.stdout.write(`${c.name}: ✖ ${(err as Error).message}\n`);
        }
        await pruneSyncLog(service.state, config.server.syncLogDays);
      };
      const jobs = service.connections.map((c) => ({ name: c.name, schedule: c.schedule, run: (signal: AbortSignal) => cycle(c, signal) }));
      try {
        if (opts.once) {
          await Promise.all(service.connections.map((c) => cycle(c, stopController.signal)));
          process.exitCode = failed ? 1 : 0;
          return;
        }
        const scheduler = startScheduler(jobs, log);
        // Graceful: stop accepting requests first, then let the running cycles finish their page.
        const http = surface ? await surface.listen((name) => scheduler.runNow(name)).catch(async (err: unknown) => (await scheduler.stop(), Promise.reject(err))) : null;
        log.info('scheduler running', { connections: service.connections.map((c) => `${c.name} (${c.schedule})`), http: http?.url ?? 'off' });
        // The initial cycle runs at once, not at the first cron tick.
        if (!stopController.signal.aborted) void scheduler.runAllNow();
        if (!stopController.signal.aborted) await new Promise<void>((resolve) => stopController.signal.addEventListener('abort', () => resolve(), { once: true }));
        await http?.close();
        await scheduler.stop();
        process.exitCode = 0;
      } finally {
        unhook();
        await service.close();
      }
    });
}
