/**
 * Distributed mode's process roles (see run-distributed.ts): `cosell-sync worker` syncs connections from the
 * queue (run N of them, on any machines), `cosell-sync scheduler` keeps the job schedulers, `cosell-sync console`
 * only serves the HTTP surface (admin console, API, webhooks). Each serves the HTTP surface; SIGINT/SIGTERM: the
 * page in progress is finished and checkpointed, leases are released, exit 0.
 */
import type { Command } from 'commander';
import { onShutdownSignal } from '../../runtime/index.js';
import { cliContext } from '../context.js';
import type { Roles } from '../run-distributed.js';

/** Runs the roles until SIGINT/SIGTERM. */
export async function runUntilSignal(cmd: Command, roles: Roles): Promise<void> {
  const { config, log } = cliContext(cmd);
  const stop = new AbortController();
  const unhook = onShutdownSignal((signal) => {
    log.info('shutting down', { signal });
    stop.abort();
  });
  try {
    // The queue (bullmq, ioredis), PostgreSQL, the service and the HTTP surface load when a role runs, not with the CLI.
    const { runDistributed } = await import('../run-distributed.js');
    await runDistributed(config, log, roles, stop.signal);
    process.exitCode = 0;
  } finally {
    unhook();
  }
}

export function registerDistributed(program: Command): void {
  program
    .command('worker')
    .description('sync connections from the shared queue (distributed mode; run as many as you like)')
    .action((_opts: unknown, cmd: Command) => runUntilSignal(cmd, { work: true, schedule: false }));
  program
    .command('scheduler')
    .description('keep the job schedulers of the connections, queue a first cycle of each, serve the HTTP surface (distributed mode)')
    .action((_opts: unknown, cmd: Command) => runUntilSignal(cmd, { work: false, schedule: true }));
  program
    .command('console')
    .description('serve the HTTP surface only: admin console, API, webhooks; syncs are queued for the workers (distributed mode)')
    .action((_opts: unknown, cmd: Command) => runUntilSignal(cmd, { work: false, schedule: false }));
}
