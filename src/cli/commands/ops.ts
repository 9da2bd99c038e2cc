/** Operator commands over the sync state: status, issues, conflicts, reset. */
import type { Command } from 'commander';
import type { SyncState } from '../../state/index.js';
import { cliContext, connectionNamed, table } from '../context.js';

const admin = () => import('../../admin/index.js');

export function registerOps(program: Command): void {
  program
    .command('status')
    .description('per connection: last run, counts, lag, blocked links, open conflicts and issues')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { config, openState } = cliContext(cmd);
      const state = await openState();
      try {
        const { connectionStatus } = await admin();
        const rows: Record<string, unknown>[] = [];
        for (const c of config.connections) {
          const st = await connectionStatus(state, { name: c.name, kind: c.crm.kind });
          rows.push(
            opts.json
              ? { ...st }
              : {
                  connection: st.connection,
                  crm: st.crm,
                  lastRun: st.lastRun ? `${st.lastRun.status} ${st.lastRun.endedAt ?? st.lastRun.startedAt}` : 'never',
                  lagSeconds: st.lagSeconds,
                  created: st.counts.created,
                  updated: st.counts.updated,
                  writtenBack: st.counts.writtenBack,
                  linked: st.linked,
                  blocked: st.blocked,
                  conflicts: st.conflicts,
                  openIssues: st.issues,
                  issuesLastRun: st.issuesLastRun,
                  apiCalls: st.apiCalls ? `crm ${st.apiCalls.crm} / referrals ${st.apiCalls.referrals}` : '',
                  crmBudget: st.crmBudget ?? '',
                  paused: st.paused ? 'yes' : '',
                },
          );
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
      const state = await openState();
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
      const state = await openState();
      try {
        const n = await (await admin()).retryIssues(state, opts.connection, records);
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
      const state = await openState();
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
      const state = await openState();
      try {
        const c = await (await admin()).resolveConflict(state, Number(id), opts.take);
        process.stdout.write(`conflict ${id} on ${c.field}: the ${opts.take} value will be synced on the next cycle of ${c.connection}\n`);
      } finally {
        await state.close();
      }
    });

  connectionCommand(program, 'reset', 'forget the cursors of a connection: the next cycle reads everything and reconciles (no duplicates)', async (state, name) => {
    await (await admin()).fullResync(state, name);
    return `${name}: cursors cleared; the next cycle is a full, reconciled resync`;
  });
  for (const paused of [true, false]) {
    const what = paused ? 'pause a connection: the running service skips its scheduled, triggered and webhook cycles' : 'resume a paused connection';
    connectionCommand(program, paused ? 'pause' : 'resume', what, async (state, name) => {
      await (await admin()).setPaused(state, name, paused);
      return `${name}: ${paused ? 'paused' : 'resumed'}`;
    });
  }
}

/** A command on one connection's state: `NAME --connection N`, printing one line. */
function connectionCommand(program: Command, name: string, description: string, run: (state: SyncState, connection: string) => Promise<string>): void {
  program
    .command(name)
    .description(description)
    .requiredOption('--connection <name>')
    .action(async (opts: { connection: string }, cmd: Command) => {
      const { config, openState } = cliContext(cmd);
      connectionNamed(config, opts.connection);
      const state = await openState();
      try {
        process.stdout.write(`${await run(state, opts.connection)}\n`);
      } finally {
        await state.close();
      }
    });
}
