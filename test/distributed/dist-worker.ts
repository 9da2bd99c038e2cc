/**
 * A worker process the distributed tests can kill and freeze: `startSyncWorker` over the connections the
 * service's own factory opens to Salesforce sandboxes and a referral store that live in the test process.
 * Everything comes from the environment.
 * Prints `page <connection>` as each page starts and `ready` once it takes jobs; SIGTERM closes gracefully.
 */
import { openService } from '../../src/cli/index.js';
import { startSyncWorker } from '../../src/jobs/index.js';
import { createLogger, onShutdownSignal, parseConfig } from '../../src/runtime/index.js';
import { openPostgresState } from '../../src/state/index.js';

interface Conn {
  name: string;
  sfUrl: string;
  clientId: string;
  username: string;
  key: string;
  storeKey: string;
}
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const rate = { concurrency: 8, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 4 };
const conns = JSON.parse(env('DW_CONNECTIONS')) as Conn[];
// Each connection's secrets by name, as a config names them.
const secrets = Object.fromEntries(
  conns.flatMap((c, i) => [
    [`DW_SF_KEY_${i}`, c.key],
    [`DW_STORE_KEY_${i}`, c.storeKey],
  ]),
);
const config = parseConfig(
  {
    referrals: { target: 'store', baseUrl: env('DW_STORE_URL'), auth: { method: 'none' }, rate, incremental: { mode: 'filter', overlapSeconds: 5 } },
    connections: conns.map((c, i) => ({
      name: c.name,
      crm: {
        kind: 'salesforce',
        instanceUrl: c.sfUrl,
        auth: { method: 'jwt', clientId: c.clientId, username: c.username, privateKeyEnv: `DW_SF_KEY_${i}` },
        rate,
        budget: { warnAt: 0.9, pauseAt: 0.99 },
        lookbackSeconds: 0,
      },
      mapping: 'mappings/salesforce.yaml',
      pageSize: Number(process.env.DW_PAGE_SIZE ?? 50),
      // One partner organization of the store per connection.
      referrals: { auth: { method: 'api-key', apiKeyEnv: `DW_STORE_KEY_${i}` } },
    })),
    server: { enabled: false },
  },
  'dist-worker.yaml',
);
// Debug: job start, delays and finish land in the output a timed-out wait prints.
const log = createLogger({ level: 'debug', format: 'json' });
const state = await openPostgresState({ url: env('DW_DATABASE_URL'), schema: env('DW_SCHEMA') });
// The worker closes the shared state once, after the service.
const service = await openService(config, log, { env: secrets, state: { ...state, close: async () => undefined } });
// The cycle alone, as these tests have always run it: what they time and kill is pages, not the registration and
// notification pass after them (with 800 new referrals per connection it would hold the worker for long).
const connections = service.connections.map((c) => ({
  name: c.name,
  runCycle: (o: Parameters<typeof c.runCycle>[0]) => c.runCycle({ ...o, afterCycle: false, onProgress: () => process.stdout.write(`page ${c.name}\n`) }),
}));
const worker = startSyncWorker({
  connections,
  state,
  redisUrl: env('DW_REDIS_URL'),
  runtime: {
    prefix: env('DW_PREFIX'),
    leaseSeconds: Number(process.env.DW_LEASE_SECONDS ?? 5),
    concurrency: Number(process.env.DW_CONCURRENCY ?? 2),
    sliceSeconds: Number(process.env.DW_SLICE_SECONDS ?? 600),
  },
  log,
  busyRetryMs: 500,
});
await worker.ready();
process.stdout.write('ready\n');
onShutdownSignal(() => {
  void worker
    .close()
    .then(() => service.close())
    .then(() => state.close())
    .then(() => process.exit(0));
});
