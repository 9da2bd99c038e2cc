/**
 * Every rule of cosell-rules.md, enforced by the running store over HTTP. Section numbers in the describe
 * names point at the rule. Time-dependent rules (expiry, Microsoft's decisions) are in time.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coSellDeal, deal, replace, startTestStore, type Client, type TestStore } from './store-harness.js';

let t: TestStore;
let fabrikam: { id: string; api: Client };
let northwind: { id: string; api: Client };
beforeAll(async () => {
  t = await startTestStore();
  fabrikam = await t.partner('Fabrikam');
  northwind = await t.partner('Northwind');
});
afterAll(async () => t.close());

const related = (api: Client, engagementId: string) => api.get(`/referrals?$filter=${encodeURIComponent(`engagementId eq '${engagementId}'`)}`).then((r) => r.body.value as any[]);
const msftOf = (rows: any[]) => rows.find((r) => r.target?.[0]?.id === 'msft');
const create = async (api: Client, body: Record<string, unknown>) => {
  const r = await api.post('/referrals', body);
  if (r.status !== 201) throw new Error(`create failed: ${JSON.stringify(r.body)}`);
  return r.body;
};
const get = (api: Client, id: string) => api.get(`/referrals/${id}`).then((r) => r.body);
const patch = (api: Client, id: string, ops: unknown[]) => api.patch(`/referrals/${id}`, ops, { Prefer: 'return=representation' });
const invite = (api: Client, engagementId: string, target: string, over: Record<string, unknown> = {}) =>
  api.post('/referrals', {
    engagementId,
    target: [{ type: 'BusinessProfileLocation', id: target }],
    details: { dealValue: 20000, currency: 'EUR', closingDateTime: '2026-05-01T00:00:00Z', notes: 'join us', requirements: { solutions: [{ id: 'SOL-P2P-1' }] } },
    team: [{ firstName: 'Ina', lastName: 'Viter', phoneNumber: '+31 20 555 0101', email: 'ina@contoso.example' }],
    inviteContext: { notes: 'Can you help with the data part?', assistanceRequestCode: 'GeneralOrOther' },
    ...over,
  });
const microsoftSends = (orgId?: string) => t.admin.post('/_admin/microsoft/referrals', { ...(orgId ? { organizationId: orgId } : {}), dealValue: 90000 }).then((r) => r.body);

describe('§1 deal types are derived and stored', () => {
  it('private: no help, not visible to Microsoft → private, no Microsoft invitation', async () => {
    const r = await create(t.api, deal());
    expect(r.dealType).toBe('private');
    expect(msftOf(await related(t.api, r.engagementId))).toBeUndefined();
  });

  it('partner-led: no help, visible to Microsoft sellers → partner-led', async () => {
    const r = await create(t.api, deal({ consent: { consentToShareInfoWithOthers: true, consentToShareReferralWithMicrosoftSellers: true } }));
    expect(r.dealType).toBe('partner-led');
  });

  it('co-sell: a help type → Shared, visible, and the store creates the Microsoft invitation', async () => {
    const r = await create(t.api, coSellDeal());
    expect(r).toMatchObject({ dealType: 'co-sell', type: 'Shared' });
    expect(r.consent.consentToShareReferralWithMicrosoftSellers).toBe(true);
    const ms = msftOf(await related(t.api, r.engagementId));
    expect(ms).toMatchObject({ status: 'New', substatus: 'Pending', direction: 'Incoming', organizationId: 'msft', engagementId: r.engagementId });
    expect(ms.inviteContext.invitedBy.organizationId).toBe(t.store.defaultOrgId);
  });

  it('co-sell: type Shared alone also invites Microsoft', async () => {
    const r = await create(t.api, deal({ type: 'Shared' }));
    expect(r.dealType).toBe('co-sell');
    expect(msftOf(await related(t.api, r.engagementId))).toBeDefined();
  });

  it('co-sell needs a customer contact, shared only with the customer consent', async () => {
    const noContact = await t.api.post('/referrals', coSellDeal({ customerProfile: { name: 'C', address: { country: 'US' } } }));
    expect(noContact.status).toBe(400);
    expect(noContact.body.error.details.map((d: any) => d.target)).toContain('customerProfile.team');
    const noConsent = await t.api.post('/referrals', coSellDeal({ consent: { consentToShareInfoWithOthers: false } }));
    expect(noConsent.status).toBe(400);
    expect(noConsent.body.error.target).toBe('consent.consentToShareInfoWithOthers');
  });

  it('explicit POST targeting msft invites Microsoft once (idempotent)', async () => {
    const r = await create(t.api, deal());
    const first = await invite(t.api, r.engagementId, 'msft');
    expect(first.status).toBe(201);
    const again = await invite(t.api, r.engagementId, 'msft');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await get(t.api, r.id)).dealType).toBe('co-sell');
  });

  it('solution assessment: only vetted partners; exactly one assessment and no other solution', async () => {
    const sa = { id: 'SA-1', name: 'Azure migration assessment', type: 'SolutionAssessment' };
    const details = (solutions: unknown[]) => ({ ...(deal().details as object), requirements: { solutions } });
    const ok = await create(t.api, deal({ details: details([sa]) }));
    expect(ok.dealType).toBe('solution-assessment');
    const notVetted = await fabrikam.api.post('/referrals', deal({ details: details([sa]) }));
    expect(notVetted.status).toBe(400);
    expect(notVetted.body.error.message).toContain('vetted');
    const mixed = await t.api.post('/referrals', deal({ details: details([sa, { id: 'SOL-2' }]) }));
    expect(mixed.status).toBe(400);
  });
});

describe('§2 upgrades and invitations (combinations table)', () => {
  it('private → PATCH a help type → co-sell, Microsoft invited', async () => {
    const r = await create(t.api, deal());
    const up = await patch(t.api, r.id, [replace('/inviteContext/assistanceRequestCode', 'QuotesOrLicensing')]);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ dealType: 'co-sell', type: 'Shared' });
    expect(msftOf(await related(t.api, r.engagementId))).toBeDefined();
  });

  it('private → visibility granted → partner-led; revoking it → 400 naming the field', async () => {
    const r = await create(t.api, deal());
    const up = await patch(t.api, r.id, [replace('/consent/consentToShareReferralWithMicrosoftSellers', true)]);
    expect(up.body.dealType).toBe('partner-led');
    const down = await patch(t.api, r.id, [replace('/consent/consentToShareReferralWithMicrosoftSellers', false)]);
    expect(down.status).toBe(400);
    expect(down.body.error.target).toBe('consent.consentToShareReferralWithMicrosoftSellers');
  });

  it('Shared → Independent is rejected (400 naming type)', async () => {
    const r = await create(t.api, coSellDeal());
    const down = await patch(t.api, r.id, [replace('/type', 'Independent')]);
    expect(down.status).toBe(400);
    expect(down.body.error.target).toBe('type');
  });

  it('private + another partner → P2P; the invitee sees an Incoming New/Pending referral', async () => {
    const r = await create(t.api, deal());
    const inv = await invite(t.api, r.engagementId, fabrikam.id);
    expect(inv.status).toBe(201);
    expect((await get(t.api, r.id)).dealType).toBe('p2p');
    const incoming = (await fabrikam.api.get(`/referrals?$filter=${encodeURIComponent("direction eq 'Incoming'")}`)).body.value;
    const mine = incoming.find((x: any) => x.id === inv.body.id);
    expect(mine).toMatchObject({ status: 'New', substatus: 'Pending', direction: 'Incoming', engagementId: r.engagementId, dealType: 'p2p' });
    expect(mine.details).toMatchObject({ dealValue: 20000, currency: 'EUR' });
    expect(mine.inviteContext.invitedBy.organizationId).toBe(t.store.defaultOrgId);
    // the inviter sees its invitation as a related referral, not in its plain list
    expect((await related(t.api, r.engagementId)).map((x) => x.id)).toContain(inv.body.id);
    expect((await t.api.get('/referrals')).body.value.map((x: any) => x.id)).not.toContain(inv.body.id);
  });

  it('co-sell + other partners only on deals you started: allowed outbound, refused inbound (409)', async () => {
    const out = await create(t.api, coSellDeal());
    expect((await invite(t.api, out.engagementId, northwind.id)).status).toBe(201);
    const inbound = await microsoftSends();
    const refused = await invite(t.api, inbound.engagementId, northwind.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'invalidTransition' });
    expect(refused.body.error.message).toContain('deals your company started');
  });

  it('P2P without Microsoft + Microsoft → co-sell', async () => {
    const r = await create(t.api, deal());
    await invite(t.api, r.engagementId, northwind.id);
    expect((await get(t.api, r.id)).dealType).toBe('p2p');
    expect((await invite(t.api, r.engagementId, 'msft')).status).toBe(201);
    expect((await get(t.api, r.id)).dealType).toBe('co-sell');
  });

  it('invitations need the invitation details and an existing partner', async () => {
    const r = await create(t.api, deal());
    const noDetails = await t.api.post('/referrals', { engagementId: r.engagementId, target: [{ type: 'BusinessProfileLocation', id: fabrikam.id }] });
    expect(noDetails.status).toBe(400);
    expect(noDetails.body.error.details.map((d: any) => d.target)).toEqual(expect.arrayContaining(['details', 'team']));
    const noSolution = await invite(t.api, r.engagementId, fabrikam.id, { details: { dealValue: 1, currency: 'EUR', closingDateTime: '2026-05-01T00:00:00Z' } });
    expect(noSolution.status).toBe(400);
    expect(noSolution.body.error.target).toBe('details.requirements.solutions');
    const ghost = await invite(t.api, r.engagementId, 'no-such-partner');
    expect(ghost.status).toBe(400);
    expect(ghost.body.error.target).toBe('target[0].id');
  });

  it('no invitation on a terminal deal (409 terminalState)', async () => {
    const r = await create(t.api, deal());
    await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Lost'), replace('/statusReason', 'budget')]);
    const inv = await invite(t.api, r.engagementId, fabrikam.id);
    expect(inv.status).toBe(409);
    expect(inv.body.error.code).toBe('terminalState');
  });
});

describe('§3 P2P invitation fields: the invitee may edit, the inviter may not', () => {
  it('inviter cannot change close date, value or team of its invitation; the invitee accepts and edits them', async () => {
    const r = await create(t.api, deal());
    const inv = (await invite(t.api, r.engagementId, fabrikam.id)).body;
    for (const [path, value] of [
      ['/details/closingDateTime', '2026-09-01T00:00:00Z'],
      ['/details/dealValue', 1],
      ['/team/0/email', 'other@contoso.example'],
    ] as const) {
      const res = await patch(t.api, inv.id, [replace(path, value)]);
      expect(res.status, path).toBe(400);
      expect(res.body.error.message).toContain('only be changed by the invited partner');
    }
    const solutionsEarly = await patch(fabrikam.api, inv.id, [replace('/details/requirements/solutions', [{ id: 'SOL-F' }])]);
    expect(solutionsEarly.status).toBe(400);
    const accepted = await patch(fabrikam.api, inv.id, [
      replace('/status', 'Active'),
      replace('/substatus', 'Accepted'),
      replace('/details/closingDateTime', '2026-09-01T00:00:00Z'),
      replace('/details/dealValue', 25000),
    ]);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'Active', substatus: 'Accepted' });
    expect(accepted.body.details.closingDateTime).toBe('2026-09-01T00:00:00.000Z');
    expect(accepted.body.acceptedDateTime).toBeTruthy();
    const solutions = await patch(fabrikam.api, inv.id, [replace('/details/requirements/solutions', [{ id: 'SOL-F' }])]);
    expect(solutions.status).toBe(200);
  });

  it("the inviter cannot answer or stage the invitee's referral (403), nor Microsoft's", async () => {
    const r = await create(t.api, deal());
    const inv = (await invite(t.api, r.engagementId, fabrikam.id)).body;
    const accept = await patch(t.api, inv.id, [replace('/status', 'Active'), replace('/substatus', 'Accepted')]);
    expect(accept.status).toBe(403);
    expect(accept.body.error).toMatchObject({ code: 'accessDenied', target: 'status' });
    const ms = (await invite(t.api, r.engagementId, 'msft')).body;
    expect((await patch(t.api, ms.id, [replace('/favorite', true)])).status).toBe(403);
    expect((await get(fabrikam.api, inv.id)).status).toBe('New');
  });

  it('the invitee declines with a reason; the inviter is notified as the sender', async () => {
    const r = await create(t.api, deal());
    const inv = (await invite(t.api, r.engagementId, fabrikam.id)).body;
    const mark = (await t.admin.get('/_admin/events?after=0&limit=1000')).body.lastId;
    const noReason = await patch(fabrikam.api, inv.id, [replace('/status', 'Closed'), replace('/substatus', 'Declined')]);
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.target).toBe('statusReason');
    const declined = await patch(fabrikam.api, inv.id, [
      replace('/status', 'Closed'),
      replace('/substatus', 'Declined'),
      replace('/statusReason', 'No capacity'),
      replace('/details/notes', 'maybe next quarter'),
    ]);
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'Closed', substatus: 'Declined', statusReason: 'No capacity' });
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    const toSender = events.find((e: any) => e.EventName === 'related-referral-updated' && e.organizationId === t.store.defaultOrgId);
    expect(toSender.recipients).toEqual([{ role: 'sender', organizationId: t.store.defaultOrgId }]);
    expect(toSender.ResourceUri).toBe(`${t.store.url}/referrals/${inv.id}`);
  });
});

describe('§3 create: location is immutable after creation', () => {
  it('changing the customer country → 400 naming customerProfile.address.country', async () => {
    const r = await create(t.api, deal());
    const res = await patch(t.api, r.id, [replace('/customerProfile/address/country', 'NL')]);
    expect(res.status).toBe(400);
    expect(res.body.error.target).toBe('customerProfile.address.country');
  });

  it('the team stays editable after creation', async () => {
    const r = await create(t.api, deal());
    const res = await patch(t.api, r.id, [{ op: 'add', path: '/team/0', value: { firstName: 'A', lastName: 'B', phoneNumber: '+1 555 0100 12', email: 'a@b.example' } }]);
    expect(res.status).toBe(200);
    expect(res.body.team[0].firstName).toBe('A');
  });
});

describe('§4 lifecycle', () => {
  it('inbound from Microsoft: New/Pending with a 14-day expirationDateTime; new-inbound notifies referral admins and deal team', async () => {
    const mark = (await t.admin.get('/_admin/events?after=0&limit=1000')).body.lastId;
    const inbound = await microsoftSends();
    expect(inbound).toMatchObject({ status: 'New', substatus: 'Pending', direction: 'Incoming', dealType: 'co-sell', organizationId: t.store.defaultOrgId });
    expect(new Date(inbound.expirationDateTime).getTime() - new Date(inbound.createdDateTime).getTime()).toBe(14 * 86_400_000);
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    const created = events.find((e: any) => e.EventName === 'referral-created' && e.organizationId === t.store.defaultOrgId);
    expect(created.recipients.map((r: any) => r.role)).toEqual(['referral-admins', 'deal-team']);
  });

  it('accept: New/Pending → Active/Accepted with the editable fields in the same PATCH', async () => {
    const inbound = await microsoftSends();
    const res = await patch(t.api, inbound.id, [
      replace('/status', 'Active'),
      replace('/substatus', 'Accepted'),
      replace('/name', 'Our name for it'),
      replace('/externalReferenceId', 'CRM-777'),
      replace('/details/dealValue', 120000),
      replace('/details/notes', 'taking it'),
      replace('/team', [{ firstName: 'Pat', lastName: 'Kim', phoneNumber: '+1 555 0100 99', email: 'pat@contoso.example' }]),
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'Active', substatus: 'Accepted', name: 'Our name for it', externalReferenceId: 'CRM-777' });
    expect(res.body.details.dealValue).toBe(120000);
  });

  it('inbound fields set by the sender cannot be edited (400)', async () => {
    const inbound = await microsoftSends();
    const res = await patch(t.api, inbound.id, [replace('/customerProfile/name', 'Renamed')]);
    expect(res.status).toBe(400);
    expect(res.body.error.target).toBe('customerProfile.name');
  });

  it('forbidden status moves → 409 invalidTransition', async () => {
    const r = await create(t.api, deal());
    const back = await patch(t.api, r.id, [replace('/status', 'New'), replace('/substatus', 'Pending')]);
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('invalidTransition');
    const mismatch = await patch(t.api, r.id, [replace('/substatus', 'Won')]);
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error.code).toBe('invalidTransition');
  });

  it('terminal referrals (Won, Lost, Declined) reject every change with 409 terminalState, even a favorite', async () => {
    const won = await create(t.api, deal({ salesStage: 'Close' }));
    await patch(t.api, won.id, [replace('/status', 'Closed'), replace('/substatus', 'Won')]);
    const inbound = await microsoftSends();
    await patch(t.api, inbound.id, [replace('/status', 'Closed'), replace('/substatus', 'Declined'), replace('/statusReason', 'no')]);
    for (const id of [won.id, inbound.id]) {
      for (const ops of [[replace('/details/dealValue', 1)], [replace('/favorite', true)], [replace('/status', 'Active')]]) {
        const res = await patch(t.api, id, ops);
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('terminalState');
      }
    }
    const body = await get(t.api, won.id);
    const { links: _l, eTag, ...rest } = body;
    const put = await t.api.req('PUT', `/referrals/${won.id}`, { ...rest, name: 'x' }, { 'If-Match': eTag });
    expect(put.status).toBe(409);
  });

  it('outbound deals start Active/Accepted; a create asking for Closed is refused', async () => {
    expect((await create(t.api, deal({ status: 'New' }))).status).toBe('Active');
    const closed = await t.api.post('/referrals', deal({ status: 'Closed', substatus: 'Won' }));
    expect(closed.status).toBe(400);
    expect(closed.body.error.target).toBe('status');
  });
});

describe('§5 sales stages', () => {
  it('Won on a deal short of Negotiated completes the skipped stages in the same update', async () => {
    const r = await create(t.api, deal({ salesStage: 'Qualify' }));
    expect(r.stageHistory.map((s: any) => s.salesStage)).toEqual(['Qualify']);
    const won = await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Won')]);
    expect(won.status).toBe(200);
    expect(won.body).toMatchObject({ status: 'Closed', substatus: 'Won', salesStage: 'Close' });
    expect(won.body.stageHistory.map((s: any) => s.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    for (const s of won.body.stageHistory) expect(s.completedDateTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(won.body.closedDateTime).toBeTruthy();
  });

  it('successive /salesStage replaces in one PATCH record each completion in order', async () => {
    const r = await create(t.api, deal());
    const res = await patch(t.api, r.id, [replace('/salesStage', 'Qualify'), replace('/salesStage', 'Develop'), replace('/salesStage', 'Propose')]);
    expect(res.body.salesStage).toBe('Propose');
    expect(res.body.stageHistory.map((s: any) => s.salesStage)).toEqual(['Qualify', 'Develop', 'Propose']);
  });

  it('solution assessment: each stage by its own update, in order; a jump or a Won before Close → 409 stagesIncomplete', async () => {
    const sa = { id: 'SA-2', type: 'SolutionAssessment' };
    const saDeal = (over: Record<string, unknown> = {}) => deal({ details: { ...(deal().details as object), requirements: { solutions: [sa] } }, ...over });
    const refusedCreate = await t.api.post('/referrals', saDeal({ salesStage: 'Propose' }));
    expect(refusedCreate.status).toBe(409);
    expect(refusedCreate.body.error.code).toBe('stagesIncomplete');
    const r = await create(t.api, saDeal({ salesStage: 'Qualify' }));
    // The bypass of issue 13: one PATCH stamping every completion at once.
    const jump = await patch(t.api, r.id, [replace('/salesStage', 'Close'), replace('/status', 'Closed'), replace('/substatus', 'Won')]);
    expect(jump.status).toBe(409);
    expect(jump.body.error.code).toBe('stagesIncomplete');
    const stepwise = await patch(t.api, r.id, [replace('/salesStage', 'Develop'), replace('/salesStage', 'Propose')]);
    expect(stepwise.status).toBe(409);
    const early = await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Won')]);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('stagesIncomplete');
    const solutionsSwap = await patch(t.api, r.id, [replace('/details/requirements/solutions', [{ id: 'SOL-1' }])]);
    expect(solutionsSwap.status).toBe(400);
    expect((await get(t.api, r.id)).stageHistory.map((h: { salesStage: string }) => h.salesStage)).toEqual(['Qualify']);
    for (const stage of ['Develop', 'Propose', 'Close']) expect((await patch(t.api, r.id, [replace('/salesStage', stage)])).status).toBe(200);
    const closeAndWin = await create(t.api, saDeal());
    for (const stage of ['Qualify', 'Develop', 'Propose']) await patch(t.api, closeAndWin.id, [replace('/salesStage', stage)]);
    expect((await patch(t.api, closeAndWin.id, [replace('/salesStage', 'Close'), replace('/status', 'Closed'), replace('/substatus', 'Won')])).status).toBe(409);
    const done = await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Won')]);
    expect(done.status).toBe(200);
    expect(done.body.stageHistory.map((h: { salesStage: string }) => h.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
  });

  it('Lost needs a reason', async () => {
    const r = await create(t.api, deal());
    const noReason = await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Lost')]);
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.target).toBe('statusReason');
    const lost = await patch(t.api, r.id, [replace('/status', 'Closed'), replace('/substatus', 'Lost'), replace('/statusReason', 'Price')]);
    expect(lost.body).toMatchObject({ status: 'Closed', substatus: 'Lost', statusReason: 'Price' });
  });
});

describe('§7 views, favorites, events', () => {
  it('Inbound / Outbound / Favorites / Closed are $filter views; the heart toggles', async () => {
    const p = await t.partner('Views Partner');
    const out = await create(p.api, deal());
    const inbound = await microsoftSends(p.id);
    const closed = await create(p.api, deal());
    await patch(p.api, closed.id, [replace('/status', 'Closed'), replace('/substatus', 'Lost'), replace('/statusReason', 'r')]);
    const ids = async (f: string) => (await p.api.get(`/referrals?$filter=${encodeURIComponent(f)}`)).body.value.map((x: any) => x.id).sort();
    expect(await ids("direction eq 'Incoming'")).toEqual([inbound.id]);
    expect(await ids("direction eq 'Outgoing'")).toEqual([out.id, closed.id].sort());
    expect(await ids("status eq 'Closed'")).toEqual([closed.id]);
    expect(await ids('favorite eq true')).toEqual([]);
    await patch(p.api, inbound.id, [replace('/favorite', true)]);
    expect(await ids('favorite eq true')).toEqual([inbound.id]);
    await patch(p.api, inbound.id, [replace('/favorite', false)]);
    expect(await ids('favorite eq true')).toEqual([]);
  });

  it('updatedDateTime changes on every write, strictly increasing with millisecond precision', async () => {
    const r = await create(t.api, deal());
    const stamps = [r.updatedDateTime];
    for (let i = 0; i < 5; i++) stamps.push((await patch(t.api, r.id, [replace('/details/notes', `n${i}`)])).body.updatedDateTime);
    for (const s of stamps) expect(s).toMatch(/\.\d{3}Z$/);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
  });

  it('event outbox: referral-created / referral-updated / related-referral-created, paged with ?after=', async () => {
    const mark = (await t.admin.get('/_admin/events?after=0&limit=1000')).body.lastId;
    const r = await create(t.api, coSellDeal());
    await patch(t.api, r.id, [replace('/details/notes', 'changed')]);
    const events = (await t.admin.get(`/_admin/events?after=${mark}`)).body.value;
    const names = events.map((e: any) => `${e.EventName}:${e.organizationId}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `referral-created:${t.store.defaultOrgId}`,
        'referral-created:msft',
        `related-referral-created:${t.store.defaultOrgId}`,
        `referral-updated:${t.store.defaultOrgId}`,
      ]),
    );
    for (const e of events) expect(e).toMatchObject({ ResourceName: 'referral', ResourceChangeUtcDate: expect.any(String) });
    const ids = events.map((e: any) => e.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    const msftOnly = (await t.admin.get(`/_admin/events?after=${mark}&organizationId=msft`)).body.value;
    expect(msftOnly.length).toBeGreaterThan(0);
    expect(msftOnly.every((e: any) => e.organizationId === 'msft')).toBe(true);
  });
});
