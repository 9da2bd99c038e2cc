/**
 * Faults on every API: with ~10 % of calls to the referral store and to Salesforce failing (429 with
 * Retry-After, 503, connection resets, stalls past the timeout), a 2,000-record sync completes with nothing
 * lost or duplicated, and no request leaves for the store before a Retry-After it was given has ended. Both
 * servers inject their faults themselves, through the one fault injector (runtime/fault-*.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openService } from '../../src/cli/index.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import type { ReferralStoreHandle } from '../../src/referral-store/index.js';
import { createLogger, parseConfig, silentLogger } from '../../src/runtime/index.js';
import type { SalesforceSandbox } from '../../sandboxes/index.js';
import { startBulkPair } from '../helpers/bulk-pair.js';

const RECORDS = 2000;
let sb: SalesforceSandbox;
let store: ReferralStoreHandle;
const dir = mkdtempSync(join(tmpdir(), 'cosell-faults-'));

beforeAll(async () => {
  ({ sb, store } = await startBulkPair(dir, 'fault', RECORDS));
  store.faults.configure({ rate429: 0.025, rate503: 0.025, dropRate: 0.025, stallRate: 0.025, stallMs: 2500, retryAfterSeconds: 1, seed: 99 });
  sb.faults.configure({ rate429: 0.025, rate503: 0.025, retryAfterSeconds: 1, dropRate: 0.03, stallRate: 0.02, stallMs: 2500, seed: 5, exempt: ['/services/oauth2'] });
});
afterAll(async () => {
  await sb?.close();
  await store?.close();
});

it('completes a 2,000-record sync through 10 % faults on both APIs with nothing lost or duplicated, honouring Retry-After', async () => {
  const rate = { concurrency: 16, intervalCap: 100_000, intervalMs: 1000, timeoutMs: 1500, maxRetries: 8 };
  // The service's own factory wires the connector, the mapping and the state from a config, as a deployment's would.
  const config = parseConfig(
    {
      state: { path: 'state.db' },
      referrals: { target: 'store', baseUrl: store.url, auth: { method: 'api-key', apiKeyEnv: 'FAULTS_STORE_KEY' }, rate },
      connections: [
        {
          name: 'sf',
          crm: {
            kind: 'salesforce',
            instanceUrl: sb.url,
            loginUrl: sb.url,
            auth: { method: 'jwt', clientId: sb.credentials.clientId, username: sb.credentials.username, privateKeyEnv: 'FAULTS_SF_KEY' },
            rate,
            budget: { warnAt: 0.9, pauseAt: 0.99 },
            lookbackSeconds: 0,
          },
          mapping: resolve('mappings/salesforce.yaml'),
          pageSize: 200,
        },
      ],
    },
    join(dir, 'config.yaml'),
  );
  // When the client learnt of each 429 (its lane logs the pause), on the same clock as the sends below.
  const pauses: { at: number; waitMs: number; until: number }[] = [];
  const laneLog = createLogger({
    level: 'warn',
    format: 'json',
    stream: new Writable({
      write(chunk, _e, cb) {
        const line = JSON.parse(String(chunk)) as { message: string; timestamp: string; waitMs?: number; until?: string; status?: number };
        if (line.message === 'lane throttled' && line.status === 429) pauses.push({ at: Date.parse(line.timestamp), waitMs: line.waitMs!, until: Date.parse(line.until!) });
        cb();
      },
    }),
  });
  // The moment each call leaves the lane: the client asks for the key as it sends.
  const key = apiKeyProvider(store.apiKey);
  const sentAt: number[] = [];
  const stamping = {
    account: key.account,
    token: async (force: boolean) => {
      const token = await key.token(force);
      sentAt.push(Date.now());
      return token;
    },
  };
  // The referrals client is the run's own (a cycle takes a caller's client) only so each send can be timed.
  const referrals = createReferralsClient({ baseUrl: store.url, auth: stamping, rate, incremental: { mode: 'filter', overlapSeconds: 5 }, log: laneLog });
  const service = await openService(config, silentLogger, { env: { FAULTS_STORE_KEY: store.apiKey, FAULTS_SF_KEY: sb.credentials.privateKeyPem } });
  const conn = service.connections[0]!;
  let clean = 0;
  for (let cycle = 0; cycle < 30 && clean < 2; cycle++) {
    try {
      const r = await conn.runCycle({ referrals, afterCycle: false });
      clean = r.counts.issues === 0 && (await service.state.issues('sf')).length === 0 ? clean + 1 : 0;
    } catch {
      clean = 0; // a page that failed after all retries is simply resumed by the next cycle
    }
  }
  expect(clean).toBe(2);
  await service.close();
  const storeInjected = store.faults.injected();
  const storeCalls = store.stats().requests;
  store.faults.reset();

  // Nothing lost, nothing duplicated, every write-back present (read with faults off).
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
  expect((sfInjected.reset ?? 0) + (sfInjected.stall ?? 0)).toBeGreaterThan(0);
  const sfFaults = Object.values(sfInjected).reduce((a, b) => a + b, 0);
  expect(sfFaults / sb.stats().calls).toBeGreaterThan(0.05);

  // Faults really happened on the store, and once the client had read a 429 its whole lane sent nothing until
  // the Retry-After ended. Both ends are the client's own clock: when its lane paused (the log line, written a
  // little after), the instant the pause ends (its `until`), and when each call left it. Calls sent before the 429
  // was read may arrive later; they were in flight. (150 ms: a call that passed the lane's gate just before the
  // pause fetches its token after the microtasks queued ahead of it, which on a loaded machine took up to 52 ms.)
  expect(storeInjected['429'] ?? 0).toBeGreaterThan(3);
  expect(Object.values(storeInjected).reduce((a, b) => a + b, 0) / storeCalls).toBeGreaterThan(0.05);
  expect(pauses.length).toBeGreaterThan(3);
  expect(pauses.every((p) => p.waitMs === 1000 && p.until - p.at <= 1000 && p.until - p.at > 0)).toBe(true);
  // Every call the store saw was one of the sends timed here (the direct read above came after).
  expect(sentAt.length).toBeGreaterThanOrEqual(storeCalls);
  const violations = pauses.flatMap((p) => sentAt.filter((at) => at > p.at + 150 && at < p.until).map((at) => `a call sent at +${at - p.at} ms`));
  expect(violations).toEqual([]);
}, 400_000);
