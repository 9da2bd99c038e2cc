/**
 * `cosell-sync start`: the service. With config/default.yaml it starts both CRM sandboxes and the embedded
 * referral store in this process, runs an initial cycle of every connection (a progress bar on a TTY, one
 * summary line per run otherwise), then keeps syncing on each connection's schedule until SIGINT/SIGTERM,
 * when it finishes the current page, checkpoints and exits 0.
 */
import type { Command } from 'commander';
import { onShutdownSignal, startScheduler } from '../../runtime/index.js';
import { cliContext } from '../context.js';
import { progressReporter, summaryLine } from '../progress.js';
import { openService, type ServiceConnection } from '../service.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the sync service (with config/default.yaml: the sandboxes, the embedded store and the scheduler)')
    .option('--once', 'run one cycle of every connection and exit (0 when every record synced or was reported)')
    .action(async (opts: { once?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const service = await openService(config, log);
      const stopController = new AbortController();
      const unhook = onShutdownSignal((sig) => {
        log.info('shutting down', { signal: sig });
        stopController.abort();
      });
      let failed = false;
      const cycle = async (c: ServiceConnection, signal: AbortSignal) => {
        const progress = progressReporter(c.name);
        try {
          const result = await c.runCycle({ signal, onProgress: progress.update });
          progress.done();
          process.stdout.write(`${summaryLine(c.name, result)}\n`);
        } catch (err) {
          progress.done();
          failed = true;
          log.error('cycle failed', { connection: c.name, error: (err as Error).message });
          process.stdout.write(`${c.name}: ✖ ${(err as Error).message}\n`);
        }
      };
      try {
        // The initial cycle runs at once, not at the first cron tick.
        await Promise.all(service.connections.map((c) => cycle(c, stopController.signal)));
        if (opts.once || stopController.signal.aborted) {
          process.exitCode = failed ? 1 : 0;
          return;
        }
        const scheduler = startScheduler(
          service.connections.map((c) => ({ name: c.name, schedule: c.schedule, run: (signal) => cycle(c, signal) })),
          log,
        );
        log.info('scheduler running', { connections: service.connections.map((c) => `${c.name} (${c.schedule})`) });
        await new Promise<void>((resolve) => stopController.signal.addEventListener('abort', () => resolve(), { once: true }));
        await scheduler.stop();
        process.exitCode = 0;
      } finally {
        unhook();
        await service.close();
      }
    });
}
