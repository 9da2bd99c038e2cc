/**
 * Deal registration from the CRM (issue 17), on both sandboxes: the rep ticks "register" on a Won co-sell
 * deal, the store reviews it on its clock, and the progress is written back until approved; an ineligible
 * deal gets the reason; a completed review is left alone. A won Dataverse row is read-only in the app but the
 * Web API writes it, so the progress reaches the record on both CRMs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type CrmKind, type Stack } from './stack.js';

const registrationOf = async (s: Stack, crmId: string) => ((await s.referralFor(crmId)).registrations ?? [])[0] as Record<string, any> | undefined;

describe.each<CrmKind>(['salesforce', 'dynamics365'])('%s: deal registration', (kind) => {
  let s: Stack;
  beforeEach(async () => {
    s = await startStack(kind);
  });
  afterEach(async () => {
    await s.close();
  });

  /** A co-sell deal Microsoft accepted, Won four days after it was shared. */
  async function wonCoSell(contractName: string): Promise<string> {
    const id = s.crm.create({ name: 'Contoso', help: 'ProofOfConceptOrDemo', visible: true, stage: 'Close' });
    await s.sync();
    const r = await s.referralFor(id);
    expect(r.dealType).toBe('co-sell');
    await s.admin('microsoft/decisions', { engagementId: r.engagementId, decision: 'accept' });
    await s.admin('clock', { advanceDays: 4 });
    s.crm.win(id);
    await s.sync();
    expect((await s.referralFor(id)).substatus).toBe('Won');
    s.crm.tickRegister(id, contractName);
    return id;
  }

  it('tick → registered → Microsoft reviews on the store clock → approved, written back at each step; then left alone', async () => {
    const id = await wonCoSell('Contoso Ltd');
    const first = await s.registrations();
    expect(first).toMatchObject({ flagged: 1, registered: 1, refused: 0, issues: 0 });
    expect(await registrationOf(s, id)).toMatchObject({ status: 'pending', customerContractName: 'Contoso Ltd', warnings: [] });
    expect(s.crm.field(id, 'registrationStatus')).toBe('pending');
    expect(s.crm.field(id, 'registrationLine')).toBe("✔ registration pending: in Microsoft's review");
    expect((await s.registrations()).registered).toBe(0);

    await s.admin('clock', { advanceDays: 2 });
    await s.registrations();
    expect((await registrationOf(s, id))?.status).toBe('passed');
    expect(s.crm.field(id, 'registrationStatus')).toBe('passed');

    await s.admin('clock', { advanceDays: 1 });
    await s.registrations();
    expect((await registrationOf(s, id))?.status).toBe('approved');
    expect(s.crm.field(id, 'registrationStatus')).toBe('approved');
    expect(s.crm.field(id, 'registrationLine')).toBe('✔ registration approved');
    expect(s.crm.field(id, 'registrationActionRequired')).toBe(false);
    expect(await s.registrations()).toMatchObject({ flagged: 0, writtenBack: 0 });
    // The deal itself was never reopened or edited.
    expect(await s.referralFor(id)).toMatchObject({ status: 'Closed', substatus: 'Won' });
    expect((await s.sync()).counts.issues).toBe(0);
  });

  it('an ineligible deal gets the reason on the record, written once, and nothing is registered', async () => {
    const id = s.crm.create({ name: 'Fabrikam', stage: 'Close' });
    await s.sync();
    s.crm.tickRegister(id);
    const c = await s.registrations();
    expect(c).toMatchObject({ flagged: 1, registered: 0, refused: 1 });
    expect(s.crm.field(id, 'registrationLine')).toBe('✖ not eligible: only co-sell and partner-led deals can be registered (this one is private)');
    expect(s.crm.field(id, 'registrationStatus')).toBeNull();
    expect((await s.registrations()).writtenBack).toBe(0);
    expect(await registrationOf(s, id)).toBeUndefined();
  });

  it("a Won co-sell deal whose solution carries no IP incentive: the store's reason on the record, nothing registered", async () => {
    const res = await fetch(`${s.store.origin}/_admin/solutions/SOL-AZ-001`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${s.store.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incentiveProgram: null }),
    });
    expect(res.status).toBe(200);
    const id = await wonCoSell('Contoso Ltd');
    expect(await s.registrations()).toMatchObject({ flagged: 1, registered: 0, refused: 1 });
    expect(await registrationOf(s, id)).toBeUndefined();
    expect(s.crm.field(id, 'registrationLine')).toMatch(/^✖ not eligible: the deal has no incentive-eligible solution/);
  });

  it('Microsoft asks for action; the rep corrects the contract name in the CRM; the review goes on to approved', async () => {
    const id = await wonCoSell('Somebody Else BV');
    await s.registrations();
    await s.admin('clock', { advanceDays: 2 });
    await s.registrations();
    expect(s.crm.field(id, 'registrationStatus')).toBe('actionRequired');
    expect(s.crm.field(id, 'registrationActionRequired')).toBe(true);
    expect(String(s.crm.field(id, 'registrationLine'))).toMatch(/^✖ registration needs action: the company name on the contract \('Somebody Else BV'\)/);
    s.crm.setContractName(id, 'Contoso Ltd');
    await s.registrations();
    expect(await registrationOf(s, id)).toMatchObject({ status: 'pending', customerContractName: 'Contoso Ltd' });
    expect(s.crm.field(id, 'registrationActionRequired')).toBe(false);
    await s.admin('clock', { advanceDays: 2 });
    await s.registrations();
    expect(s.crm.field(id, 'registrationStatus')).toBe('passed');
    await s.admin('clock', { advanceDays: 1 });
    await s.registrations();
    expect(s.crm.field(id, 'registrationStatus')).toBe('approved');
  });
});
