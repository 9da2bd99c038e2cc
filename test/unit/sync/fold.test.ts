/**
 * `foldOutcomes`, the pure middle of the page pipeline: each kind of record outcome → what goes to the checkpoint,
 * the CRM updates, the CRM creates and the counts. The mapping is the real compiled Salesforce one.
 */
import { describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../../connectors/index.js';
import type { ReferralFacts } from '../../../src/domain/index.js';
import { compileMapping, loadMapping } from '../../../src/mapping/index.js';
import { foldOutcomes, type Folded, type Settled } from '../../../src/sync/fold.js';
import { emptyOutcome, type RecordOutcome, type RecordWork } from '../../../src/sync/record.js';

const mapping = compileMapping(loadMapping('mappings/salesforce.yaml'));
const at = new Date('2026-11-24T10:00:00.000Z');
const STATUS = 'Cosell_Sync_Status__c';

const record: CrmRecord = {
  id: '006A',
  version: '7',
  modifiedAt: '2026-11-24T09:00:00.000Z',
  deleted: false,
  fields: {
    Name: 'Contoso expansion',
    StageName: 'Needs Analysis',
    Amount: 12500,
    CurrencyIsoCode: 'EUR',
    CloseDate: '2027-03-01',
    Sync_with_Partner_Center__c: true,
    Partner_Center_Solutions__c: 'SOL-AZ-001',
    Account: { Name: 'Contoso', BillingCountry: 'Netherlands', BillingCity: 'Utrecht' },
    Owner: { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example' },
  },
};
const deal = mapping.toDeal(record).deal;
const facts: ReferralFacts = {
  referralId: 'R1',
  engagementId: null,
  status: 'Active',
  substatus: null,
  salesStage: 'Qualify',
  microsoftMsxId: null,
  link: null,
  direction: 'Outgoing',
  eTag: 'e1',
};
const link = {
  crmId: '006A',
  referralId: 'R1',
  base: deal,
  referralSnapshot: deal,
  referralEtag: 'e1',
  crmVersion: '7',
  state: 'ok' as const,
  message: null,
  written: {},
  crmEcho: {},
  direction: 'Outgoing' as const,
};

function outcome(over: Partial<RecordOutcome> = {}): RecordOutcome {
  return { ...emptyOutcome('006A', 'R1'), ...over };
}

const onCrm: RecordWork = { link: null, crmRecord: record, referral: null };
const fold = (settled: Settled[], extra: { pending?: string[]; cursor?: { direction: 'crm'; value: string } } = {}) =>
  foldOutcomes({ connection: 'sf', at, mapping, cursor: extra.cursor ?? null, pending: extra.pending ?? [], settled });

interface Case {
  kind: string;
  settled: Settled;
  expect: (f: Folded) => void;
}

const cases: Case[] = [
  {
    kind: 'a failure: an error issue, queued for retry, counted as an issue',
    settled: { work: onCrm, failure: { key: 'crm:006A', message: 'boom' } },
    expect: (f) => {
      expect(f.checkpoint.issues).toEqual([{ connection: 'sf', recordKey: 'crm:006A', kind: 'error', message: 'boom' }]);
      expect(f.checkpoint.retry).toEqual(['crm:006A']);
      expect(f.issues).toEqual(['crm:006A']);
      expect(f.counts).toEqual({ created: 0, updated: 0, blocked: 0, unchanged: 0 });
      expect(f.checkpoint.clearIssues).toEqual([]);
    },
  },
  {
    kind: 'nothing to do: unchanged, its issue cleared, no write',
    settled: { work: { ...onCrm, link: { ...link, connection: 'sf', updatedAt: '' } }, outcome: outcome() },
    expect: (f) => {
      expect(f.counts.unchanged).toBe(1);
      expect(f.checkpoint.clearIssues).toEqual(['crm:006A']);
      expect(f.updates).toEqual([]);
      expect(f.checkpoint.links).toEqual([]);
    },
  },
  {
    kind: 'a referral created: counted, linked at this time, the id and the ✔ line written back',
    settled: {
      work: onCrm,
      outcome: outcome({
        link,
        crmWrite: { keys: [], facts },
        status: { ok: true, reason: 'synced' },
        counters: { created: 1, updated: 0, blocked: 0 },
        planned: [{ type: 'create-referral', deal }],
      }),
    },
    expect: (f) => {
      expect(f.counts).toEqual({ created: 1, updated: 0, blocked: 0, unchanged: 0 });
      expect(f.checkpoint.links).toEqual([{ ...link, connection: 'sf', updatedAt: at.toISOString() }]);
      expect(f.updates).toHaveLength(1);
      expect(f.updates[0]!.update.id).toBe('006A');
      expect(f.updates[0]!.update.fields).toMatchObject({ Referral_Id__c: 'R1', Referral_Status__c: 'Active' });
      expect(String(f.updates[0]!.update.fields[STATUS])).toMatch(/^✔ synced · /);
    },
  },
  {
    kind: 'write-back facts already on the record: no update at all',
    settled: {
      work: { ...onCrm, crmRecord: { ...record, fields: { ...record.fields, Referral_Id__c: 'R1', Referral_Status__c: 'Active' } } },
      outcome: outcome({ link, crmWrite: { keys: [], facts } }),
    },
    expect: (f) => {
      expect(f.updates).toEqual([]);
      expect(f.checkpoint.links).toHaveLength(1);
    },
  },
  {
    kind: 'a referral-side change: the deal fields it names go to the CRM, with the close',
    settled: { work: onCrm, outcome: outcome({ link: { ...link, base: { ...deal, value: 99 } }, crmWrite: { keys: ['value'], facts: null, close: { outcome: 'won' } } }) },
    expect: (f) => {
      expect(f.updates).toEqual([{ update: { id: '006A', fields: { Amount: 99 }, close: { outcome: 'won' } }, outcome: expect.anything() }]);
    },
  },
  {
    kind: 'a validation problem: a validation issue, not cleared',
    settled: { work: onCrm, outcome: outcome({ problems: [{ path: 'customer.country', message: 'required' }] }) },
    expect: (f) => {
      expect(f.checkpoint.issues).toEqual([{ connection: 'sf', recordKey: 'crm:006A', kind: 'validation', message: 'customer.country: required' }]);
      expect(f.checkpoint.clearIssues).toEqual([]);
      expect(f.issues).toEqual(['crm:006A']);
      expect(f.counts.unchanged).toBe(0);
    },
  },
  {
    kind: 'a refusal by the referrals API: a rejected issue',
    settled: { work: onCrm, outcome: outcome({ rejected: true, problems: [{ path: 'referral', message: 'no' }] }) },
    expect: (f) => expect(f.checkpoint.issues[0]!.kind).toBe('rejected'),
  },
  {
    kind: 'blocked: counted once per record',
    settled: { work: onCrm, outcome: outcome({ blocked: [{ keys: ['value'], reason: 'won' }], counters: { created: 0, updated: 0, blocked: 1 } }) },
    expect: (f) => expect(f.counts).toEqual({ created: 0, updated: 0, blocked: 1, unchanged: 0 }),
  },
  {
    kind: 'a conflict: recorded with the three values, keyed by record and field',
    settled: { work: onCrm, outcome: outcome({ conflicts: [{ key: 'value', base: 1, crm: 2, referral: 3 }] }) },
    expect: (f) => {
      expect(f.checkpoint.conflicts).toEqual([{ connection: 'sf', crmId: '006A', referralId: 'R1', field: 'value', baseValue: 1, crmValue: 2, referralValue: 3 }]);
      expect(f.conflicts).toEqual(['006A:value']);
    },
  },
  {
    kind: 'an unlink: the CRM id unlinked',
    settled: { work: onCrm, outcome: outcome({ unlink: true }) },
    expect: (f) => expect(f.checkpoint.unlink).toEqual(['006A']),
  },
  {
    kind: 'a deleted CRM record: its link is kept, nothing is written to it',
    settled: { work: { ...onCrm, crmRecord: { ...record, deleted: true } }, outcome: outcome({ link, crmWrite: { keys: [], facts }, status: { ok: true, reason: 'synced' } }) },
    expect: (f) => {
      expect(f.checkpoint.links).toHaveLength(1);
      expect(f.updates).toEqual([]);
    },
  },
  {
    kind: 'an inbound referral: a CRM create with the deal, the write-back and a ✔ line; no link until it exists',
    settled: {
      work: { link: null, crmRecord: null, referral: null },
      outcome: outcome({ crmId: null, crmCreate: { deal, facts: { ...facts, direction: 'Incoming' }, echo: {} }, planned: [{ type: 'create-crm', deal }] }),
    },
    expect: (f) => {
      expect(f.creates).toHaveLength(1);
      expect(f.creates[0]!.create.ref).toBe('R1');
      expect(f.creates[0]!.create.fields).toMatchObject({ Name: 'Contoso expansion', Referral_Id__c: 'R1' });
      expect(String(f.creates[0]!.create.fields[STATUS])).toMatch(/^✔ received from Partner Center · /);
      expect(f.checkpoint.links).toEqual([]);
      expect(f.updates).toEqual([]);
      expect(f.checkpoint.clearIssues).toEqual(['referral:R1']);
    },
  },
];

describe('foldOutcomes', () => {
  it.each(cases)('$kind', ({ settled, expect: check }) => check(fold([settled])));

  it("commits the page's cursor and settles the pending creates it announced", () => {
    const f = fold([], { pending: ['create-referral:006A'], cursor: { direction: 'crm', value: 'c2' } });
    expect(f.checkpoint.cursor).toEqual({ direction: 'crm', value: 'c2' });
    expect(f.checkpoint.pending).toEqual({ remove: ['create-referral:006A'] });
  });

  it('adds up a page: counts over records, issues and conflicts listed for the cycle to count once', () => {
    const f = fold([
      { work: onCrm, outcome: outcome({ counters: { created: 1, updated: 0, blocked: 0 }, planned: [{ type: 'create-referral', deal }] }) },
      { work: onCrm, outcome: outcome({ crmId: '006B', counters: { created: 0, updated: 1, blocked: 0 }, planned: [{ type: 'patch-referral', ops: [], keys: ['value'] }] }) },
      { work: onCrm, outcome: outcome({ crmId: '006C' }) },
      { work: onCrm, failure: { key: 'crm:006D', message: 'x' } },
    ]);
    expect(f.counts).toEqual({ created: 1, updated: 1, blocked: 0, unchanged: 1 });
    expect(f.issues).toEqual(['crm:006D']);
    expect(f.checkpoint.clearIssues).toEqual(['crm:006A', 'crm:006B', 'crm:006C']);
  });
});
