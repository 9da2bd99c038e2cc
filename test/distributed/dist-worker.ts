/**
 * A worker process the distributed tests can kill and freeze: `startSyncWorker` over connections to Salesforce
 * sandboxes and a referral store that live in the test process. Everything comes from the environment.
 * Prints `page <connection>` as each page starts and `ready` once it takes jobs; SIGTERM closes gracefully.
 */
import { createSalesforceConnector } from '../../connectors/salesforce/index.js';
import { startSyncWorker } from '../../src/jobs/index.js';
import { compileMapping, loadMapping } from '../../src/mapping/index.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { createLogger, onShutdownSignal } from '../../src/runtime/index.js';
import { openPostgresState } from '../../src/state/index.js';
import { runCycle } from '../../src/sync/index.js';

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
const mapping = compileMapping(loadMapping('mappings/salesforce.yaml'));
// Debug: job start, delays and finish land in the output a timed-out wait prints.
const log = createLogger({ level: 'debug', format: 'json' });
const state = await openPostgresState({ url: env('DW_DATABASE_URL'), schema: env('DW_SCHEMA') });
const connections = (JSON.parse(env('DW_CONNECTIONS')) as Conn[]).map((c) => {
  const crm = createSalesforceConnector({
    instanceUrl: c.sfUrl,
    apiVersion: '62.0',
    auth: { method: 'jwt', clientId: c.clientId, username: c.username, privateKeyPem: c.key },
    rate,
    budget: { warnAt: 0.9, pauseAt: 0.99 },
    lookbackSeconds: 0,
  });
  const referrals = createReferralsClient({ baseUrl: env('DW_STORE_URL'), auth: apiKeyProvider(c.storeKey), rate, incremental: { mode: 'filter', overlapSeconds: 5 } });
  return {
    name: c.name,
    runCycle: (o: { signal: AbortSignal; full?: boolean; state: Parameters<typeof runCycle>[0]['state'] }) =>
      runCycle({
        connection: c.name,
        crm,
        referrals: referrals.forRun('dist'),
        mapping,
        log,
        correlationId: 'dist',
        pageSize: Number(process.env.DW_PAGE_SIZE ?? 50),
        ...o,
        onProgress: () => process.stdout.write(`page ${c.name}\n`),
      }),
  };
});
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
    .then(() => state.close())
    .then(() => process.exit(0));
});
