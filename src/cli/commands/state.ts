/**
 * `cosell-sync migrate` (bring the configured state's schema up to date, as every start also does) and
 * `cosell-sync state copy --from sqlite:FILE --to postgres` (move a deployment to PostgreSQL).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../runtime/index.js';
import { databaseUrl, openConfiguredState } from '../../state/index.js';
import { copySqliteToPostgres } from '../../state/index.js';
import { migrate, openPool } from '../../state/index.js';
import { cliContext, table } from '../context.js';

export function registerState(program: Command): void {
  program
    .command('migrate')
    .description("apply the state's pending schema migrations (SQLite file or PostgreSQL, as configured) and exit")
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      if (config.state.kind === 'sqlite') {
        await (await openConfiguredState(config)).close();
        log.info('state migrated', { kind: 'sqlite', path: config.state.path });
        return;
      }
      const db = await openPool({ url: databaseUrl(config), schema: config.state.schema });
      try {
        const ran = await migrate(db);
        log.info('state migrated', { kind: 'postgres', schema: config.state.schema, applied: ran });
        process.stdout.write(ran.length ? `applied migrations ${ran.join(', ')}\n` : 'up to date\n');
      } finally {
        await db.end();
      }
    });

  program
    .command('state')
    .description('move the sync state between backends')
    .command('copy')
    .description("copy a SQLite state file into the PostgreSQL named by the config's state.urlEnv (empty target only)")
    .requiredOption('--from <source>', 'sqlite:FILE')
    .requiredOption('--to <target>', 'postgres')
    .action(async (opts: { from: string; to: string }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      if (!opts.from.startsWith('sqlite:') || opts.from.length === 'sqlite:'.length) throw new ConfigError(`--from: expected sqlite:FILE, got '${opts.from}'`, 'command line');
      if (opts.to !== 'postgres') throw new ConfigError(`--to: expected postgres, got '${opts.to}'`, 'command line');
      const file = resolve(opts.from.slice('sqlite:'.length));
      const counts = await copySqliteToPostgres(file, { url: databaseUrl(config), schema: config.state.schema });
      log.info('state copied', { from: file, schema: config.state.schema, ...counts });
      process.stdout.write(table(Object.entries(counts).map(([t, rows]) => ({ table: t, rows }))));
    });
}
