/**
 * One named case per rule of cosell-rules.md (§ numbers follow the document), positive and negative.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPatch,
  canInvite,
  canUpdate,
  checkTransition,
  dealFieldsToCreate,
  deriveDealType,
  emptyDealFields,
  isExpired,
  isTerminal,
  microsoftDecisionDeadline,
  nearestStage,
  patchSchema,
  referralCreateSchema,
  referralSchema,
  referralToDealFields,
  registrationEligibility,
  responseDeadline,
  STAGE_PERCENT,
  stagesToComplete,
  toWireConsent,
  validateCreate,
  wonTooSoonForRegistration,
  type DealFields,
  type Referral,
  type ReferralCreate,
  normalizeKey,
} from '../../../src/domain/index.js';

const member = { firstName: 'Ann', lastName: 'Lee', phoneNumber: '+31201234567', email: 'ann@partner.example' };
const goodCreate = (): ReferralCreate =>
  referralCreateSchema.parse({
    name: 'Contoso expansion',
    type: 'Independent',
    customerProfile: { name: 'Contoso', address: { country: 'NL', city: 'Utrecht' } },
    consent: { consentToShareReferralWithMicrosoftSellers: false },
    details: { dealValue: 1000, currency: 'EUR', closingDateTime: '2027-03-01T00:00:00Z', requirements: { solutions: [{ id: 'SOL-1' }] } },
    team: [member],
  });
const referral = (over: Partial<Referral> = {}): Referral =>
  referralSchema.parse({
    id: 'r1',
    status: 'Active',
    substatus: 'Accepted',
    direction: 'Outgoing',
    type: 'Independent',
    name: 'Deal',
    customerProfile: { name: 'Contoso', address: { country: 'NL' } },
    consent: { consentToShareReferralWithMicrosoftSellers: false },
    details: { dealValue: 1000, currency: 'EUR', closingDateTime: '2027-03-01T00:00:00Z', requirements: { solutions: [{ id: 'SOL-1' }] } },
    team: [member],
    ...over,
  });
const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

describe('§1 deal types are derived from help type, visibility and invited parties', () => {
  it.each([
    ['help requested (anything but "no help needed") → Co-sell', { helpType: 'ProofOfConceptOrDemo', visibleToMicrosoft: true }, 'co-sell'],
    ['an inbound referral from a Microsoft seller → Co-sell', { helpType: 'None', visibleToMicrosoft: false, inboundFrom: 'microsoft' }, 'co-sell'],
    ['no help, visible to Microsoft sellers → Partner-led', { helpType: 'None', visibleToMicrosoft: true }, 'partner-led'],
    ['no help, not visible → Private', { helpType: 'None', visibleToMicrosoft: false }, 'private'],
    ['other partners invited, Microsoft not → P2P', { helpType: 'None', visibleToMicrosoft: false, partnersInvited: 1 }, 'p2p'],
    ['P2P with Microsoft invited too → Co-sell', { helpType: 'None', visibleToMicrosoft: false, partnersInvited: 1, microsoftInvited: true }, 'co-sell'],
    ['a solution assessment → SA', { helpType: 'None', visibleToMicrosoft: false, solutionAssessment: true }, 'solution-assessment'],
  ] as const)('%s', (_name, input, type) => expect(deriveDealType(input)).toBe(type));
});

describe('§2 upgrades and invitations (combinations table), only while not terminal', () => {
  const ctx = (type: Parameters<typeof canInvite>[0]['type'], direction: 'Incoming' | 'Outgoing' = 'Outgoing', terminal = false) => ({ type, direction, terminal });
  it.each([
    ['Private + Microsoft → Co-sell', ctx('private'), 'microsoft', 'co-sell'],
    ['Private + other partners → P2P', ctx('private'), 'partner', 'p2p'],
    ['Private + visibility for Microsoft sellers → Partner-led', ctx('private'), 'microsoft-visibility', 'partner-led'],
    ['Partner-led + Microsoft → Co-sell', ctx('partner-led'), 'microsoft', 'co-sell'],
    ['Co-sell + other partners, on a deal your company started', ctx('co-sell'), 'partner', 'co-sell'],
    ['P2P without Microsoft + Microsoft → Co-sell', ctx('p2p'), 'microsoft', 'co-sell'],
    ['P2P without Microsoft + other partners → stays P2P', ctx('p2p'), 'partner', 'p2p'],
  ] as const)('%s', (_n, c, invitee, becomes) => expect(canInvite(c, invitee)).toEqual({ ok: true, becomes }));
  it('other partners cannot be invited to an inbound deal', () => {
    expect(canInvite(ctx('co-sell', 'Incoming'), 'partner')).toMatchObject({ ok: false, reason: expect.stringMatching(/only be invited to deals your company started/) });
  });
  it('nobody can be invited once the deal is terminal', () => {
    expect(canInvite(ctx('private', 'Outgoing', true), 'microsoft')).toMatchObject({ ok: false, reason: expect.stringMatching(/terminal/) });
  });
  it('visibility to Microsoft, once granted, cannot be revoked (downgrade to private rejected)', () => {
    const before = referral({ consent: { consentToShareReferralWithMicrosoftSellers: true } });
    const after = referral({ consent: { consentToShareReferralWithMicrosoftSellers: false } });
    expect(canUpdate(before, after)).toMatchObject({ ok: false, code: 'immutableField', issues: [{ path: 'consent.consentToShareReferralWithMicrosoftSellers' }] });
  });
});

describe('§3 creating a deal: every problem at once, each naming its field', () => {
  it('a complete deal has no problems', () => expect(validateCreate(goodCreate(), { microsoftInvited: false })).toEqual([]));
  it('an empty body lists every required field', () => {
    expect(paths(validateCreate(referralCreateSchema.parse({}), { microsoftInvited: false })).sort()).toEqual(
      [
        'name',
        'customerProfile.name',
        'customerProfile.address.country',
        'details.dealValue',
        'details.currency',
        'details.closingDateTime',
        'team',
        'details.requirements.solutions',
      ].sort(),
    );
  });
  it.each([
    ['customer location must be an ISO 3166 two-letter code', (b: ReferralCreate) => (b.customerProfile!.address!.country = 'Netherlands'), 'customerProfile.address.country'],
    ['estimated value must be greater than 0', (b: ReferralCreate) => (b.details!.dealValue = 0), 'details.dealValue'],
    ['currency must be ISO 4217', (b: ReferralCreate) => (b.details!.currency = 'EURO'), 'details.currency'],
    ['a team member needs a phone', (b: ReferralCreate) => (b.team = [{ ...member, phoneNumber: null }]), 'team[0].phoneNumber'],
    ['a team member needs a valid e-mail', (b: ReferralCreate) => (b.team = [{ ...member, email: 'ann' }]), 'team[0].email'],
  ])('%s', (_n, spoil, path) => {
    const b = goodCreate();
    spoil(b);
    expect(paths(validateCreate(b, { microsoftInvited: false }))).toContain(path);
  });
  it('a customer contact is optional unless Microsoft sellers are invited', () => {
    expect(validateCreate(goodCreate(), { microsoftInvited: false })).toEqual([]);
    expect(paths(validateCreate(goodCreate(), { microsoftInvited: true }))).toContain('customerProfile.team');
  });
  it("sharing the customer's contact with Microsoft requires the customer's consent", () => {
    const b = goodCreate();
    b.customerProfile!.team = [member];
    expect(paths(validateCreate(b, { microsoftInvited: true }))).toContain('consent.consentToShareInfoWithOthers');
    b.consent = { ...b.consent, consentToShareInfoWithOthers: true };
    expect(validateCreate(b, { microsoftInvited: true })).toEqual([]);
  });
  it('a solution assessment takes exactly one assessment and no other solutions, and only vetted partners create one', () => {
    const b = goodCreate();
    b.details!.requirements!.solutions = [{ id: 'SA-1', type: 'SolutionAssessment' }, { id: 'SOL-1' }];
    const issues = validateCreate(b, { microsoftInvited: false, solutionAssessmentAllowed: false });
    expect(issues.map((i) => i.message).join(' | ')).toMatch(/only partners vetted.*\|.*exactly one assessment type and no other solutions/);
    b.details!.requirements!.solutions = [{ id: 'SA-1', type: 'SolutionAssessment' }];
    expect(validateCreate(b, { microsoftInvited: false, solutionAssessmentAllowed: true })).toEqual([]);
  });
  it('location is immutable after creation', () => {
    const after = referral({ customerProfile: { name: 'Contoso', address: { country: 'BE' } } });
    expect(canUpdate(referral(), after)).toMatchObject({ ok: false, code: 'immutableField', issues: [{ path: 'customerProfile.address.country' }] });
  });
  it('the team stays editable after creation', () => {
    expect(canUpdate(referral(), referral({ team: [member, { ...member, email: 'bo@partner.example' }] }))).toEqual({ ok: true });
  });
  it('the inviter cannot change a P2P invitation’s close date or value after creation', () => {
    const after = referral({ details: { ...referral().details, dealValue: 5 } });
    expect(canUpdate(referral(), after, { actor: 'inviter' })).toMatchObject({ ok: false, code: 'immutableField', issues: [{ path: 'details.dealValue' }] });
  });
});

describe('§4 lifecycle: statuses, transitions and terminal states', () => {
  it.each([
    ['New/Pending → Active/Accepted (accept)', { status: 'New', substatus: 'Pending' }, { status: 'Active', substatus: 'Accepted' }, true],
    ['New → Closed/Declined (decline)', { status: 'New', substatus: 'Received' }, { status: 'Closed', substatus: 'Declined' }, true],
    ['Active → Closed/Won', { status: 'Active', substatus: 'Accepted' }, { status: 'Closed', substatus: 'Won' }, true],
    ['Active → New is forbidden', { status: 'Active', substatus: 'Accepted' }, { status: 'New', substatus: 'Pending' }, false],
    ['Active with substatus Won is forbidden', { status: 'Active', substatus: 'Accepted' }, { status: 'Active', substatus: 'Won' }, false],
    ['Closed/Won → Closed/Lost is forbidden (terminal)', { status: 'Closed', substatus: 'Won' }, { status: 'Closed', substatus: 'Lost' }, false],
    ['Closed → Active is forbidden (terminal)', { status: 'Closed', substatus: 'Lost' }, { status: 'Active', substatus: 'Accepted' }, false],
  ] as const)('%s', (_n, from, to, ok) => expect(checkTransition(from, to).ok).toBe(ok));

  it.each(['Won', 'Lost', 'Declined', 'Expired'] as const)('a %s referral accepts no further update of any kind (409 terminalState)', (sub) => {
    const before = referral({ status: 'Closed', substatus: sub, statusReason: 'r' });
    expect(isTerminal(before)).toBe(true);
    for (const after of [referral({ ...before, name: 'new name' }), referral({ ...before, team: [] }), referral({ ...before, favorite: true })]) {
      expect(canUpdate(before, after)).toMatchObject({ ok: false, code: 'terminalState' });
    }
  });
  it('deals the partner creates start Active/Accepted', () => {
    expect(referralToDealFields(referral()).stage).toBe('initial');
  });
  it('Lost and Declined need a reason', () => {
    expect(canUpdate(referral(), referral({ status: 'Closed', substatus: 'Lost' }))).toMatchObject({ ok: false, issues: [{ path: 'statusReason' }] });
    expect(canUpdate(referral(), referral({ status: 'Closed', substatus: 'Lost', statusReason: 'price' }))).toEqual({ ok: true });
  });
  it('no answer within 14 days → Expired; within the window it is not', () => {
    const r = { status: 'New', createdDateTime: '2026-11-01T00:00:00Z' };
    expect(isExpired(r, new Date('2026-11-14T23:59:59Z'))).toBe(false);
    expect(isExpired(r, new Date('2026-11-15T00:00:00Z'))).toBe(true);
    expect(isExpired({ ...r, status: 'Active' }, new Date('2027-01-01T00:00:00Z'))).toBe(false);
    expect(responseDeadline('2026-11-01T00:00:00Z').toISOString()).toBe('2026-11-15T00:00:00.000Z');
  });
  it('Microsoft sellers have 14 days to decide on a co-sell invitation', () => {
    expect(microsoftDecisionDeadline('2026-11-01T12:00:00Z').toISOString()).toBe('2026-11-15T12:00:00.000Z');
  });
  it('an inbound referral’s customer is set by its sender', () => {
    const before = referral({ direction: 'Incoming', status: 'New', substatus: 'Pending' });
    const after = referral({ ...before, customerProfile: { name: 'Other', address: { country: 'NL' } } });
    expect(canUpdate(before, after)).toMatchObject({ ok: false, code: 'immutableField', issues: [{ path: 'customerProfile.name' }] });
  });
});

describe('§5 sales stages', () => {
  it('percentages: Created/Accepted 10, Qualified 20, Developed 40, Proposed 60, Negotiated 80, Won 100', () => {
    expect(STAGE_PERCENT).toMatchObject({ Created: 10, Accepted: 10, Qualify: 20, Develop: 40, Propose: 60, Close: 80, Won: 100 });
  });
  it('Won completes every earlier stage first, in order', () => {
    expect(stagesToComplete(null, 'Won')).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    expect(stagesToComplete('Develop', 'Won')).toEqual(['Propose', 'Close']);
    expect(stagesToComplete('Close', 'Won')).toEqual([]);
  });
  it('Won is only possible after all earlier stages are complete (stagesIncomplete otherwise)', () => {
    const after = referral({ status: 'Closed', substatus: 'Won', salesStage: 'Develop' });
    expect(canUpdate(referral({ salesStage: 'Develop' }), after)).toMatchObject({ ok: false, code: 'stagesIncomplete' });
    expect(canUpdate(referral({ salesStage: 'Close' }), referral({ status: 'Closed', substatus: 'Won', salesStage: 'Close' }))).toEqual({ ok: true });
  });
  it('(decision) the sync sends stage completions explicitly, in order, in the same patch as Won', () => {
    const from: DealFields = { ...emptyDealFields(), stage: 'Qualify' };
    expect(buildPatch(from, { ...from, stage: 'Won' })).toEqual([
      { op: 'replace', path: '/salesStage', value: 'Develop' },
      { op: 'replace', path: '/salesStage', value: 'Propose' },
      { op: 'replace', path: '/salesStage', value: 'Close' },
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Won' },
    ]);
  });
  it("any company's stages map onto the standard ones by nearest percentage", () => {
    expect([nearestStage(10), nearestStage(25), nearestStage(50), nearestStage(75), nearestStage(90)]).toEqual([null, 'Qualify', 'Develop', 'Close', 'Close']);
  });
});

describe('§6 deal registration', () => {
  const base = { type: 'co-sell' as const, incentives: ['AzureIpCoSell'], substatus: 'Won', microsoftAccepted: true };
  it('eligible: co-sell or partner-led, incentive-eligible solution, Won', () => {
    expect(registrationEligibility(base)).toEqual({ eligible: true });
    expect(registrationEligibility({ ...base, type: 'partner-led', microsoftAccepted: false })).toEqual({ eligible: true });
  });
  it.each([
    ['never Private', { type: 'private' as const }, /only co-sell and partner-led/],
    ['only IP incentives count', { incentives: ['SomethingElse'] }, /no incentive-eligible solution/],
    ['must be Won', { substatus: 'Lost' }, /must be Won/],
  ])('not eligible: %s', (_n, over, why) => {
    expect(registrationEligibility({ ...base, ...over })).toMatchObject({ eligible: false, reason: expect.stringMatching(why) });
  });
  it('leave 72 hours between creating an eligible deal and marking it Won', () => {
    expect(wonTooSoonForRegistration(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-03T23:00:00Z'))).toBe(true);
    expect(wonTooSoonForRegistration(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-04T00:00:00Z'))).toBe(false);
  });
});

describe('the wire contract (referrals-api.md)', () => {
  it("accepts the docs' create example with PascalCase keys and the misspelled consent key", () => {
    const r = referralCreateSchema.parse({
      name: 'Contoso Test Deal - [Private]',
      qualification: 'SalesQualified',
      type: 'Independent',
      customerProfile: {
        name: 'Contoso Customer Inc',
        address: { addressLine1: 'One Microsoft Way', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
        size: '10to50employees',
        team: [],
      },
      consent: {
        ConsentToToShareInfoWithOthers: true,
        ConsentToContact: true,
        ConsentToMicrosoftToContactSpecificPartners: true,
        consentToShareReferralWithMicrosoftSellers: false,
      },
      details: {
        notes: 'x',
        dealValue: 50000,
        currency: 'USD',
        closingDateTime: '2024-11-14T00:00:00Z',
        requirements: {
          solutions: [{ type: 'Name', id: 'SOL-15974-MQF', name: 'Contoso-Ale_Test', publisherName: 'Contoso_Test', solutionType: '3P' }],
          additionalRequirements: { iot: {} },
        },
      },
      target: [],
    });
    expect(r.consent?.consentToShareInfoWithOthers).toBe(true);
    expect(toWireConsent(r.consent)).toMatchObject({ consentToToShareInfoWithOthers: true });
  });
  it('reads the ID spellings and both consent keys anywhere in an answer, first consent key winning, input untouched', () => {
    const answer = {
      ID: 'r-1',
      EngagementID: 'e-1',
      status: 'Active',
      consent: { consentToToShareInfoWithOthers: false, consentToShareInfoWithOthers: true },
      team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phoneNumber: '+31205550100' }],
      customerProfile: { name: 'Contoso', ids: [{ profileType: 'Duns', ID: '123' }] },
    };
    const before = JSON.stringify(answer);
    const r = referralSchema.parse(answer);
    expect(r.id).toBe('r-1');
    expect(r.engagementId).toBe('e-1');
    expect(r.consent?.consentToShareInfoWithOthers).toBe(false);
    expect(r.customerProfile?.ids?.[0]?.id).toBe('123');
    expect(r.team?.[0]?.email).toBe('ann@partner.example');
    expect(JSON.stringify(answer)).toBe(before);
  });
  it('normalises any key as the rule says: first letter lower-cased, a trailing ID read as Id, the misspelled consent key mapped', () => {
    // The rule spelled out the slow way; normalizeKey skips work for keys already in camelCase and must agree.
    const rule = (key: string) => {
      let k = key === 'ID' ? 'id' : key.length > 2 && key.endsWith('ID') ? `${key.slice(0, -2)}Id` : key;
      k = k.length > 0 ? k[0]!.toLowerCase() + k.slice(1) : k;
      return k === 'consentToToShareInfoWithOthers' ? 'consentToShareInfoWithOthers' : k;
    };
    const keys = fc.oneof(fc.string(), fc.constantFrom('ID', 'EngagementID', 'xID', 'ConsentToToShareInfoWithOthers', 'consentToToShareInfoWithOthers', 'Éclair', 'ÉID', '', 'id'));
    fc.assert(
      fc.property(keys, (k) => {
        expect(normalizeKey(k)).toBe(rule(k));
      }),
      { numRuns: 5000 },
    );
  });
  it("accepts the docs' PATCH example (a numeric string for dealValue, add to /team/-) and refuses other ops", () => {
    expect(
      patchSchema.safeParse([
        { op: 'replace', path: '/details/dealValue', value: '10000' },
        { op: 'add', path: '/team/-', value: member },
      ]).success,
    ).toBe(true);
    expect(patchSchema.safeParse([{ op: 'remove', path: '/name' }]).success).toBe(false);
  });
  it('a create body from deal fields passes create validation', () => {
    const d: DealFields = {
      ...emptyDealFields(),
      name: 'Deal',
      customer: { ...emptyDealFields().customer, name: 'Contoso', country: 'NL' },
      value: 1,
      currency: 'EUR',
      closeDate: '2027-01-01',
      team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phone: '+31201234567' }],
      solutions: ['SOL-1'],
    };
    expect(validateCreate(dealFieldsToCreate(d, 'crm-1'), { microsoftInvited: false })).toEqual([]);
  });
});
