/**
 * Deal registration in the store (cosell-rules §6, issue 17): eligibility and every refusal, the review on the
 * store clock (pending → actionRequired → passed | failed → approved), the admin-forced outcomes, and the
 * milestone mirrored onto the Won referral without any other change to it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coSellDeal, deal, replace, startTestStore, type Client, type TestStore } from './store-harness.js';

let t: TestStore;
beforeEach(async () => {
  t = await startTestStore();
});
afterEach(async () => t.close());

const AZ = { id: 'SOL-AZ-001', name: 'Azure Migration' };
const M365 = { id: 'SOL-M365-020', name: 'Modern Workplace' };
const withSolutions = (solutions: unknown[]) => ({
  details: { notes: 'n', dealValue: 50000, currency: 'USD', closingDateTime: '2026-06-30T00:00:00Z', requirements: { solutions } },
});
const advance = (days: number) => t.admin.post('/_admin/clock', { advanceDays: days });
const win = (api: Client, id: string) => api.patch(`/referrals/${id}`, [replace('/status', 'Closed'), replace('/substatus', 'Won')], { Prefer: 'return=representation' });
const register = (id: string, body: Record<string, unknown> = { customerContractName: 'Contoso Customer, Inc.', solutionId: AZ.id }, api = t.api) =>
  api.post(`/referrals/${id}/registrations`, body);
const regOf = async (id: string) => (await t.api.get(`/referrals/${id}/registrations`)).body.value[0];
const force = (registrationId: string, outcome: string, reason?: string) =>
  t.admin.post('/_admin/microsoft/registrations', { registrationId, outcome, ...(reason ? { reason } : {}) });

/** A co-sell deal with an Azure IP co-sell solution, accepted by Microsoft, Won after `daysBeforeWon` days. */
async function wonCoSell(daysBeforeWon = 4, solutions: unknown[] = [AZ]): Promise<any> {
  const c = await t.api.post('/referrals', coSellDeal(withSolutions(solutions)));
  expect(c.status).toBe(201);
  const d = await t.admin.post('/_admin/microsoft/decisions', { engagementId: c.body.engagementId, decision: 'accept' });
  expect(d.status).toBe(200);
  if (daysBeforeWon) await advance(daysBeforeWon);
  const w = await win(t.api, c.body.id);
  expect(w.body).toMatchObject({ status: 'Closed', substatus: 'Won' });
  return w.body;
}

describe('§6 registering an eligible deal', () => {
  it('a Won co-sell deal with an IP-incentive solution: 201 pending, Location, the milestone on the referral, a referral-updated event', async () => {
    const won = await wonCoSell();
    const before = (await t.admin.get('/_admin/events?after=0&limit=1000')).body.lastId;
    const etagBefore = (await t.api.get(`/referrals/${won.id}`)).headers.get('etag');
    const r = await register(won.id);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      referralId: won.id,
      status: 'pending',
      customerContractName: 'Contoso Customer, Inc.',
      solution: { id: AZ.id, incentiveProgram: 'AzureIpCoSell' },
      warnings: [],
      closedDateTime: null,
    });
    expect(r.headers.get('location')).toBe(`${t.store.url}/referrals/${won.id}/registrations/${r.body.id}`);
    expect((await t.api.get(`/referrals/${won.id}/registrations/${r.body.id}`)).body).toEqual(r.body);

    const after = await t.api.get(`/referrals/${won.id}`);
    expect(after.body.registrations).toEqual([r.body]);
    expect(after.headers.get('etag')).not.toBe(etagBefore);
    expect(after.body).toMatchObject({ status: 'Closed', substatus: 'Won', salesStage: won.salesStage, name: won.name });
    const events = (await t.admin.get(`/_admin/events?after=${before}&organizationId=${t.store.defaultOrgId}`)).body.value;
    expect(events.map((e: any) => [e.EventName, e.ResourceUri])).toContainEqual(['referral-updated', `${t.store.url}/referrals/${won.id}`]);
  });

  it('a Won less than 72 hours after creation is accepted with a warning in the answer', async () => {
    const won = await wonCoSell(0);
    const r = await register(won.id);
    expect(r.status).toBe(201);
    expect(r.body.warnings).toEqual([expect.objectContaining({ code: 'wonTooSoon', message: expect.stringContaining('72 hours') })]);
  });

  it('a partner-led deal (visible to Microsoft, no help asked) is eligible too', async () => {
    const c = await t.api.post('/referrals', deal({ ...withSolutions([AZ]), consent: { consentToShareInfoWithOthers: true, consentToShareReferralWithMicrosoftSellers: true } }));
    expect(c.body.dealType).toBe('partner-led');
    await advance(4);
    await win(t.api, c.body.id);
    expect((await register(c.body.id)).status).toBe(201);
  });
});

describe('§6 refusals', () => {
  it('a private deal: 409 notEligible naming the deal type', async () => {
    const c = await t.api.post('/referrals', deal(withSolutions([AZ])));
    await win(t.api, c.body.id);
    const r = await register(c.body.id);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'notEligible', message: expect.stringContaining('this one is private') });
  });

  it('no incentive-eligible solution: 409 notEligible', async () => {
    const won = await wonCoSell(4, [M365]);
    const r = await register(won.id, { customerContractName: 'Contoso Customer Inc', solutionId: M365.id });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'notEligible', message: expect.stringContaining('no incentive-eligible solution') });
  });

  it('not Won yet: 409 notEligible', async () => {
    const c = await t.api.post('/referrals', coSellDeal(withSolutions([AZ])));
    const r = await register(c.body.id);
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('must be Won');
  });

  it('the named solution is not incentive-eligible (the deal has another that is): 409 naming the solution', async () => {
    const won = await wonCoSell(4, [AZ, M365]);
    const r = await register(won.id, { customerContractName: 'Contoso Customer Inc', solutionId: M365.id });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'notEligible', target: 'solutionId', message: expect.stringContaining(M365.id) });
  });

  it('a solution that is not on the deal, or a missing contract name: 400 naming the field; nothing is recorded', async () => {
    const won = await wonCoSell();
    const a = await register(won.id, { customerContractName: 'Contoso Customer Inc', solutionId: 'SOL-NOPE' });
    expect(a.status).toBe(400);
    expect(a.body.error).toMatchObject({ target: 'solutionId', message: expect.stringContaining('SOL-NOPE') });
    const b = await register(won.id, { solutionId: AZ.id, extra: 1 });
    expect(b.status).toBe(400);
    expect(b.body.error.details.map((d: any) => d.target).sort()).toEqual(['customerContractName', 'extra']);
    expect((await t.api.get(`/referrals/${won.id}/registrations`)).body.value).toEqual([]);
    expect((await t.api.get(`/referrals/${won.id}`)).body.registrations ?? null).toBeNull();
  });

  it('a second registration of the same deal: 409 alreadyRegistered', async () => {
    const won = await wonCoSell();
    expect((await register(won.id)).status).toBe(201);
    const again = await register(won.id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('alreadyRegistered');
  });

  it("another organization's deal is 404; no key is 401", async () => {
    const won = await wonCoSell();
    const other = await t.partner('Fabrikam');
    expect((await register(won.id, undefined, other.api)).status).toBe(404);
    const anon = await fetch(`${t.store.url}/referrals/${won.id}/registrations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anon.status).toBe(401);
  });
});

describe('§6 review on the store clock', () => {
  it('contract name matches: pending → passed after 2 days → approved a day later, closed, on the referral too', async () => {
    const won = await wonCoSell();
    const reg = (await register(won.id)).body;
    await advance(1);
    expect((await regOf(won.id)).status).toBe('pending');
    await advance(1);
    expect((await regOf(won.id)).status).toBe('passed');
    await advance(1);
    const done = await regOf(won.id);
    expect(done).toMatchObject({ id: reg.id, status: 'approved', statusReason: null });
    expect(done.closedDateTime).not.toBeNull();
    expect(done.history.map((h: any) => h.status)).toEqual(['pending', 'passed', 'approved']);
    const ref = (await t.api.get(`/referrals/${won.id}`)).body;
    expect(ref.registrations[0]).toMatchObject({ status: 'approved' });
    expect(ref).toMatchObject({ status: 'Closed', substatus: 'Won' });
  });

  it('contract name differs: actionRequired with the reason; the answer sends it back to review; then passed → approved', async () => {
    const won = await wonCoSell();
    const reg = (await register(won.id, { customerContractName: 'Someone Else Ltd', solutionId: AZ.id })).body;
    await advance(2);
    const asked = await regOf(won.id);
    expect(asked).toMatchObject({ status: 'actionRequired', statusReason: expect.stringContaining("'Someone Else Ltd'") });
    const answer = await t.api.post(`/referrals/${won.id}/registrations/${reg.id}/responses`, { customerContractName: 'Contoso Customer Inc.' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'pending', customerContractName: 'Contoso Customer Inc.' });
    await advance(2);
    expect((await regOf(won.id)).status).toBe('passed');
    await advance(1);
    expect((await regOf(won.id)).history.map((h: any) => h.status)).toEqual(['pending', 'actionRequired', 'pending', 'passed', 'approved']);
  });

  it('action required and no answer within 14 days: failed, closed, final', async () => {
    const won = await wonCoSell();
    const reg = (await register(won.id, { customerContractName: 'Someone Else Ltd', solutionId: AZ.id })).body;
    await advance(2);
    await advance(13);
    expect((await regOf(won.id)).status).toBe('actionRequired');
    await advance(1);
    const failed = await regOf(won.id);
    expect(failed).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('14 days') });
    expect(failed.closedDateTime).not.toBeNull();
    const late = await t.api.post(`/referrals/${won.id}/registrations/${reg.id}/responses`, { notes: 'sorry, here it is' });
    expect(late.status).toBe(409);
    expect((await register(won.id)).status).toBe(409);
  });
});

describe('§6 admin-forced outcomes and refused moves', () => {
  it('each outcome can be forced; moves the review does not allow are 409', async () => {
    const won = await wonCoSell();
    const reg = (await register(won.id)).body;
    expect((await force(reg.id, 'approved')).body.error.code).toBe('invalidTransition');
    const ar = await force(reg.id, 'actionRequired', 'attach the signed contract');
    expect(ar.body).toMatchObject({ status: 'actionRequired', statusReason: 'attach the signed contract' });
    expect((await force(reg.id, 'passed')).status).toBe(409);
    expect((await t.api.post(`/referrals/${won.id}/registrations/${reg.id}/responses`, { notes: 'attached' })).body.status).toBe('pending');
    expect((await force(reg.id, 'passed')).body.status).toBe('passed');
    expect((await force(reg.id, 'failed')).status).toBe(409);
    const approved = await t.admin.post('/_admin/microsoft/registrations', { referralId: won.id, outcome: 'approved' });
    expect(approved.body).toMatchObject({ status: 'approved' });
    const reopen = await force(reg.id, 'pending');
    expect(reopen.status).toBe(409);
    expect(reopen.body.error.code).toBe('terminalState');
  });

  it('pending → failed can be forced; an answer to a registration that needs no action is 409', async () => {
    const won = await wonCoSell();
    const reg = (await register(won.id)).body;
    expect((await t.api.post(`/referrals/${won.id}/registrations/${reg.id}/responses`, { notes: 'x' })).status).toBe(409);
    expect((await force(reg.id, 'failed', 'contract not signed')).body).toMatchObject({ status: 'failed', statusReason: 'contract not signed' });
  });

  it('an organization key cannot force outcomes; an unknown registration is 404', async () => {
    expect((await t.api.post(`${t.store.origin}/_admin/microsoft/registrations`, { registrationId: 'x', outcome: 'passed' })).status).toBe(403);
    expect((await force('nope', 'passed')).status).toBe(404);
  });

  it('the incentive catalogue is the admin’s: a solution made eligible can then be registered', async () => {
    const won = await wonCoSell(4, [M365]);
    expect((await register(won.id, { customerContractName: 'Contoso Customer Inc', solutionId: M365.id })).status).toBe(409);
    const put = await t.admin.req('PUT', `/_admin/solutions/${M365.id}`, { incentiveProgram: 'BusinessApplicationsPremier' });
    expect(put.status).toBe(200);
    const r = await register(won.id, { customerContractName: 'Contoso Customer Inc', solutionId: M365.id });
    expect(r.status).toBe(201);
    expect(r.body.solution.incentiveProgram).toBe('BusinessApplicationsPremier');
    expect((await t.admin.req('PUT', `/_admin/solutions/${M365.id}`, { incentiveProgram: 'Bogus' })).status).toBe(400);
  });
});

describe('§6 a registered deal stays Won and closed to edits', () => {
  it('registration never reopens the deal: a PATCH is still 409 terminalState', async () => {
    const won = await wonCoSell();
    await register(won.id);
    const p = await t.api.patch(`/referrals/${won.id}`, [replace('/name', 'renamed')]);
    expect(p.status).toBe(409);
    expect(p.body.error.code).toBe('terminalState');
  });
});
