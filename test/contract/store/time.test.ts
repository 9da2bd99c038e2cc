/**
 * Rules that depend on the store clock, driven with `POST /_admin/clock`: the 14-day expiry of unanswered
 * referrals (§4) and Microsoft sellers' decisions on co-sell invitations within the window (§1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coSellDeal, replace, START, startTestStore, type Client, type TestStore } from './store-harness.js';

let t: TestStore;
beforeAll(async () => {
  // Microsoft's sellers accept every invitation two days after it arrives.
  t = await startTestStore({ microsoftActor: { enabled: true, acceptRate: 1, decisionDays: 2, seed: 3 } });
});
afterAll(async () => t.close());

const advance = (days: number) => t.admin.post('/_admin/clock', { advanceDays: days });
const get = (api: Client, id: string) => api.get(`/referrals/${id}`).then((r) => r.body);
const related = (engagementId: string) => t.api.get(`/referrals?$filter=${encodeURIComponent(`engagementId eq '${engagementId}'`)}`).then((r) => r.body.value as any[]);
const lastEventId = async () => (await t.admin.get('/_admin/events?after=0&limit=1000')).body.lastId as number;

describe('§4 a referral nobody answers expires after 14 days (store clock)', () => {
  it('New after 13 days, Closed/Expired at 14; the sender (Microsoft) is notified; then terminal', async () => {
    const clock0 = (await t.admin.get('/_admin/clock')).body.now;
    expect(new Date(clock0).getTime()).toBeGreaterThanOrEqual(new Date(START).getTime());
    const inbound = (await t.admin.post('/_admin/microsoft/referrals', {})).body;
    const mark = await lastEventId();
    await advance(13);
    expect((await get(t.api, inbound.id)).status).toBe('New');
    const moved = await advance(1);
    expect(new Date(moved.body.now).getTime() - new Date(clock0).getTime()).toBeGreaterThanOrEqual(14 * 86_400_000);
    const expired = await get(t.api, inbound.id);
    expect(expired).toMatchObject({ status: 'Closed', substatus: 'Expired' });
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    const toSender = events.find((e: any) => e.EventName === 'related-referral-updated' && e.organizationId === 'msft');
    expect(toSender.recipients).toEqual([{ role: 'sender', organizationId: 'msft' }]);
    const late = await t.api.patch(`/referrals/${inbound.id}`, [replace('/status', 'Active')]);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('terminalState');
  });
});

describe('Microsoft sends a referral (admin)', () => {
  it('takes customer, value and close date (with sensible defaults) and validates them', async () => {
    const r = await t.admin.post('/_admin/microsoft/referrals', { customer: 'Northwind Health', value: 12345, closeDate: '2026-08-01' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      customerProfile: expect.objectContaining({ name: 'Northwind Health' }),
      details: expect.objectContaining({ dealValue: 12345, closingDateTime: '2026-08-01T00:00:00.000Z' }),
    });
    const bad = await t.admin.post('/_admin/microsoft/referrals', { customer: { name: 'X', country: 'XX' }, currency: 'ABC' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.target)).toEqual(expect.arrayContaining(['customerProfile.address.country', 'details.currency']));
    const unknownOrg = await t.admin.post('/_admin/microsoft/referrals', { organizationId: 'nobody' });
    expect(unknownOrg.status).toBe(400);
  });
});

describe('§1 Microsoft sellers decide on co-sell invitations within the window', () => {
  it('the actor accepts after decisionDays: msft referral Active, microsoftMsxId on the partner referral', async () => {
    const r = (await t.api.post('/referrals', coSellDeal())).body;
    await advance(1);
    expect((await get(t.api, r.id)).trackingInfo?.microsoftMsxId ?? null).toBeNull();
    const mark = await lastEventId();
    await advance(1);
    const after = await get(t.api, r.id);
    expect(after.trackingInfo.microsoftMsxId).toMatch(/^MSX-/);
    const ms = (await related(r.engagementId)).find((x) => x.organizationId === 'msft');
    expect(ms).toMatchObject({ status: 'Active', substatus: 'Accepted' });
    expect(ms.trackingInfo.microsoftMsxId).toBe(after.trackingInfo.microsoftMsxId);
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    expect(events.some((e: any) => e.EventName === 'referral-updated' && e.organizationId === t.store.defaultOrgId)).toBe(true);
  });

  it('a forced decline: msft side Closed/Declined, the partner notified as the sender, its deal unchanged', async () => {
    const r = (await t.api.post('/referrals', coSellDeal())).body;
    const mark = await lastEventId();
    const d = await t.admin.post('/_admin/microsoft/decisions', { engagementId: r.engagementId, decision: 'decline', reason: 'No seller capacity' });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ organizationId: 'msft', status: 'Closed', substatus: 'Declined', statusReason: 'No seller capacity' });
    expect((await get(t.api, r.id)).status).toBe('Active');
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    const told = events.find((e: any) => e.EventName === 'related-referral-updated' && e.organizationId === t.store.defaultOrgId);
    expect(told.recipients).toEqual([{ role: 'sender', organizationId: t.store.defaultOrgId }]);
    const again = await t.admin.post('/_admin/microsoft/decisions', { referralId: d.body.id, decision: 'accept' });
    expect(again.status).toBe(409);
  });

  it('a forced accept by referral id works before the policy would decide', async () => {
    const r = (await t.api.post('/referrals', coSellDeal())).body;
    const ms = (await related(r.engagementId)).find((x) => x.organizationId === 'msft');
    const d = await t.admin.post('/_admin/microsoft/decisions', { referralId: ms.id, decision: 'accept' });
    expect(d.body.status).toBe('Active');
    expect((await get(t.api, r.id)).trackingInfo.microsoftMsxId).toBe(d.body.trackingInfo.microsoftMsxId);
  });

  it('handle.clock.advanceDays and tick() do the same programmatically', async () => {
    const r = (await t.api.post('/referrals', coSellDeal())).body;
    await t.store.clock.advanceDays(2);
    expect((await get(t.api, r.id)).trackingInfo.microsoftMsxId).toMatch(/^MSX-/);
    await t.store.tick();
  });
});
