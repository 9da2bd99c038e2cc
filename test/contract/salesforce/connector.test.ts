/**
 * The Salesforce connector against the sandbox over real HTTP with unmodified jsforce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.js';
import type { CrmConnector } from '../../../connectors/connector.js';
import { AuthError, BudgetExhaustedError } from '../../../src/runtime/index.js';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../../sandboxes/index.js';

let sb: SalesforceSandbox;
const rate = { concurrency: 4, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 2 };
const connector = (over: Partial<Parameters<typeof createSalesforceConnector>[0]> = {}): CrmConnector =>
  createSalesforceConnector({
    instanceUrl: sb.url,
    loginUrl: sb.url,
    apiVersion: '62.0',
    auth: { method: 'jwt', clientId: sb.credentials.clientId, username: sb.credentials.username, privateKeyPem: sb.credentials.privateKeyPem },
    rate,
    budget: { warnAt: 0.8, pauseAt: 0.95 },
    ...over,
  });

const FIELDS = ['Name', 'StageName', 'Amount', 'Account.BillingCountry', 'Referral_Id__c', 'Sync_with_Partner_Center__c'];

beforeAll(async () => {
  sb = await startSalesforceSandbox({ certDir: '.cosell/test-certs/salesforce' });
});
afterAll(async () => {
  await sb.close();
});

/** Until the current second is over: with no lookback, only seconds before the current one are final. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));

async function collect(c: CrmConnector, cursor: string | null, pageSize = 700) {
  const pages = [];
  for await (const p of c.pull(cursor, { fields: FIELDS, eligibility: { flagField: 'Sync_with_Partner_Center__c', linkedField: 'Referral_Id__c' }, pageSize })) pages.push(p);
  return pages;
}

describe('salesforce connector', () => {
  it('pulls 5,000 records in pages with SystemModstamp ties, resumes from a mid-run cursor, and misses nothing written between pages', async () => {
    const account = sb.org.insert('Account', { Name: 'Contoso', BillingCountry: 'Netherlands' });
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      ids.push(
        sb.org.insert('Opportunity', { Name: `Deal ${i}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: account, Sync_with_Partner_Center__c: i % 10 !== 0 }),
      );
    }
    const c = connector({ lookbackSeconds: 0 });
    await nextSecond();
    const pages = await collect(c, null);
    const seen = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(seen.length).toBe(4500);
    expect(new Set(seen).size).toBe(4500);
    expect(pages.length).toBe(Math.ceil(4500 / 700));
    expect(pages[0]!.records[0]!.fields).toMatchObject({ Account: { BillingCountry: 'Netherlands' } });

    // Resume from the third page's cursor while records change: only what is new or after the boundary comes back.
    const cursor = pages[2]!.cursor!;
    const done = new Set(pages.slice(0, 3).flatMap((p) => p.records.map((r) => r.id)));
    sb.org.update('Opportunity', ids[1]!, { Amount: 5 });
    const resumed = (await collect(c, cursor)).flatMap((p) => p.records.map((r) => r.id));
    expect(new Set(resumed).size).toBe(resumed.length);
    const missing = seen.filter((id) => !done.has(id) && !resumed.includes(id));
    expect(missing).toEqual([]);
    expect(resumed).toContain(ids[1]);
    expect(resumed.filter((id) => done.has(id) && id !== ids[1])).toEqual([]);

    // Deletes come back through queryAll.
    sb.org.remove('Opportunity', ids[2]!);
    const last = pages.at(-1)!.cursor;
    const after = (await collect(c, last)).flatMap((p) => p.records);
    expect(after.find((r) => r.id === ids[2])?.deleted).toBe(true);
  });

  it('a bulk load — thousands of records in one second — keeps every page cursor small, and resuming from any page reads exactly the rest', async () => {
    const account = sb.org.insert('Account', { Name: 'Bulk Loaded', BillingCountry: 'NL' });
    const from = Date.now();
    const ids = Array.from({ length: 3000 }, (_, i) =>
      sb.org.insert('Opportunity', { Name: `Bulk ${i}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: account, Sync_with_Partner_Center__c: true }),
    );
    const stamps = new Set(ids.map((id) => sb.org.get('Opportunity', id).SystemModstamp));
    expect(stamps.size).toBeLessThanOrEqual(3);
    await nextSecond();
    const c = connector({ lookbackSeconds: 0 });
    const pages = await collect(c, JSON.stringify({ ts: Math.floor(from / 1000) * 1000 }));
    const order = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(order.filter((id) => ids.includes(id))).toEqual(ids);
    for (const [i, page] of pages.entries()) {
      expect(page.cursor!.length).toBeLessThan(80);
      const rest = (await collect(c, page.cursor)).flatMap((p) => p.records.map((r) => r.id));
      expect(rest).toEqual(order.slice(pages.slice(0, i + 1).reduce((n, p) => n + p.records.length, 0)));
    }
  });

  it('the lookback re-reads recent changes once (late commits), then an idle pull reads nothing at all', async () => {
    const account = sb.org.insert('Account', { Name: 'Lookback Ltd', BillingCountry: 'NL' });
    // A busy second: many records share one SystemModstamp.
    const ids = Array.from({ length: 300 }, (_, i) =>
      sb.org.insert('Opportunity', { Name: `Recent ${i}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: account, Sync_with_Partner_Center__c: true }),
    );
    const c = connector({ lookbackSeconds: 2 });
    const first = await collect(c, null);
    const cursor = first.at(-1)!.cursor;
    // Within the lookback window the recent records come back (the engine skips them by their version)…
    expect((await collect(c, cursor)).flatMap((p) => p.records.map((r) => r.id))).toEqual(expect.arrayContaining(ids));
    await new Promise((r) => setTimeout(r, 3100));
    // …once the window has passed, a pull moves the cursor past them, and the next pulls neither yield nor
    // re-read the busy second.
    const later = await collect(c, cursor);
    const served = sb.stats().recordsServed;
    const idle = await collect(c, later.at(-1)?.cursor ?? cursor);
    expect(idle.flatMap((p) => p.records)).toEqual([]);
    expect(sb.stats().recordsServed - served).toBe(0);
  });

  it('writes back 450 records in 3 collection calls; one bad record fails alone', async () => {
    const account = sb.org.insert('Account', { Name: 'Fabrikam', BillingCountry: 'US' });
    const ids = Array.from({ length: 450 }, (_, i) => sb.org.insert('Opportunity', { Name: `W${i}`, StageName: 'Prospecting', CloseDate: '2027-01-01', AccountId: account }));
    const c = connector();
    const before = sb.stats().byEndpoint['PATCH /services/data/:version/composite/sobjects'] ?? 0;
    const results = await c.writeBack(ids.map((id, i) => ({ id, fields: i === 7 ? { StageName: 'Not A Stage' } : { Referral_Id__c: `ref-${i}` } })));
    expect((sb.stats().byEndpoint['PATCH /services/data/:version/composite/sobjects'] ?? 0) - before).toBe(3);
    expect(results.filter((r) => r.ok)).toHaveLength(449);
    expect(results[7]).toMatchObject({ id: ids[7], ok: false, code: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
    expect(sb.org.get('Opportunity', ids[8]!).Referral_Id__c).toBe('ref-8');
  });

  it('creates records with per-record outcomes and finds them by a field', async () => {
    const c = connector();
    const res = await c.create([
      { ref: 'a', fields: { Name: 'Inbound A', StageName: 'Microsoft Referral – On Hold', CloseDate: '2027-02-01', Referral_Id__c: 'ref-a' } },
      { ref: 'b', fields: { Name: 'Inbound B', CloseDate: '2027-02-01' } },
    ]);
    expect(res[0]).toMatchObject({ ok: true, ref: 'a' });
    expect(res[1]).toMatchObject({ ok: false, ref: 'b', code: 'REQUIRED_FIELD_MISSING' });
    const found = await c.findBy('Referral_Id__c', ['ref-a'], ['Name']);
    expect(found.map((r) => r.fields.Name)).toEqual(['Inbound A']);
  });

  it('escapes every value placed in SOQL', async () => {
    const c = connector();
    const nasty = `O'Brien's "Deal" \\ ' OR Name != '`;
    sb.org.insert('Opportunity', { Name: nasty, StageName: 'Prospecting', CloseDate: '2027-01-01', Referral_Id__c: nasty });
    const found = await c.findBy('Referral_Id__c', [nasty], ['Name']);
    expect(found.map((r) => r.fields.Name)).toEqual([nasty]);
    expect(await c.findBy('Referral_Id__c', ["x' OR Name != 'y"], ['Name'])).toEqual([]);
  });

  it('refreshes an expired session exactly once and carries on', async () => {
    const c = connector();
    await c.describeFields();
    sb.expireTokens();
    const stages = await c.describeStages();
    expect(stages.find((s) => s.value === 'Closed Won')).toMatchObject({ isClosed: true, isWon: true, probability: 100, field: 'StageName' });
  });

  it('wrong credentials give an AuthError naming the user, not the secret', async () => {
    const c = connector({
      auth: { method: 'password', clientId: sb.credentials.clientId, clientSecret: sb.credentials.clientSecret, username: sb.credentials.username, password: 'wrong-password-123' },
    });
    const err = await c.describeFields().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(String((err as Error).message)).toContain(sb.credentials.username);
    expect(String((err as Error).message)).not.toContain('wrong-password-123');
  });

  it('a spent daily API budget pauses the connector with a clear error instead of crashing', async () => {
    const small = await startSalesforceSandbox({ dailyApiLimit: 5, certDir: '.cosell/test-certs/salesforce' });
    try {
      const c = createSalesforceConnector({
        instanceUrl: small.url,
        apiVersion: '62.0',
        auth: { method: 'jwt', clientId: small.credentials.clientId, username: small.credentials.username, privateKeyPem: small.credentials.privateKeyPem },
        rate,
        budget: { warnAt: 0.5, pauseAt: 0.8 },
      });
      const errors: unknown[] = [];
      for (let i = 0; i < 8; i++) await c.describeFields().catch((e: unknown) => errors.push(e));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e instanceof BudgetExhaustedError)).toBe(true);
      expect(c.usage()).toMatchObject({ max: 5 });
    } finally {
      await small.close();
    }
  });
});
