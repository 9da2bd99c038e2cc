/** Operator commands over the sync state: status, issues, conflicts, reset. */
import type { Command } from 'commander';
import { cliContext, connectionNamed, table } from '../context.js';

export function registerOps(program: Command): void {
  program
    .command('status')
    .description('per connection: last run, counts, lag, blocked links, open conflicts and issues')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { config, openState } = cliContext(cmd);
      const state = openState();
      try {
        const rows = [];
        for (const c of config.connections) {
          const [last] = await state.lastRuns(c.name, 1);
          const links = await state.linkCounts(c.name);
          rows.push({
            connection: c.name,
            crm: c.crm.kind,
            lastRun: last ? `${last.status} ${last.endedAt ?? last.startedAt}` : 'never',
            lagSeconds: last?.endedAt ? Math.round((Date.now() - Date.parse(last.endedAt)) / 1000) : null,
            created: last?.counts.created ?? 0,
            updated: last?.counts.updated ?? 0,
            writtenBack: last?.counts.writtenBack ?? 0,
            linked: links.ok + links.blocked + links.error,
            blocked: links.blocked,
            conflicts: (await state.conflicts(c.name)).length,
            openIssues: (await state.issues(c.name)).length,
            issuesLastRun: last?.counts.issues ?? 0,
            apiCalls: last ? `crm ${last.counts.crmCalls ?? 0} / referrals ${last.counts.referralCalls ?? 0}` : '',
            crmBudget: last?.counts.crmBudget ?? '',
          });
        }
        process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : table(rows));
      } finally {
        await state.close();
      }
    });

  const issues = program.command('issues').description('records that did not sync, and why');
  issues
    .command('list', { isDefault: true })
    .option('--connection <name>')
    .action(async (opts: { connection?: string }, cmd: Command) => {
      const { openState } = cliContext(cmd);
      const state = openState();
      try {
        const rows = (await state.issues(opts.connection)).map((i) => ({
          connection: i.connection,
          record: i.recordKey,
          kind: i.kind,
          attempts: i.attempts,
          lastSeen: i.lastSeen,
          message: i.message,
        }));
        process.stdout.write(table(rows));
      } finally {
        await state.close();
      }
    });
  issues
    .command('retry')
    .description('queue records to be read from both sides and synced on the next cycle')
    .requiredOption('--connection <name>')
    .argument('[records...]', 'record keys (crm:<id> or referral:<id>); default: every record with an issue')
    .action(async (records: string[], opts: { connection: string }, cmd: Command) => {
      const { config, openState } = cliContext(cmd);
      connectionNamed(config, opts.connection);
      const state = openState();
      try {
        const n = await state.requestRetry(opts.connection, records.length ? records : undefined);
        process.stdout.write(`${n} record(s) queued for the next cycle of ${opts.connection}\n`);
      } finally {
        await state.close();
      }
    });

  const conflicts = program.command('conflicts').description('fields changed on both sides under a manual policy');
  conflicts
    .command('list', { isDefault: true })
    .option('--connection <name>')
    .option('--all', 'include resolved conflicts')
    .action(async (opts: { connection?: string; all?: boolean }, cmd: Command) => {
      const { openState } = cliContext(cmd);
      const state = openState();
      try {
        const rows = (await state.conflicts(opts.connection, opts.all === true)).map((c) => ({
          id: c.id,
          connection: c.connection,
          crmId: c.crmId,
          referralId: c.referralId,
          field: c.field,
          crm: c.crmValue,
          referral: c.referralValue,
          resolved: c.resolution ?? '',
        }));
        process.stdout.write(table(rows));
      } finally {
        await state.close();
      }
    });
  conflicts
    .command('resolve')
    .argument('<id>', 'conflict id (from `conflicts list`)')
    .requiredOption('--take <side>', 'crm | referral')
    .action(async (id: string, opts: { take: string }, cmd: Command) => {
      const { openState } = cliContext(cmd);
      if (opts.take !== 'crm' && opts.take !== 'referral') throw new Error("--take must be 'crm' or 'referral'");
      const state = openState();
      try {
        const c = await state.resolveConflict(Number(id), opts.take);
        if (!c) throw new Error(`no open conflict with id ${id}`);
        process.stdout.write(`conflict ${id} on ${c.field}: the ${opts.take} value will be synced on the next cycle of ${c.connection}\n`);
      } finally {
        await state.close();
      }
    });

  program
    .command('reset')
    .description('forget the cursors of a connection: the next cycle reads everything and reconciles (no duplicates)')
    .requiredOption('--connection <name>')
    .action(async (opts: { connection: string }, cmd: Command) => {
      const { config, openState } = cliContext(cmd);
      connectionNamed(config, opts.connection);
      const state = openState();
      try {
        await state.resetCursors(opts.connection);
        process.stdout.write(`${opts.connection}: cursors cleared; the next cycle is a full, reconciled resync\n`);
      } finally {
        await state.close();
      }
    });
}
