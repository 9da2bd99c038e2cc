/**
 * Distributed mode (runtime.mode: distributed, state.kind: postgres): `cosell-sync worker` syncs connections
 * from the BullMQ queue (run N of them, on any machines); `cosell-sync scheduler` keeps one job scheduler per
 * connection from its cron, queues a first cycle of each, and serves the HTTP surface, where "sync now" and
 * webhooks queue jobs instead of running them and `POST /api/v1/connections` stores and schedules a connection.
 * Connections are the config file's plus those stored in PostgreSQL. SIGINT/SIGTERM: the page in progress is
 * finished and checkpointed, leases are released, exit 0.
 */
import type { Command } from 'commander';
import type { SyncQueue, WorkerConnection } from '../../jobs/index.js';
import { ConfigError, onShutdownSignal, readOptionalSecret, type ConnectionConfig, type LoadedConfig, type Logger } from '../../runtime/index.js';
import type { StoredConnections } from '../../server/index.js';
import { databaseUrl, openPostgresState, type PostgresState } from '../../state/index.js';
import { connectionConfigs } from '../../state/index.js';
import { cliContext } from '../context.js';
import type { Service } from '../service.js';

/** The queue (bullmq, ioredis), the service and the HTTP surface load when a distributed command runs, not with the CLI. */
const modules = () => Promise.all([import('../../jobs/index.js'), import('../service.js')]);

export function redisUrl(config: LoadedConfig): string {
  // A Redis URL may carry a password: read it like a secret (NAME or NAME_FILE).
  const url = readOptionalSecret(config.runtime.redisUrlEnv);
  if (!url) throw new ConfigError(`distributed mode: set ${config.runtime.redisUrlEnv} to the Redis URL (redis://host:6379)`, config.file);
  return url;
}

export async function openDistributedState(config: LoadedConfig): Promise<PostgresState> {
  if (config.state.kind !== 'postgres') {
    throw new ConfigError('distributed mode: workers share their state, so state.kind must be postgres (state: { kind: postgres, urlEnv: COSELL_DATABASE_URL })', config.file);
  }
  return openPostgresState({ url: databaseUrl(config), schema: config.state.schema, max: config.state.poolSize });
}

/** The config file's connections and the stored ones (a stored one never shadows the file's). */
async function allConnections(config: LoadedConfig, state: PostgresState): Promise<ConnectionConfig[]> {
  const inFile = new Set(config.connections.map((c) => c.name));
  return [...config.connections, ...(await connectionConfigs(state.db).list()).filter((c) => !inFile.has(c.name))];
}

/** Stored connections as the admin API changes them: stored, then scheduled (or unscheduled) at once. */
export function scheduledConnections(config: LoadedConfig, state: PostgresState, queue: SyncQueue): StoredConnections {
  const store = connectionConfigs(state.db);
  const reschedule = async () => queue.schedule((await allConnections(config, state)).filter((c) => c.enabled));
  return {
    list: () => store.list(),
    async put(c) {
      const r = await store.put(c);
      await reschedule();
      if (c.enabled) await queue.syncNow(c.name);
      return r;
    },
    async remove(name) {
      const removed = await store.remove(name);
      if (removed) await reschedule();
      return removed;
    },
  };
}

/** The state shared by a worker's services: closed once, by the worker, not by each service. */
const unclosed = (state: PostgresState): PostgresState => ({ ...state, close: async () => undefined });

/** The HTTP surface where "sync now" (and so a webhook's targeted sync) queues a job instead of running it. */
async function serveSurface(service: Service, config: LoadedConfig, log: Logger, queue: SyncQueue, state: PostgresState) {
  if (!config.server.enabled) return null;
  const { createSurface } = await import('../surface.js');
  return createSurface(service, config, log, { connectionConfigs: scheduledConnections(config, state, queue) }).listen(async (name) => void (await queue.syncNow(name)));
}

const stopped = () => new Promise<NodeJS.Signals>((resolve) => onShutdownSignal(resolve));

export function registerDistributed(program: Command): void {
  program
    .command('worker')
    .description('sync connections from the shared queue (distributed mode; run as many as you like)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const [{ openSyncQueue, startSyncWorker }, { openService }] = await modules();
      const state = await openDistributedState(config);
      const redis = redisUrl(config);
      const service = await openService({ ...config, connections: await allConnections(config, state) }, log, { state: unclosed(state) });
      const added: Service[] = [];
      // A connection stored after this worker started is opened on its first job.
      const resolve = async (name: string): Promise<WorkerConnection | undefined> => {
        const c = (await connectionConfigs(state.db).list()).find((x) => x.name === name);
        if (!c) return undefined;
        const s = await openService({ ...config, connections: [c] }, log, { state: unclosed(state) });
        added.push(s);
        return s.connections[0];
      };
      const queue = openSyncQueue(redis, config.runtime.prefix);
      const stop = stopped();
      const worker = startSyncWorker({ connections: service.connections, resolve, state, redisUrl: redis, runtime: config.runtime, log });
      try {
        await worker.ready();
        // Probes and metrics of this worker (the orchestrator restarts it when /livez fails).
        const http = await serveSurface(service, config, log, queue, state);
        log.info('shutting down', { signal: await stop });
        await http?.close();
      } finally {
        await worker.close();
        await queue.close();
        for (const s of [service, ...added]) await s.close();
        await state.close();
      }
      process.exitCode = 0;
    });

  program
    .command('scheduler')
    .description('keep the job schedulers of the connections, queue a first cycle of each, serve the HTTP surface (distributed mode)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const [{ openSyncQueue }, { openService }] = await modules();
      const state = await openDistributedState(config);
      const queue = openSyncQueue(redisUrl(config), config.runtime.prefix);
      const service = await openService({ ...config, connections: await allConnections(config, state) }, log, { state: unclosed(state) });
      const stop = stopped();
      try {
        await queue.schedule(service.connections);
        for (const c of service.connections) await queue.syncNow(c.name);
        const http = await serveSurface(service, config, log, queue, state);
        log.info('scheduler running', { connections: service.connections.map((c) => `${c.name} (${c.schedule})`), http: http?.url ?? 'off' });
        log.info('shutting down', { signal: await stop });
        await http?.close();
      } finally {
        await queue.close();
        await service.close();
        await state.close();
      }
      process.exitCode = 0;
    });
}
