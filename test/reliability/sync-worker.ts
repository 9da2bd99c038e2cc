/**
 * A sync process the reliability tests can kill: one cycle of one connection against a Salesforce sandbox
 * and a referral store that live in the test process. Everything comes from the environment.
 */
import { createSalesforceConnector } from '../../connectors/salesforce/index.js';
import { compileMapping, loadMapping } from '../../src/mapping/index.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { silentLogger } from '../../src/runtime/index.js';
import { openSqliteState } from '../../src/state/index.js';
import { runCycle } from '../../src/sync/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const rate = { concurrency: 16, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 4 };
const connector = createSalesforceConnector({
  instanceUrl: env('WORKER_SF_URL'),
  apiVersion: '62.0',
  auth: { method: 'jwt', clientId: env('WORKER_SF_CLIENT_ID'), username: env('WORKER_SF_USERNAME'), privateKeyPem: env('WORKER_SF_KEY') },
  rate,
  budget: { warnAt: 0.9, pauseAt: 0.99 },
  lookbackSeconds: 0,
});
const referrals = createReferralsClient({
  baseUrl: env('WORKER_STORE_URL'),
  auth: apiKeyProvider(env('WORKER_STORE_KEY')),
  rate,
  incremental: { mode: 'filter', overlapSeconds: 5 },
});
const state = openSqliteState(env('WORKER_STATE'));
const result = await runCycle({
  connection: 'sf',
  crm: connector,
  referrals,
  mapping: compileMapping(loadMapping('mappings/salesforce.yaml')),
  state,
  log: silentLogger,
  correlationId: 'crash',
  pageSize: Number(process.env.WORKER_PAGE_SIZE ?? 200),
  // One line as each page starts (so the one before it has committed): the crash test kills on these.
  onProgress: (e) => process.stdout.write(`page ${e.phase} ${e.records}\n`),
});
await state.close();
process.stdout.write(`${JSON.stringify(result.counts)}\n`);
