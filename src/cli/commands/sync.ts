/** `cosell-sync sync` (one cycle of one connection) and `cosell-sync plan` (a dry run: what a cycle would do). */
import type { Command } from 'commander';
import { cliContext, connectionNamed, table } from '../context.js';

/** The sync's code loads only when a cycle runs: `status` and the other state commands never pay for it. */
const service = () => import('../service.js');

export function registerSync(program: Command): void {
  program
    .command('sync')
    .requiredOption('--connection <name>')
    .option('--full', 'ignore the cursors: read everything and reconcile (no duplicates)')
    .description('run one sync cycle of a connection now')
    .action(async (o: { connection: string; full?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      connectionNamed(config, o.connection);
      const [{ openService }, { progressReporter, summaryLine }] = await Promise.all([service(), import('../progress.js')]);
      const svc = await openService(config, log, { only: [o.connection] });
      try {
        const c = svc.connections[0]!;
        const progress = progressReporter(c.name);
        const result = await c.runCycle({ ...(o.full ? { full: true } : {}), onProgress: progress.update });
        progress.done();
        process.stdout.write(`${summaryLine(c.name, result)}\n`);
      } finally {
        await svc.close();
      }
    });

  program
    .command('plan')
    .requiredOption('--connection <name>')
    .option('--full', 'plan against everything, not only what changed')
    .option('--json', 'print JSON')
    .description('dry run: read both sides and print the actions a cycle would take; writes nothing')
    .action(async (o: { connection: string; full?: boolean; json?: boolean }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      connectionNamed(config, o.connection);
      const [{ openService }, { plannedChanges }] = await Promise.all([service(), import('../../admin/index.js')]);
      const svc = await openService(config, log, { only: [o.connection] });
      try {
        const result = await svc.connections[0]!.runCycle({ dryRun: true, ...(o.full ? { full: true } : {}) });
        const rows = plannedChanges(result);
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else {
          process.stdout.write(
            table(
              rows.map((p) => ({
                crm: p.crmId,
                referral: p.referralId,
                actions: p.actions.join(', '),
                blocked: p.blocked.join('; '),
                conflicts: p.conflicts.join(', '),
                problems: p.problems.join('; '),
              })),
            ),
          );
          process.stdout.write(`${rows.length} record(s) would change; nothing was written\n`);
        }
      } finally {
        await svc.close();
      }
    });
}
