/**
 * Notifications to the rep inside the CRM (issue 17), on both sandboxes: a new inbound referral, an expiry and
 * Microsoft's registration moves each give exactly one task on the right opportunity, owned by its owner —
 * none more on a re-run, after a crash mid-create, or for the rep's own decline.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrmTask } from '../../connectors/connector.js';
import { startStack, type CrmKind, type Stack } from './stack.js';

describe.each<CrmKind>(['salesforce', 'dynamics365'])('%s: tasks for the rep', (kind) => {
  let s: Stack;
  beforeEach(async () => {
    s = await startStack(kind);
  });
  afterEach(async () => {
    await s.close();
  });

  /** Microsoft sends a referral; one cycle creates the opportunity; returns its id. */
  async function inbound(name: string): Promise<{ crmId: string; referralId: string }> {
    const sent = await s.admin('microsoft/referrals', { name, customer: 'Adatum Corporation' });
    await s.sync();
    const crmId = s.crm.withReferral(String(sent.id));
    expect(crmId).toBeDefined();
    return { crmId: crmId!, referralId: String(sent.id) };
  }

  it('a new inbound referral: one task on its opportunity, owned by the owner, with the templates filled; none on re-runs', async () => {
    const { crmId, referralId } = await inbound('Adatum data platform');
    // An assignment rule gives the new opportunity its owner (the sandbox, unlike Salesforce, sets none itself).
    s.crm.setOwner(crmId, { first: 'Rae', last: 'Rep', email: 'rae@partner.example', phone: '+1 425 555 0110' });
    await s.afterCycle();
    const tasks = s.crm.tasks(crmId);
    expect(tasks).toEqual([
      {
        key: `inbound:${referralId}`,
        subject: 'New Microsoft co-sell referral: Adatum data platform',
        description: `Adatum Corporation was referred to you by Microsoft. Accept or decline within 14 days: ${s.store.url}/referrals/${referralId}`,
        ownerId: s.crm.ownerOf(crmId),
      },
    ]);
    expect(s.crm.ownerOf(crmId)).toBeTruthy();
    await s.sync();
    await s.afterCycle();
    await s.afterCycle();
    expect(s.crm.tasks(crmId)).toHaveLength(1);
  });

  it('an inbound referral nobody answers expires: one expiry task; the rep declining another gives none', async () => {
    const quiet = await inbound('Quiet one');
    const declined = await inbound('Declined one');
    await s.afterCycle();
    s.crm.decline(declined.crmId, 'No capacity');
    await s.sync();
    await s.admin('clock', { advanceDays: 15 });
    await s.sync();
    expect(s.crm.field(quiet.crmId, 'substatus')).toBe('Expired');
    await s.afterCycle();
    await s.afterCycle();
    expect(
      s.crm
        .tasks(quiet.crmId)
        .map((t) => t.key)
        .sort(),
    ).toEqual([`expired:${quiet.referralId}`, `inbound:${quiet.referralId}`]);
    expect(s.crm.tasks(quiet.crmId).find((t) => t.key.startsWith('expired'))?.subject).toBe('Referral expired: Quiet one');
    expect(s.crm.tasks(declined.crmId).map((t) => t.key)).toEqual([`inbound:${declined.referralId}`]);
  });

  it('a crash after the tasks were created but before anything else committed: no duplicate on the next run', async () => {
    const { crmId } = await inbound('Crashy');
    const real = s.connector.createTasks!.bind(s.connector);
    s.connector.createTasks = async (tasks: CrmTask[]) => {
      await real(tasks);
      throw new Error('connection reset after the create');
    };
    await s.afterCycle();
    expect(s.crm.tasks(crmId)).toHaveLength(1);
    s.connector.createTasks = real;
    await s.afterCycle();
    expect(s.crm.tasks(crmId)).toHaveLength(1);
  });

  it('Microsoft declines the co-sell invitation: one task with the reason; an invitation left unanswered expires: one task', async () => {
    const declined = s.crm.create({ name: 'Litware', help: 'ProofOfConceptOrDemo', visible: true });
    const ignored = s.crm.create({ name: 'Tailspin', help: 'ProofOfConceptOrDemo', visible: true });
    const accepted = s.crm.create({ name: 'Wingtip', help: 'ProofOfConceptOrDemo', visible: true });
    const privateDeal = s.crm.create({ name: 'Private' });
    await s.sync();
    const engagement = async (id: string) => (await s.referralFor(id)).engagementId;
    await s.admin('microsoft/decisions', { engagementId: await engagement(declined), decision: 'decline', reason: 'Customer already has a Microsoft partner' });
    await s.admin('microsoft/decisions', { engagementId: await engagement(accepted), decision: 'accept' });
    await s.sync();
    await s.afterCycle();
    await s.afterCycle();
    expect(s.crm.tasks(declined)).toEqual([
      expect.objectContaining({
        subject: 'Co-sell invitation declined: Litware',
        description: expect.stringMatching(/^Customer already has a Microsoft partner http/),
        ownerId: s.crm.ownerOf(declined),
      }),
    ]);
    expect(s.crm.tasks(ignored)).toEqual([]);
    expect(s.crm.tasks(accepted)).toEqual([]);
    expect(s.crm.tasks(privateDeal)).toEqual([]);
    await s.admin('clock', { advanceDays: 15 });
    await s.sync();
    await s.afterCycle();
    await s.afterCycle();
    expect(s.crm.tasks(ignored).map((t) => t.subject)).toEqual(['Referral expired: Tailspin']);
    expect(s.crm.tasks(declined)).toHaveLength(1);
  });

  it("Microsoft's registration moves: a task for action required and for failed, once each", async () => {
    const id = s.crm.create({ name: 'Contoso', help: 'ProofOfConceptOrDemo', visible: true, stage: 'Close' });
    await s.sync();
    const r = await s.referralFor(id);
    await s.admin('microsoft/decisions', { engagementId: r.engagementId, decision: 'accept' });
    await s.admin('clock', { advanceDays: 4 });
    s.crm.tickRegister(id, 'Somebody Else BV');
    s.crm.win(id);
    await s.sync();
    await s.afterCycle();
    await s.admin('clock', { advanceDays: 2 });
    await s.afterCycle();
    await s.afterCycle();
    const asked = s.crm.tasks(id);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ subject: 'Deal registration needs action: Contoso', description: expect.stringContaining("'Somebody Else BV'"), ownerId: s.crm.ownerOf(id) });
    await s.admin('microsoft/registrations', { referralId: r.id, outcome: 'failed', reason: 'no contract on file' });
    await s.afterCycle();
    await s.afterCycle();
    const all = s.crm.tasks(id);
    expect(all.map((t) => t.subject).sort()).toEqual(['Deal registration failed: Contoso', 'Deal registration needs action: Contoso']);
    expect(all.find((t) => t.subject.startsWith('Deal registration failed'))?.description).toBe('no contract on file');
  });
});
