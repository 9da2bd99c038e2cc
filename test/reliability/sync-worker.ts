/**
 * A sync process the reliability tests can kill: one cycle of one connection against a Salesforce sandbox
 * and a referral store that live in the test process, built by the service's own factory from a config whose
 * URLs, paths and secret names come from the environment.
 */
import { openService } from '../../src/cli/index.js';
import { parseConfig, silentLogger } from '../../src/runtime/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const rate = { concurrency: 16, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 4 };
const config = parseConfig(
  {
    state: { path: env('WORKER_STATE') },
    referrals: {
      target: 'store',
      baseUrl: env('WORKER_STORE_URL'),
      auth: { method: 'api-key', apiKeyEnv: 'WORKER_STORE_KEY' },
      rate,
      incremental: { mode: 'filter', overlapSeconds: 5 },
    },
    connections: [
      {
        name: 'sf',
        crm: {
          kind: 'salesforce',
          instanceUrl: env('WORKER_SF_URL'),
          auth: { method: 'jwt', clientId: env('WORKER_SF_CLIENT_ID'), username: env('WORKER_SF_USERNAME'), privateKeyEnv: 'WORKER_SF_KEY' },
          rate,
          budget: { warnAt: 0.9, pauseAt: 0.99 },
          lookbackSeconds: 0,
        },
        mapping: 'mappings/salesforce.yaml',
        pageSize: Number(process.env.WORKER_PAGE_SIZE ?? 200),
      },
    ],
    server: { enabled: false },
  },
  'sync-worker.yaml',
);
const service = await openService(config, silentLogger);
const result = await service.connections[0]!.runCycle({
  // One line as each page starts (so the one before it has committed): the crash test kills on these.
  onProgress: (e) => process.stdout.write(`page ${e.phase} ${e.records}\n`),
});
await service.close();
process.stdout.write(`${JSON.stringify(result.counts)}\n`);
