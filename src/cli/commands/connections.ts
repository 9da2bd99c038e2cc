/**
 * `cosell-sync connections add FILE | list | remove NAME`: connections stored in PostgreSQL (distributed mode),
 * each FILE one `connections:` entry validated by the config file's schema (problems with file:line:col). A
 * change is scheduled at once on the shared queue.
 */
import type { Command } from 'commander';
import { connectionSchema, loadYamlFile } from '../../runtime/index.js';
import { cliContext, table } from '../context.js';
import type { scheduledConnections } from '../run-distributed.js';

export function registerConnections(program: Command): void {
  const group = program.command('connections').description('connections stored in PostgreSQL (distributed mode)');
  const withStored = async <T>(cmd: Command, fn: (c: ReturnType<typeof scheduledConnections>) => Promise<T>): Promise<T> => {
    const { config } = cliContext(cmd);
    // PostgreSQL, the queue and the surface's stored-connections load with this command, not with the CLI.
    const [{ openDistributedState, redisUrl, scheduledConnections }, { openSyncQueue }] = await Promise.all([import('../run-distributed.js'), import('../../jobs/index.js')]);
    const state = await openDistributedState(config);
    const queue = openSyncQueue(redisUrl(config), config.runtime.prefix);
    try {
      return await fn(scheduledConnections(config, state, queue));
    } finally {
      await queue.close();
      await state.close();
    }
  };

  group
    .command('add <file>')
    .description('store (or replace) the connection in FILE (YAML, one connection) and schedule it')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const connection = loadYamlFile(file, connectionSchema, 'connection');
      const { created } = await withStored(cmd, (s) => s.put(connection));
      process.stdout.write(`${created ? 'added' : 'replaced'} ${connection.name}\n`);
    });
  group
    .command('list')
    .description('the stored connections')
    .action(async (_opts: unknown, cmd: Command) => {
      const list = await withStored(cmd, (s) => s.list());
      process.stdout.write(table(list.map((c) => ({ name: c.name, crm: c.crm.kind, schedule: c.schedule, mapping: c.mapping, enabled: c.enabled }))));
    });
  group
    .command('remove <name>')
    .description('remove a stored connection and its schedule (its sync state stays)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const removed = await withStored(cmd, (s) => s.remove(name));
      process.stdout.write(removed ? `removed ${name}\n` : `no stored connection named ${name}\n`);
      process.exitCode = removed ? 0 : 1;
    });
}
