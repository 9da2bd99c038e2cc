/**
 * The sync speaks through the domain's builders (`dealFieldsToCreate`, `buildPatch`): the store must accept
 * exactly what they produce — creates, field edits, stage moves with completions, accept and decline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPatch, dealFieldsToCreate, emptyDealFields, referralSchema, referralToDealFields, type DealFields } from '../../../src/domain/index.js';
import { startTestStore, type TestStore } from './store-harness.js';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => t.close());

const person = (first: string, email: string) => ({ firstName: first, lastName: 'Tester', email, phone: '+1 425 555 0100' });
const fields = (over: Partial<DealFields> = {}): DealFields => ({
  ...emptyDealFields(),
  name: 'Sync-made deal',
  customer: { ...emptyDealFields().customer, name: 'Fabrikam Retail', country: 'NL', city: 'Utrecht', duns: '123456789' },
  contact: person('Cora', 'cora@fabrikam.example'),
  value: 42000,
  currency: 'EUR',
  closeDate: '2026-09-30',
  team: [person('Sam', 'sam@partner.example')],
  solutions: ['SOL-1'],
  ...over,
});

async function apply(id: string, from: DealFields, to: DealFields) {
  const cur = await t.api.get(`/referrals/${id}`);
  return t.api.patch(`/referrals/${id}`, buildPatch(from, to), { 'If-Match': cur.headers.get('etag')!, Prefer: 'return=representation' });
}

describe('the domain builders against the store', () => {
  it('dealFieldsToCreate → 201, and the referral reads back as the same DealFields', async () => {
    const want = fields({ helpType: 'ProofOfConceptOrDemo', visibleToMicrosoft: true });
    const r = await t.api.post('/referrals', dealFieldsToCreate(want, 'CRM-SYNC-1'));
    expect(r.status).toBe(201);
    const got = referralToDealFields(referralSchema.parse(r.body));
    expect({ ...got, stage: want.stage }).toEqual(want);
    expect(r.body.dealType).toBe('co-sell');
  });

  it('buildPatch: field edits, then a jump to Won with the stage completions in order', async () => {
    const base = fields();
    const created = (await t.api.post('/referrals', dealFieldsToCreate(base, 'CRM-SYNC-2'))).body;
    const edited = { ...base, value: 50000, notes: 'bigger', team: [...base.team, person('Kim', 'kim@partner.example')], stage: 'Qualify' as const };
    const r1 = await apply(created.id, base, edited);
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ salesStage: 'Qualify', details: expect.objectContaining({ dealValue: 50000, notes: 'bigger' }) });
    const won = { ...edited, stage: 'Won' as const };
    const r2 = await apply(created.id, edited, won);
    expect(r2.status).toBe(200);
    expect(r2.body).toMatchObject({ status: 'Closed', substatus: 'Won', salesStage: 'Close' });
    expect(r2.body.stageHistory.map((s: { salesStage: string }) => s.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
  });

  it('buildPatch on an inbound referral: on-hold → Develop accepts it; another one declined with a reason', async () => {
    const inbound = (await t.admin.post('/_admin/microsoft/referrals', {})).body;
    const from = referralToDealFields(referralSchema.parse(inbound));
    expect(from.stage).toBe('on-hold');
    const r = await apply(inbound.id, from, { ...from, stage: 'Develop' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'Active', substatus: 'Accepted', salesStage: 'Develop' });

    const other = (await t.admin.post('/_admin/microsoft/referrals', {})).body;
    const f2 = referralToDealFields(referralSchema.parse(other));
    const d = await apply(other.id, f2, { ...f2, stage: 'declined', statusReason: 'Out of our region' });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ status: 'Closed', substatus: 'Declined', statusReason: 'Out of our region' });
  });

  it('a change to the location that buildPatch would send is refused naming the field', async () => {
    const base = fields();
    const created = (await t.api.post('/referrals', dealFieldsToCreate(base, 'CRM-SYNC-3'))).body;
    const r = await apply(created.id, base, { ...base, customer: { ...base.customer, country: 'BE' } });
    expect(r.status).toBe(400);
    expect(r.body.error.target).toBe('customerProfile.address.country');
  });
});
