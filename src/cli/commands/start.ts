/**
 * `cosell-sync start`: the service. With config/default.yaml it starts both CRM sandboxes and the embedded
 * referral store in this process, the HTTP surface (probes, metrics, webhooks, admin API and the admin console;
 * not with --once), runs an initial cycle of every connection (a progress bar on a TTY, one summary line per run
 * otherwise), then keeps syncing on each connection's schedule until SIGINT/SIGTERM: the server stops accepting,
 * the running cycles finish their current page and checkpoint, and the process exits 0. In distributed mode
 * (`--mode distributed` or runtime.mode) it is the scheduler and a worker in one process, on PostgreSQL and Redis.
 */
import type { Command } from 'commander';
import { ConfigError, onShutdownSignal } from '../../runtime/index.js';
import { cliContext } from '../context.js';
import { runUntilSignal } from './distributed.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the sync service (with config/default.yaml: the sandboxes, the embedded store, the HTTP surface and the scheduler)')
    .option('--once', 'run one cycle of every connection and exit (0 when every record synced or was reported)')
    .option('--mode <mode>', 'embedded (in-process scheduler) or distributed (scheduler and worker on PostgreSQL and Redis); default: runtime.mode')
    .action(async (opts: { once?: boolean; mode?: string }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const mode = opts.mode ?? config.runtime.mode;
      if (mode !== 'embedded' && mode !== 'distributed') throw new ConfigError(`--mode: expected embedded or distributed, got '${mode}'`, config.file);
      if (mode === 'distributed') {
        if (opts.once)
          throw new ConfigError(
            '--once runs every cycle in this process; in distributed mode the workers run them (queue one with POST /api/v1/connections/NAME/sync)',
            config.file,
          );
        return runUntilSignal(cmd, { schedule: true, work: true });
      }
      const { runService } = await import('../run-service.js');
      const stopController = new AbortController();
      const unhook = onShutdownSignal((sig) => {
        log.info('shutting down', { signal: sig });
        stopController.abort();
      });
      try {
        process.exitCode = await runService(config, log, { once: Boolean(opts.once), signal: stopController.signal });
      } finally {
        unhook();
      }
    });
}
