/**
 * Faults on every API: with ~10 % of calls to the referral store and to Salesforce failing (429 with
 * Retry-After, 503, connection resets, stalls past the timeout), a 2,000-record sync completes with nothing
 * lost or duplicated, and no request reaches the store before a Retry-After it was given has ended.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../connectors/salesforce/index.js';
import { compileMapping, loadMapping } from '../../src/mapping/index.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../src/referral-store/index.js';
import { createLogger, silentLogger } from '../../src/runtime/index.js';
import { openSqliteState } from '../../src/state/index.js';
import { runCycle } from '../../src/sync/index.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { insertBulkOpportunities, startSalesforceSandbox, type SalesforceSandbox } from '../../sandboxes/index.js';

const RECORDS = 2000;
let sb: SalesforceSandbox;
let store: ReferralStoreHandle;
let proxy: FaultProxy;
const dir = mkdtempSync(join(tmpdir(), 'cosell-faults-'));

beforeAll(async () => {
  sb = await startSalesforceSandbox({ certDir: '.cosell/test-certs/salesforce' });
  store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    apiKey: 'fault-test-key-1',
    adminKey: 'fault-admin-key-1',
    microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
  });
  proxy = await startFaultProxy(store.url, { rate: 0.1, retryAfterSeconds: 1, stallMs: 2500, seed: 99 });
  insertBulkOpportunities(sb.org, RECORDS);
  sb.faults.configure({ errorRate: 0.05, statuses: [429, 503], retryAfterSeconds: 1, dropRate: 0.03, stallRate: 0.02, stallMs: 2500, seed: 5, exempt: ['/services/oauth2'] });
});
afterAll(async () => {
  await proxy?.close();
  await sb?.close();
  await store?.close();
});

it('completes a 2,000-record sync through 10 % faults on both APIs with nothing lost or duplicated, honouring Retry-After', async () => {
  const rate = { concurrency: 16, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 1500, maxRetries: 8 };
  const crm = createSalesforceConnector({
    instanceUrl: sb.url,
    apiVersion: '62.0',
    auth: { method: 'jwt', clientId: sb.credentials.clientId, username: sb.credentials.username, privateKeyPem: sb.credentials.privateKeyPem },
    rate,
    budget: { warnAt: 0.9, pauseAt: 0.99 },
    lookbackSeconds: 0,
  });
  // When the client learnt of each 429 (its lane logs the pause): the proxy runs in this process, on the same clock.
  const pauses: { at: number; waitMs: number }[] = [];
  const laneLog = createLogger({
    level: 'warn',
    format: 'json',
    stream: new Writable({
      write(chunk, _e, cb) {
        const line = JSON.parse(String(chunk)) as { message: string; timestamp: string; waitMs?: number; status?: number };
        if (line.message === 'lane throttled' && line.status === 429) pauses.push({ at: Date.parse(line.timestamp), waitMs: line.waitMs! });
        cb();
      },
    }),
  });
  // The key with the moment each call leaves the lane stamped on it (the proxy records and strips the stamp).
  const key = apiKeyProvider(store.apiKey);
  const stamped = { account: key.account, token: async (force: boolean) => `${await key.token(force)}~${Date.now()}` };
  const referrals = createReferralsClient({ baseUrl: proxy.url, auth: stamped, rate, incremental: { mode: 'filter', overlapSeconds: 5 }, log: laneLog });
  const state = openSqliteState(join(dir, 'state.db'));
  const mapping = compileMapping(loadMapping('mappings/salesforce.yaml'));
  let clean = 0;
  for (let cycle = 0; cycle < 30 && clean < 2; cycle++) {
    try {
      const r = await runCycle({ connection: 'sf', crm, referrals, mapping, state, log: silentLogger, correlationId: `faults-${cycle}`, pageSize: 200 });
      clean = r.counts.issues === 0 && (await state.issues('sf')).length === 0 ? clean + 1 : 0;
    } catch {
      clean = 0; // a page that failed after all retries is simply resumed by the next cycle
    }
  }
  expect(clean).toBe(2);
  await state.close();

  // Nothing lost, nothing duplicated, every write-back present (read directly, without the proxy).
  const direct = createReferralsClient({ baseUrl: store.url, auth: apiKeyProvider(store.apiKey), rate: { ...rate, timeoutMs: 10_000 } });
  const byExternal = new Map<string, string>();
  for await (const page of direct.pull(null)) {
    for (const r of page.referrals) {
      expect(byExternal.has(r.externalReferenceId!), `duplicate for ${r.externalReferenceId}`).toBe(false);
      byExternal.set(r.externalReferenceId!, r.id);
    }
  }
  expect(byExternal.size).toBe(RECORDS);
  const opps = sb.org.all('Opportunity');
  expect(opps.filter((o) => o.Referral_Id__c !== byExternal.get(String(o.Id))).length).toBe(0);

  // Salesforce's faults were really injected (an error status and a lost connection at least) on more than 5 %
  // of its calls, and the sync still finished clean.
  const sfInjected = sb.faults.injected();
  expect((sfInjected['429'] ?? 0) + (sfInjected['503'] ?? 0)).toBeGreaterThan(0);
  expect((sfInjected.drop ?? 0) + (sfInjected.stall ?? 0)).toBeGreaterThan(0);
  const sfFaults = Object.values(sfInjected).reduce((a, b) => a + b, 0);
  expect(sfFaults / sb.stats().calls).toBeGreaterThan(0.05);

  // Faults really happened on the store, and once the client had read a 429 its whole lane sent nothing until
  // the Retry-After ended. Both ends are the client's own clock (the proxy shares this process): when its lane
  // paused, and when each call left it. Calls sent before the 429 was read may arrive later; they were in flight.
  // (150 ms: a call that passed the lane's gate just before the pause fetches its token after the microtasks
  // queued ahead of it, which on a loaded machine took up to 52 ms.)
  const injected = proxy.log.filter((e) => typeof e.outcome === 'string');
  expect(injected.filter((e) => e.outcome === '429').length).toBeGreaterThan(3);
  expect(injected.length / proxy.log.length).toBeGreaterThan(0.05);
  expect(pauses.length).toBeGreaterThan(3);
  expect(pauses.every((p) => p.waitMs === 1000)).toBe(true);
  expect(proxy.log.every((x) => x.sentAt !== undefined && x.sentAt <= x.at)).toBe(true);
  const violations = pauses.flatMap((p) =>
    proxy.log.filter((x) => x.sentAt! > p.at + 150 && x.sentAt! < p.at + p.waitMs - 20).map((x) => `${x.method} ${x.path} sent at +${x.sentAt! - p.at} ms`),
  );
  expect(violations).toEqual([]);
  await crm.close();
}, 400_000);
