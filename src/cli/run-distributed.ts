/**
 * A distributed-mode process (runtime.mode: distributed, state.kind: postgres), by the roles it plays:
 * `work` syncs connections from the BullMQ queue, `schedule` keeps one job scheduler per connection from its cron
 * and queues a first cycle of each. Every role serves the HTTP surface (probes, metrics, admin API, console), where
 * "sync now" and webhooks queue jobs instead of running them and `POST /api/v1/connections` stores and schedules a
 * connection. `worker` works, `scheduler` schedules, `console` only serves, `start --mode distributed` does all.
 * Connections are the config file's plus those stored in PostgreSQL. When `signal` aborts: the server stops
 * accepting, the page in progress is finished and checkpointed, leases are released.
 */
import { startSyncWorker, openSyncQueue, type SyncQueue, type SyncWorker, type WorkerConnection } from '../jobs/index.js';
import { ConfigError, describeError, readOptionalSecret, type ConnectionConfig, type LoadedConfig, type Logger } from '../runtime/index.js';
import type { StoredConnections } from '../server/index.js';
import { connectionConfigs, databaseUrl, openPostgresState, type PostgresState } from '../state/index.js';
import { subscribeWebhooks } from './run-service.js';
import { openService, type Service } from './service.js';
import { createSurface } from './surface.js';

export interface Roles {
  schedule: boolean;
  work: boolean;
}

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

/** The state shared by a process's services: closed once, by the process, not by each service. */
const unclosed = (state: PostgresState): PostgresState => ({ ...state, close: async () => undefined });

const running = (roles: Roles) => (roles.schedule ? 'scheduler running' : roles.work ? 'worker running' : 'console running');

/** Runs the roles until `signal` aborts, then stops gracefully. */
export async function runDistributed(config: LoadedConfig, log: Logger, roles: Roles, signal: AbortSignal): Promise<void> {
  const state = await openDistributedState(config);
  const redis = redisUrl(config);
  const queue = openSyncQueue(redis, config.runtime.prefix);
  const services: Service[] = [];
  let worker: SyncWorker | null = null;
  let learning: ReturnType<typeof setInterval> | undefined;
  try {
    const service = await openService({ ...config, connections: await allConnections(config, state) }, log, { state: unclosed(state) });
    services.push(service);
    const scheduled = scheduledConnections(config, state, queue);
    const put = async (c: ConnectionConfig) => {
      const r = await scheduled.put(c);
      await learn();
      return r;
    };
    const surface = config.server.enabled ? createSurface(service, config, log, { connectionConfigs: { ...scheduled, put } }) : null;
    // Connections stored after this process started: opened once, then synced (worker) and served (surface).
    // One pass at a time (a job and the timer may ask together); a connection that fails to open spoils no other.
    const learnPass = async () => {
      for (const c of await connectionConfigs(state.db).list()) {
        if (!c.enabled || service.connections.some((x) => x.name === c.name)) continue;
        try {
          const s = await openService({ ...config, connections: [c] }, log, { state: unclosed(state) });
          services.push(s);
          service.connections.push(...s.connections);
          for (const sc of s.connections) surface?.track(sc);
          log.info('stored connection opened', { connection: c.name });
        } catch (err) {
          log.warn('stored connection not opened', { connection: c.name, error: describeError(err) });
        }
      }
    };
    let learnt = Promise.resolve();
    const learn = () => (learnt = learnt.then(learnPass, learnPass));
    if (roles.work) {
      const resolve = async (name: string): Promise<WorkerConnection | undefined> => (await learn(), service.connections.find((c) => c.name === name));
      worker = startSyncWorker({
        connections: service.connections,
        resolve,
        state,
        redisUrl: redis,
        runtime: config.runtime,
        log,
        ...(surface ? { observe: surface.runFinished } : {}),
      });
      await worker.ready();
    }
    if (roles.schedule) {
      await queue.schedule(service.connections);
      for (const c of service.connections) await queue.syncNow(c.name);
    }
    const http = surface ? await surface.listen(async (name) => void (await queue.syncNow(name))) : null;
    if (http && config.server.webhooks.enabled && config.server.webhooks.subscribeEmbeddedStore) await subscribeWebhooks(service, `${http.url}/webhooks/partner-center`, log);
    const relearn = () => void learn().catch((err: unknown) => log.warn('stored connections not read', { error: describeError(err) }));
    if (surface) learning = setInterval(relearn, config.runtime.connectionsRefreshSeconds * 1000);
    log.info(running(roles), { connections: service.connections.map((c) => `${c.name} (${c.schedule})`), http: http?.url ?? 'off' });
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await http?.close();
  } finally {
    clearInterval(learning);
    await worker?.close();
    await queue.close();
    for (const s of services) await s.close();
    await state.close();
  }
}
