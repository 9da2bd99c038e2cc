/**
 * Distributed mode (runtime.mode: distributed, state.kind: postgres): `cosell-sync worker` syncs connections
 * from the BullMQ queue (run N of them, on any machines); `cosell-sync scheduler` keeps one job scheduler per
 * connection from its cron, queues a first cycle of each, and serves the HTTP surface, where "sync now" and
 * webhooks queue jobs instead of running them. SIGINT/SIGTERM: the page in progress is finished and checkpointed,
 * leases are released, exit 0.
 */
import type { Command } from 'commander';
import { openSyncQueue, type SyncQueue } from '../../jobs/queue.js';
import { startSyncWorker } from '../../jobs/worker.js';
import { ConfigError, onShutdownSignal, type LoadedConfig, type Logger } from '../../runtime/index.js';
import { databaseUrl, openPostgresState } from '../../state/index.js';
import { cliContext } from '../context.js';
import { openService, type Service } from '../service.js';
import { createSurface } from '../surface.js';

function redisUrl(config: LoadedConfig): string {
  const url = process.env[config.runtime.redisUrlEnv];
  if (!url) throw new ConfigError(`distributed mode: set ${config.runtime.redisUrlEnv} to the Redis URL (redis://host:6379)`, config.file);
  return url;
}

function requireDistributed(config: LoadedConfig): void {
  if (config.state.kind !== 'postgres') {
    throw new ConfigError('distributed mode: workers share their state, so state.kind must be postgres (state: { kind: postgres, urlEnv: COSELL_DATABASE_URL })', config.file);
  }
}

/** The HTTP surface where "sync now" (and so a webhook's targeted sync) queues a job instead of running it. */
async function serveSurface(service: Service, config: LoadedConfig, log: Logger, queue: SyncQueue) {
  if (!config.server.enabled) return null;
  return createSurface(service, config, log).listen(async (name) => void (await queue.syncNow(name)));
}

const stopped = () => new Promise<NodeJS.Signals>((resolve) => onShutdownSignal(resolve));

export function registerDistributed(program: Command): void {
  program
    .command('worker')
    .description('sync connections from the shared queue (distributed mode; run as many as you like)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      requireDistributed(config);
      const redis = redisUrl(config);
      const state = await openPostgresState({ url: databaseUrl(config), schema: config.state.schema, max: config.state.poolSize });
      const service = await openService(config, log, { state });
      const queue = openSyncQueue(redis, config.runtime.prefix);
      const stop = stopped();
      const worker = startSyncWorker({ connections: service.connections, state, redisUrl: redis, runtime: config.runtime, log });
      try {
        // Probes and metrics of this worker (the orchestrator restarts it when /livez fails).
        const http = await serveSurface(service, config, log, queue);
        log.info('shutting down', { signal: await stop });
        await http?.close();
      } finally {
        await worker.close();
        await queue.close();
        await service.close();
      }
      process.exitCode = 0;
    });

  program
    .command('scheduler')
    .description('keep the job schedulers of the connections, queue a first cycle of each, serve the HTTP surface (distributed mode)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      requireDistributed(config);
      const queue = openSyncQueue(redisUrl(config), config.runtime.prefix);
      const state = await openPostgresState({ url: databaseUrl(config), schema: config.state.schema, max: config.state.poolSize });
      const service = await openService(config, log, { state });
      const stop = stopped();
      try {
        await queue.schedule(service.connections);
        for (const c of service.connections) await queue.syncNow(c.name);
        const http = await serveSurface(service, config, log, queue);
        log.info('scheduler running', { connections: service.connections.map((c) => `${c.name} (${c.schedule})`), http: http?.url ?? 'off' });
        log.info('shutting down', { signal: await stop });
        await http?.close();
      } finally {
        await queue.close();
        await service.close();
      }
      process.exitCode = 0;
    });
}
