/**
 * End-to-end scenarios over HTTP, for both CRMs: the sandbox, the real connector, the referrals client, the
 * embedded store, the mapping and the engine — what a rep and an admin see.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type CrmKind, type Stack } from './stack.js';

describe.each<CrmKind>(['salesforce', 'dynamics365'])('%s ⇄ referral store', (kind) => {
  let s: Stack;
  beforeEach(async () => {
    s = await startStack(kind);
  });
  afterEach(async () => {
    await s.close();
  });

  it('a new eligible opportunity becomes an outbound referral with the mapped stage and percent', async () => {
    const id = s.crm.create({ stage: 'Develop' });
    const skipped = s.crm.create({ sync: false, name: 'Not shared' });
    const c = await s.sync();
    expect(c.counts.created).toBe(1);
    const r = await s.referralFor(id);
    expect([r.direction, r.status, r.substatus, r.salesStage]).toEqual(['Outgoing', 'Active', 'Accepted', 'Develop']);
    expect(r.details?.dealValue).toBe(12_500);
    expect(s.crm.field(id, 'referralId')).toBe(r.id);
    expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^✔ synced/);
    await expect(s.referralFor(skipped)).rejects.toThrow(/no referral/);
  });

  it('amount, close date, notes and team changes flow to the referral', async () => {
    const id = s.crm.create();
    await s.sync();
    s.crm.setAmount(id, 40_000);
    s.crm.setCloseDate(id, '2027-06-30');
    s.crm.setNotes(id, 'Workshop booked');
    s.crm.setOwner(id, { first: 'Bo', last: 'Berg', email: 'bo@partner.example', phone: '+46 8 555 0101' });
    const c = await s.sync();
    expect(c.counts.updated).toBe(1);
    const r = await s.referralFor(id);
    expect(r.details?.dealValue).toBe(40_000);
    expect(r.details?.closingDateTime?.slice(0, 10)).toBe('2027-06-30');
    expect(r.details?.notes).toBe('Workshop booked');
    expect(r.team?.map((m) => m.email)).toEqual(['bo@partner.example']);
  });

  it('a private deal upgraded to co-sell by a CRM field invites Microsoft; Microsoft accepts and the rep sees it', async () => {
    const id = s.crm.create();
    await s.sync();
    expect((await s.referralFor(id)).dealType).toBe('private');
    s.crm.requestHelp(id);
    await s.sync();
    const r = await s.referralFor(id);
    expect(r.type).toBe('Shared');
    expect(r.dealType).toBe('co-sell');
    const related = await s.client.related(r.engagementId!);
    expect(related.length).toBeGreaterThanOrEqual(1);
    await s.admin('microsoft/decisions', { engagementId: r.engagementId, decision: 'accept' });
    await s.sync();
    const msx = s.crm.field(id, 'msxId');
    expect(typeof msx === 'string' && msx.length > 0).toBe(true);
    expect(msx).toBe((await s.referralFor(id)).trackingInfo?.microsoftMsxId);
  });

  it('a jump from an early stage to won completes the stages and wins; afterwards an amount edit is blocked and explained', async () => {
    const id = s.crm.create({ stage: 'Qualify' });
    await s.sync();
    s.crm.win(id);
    await s.sync();
    const won = await s.referralFor(id);
    expect([won.status, won.substatus]).toEqual(['Closed', 'Won']);
    expect((won.stageHistory ?? []).map((h) => h.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    const patchesBefore = s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0;
    s.crm.editAfterClose(id, 1);
    const c = await s.sync();
    expect(c.counts.blocked).toBe(1);
    expect(s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0).toBe(patchesBefore);
    expect((await s.referralFor(id)).details?.dealValue).toBe(12_500);
    expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^✖ blocked: the referral is Won: no edit of any kind/);
    expect((await s.state.linkCounts(kind)).blocked).toBe(1);
  });

  it('Lost carries the reason from the CRM', async () => {
    const id = s.crm.create({ stage: 'Propose' });
    await s.sync();
    s.crm.lose(id, 'Competitor');
    await s.sync();
    const r = await s.referralFor(id);
    expect([r.status, r.substatus, r.statusReason]).toEqual(['Closed', 'Lost', 'Competitor']);
  });

  it('inbound Microsoft referrals: one accepted by a stage move, one declined, one expiring after 14 days — each visible in the CRM', async () => {
    const send = async (name: string) => String((await s.admin('microsoft/referrals', { name })).id);
    const [a, b, c] = [await send('Inbound A'), await send('Inbound B'), await send('Inbound C')];
    const cycle = await s.sync();
    expect(cycle.counts.createdInCrm).toBe(3);
    const oa = s.crm.withReferral(a)!;
    const ob = s.crm.withReferral(b)!;
    const oc = s.crm.withReferral(c)!;
    for (const o of [oa, ob, oc]) expect(s.crm.field(o, 'substatus')).toBe('Pending');

    s.crm.setStage(oa, 'Qualify');
    s.crm.decline(ob, 'No capacity this quarter');
    await s.sync();
    const ra = (await s.client.read(a))!.referral;
    const rb = (await s.client.read(b))!.referral;
    expect([ra.status, ra.substatus, ra.salesStage]).toEqual(['Active', 'Accepted', 'Qualify']);
    expect([rb.status, rb.substatus, rb.statusReason]).toEqual(['Closed', 'Declined', 'No capacity this quarter']);
    expect(s.crm.field(oa, 'status')).toBe('Active');

    await s.admin('clock', { advanceDays: 15 });
    await s.sync();
    expect((await s.client.read(c))!.referral.substatus).toBe('Expired');
    expect(s.crm.field(oc, 'substatus')).toBe('Expired');
  });

  it('an edit on both sides of the same field follows its policy: value crm-wins, notes manual', async () => {
    const id = s.crm.create({ notes: 'start' });
    await s.sync();
    const r = await s.referralFor(id);
    await s.client.patch(
      r.id,
      [
        { op: 'replace', path: '/details/dealValue', value: 99_000 },
        { op: 'replace', path: '/details/notes', value: 'from Partner Center' },
      ],
      r.eTag ?? null,
    );
    s.crm.setAmount(id, 55_000);
    s.crm.setNotes(id, 'from the CRM');
    const c = await s.sync();
    expect(c.counts.conflicts).toBe(1);
    const after = await s.referralFor(id);
    expect(after.details?.dealValue).toBe(55_000);
    expect(after.details?.notes).toBe('from Partner Center');
    const conflicts = await s.state.conflicts(kind);
    expect(conflicts.map((x) => [x.field, x.crmValue, x.referralValue])).toEqual([['notes', 'from the CRM', 'from Partner Center']]);
    expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^✖ conflict on notes/);
  });

  it('a record with a missing country gets a clear ✖ line and the rest of the page syncs', async () => {
    const bad = s.crm.create({ country: null, name: 'Nowhere' });
    const good = s.crm.create({ name: 'Somewhere' });
    const c = await s.sync();
    expect(c.counts.created).toBe(1);
    expect(String(s.crm.field(bad, 'statusLine'))).toMatch(/^✖ customer\.country: .*country.* is empty/i);
    expect(s.crm.field(good, 'referralId')).toBeTruthy();
  });

  it('an opportunity deleted in the CRM closes its referral as Lost (onDelete: close-lost)', async () => {
    const id = s.crm.create();
    await s.sync();
    s.crm.remove(id);
    await s.sync();
    const r = await s.referralFor(id);
    expect([r.status, r.substatus]).toEqual(['Closed', 'Lost']);
    expect(r.statusReason).toMatch(/deleted in the CRM/);
  });

  it('runs idle once everything is in step: no writes on either side', async () => {
    s.crm.create();
    s.crm.create({ name: 'Second' });
    await s.sync();
    await s.sync();
    const patches = s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0;
    const c = await s.sync();
    expect(c.counts).toMatchObject({ created: 0, updated: 0, writtenBack: 0, createdInCrm: 0 });
    expect(s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0).toBe(patches);
  });
});
