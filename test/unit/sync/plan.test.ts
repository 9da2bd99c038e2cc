import { describe, expect, it } from 'vitest';
import { emptyDealFields, type DealFields } from '../../../src/domain/index.js';
import { plan, type FieldPolicy, type PlanInput } from '../../../src/sync/index.js';

function deal(over: Partial<DealFields> = {}): DealFields {
  return {
    ...emptyDealFields(),
    name: 'Contoso expansion',
    customer: { name: 'Contoso', country: 'NL', city: 'Utrecht', state: null, postalCode: null, addressLine1: null, duns: null },
    value: 10_000,
    currency: 'EUR',
    closeDate: '2027-03-01',
    stage: 'Qualify',
    team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phone: '+31201234567' }],
    solutions: ['SOL-1'],
    ...over,
  };
}

const policies =
  (over: Partial<Record<keyof DealFields, FieldPolicy>> = {}) =>
  (k: keyof DealFields): FieldPolicy =>
    over[k] ?? 'crm-wins';

function run(over: Partial<PlanInput>) {
  return plan({ base: deal(), crm: null, referral: null, policy: policies(), onDelete: 'ignore', ...over });
}
const crm = (d: DealFields, problems = []) => ({ deal: d, problems, deleted: false });
const ref = (d: DealFields) => ({ deal: d });

describe('plan: three-way merge', () => {
  it('plans nothing when neither side changed (echo suppression: what we wrote is the base)', () => {
    const p = run({ crm: crm(deal()), referral: ref(deal()) });
    expect(p.actions).toEqual([]);
    expect(p.next).toEqual(deal());
  });

  it('a field changed only in the CRM is patched to the referral, with only that path', () => {
    const p = run({ crm: crm(deal({ value: 12_500 })) });
    expect(p.actions).toEqual([{ type: 'patch-referral', ops: [{ op: 'replace', path: '/details/dealValue', value: 12_500 }], keys: ['value'] }]);
    expect(p.next?.value).toBe(12_500);
  });

  it('a field changed only on the referral is written back to the CRM', () => {
    const p = run({ referral: ref(deal({ closeDate: '2027-04-01' })) });
    expect(p.actions).toEqual([{ type: 'write-crm', keys: ['closeDate'] }]);
    expect(p.next?.closeDate).toBe('2027-04-01');
  });

  it('both sides changed to the same value: converged, nothing sent', () => {
    const p = run({ crm: crm(deal({ notes: 'x' })), referral: ref(deal({ notes: 'x' })) });
    expect(p.actions).toEqual([]);
    expect(p.next?.notes).toBe('x');
  });

  it.each([
    ['crm-wins', [{ type: 'patch-referral', ops: [{ op: 'replace', path: '/details/dealValue', value: 1 }], keys: ['value'] }], 1],
    ['partner-center-wins', [{ type: 'write-crm', keys: ['value'] }], 2],
  ] as const)('both sides changed a field differently: policy %s decides', (policy, actions, nextValue) => {
    const p = run({ crm: crm(deal({ value: 1 })), referral: ref(deal({ value: 2 })), policy: policies({ value: policy }) });
    expect(p.actions).toEqual(actions);
    expect(p.next?.value).toBe(nextValue);
    expect(p.conflicts).toEqual([]);
  });

  it('both sides changed a manual field differently: a conflict is recorded and nothing is written', () => {
    const p = run({ crm: crm(deal({ notes: 'crm' })), referral: ref(deal({ notes: 'pc' })), policy: policies({ notes: 'manual' }) });
    expect(p.actions).toEqual([]);
    expect(p.conflicts).toEqual([{ key: 'notes', base: null, crm: 'crm', referral: 'pc' }]);
    expect(p.next?.notes).toBeNull();
  });

  it.each(['Won', 'Lost', 'declined', 'expired'] as const)('after the referral is %s, every CRM-side change is blocked and no call is made', (stage) => {
    const base = deal({ stage });
    const p = plan({ base, crm: crm({ ...base, value: 99_999, notes: 'late edit' }), referral: null, policy: policies(), onDelete: 'ignore' });
    expect(p.actions).toEqual([]);
    expect(p.blocked).toHaveLength(1);
    expect(p.blocked[0]!.keys).toEqual(['value', 'notes']);
    expect(p.blocked[0]!.reason).toMatch(/no edit of any kind/);
    expect(p.next?.value).toBe(10_000);
  });

  it('a referral that became terminal still flows back to the CRM while CRM edits are blocked', () => {
    const p = run({ crm: crm(deal({ value: 5 })), referral: ref(deal({ stage: 'Won' })) });
    expect(p.actions).toEqual([{ type: 'write-crm', keys: ['stage'] }]);
    expect(p.blocked[0]?.keys).toEqual(['value']);
  });

  it('the customer location cannot change after creation; the other customer fields still flow', () => {
    const changed = deal();
    changed.customer = { ...changed.customer, country: 'BE', city: 'Antwerp' };
    const p = run({ crm: crm(changed) });
    expect(p.blocked[0]?.reason).toMatch(/location/);
    expect(p.actions).toEqual([{ type: 'patch-referral', ops: [{ op: 'replace', path: '/customerProfile/address/city', value: 'Antwerp' }], keys: ['customer'] }]);
    expect(p.next?.customer.country).toBe('NL');
  });

  it('visibility to Microsoft sellers cannot be revoked from the CRM', () => {
    const p = plan({ base: deal({ visibleToMicrosoft: true }), crm: crm(deal({ visibleToMicrosoft: false })), referral: null, policy: policies(), onDelete: 'ignore' });
    expect(p.actions).toEqual([]);
    expect(p.blocked[0]?.reason).toMatch(/cannot be revoked/);
  });

  it('a jump from an early stage to Won completes the skipped stages in order, then wins', () => {
    const p = run({ crm: crm(deal({ stage: 'Won' })) });
    expect(p.actions[0]).toMatchObject({ type: 'patch-referral' });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops.map((o) => o.value)).toEqual(['Develop', 'Propose', 'Close', 'Closed', 'Won']);
  });

  it('a private deal upgraded by the CRM help field becomes shared (Microsoft invited)', () => {
    const p = run({ crm: crm(deal({ helpType: 'ProofOfConceptOrDemo' })) });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops).toEqual([
      { op: 'replace', path: '/inviteContext/assistanceRequestCode', value: 'ProofOfConceptOrDemo' },
      { op: 'replace', path: '/type', value: 'Shared' },
    ]);
  });

  it('leaving the on-hold stage accepts the inbound referral', () => {
    const base = deal({ stage: 'on-hold' });
    const p = plan({ base, crm: crm({ ...base, stage: 'Develop' }), referral: null, policy: policies(), onDelete: 'ignore' });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops).toEqual([
      { op: 'replace', path: '/status', value: 'Active' },
      { op: 'replace', path: '/substatus', value: 'Accepted' },
      { op: 'replace', path: '/salesStage', value: 'Qualify' },
      { op: 'replace', path: '/salesStage', value: 'Develop' },
    ]);
  });

  it('the declined stage declines the inbound referral with the reason', () => {
    const base = deal({ stage: 'on-hold' });
    const p = plan({ base, crm: crm({ ...base, stage: 'declined', statusReason: 'No capacity' }), referral: null, policy: policies(), onDelete: 'ignore' });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops).toEqual([
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Declined' },
      { op: 'replace', path: '/statusReason', value: 'No capacity' },
    ]);
  });

  it('Lost is sent with a reason even when the CRM gave none', () => {
    const p = run({ crm: crm(deal({ stage: 'Lost' })) });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops.at(-1)).toEqual({ op: 'replace', path: '/statusReason', value: 'Lost in the CRM (no reason given)' });
  });

  it.each([
    ['Develop', 'on-hold', /cannot go back on hold/],
    ['Develop', 'declined', /only an unanswered inbound referral can be declined/],
    ['Develop', 'expired', /expires on its own/],
  ] as const)('a CRM stage move %s → %s that the lifecycle forbids is blocked', (from, to, why) => {
    const p = plan({ base: deal({ stage: from }), crm: crm(deal({ stage: to })), referral: null, policy: policies(), onDelete: 'ignore' });
    expect(p.actions).toEqual([]);
    expect(p.blocked[0]?.reason).toMatch(why);
  });

  it('an unusable CRM value is reported and that field is held; the other CRM and referral changes flow', () => {
    const customer = { ...deal().customer, country: null, city: 'Amsterdam' };
    const p = run({
      crm: crm(deal({ value: 1, customer }), [{ path: 'customer.country', message: "'Narnia' is not a country" }] as never),
      referral: ref(deal({ notes: 'from Microsoft' })),
    });
    expect(p.problems).toHaveLength(1);
    expect(p.blocked).toEqual([]);
    expect(p.actions).toEqual([
      { type: 'patch-referral', ops: [{ op: 'replace', path: '/details/dealValue', value: 1 }], keys: ['value'] },
      { type: 'write-crm', keys: ['notes'] },
    ]);
    expect(p.next?.customer).toEqual(deal().customer);
  });

  it("a mapping default standing in for an empty CRM value never overwrites the other side's value", () => {
    const p = run({ crm: { ...crm(deal({ currency: 'USD', value: 2 })), defaulted: ['currency'] } });
    expect(p.actions).toEqual([{ type: 'patch-referral', ops: [{ op: 'replace', path: '/details/dealValue', value: 2 }], keys: ['value'] }]);
    expect(p.next?.currency).toBe('EUR');
  });

  it('a problem that names no deal field holds every CRM change', () => {
    const p = run({ crm: crm(deal({ value: 1 }), [{ path: 'record', message: 'unreadable' }] as never), referral: ref(deal({ notes: 'x' })) });
    expect(p.actions).toEqual([{ type: 'write-crm', keys: ['notes'] }]);
  });

  it('what the sync wrote reads back as no change: a many-to-one stage and a field the CRM cannot hold', () => {
    const readBack = (k: keyof DealFields, v: unknown) => (k === 'stage' ? (v === 'expired' ? 'Lost' : v) : k === 'statusReason' ? undefined : v);
    const first = run({ crm: crm(deal()), referral: ref(deal({ stage: 'expired', statusReason: 'No answer' })), readBack });
    expect(first.actions).toEqual([{ type: 'write-crm', keys: ['stage', 'statusReason'] }]);
    expect(first.echo).toEqual({ stage: 'Lost', statusReason: null });
    const again = plan({ base: first.next, crm: crm(deal({ stage: 'Lost' })), referral: ref(first.next!), policy: policies(), onDelete: 'ignore', crmEcho: first.echo, readBack });
    expect(again.actions).toEqual([]);
    expect(again.blocked).toEqual([]);
    // A real edit after that is still seen (and blocked: the referral is Expired).
    const edit = plan({
      base: first.next,
      crm: crm(deal({ stage: 'Lost', value: 5 })),
      referral: ref(first.next!),
      policy: policies(),
      onDelete: 'ignore',
      crmEcho: first.echo,
      readBack,
    });
    expect(edit.blocked.map((b) => b.keys)).toEqual([['value']]);
    expect(edit.echo).toEqual({ stage: 'Lost', statusReason: null });
  });

  it('an unlinked eligible CRM record becomes a create', () => {
    const p = plan({ base: null, crm: crm(deal()), referral: null, policy: policies(), onDelete: 'ignore' });
    expect(p.actions).toEqual([{ type: 'create-referral', deal: deal() }]);
  });

  it('an unlinked record in the on-hold stage is not shared', () => {
    const p = plan({ base: null, crm: crm(deal({ stage: 'on-hold' })), referral: null, policy: policies(), onDelete: 'ignore' });
    expect(p.actions).toEqual([]);
    expect(p.problems[0]?.message).toMatch(/for inbound referrals/);
  });

  it('an unlinked inbound referral becomes a CRM opportunity; a terminal one does not', () => {
    expect(plan({ base: null, crm: null, referral: ref(deal({ stage: 'on-hold' })), policy: policies(), onDelete: 'ignore' }).actions).toEqual([
      { type: 'create-crm', deal: deal({ stage: 'on-hold' }) },
    ]);
    expect(plan({ base: null, crm: null, referral: ref(deal({ stage: 'expired' })), policy: policies(), onDelete: 'ignore' }).actions).toEqual([]);
  });

  it('an opportunity deleted in the CRM closes the referral as Lost under onDelete: close-lost', () => {
    const p = run({ crm: { deal: deal(), problems: [], deleted: true }, onDelete: 'close-lost' });
    expect(p.actions[0]).toMatchObject({ type: 'patch-referral' });
    expect(p.actions[1]).toEqual({ type: 'unlink' });
    expect(p.next?.stage).toBe('Lost');
  });

  it('an opportunity deleted in the CRM is only unlinked under onDelete: ignore', () => {
    const p = run({ crm: { deal: deal(), problems: [], deleted: true }, onDelete: 'ignore' });
    expect(p.actions).toEqual([{ type: 'unlink' }]);
  });
});

describe('plan: inbound referrals', () => {
  it('does not send what only the sender of an inbound referral sets (customer, contact, help type, visibility)', () => {
    const base = deal({ stage: 'on-hold' });
    const crmSide = { ...base, stage: 'Qualify' as const, customer: { ...base.customer, name: 'Other name' }, helpType: 'GeneralOrOther' as const };
    const p = plan({ base, crm: { deal: crmSide, problems: [], deleted: false }, referral: null, policy: () => 'crm-wins', onDelete: 'ignore', direction: 'Incoming' });
    const ops = p.actions[0]!.type === 'patch-referral' ? p.actions[0]!.ops : [];
    expect(ops.map((o) => o.path)).toEqual(['/status', '/substatus', '/salesStage']);
    expect(p.blocked).toEqual([]);
  });
});

describe('plan: deals closed before they were ever shared', () => {
  it.each(['Won', 'Lost'] as const)('an unlinked opportunity already %s is left alone (no create, no issue)', (stage) => {
    const p = plan({ base: null, crm: { deal: deal({ stage }), problems: [], deleted: false }, referral: null, policy: () => 'crm-wins', onDelete: 'ignore' });
    expect(p).toMatchObject({ actions: [], problems: [] });
  });
});

describe('plan: required lists', () => {
  it.each(['team', 'solutions'] as const)('an empty %s in the CRM is not sent (it means "not recorded", not "remove all")', (key) => {
    const p = plan({ base: deal(), crm: { deal: { ...deal(), [key]: [] }, problems: [], deleted: false }, referral: null, policy: () => 'crm-wins', onDelete: 'ignore' });
    expect(p.actions).toEqual([]);
  });
});
