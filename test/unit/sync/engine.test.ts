/**
 * The engine against the real referral store over HTTP (real client), with an in-memory CRM: the rules of a
 * cycle — creates, write-backs, echo suppression, blocking after terminal states, inbound referrals, healing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PatchOp } from '../../../src/domain/index.js';
import { compileMapping, loadMapping } from '../../../src/mapping/index.js';
import { apiKeyProvider, createReferralsClient, type ReferralsClient } from '../../../src/partner-center/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../../src/referral-store/index.js';
import { silentLogger, StagesIncompleteError } from '../../../src/runtime/index.js';
import { openSqliteState, type SyncState } from '../../../src/state/index.js';
import { runCycle } from '../../../src/sync/index.js';
import { memoryCrm, type MemoryCrm } from '../../helpers/memory-crm.js';

const mapping = compileMapping(loadMapping('mappings/salesforce.yaml'));

function opp(over: Record<string, unknown> = {}) {
  return {
    Name: 'Contoso expansion',
    StageName: 'Needs Analysis',
    Amount: 12500,
    CurrencyIsoCode: 'EUR',
    CloseDate: '2027-03-01',
    Description: 'first notes',
    Sync_with_Partner_Center__c: true,
    How_can_Microsoft_help__c: 'None',
    Visible_to_Microsoft__c: false,
    Partner_Center_Solutions__c: 'SOL-AZ-001',
    Account: { Name: 'Contoso', BillingCountry: 'Netherlands', BillingCity: 'Utrecht' },
    Owner: { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+31 20 123 4567' },
    ...over,
  };
}

let store: ReferralStoreHandle;
let client: ReferralsClient;
let state: SyncState;
let crm: MemoryCrm;
const dir = () => mkdtempSync(join(tmpdir(), 'cosell-engine-'));

beforeEach(async () => {
  const d = dir();
  store = await startReferralStore({
    dbFile: join(d, 'store.db'),
    apiKey: 'engine-test-key-1',
    adminKey: 'engine-admin-key-1',
    now: '2026-11-24T09:00:00Z',
    microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
  });
  client = createReferralsClient({
    baseUrl: store.url,
    auth: apiKeyProvider(store.apiKey),
    rate: { concurrency: 8, intervalCap: 1000, intervalMs: 1000, timeoutMs: 5000, maxRetries: 2 },
    incremental: { mode: 'filter', overlapSeconds: 0 },
  });
  state = openSqliteState(join(d, 'state.db'));
  crm = memoryCrm();
});
afterEach(async () => {
  await state.close();
  await store.close();
});

const cycle = (extra: { full?: boolean; dryRun?: boolean } = {}) =>
  runCycle({ connection: 'sf', crm, referrals: client, mapping, state, log: silentLogger, correlationId: 'c', pageSize: 50, ...extra });

async function referralFor(crmId: string) {
  const found = await client.findByExternalReference(crmId);
  expect(found, `referral for ${crmId}`).not.toBeNull();
  return found!.referral;
}

describe('sync cycle', () => {
  it('creates a referral for an eligible opportunity with the mapped stage, writes back its id and a ✔ line, then stays idle', async () => {
    crm.put('006A', opp());
    crm.put('006B', opp({ Sync_with_Partner_Center__c: false }));
    const first = await cycle();
    expect(first.counts.created).toBe(1);
    const r = await referralFor('006A');
    expect(r.salesStage).toBe('Qualify');
    expect(r.details?.dealValue).toBe(12500);
    expect(r.customerProfile?.address?.country).toBe('NL');
    const row = crm.rows.get('006A')!.fields;
    expect(row.Referral_Id__c).toBe(r.id);
    expect(row.Referral_Status__c).toBe('Active');
    expect(String(row.Cosell_Sync_Status__c)).toMatch(/^✔ synced · /);
    expect(await client.findByExternalReference('006B')).toBeNull();

    await cycle(); // sees its own write-backs come back
    const writes = crm.writes.length;
    const idle = await cycle();
    expect(idle.counts).toMatchObject({ created: 0, updated: 0, writtenBack: 0 });
    expect(crm.writes.length).toBe(writes);
  });

  it('sends an amount, close date and notes change as one patch and keeps the status line', async () => {
    crm.put('006A', opp());
    await cycle();
    crm.edit('006A', { Amount: 20000, CloseDate: '2027-05-01', Description: 'bigger' });
    const c = await cycle();
    expect(c.counts.updated).toBe(1);
    const r = await referralFor('006A');
    expect([r.details?.dealValue, r.details?.closingDateTime?.slice(0, 10), r.details?.notes]).toEqual([20000, '2027-05-01', 'bigger']);
  });

  it("a referral change written back to the CRM is not read back as the rep's edit in the same cycle", async () => {
    crm.put('006A', opp());
    await cycle();
    await cycle();
    const r = await referralFor('006A');
    // Microsoft's side moves the amount; the cycle writes it to the CRM. Its CRM phase must read the record after
    // that write: a page read before it (the cycle reads the CRM's first page early) would show the old amount
    // as a rep's change and send it back.
    // The rep edits the notes meanwhile, so the record is among the CRM's changes too.
    await client.patch(r.id, [{ op: 'replace', path: '/details/dealValue', value: 30000 }], r.eTag ?? null);
    crm.edit('006A', { Description: 'rep notes' });
    await cycle();
    expect([crm.rows.get('006A')?.fields.Amount, crm.rows.get('006A')?.fields.Description]).toEqual([30000, 'rep notes']);
    const merged = await referralFor('006A');
    expect([merged.details?.dealValue, merged.details?.notes]).toEqual([30000, 'rep notes']);
    // Our own write-back and patch come back once as echoes, then nothing moves.
    await cycle();
    const after = await cycle();
    expect([after.counts.updated, after.counts.writtenBack]).toEqual([0, 0]);
  });

  it('a target that refuses a stage jump (a solution assessment) gets one update per stage, then the Won', async () => {
    // Partner Center and the store refuse a jump on an assessment with 409 stagesIncomplete; this port does so for every deal.
    const refused: number[] = [];
    const stagePatches: string[][] = [];
    const strict = {
      ...client,
      forRun: client.forRun,
      async patch(id: string, ops: PatchOp[], etag: string | null) {
        const stages = ops.filter((o) => o.path === '/salesStage').map((o) => String((o as { value: unknown }).value));
        const wins = ops.some((o) => o.path === '/substatus');
        if (stages.length > 1 || (stages.length && wins)) {
          refused.push(stages.length);
          throw new StagesIncompleteError('a solution assessment completes each sales stage with its own update');
        }
        stagePatches.push(wins ? [...stages, 'Won'] : stages);
        return client.patch(id, ops, etag);
      },
    } as ReferralsClient;
    const strictCycle = () => runCycle({ connection: 'sf', crm, referrals: strict, mapping, state, log: silentLogger, correlationId: 'c', pageSize: 50 });
    crm.put('006A', opp());
    await strictCycle();
    crm.edit('006A', { StageName: 'Closed Won', Amount: 15000 });
    const c = await strictCycle();
    expect(c.counts.issues).toBe(0);
    expect(refused).toEqual([3]);
    expect(stagePatches).toEqual([['Develop'], ['Propose'], ['Close'], ['Won']]);
    const r = await referralFor('006A');
    expect([r.status, r.substatus, r.details?.dealValue]).toEqual(['Closed', 'Won', 15000]);
    expect((r.stageHistory ?? []).map((s) => s.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
  });

  it('a jump to Closed Won completes the skipped stages and wins; a later amount edit is blocked and explained', async () => {
    crm.put('006A', opp());
    await cycle();
    crm.edit('006A', { StageName: 'Closed Won' });
    await cycle();
    let r = await referralFor('006A');
    expect([r.status, r.substatus]).toEqual(['Closed', 'Won']);
    expect((r.stageHistory ?? []).map((s) => s.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    const before = store.stats().requests;
    crm.edit('006A', { Amount: 1 });
    const c = await cycle();
    expect(c.counts.blocked).toBe(1);
    r = await referralFor('006A');
    expect(r.details?.dealValue).toBe(12500);
    expect(String(crm.rows.get('006A')!.fields.Cosell_Sync_Status__c)).toMatch(/^✖ blocked: the referral is Won: no edit of any kind/);
    // Only reads happened: the pull and the lookup above, no PATCH.
    expect(store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0).toBe(1);
    expect(store.stats().requests - before).toBeLessThan(6);
  });

  it('a record with a missing country gets a ✖ line naming the field and the rest of the page syncs', async () => {
    crm.put('006A', opp());
    crm.put('006X', opp({ Account: { Name: 'Nowhere Ltd', BillingCountry: '' } }));
    const c = await cycle();
    expect(c.counts.created).toBe(1);
    expect(c.counts.issues).toBe(1);
    expect(String(crm.rows.get('006X')!.fields.Cosell_Sync_Status__c)).toMatch(/^✖ customer.country: Account.BillingCountry is empty/);
    expect((await state.issues('sf')).map((i) => i.recordKey)).toEqual(['crm:006X']);
  });

  it('an inbound Microsoft referral becomes an on-hold opportunity; leaving on-hold accepts it', async () => {
    const res = await fetch(`${store.origin}/_admin/microsoft/referrals`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${store.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Fabrikam cloud move' }),
    });
    expect(res.status).toBeLessThan(300);
    const c = await cycle();
    expect(c.counts.createdInCrm).toBe(1);
    const [id, row] = [...crm.rows.entries()][0]!;
    expect(row.fields.StageName).toBe('Microsoft Referral – On Hold');
    expect(row.fields.Referral_Substatus__c).toBe('Pending');
    crm.edit(id, {
      StageName: 'Needs Analysis',
      Account: { Name: 'Fabrikam', BillingCountry: 'US' },
      Owner: { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+1 206 555 0100' },
    });
    await cycle();
    expect(await state.issues('sf')).toEqual([]);
    const r = (await client.read(String(row.fields.Referral_Id__c)))!.referral;
    expect([r.status, r.substatus, r.salesStage]).toEqual(['Active', 'Accepted', 'Qualify']);
    expect(crm.rows.get(id)!.fields.Referral_Status__c).toBe('Active');
  });

  it('heals a create that reached the store before a crash: no second referral', async () => {
    crm.put('006A', opp());
    // The crash: the POST landed, the checkpoint did not; the pending marker survived.
    await client.create({
      ...(await import('../../../src/domain/index.js')).dealFieldsToCreate(
        mapping.toDeal({ id: '006A', version: '1', modifiedAt: '', deleted: false, fields: opp() }).deal,
        '006A',
      ),
    });
    await state.checkpoint('sf', { pending: { add: [{ key: 'create-referral:006A', createdAt: 'now' }] } });
    const c = await cycle();
    expect(c.counts.created).toBe(1); // linked to the existing one, counted as settled
    const all: string[] = [];
    for await (const p of client.pull(null)) all.push(...p.referrals.filter((r) => r.externalReferenceId === '006A').map((r) => r.id));
    expect(new Set(all).size).toBe(1);
    expect(crm.rows.get('006A')!.fields.Referral_Id__c).toBe(all[0]);
  });

  it('a page whose commit fails ends the cycle; the next cycle heals that page without a second referral', async () => {
    const ids = ['006A', '006B', '006C', '006D'];
    for (const id of ids) crm.put(id, opp());
    const checkpoint = state.checkpoint.bind(state);
    state.checkpoint = async (connection, cp) => {
      if (cp.links?.some((l) => l.crmId === '006A')) throw new Error('disk full');
      return checkpoint(connection, cp);
    };
    await expect(runCycle({ connection: 'sf', crm, referrals: client, mapping, state, log: silentLogger, correlationId: 'c', pageSize: 2 })).rejects.toThrow(/disk full/);
    // The failed page's creates stay announced: the next cycle looks them up before creating (the store's own
    // refusal of a second externalReferenceId is a second guard, which Partner Center does not promise).
    expect((await state.pendingCreates('sf')).map((p) => p.key).sort()).toEqual(['create-referral:006A', 'create-referral:006B']);
    state.checkpoint = checkpoint;
    await cycle();
    const byCrm = new Map<string, string[]>();
    for await (const p of client.pull(null)) for (const r of p.referrals) byCrm.set(r.externalReferenceId ?? '', [...(byCrm.get(r.externalReferenceId ?? '') ?? []), r.id]);
    for (const id of ids) {
      expect(byCrm.get(id), id).toHaveLength(1);
      expect(crm.rows.get(id)!.fields.Referral_Id__c).toBe(byCrm.get(id)![0]);
    }
    expect(await state.pendingCreates('sf')).toEqual([]);
  });

  it('a failed CRM write-back is an issue and is retried next cycle', async () => {
    crm.put('006A', opp());
    crm.failWritesFor.add('006A');
    const c = await cycle();
    expect(c.counts.issues).toBe(1);
    expect((await state.issues('sf'))[0]?.message).toMatch(/rejected by a validation rule/);
    crm.failWritesFor.clear();
    await cycle();
    expect(crm.rows.get('006A')!.fields.Referral_Id__c).toBeTruthy();
    expect(await state.issues('sf')).toEqual([]);
  });

  it('a dry run plans both sides and writes nothing: no call that writes, no run, no cursor moved, nothing pending', async () => {
    crm.put('006A', opp());
    await cycle();
    await cycle(); // its own write-backs come back
    const linked = await referralFor('006A');
    crm.edit('006A', { Amount: 20000 });
    crm.put('006C', opp({ Name: 'Fabrikam' }));
    await state.requestRetry('sf', ['crm:006A']);
    const before = { writes: crm.writes.length, runs: (await state.lastRuns('sf')).length, cursor: await state.getCursor('sf', 'crm') };

    const dry = await cycle({ dryRun: true });
    expect(dry.planned).toEqual(
      expect.arrayContaining([
        { crmId: '006A', referralId: linked.id, actions: ['patch-referral'], blocked: [], conflicts: [], problems: [] },
        { crmId: '006C', referralId: null, actions: ['create-referral'], blocked: [], conflicts: [], problems: [] },
      ]),
    );
    expect(dry.counts).toMatchObject({ created: 0, updated: 0, writtenBack: 0 });
    expect(crm.writes.length).toBe(before.writes);
    expect((await referralFor('006A')).details?.dealValue).toBe(12500);
    expect(await client.findByExternalReference('006C')).toBeNull();
    expect((await state.lastRuns('sf')).length).toBe(before.runs);
    expect(await state.getCursor('sf', 'crm')).toBe(before.cursor);
    expect(await state.pendingCreates('sf')).toEqual([]);
    expect(await state.takeRetries('sf'), 'the retry queue is left as it was').toEqual(['crm:006A']);

    // What it planned is still there for the real run.
    const real = await cycle();
    expect(real.counts).toMatchObject({ created: 1, updated: 1 });
    expect(real.planned).toEqual([]);
  });
});
