/**
 * Issue 14: what a rep sees must be true, on both CRMs. Each scenario runs over HTTP against a CRM sandbox, the
 * real connector and the embedded store.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { summaryLine } from '../../src/cli/progress.js';
import { useStack, type CrmKind, type OppSpec, type Stack } from './stack.js';

describe.each<CrmKind>(['salesforce', 'dynamics365'])('%s', (kind) => {
  const stack = useStack(kind);
  let s: Stack;
  beforeEach(() => {
    s = stack();
  });

  /** A new opportunity, synced once (shared, or reported): its id. */
  async function shared(spec?: OppSpec): Promise<string> {
    const id = s.crm.create(spec);
    await s.sync();
    return id;
  }

  /** An inbound referral from Microsoft, synced into the CRM: its id and the opportunity's. */
  async function inbound(name: string): Promise<{ rid: string; id: string }> {
    const rid = String((await s.admin('microsoft/referrals', { name })).id);
    await s.sync();
    return { rid, id: s.crm.withReferral(rid)! };
  }

  describe('the rep is told the truth', () => {
    /** Two more cycles after a terminal state: nothing blocked, nothing written, the line is not a ✖ blocked. */
    async function expectQuietAfter(id: string) {
      for (let i = 0; i < 2; i++) {
        const c = await s.sync();
        expect(c.counts.blocked, `cycle ${i + 1} after the terminal state`).toBe(0);
        expect(c.counts.updated).toBe(0);
      }
      expect(String(s.crm.field(id, 'statusLine'))).not.toMatch(/✖/);
      expect((await s.state.linkCounts(kind)).blocked).toBe(0);
    }

    it('an inbound referral that expires: the sync writes the expired stage and does not read it back as an edit', async () => {
      const { id } = await inbound('Inbound late');
      await s.admin('clock', { advanceDays: 15 });
      const c = await s.sync();
      expect(c.counts.blocked).toBe(0);
      expect(s.crm.field(id, 'substatus')).toBe('Expired');
      await expectQuietAfter(id);
    });

    it.each(['Won', 'Lost'] as const)('a referral set %s on the Partner Center side reads back as no change', async (outcome) => {
      const id = await shared({ stage: 'Close' });
      const r = await s.referralFor(id);
      const ops = [
        { op: 'replace' as const, path: '/status', value: 'Closed' },
        { op: 'replace' as const, path: '/substatus', value: outcome },
        ...(outcome === 'Lost' ? [{ op: 'replace' as const, path: '/statusReason', value: 'Budget cut' }] : []),
      ];
      await s.client.patch(r.id, ops, r.eTag ?? null);
      const c = await s.sync();
      expect(c.counts.blocked).toBe(0);
      expect(s.crm.field(id, 'substatus')).toBe(outcome);
      await expectQuietAfter(id);
      expect((await s.referralFor(id)).substatus).toBe(outcome);
    });

    it.each(['win', 'lose'] as const)('a deal the rep closes (%s) in the CRM stays quiet afterwards', async (how) => {
      const id = await shared({ stage: 'Propose' });
      if (how === 'win') s.crm.win(id);
      else s.crm.lose(id, 'Competitor');
      const c = await s.sync();
      expect(c.counts.updated).toBe(1);
      await expectQuietAfter(id);
    });

    it.each(['win', 'lose'] as const)(
      'after the rep closes (%s) the deal, its referral status on the record is true (a closed Dataverse row still takes API writes)',
      async (how) => {
        const id = await shared({ stage: 'Propose' });
        expect(s.crm.referralStatusOf(id)).toEqual(['Active', 'Accepted']);
        if (how === 'win') s.crm.win(id);
        else s.crm.lose(id, 'Competitor');
        await s.sync();
        expect(s.crm.referralStatusOf(id)).toEqual(['Closed', how === 'win' ? 'Won' : 'Lost']);
      },
    );

    it('an inbound referral the rep declines stays quiet afterwards', async () => {
      const { rid, id } = await inbound('Inbound no');
      s.crm.decline(id, 'No capacity');
      await s.sync();
      expect((await s.client.read(rid))!.referral.substatus).toBe('Declined');
      await expectQuietAfter(id);
    });

    it('an inbound referral declined by its stage alone: the opportunity ends the way the mapping says', async () => {
      const { rid, id } = await inbound('Inbound maybe');
      s.crm.declineByStage(id, 'Not our field');
      await s.sync();
      const r = (await s.client.read(rid))!.referral;
      expect([r.substatus, r.statusReason]).toEqual(['Declined', 'Not our field']);
      if (kind === 'salesforce') expect(s.crm.raw(id, 'StageName')).toBe('Declined Referral');
      else expect([s.crm.raw(id, 'statecode'), s.crm.raw(id, 'stepname')]).toEqual([2, 'Declined Referral']);
      expect(s.crm.field(id, 'substatus')).toBe('Declined');
      await expectQuietAfter(id);
    });

    it('a deal already won or lost when first seen is not shared, and the line says so', async () => {
      const won = s.crm.create({ name: 'Done deal' });
      const lost = s.crm.create({ name: 'Gone deal' });
      s.crm.win(won);
      s.crm.lose(lost, 'Competitor');
      await s.sync();
      await expect(s.referralFor(won)).rejects.toThrow(/no referral/);
      expect(String(s.crm.field(won, 'statusLine'))).toMatch(/^– not shared: already won when first seen/);
      expect(String(s.crm.field(lost, 'statusLine'))).toMatch(/^– not shared: already lost when first seen/);
    });
  });

  describe('a bad change is held on its field, the rest flows', () => {
    const patches = () => s.store.stats().byRoute['PATCH /v1.0/engagements/referrals/:id'] ?? 0;
    const ownerEmail = kind === 'salesforce' ? 'Owner.Email' : 'owninguser.internalemailaddress';
    const amount = kind === 'salesforce' ? 'Amount' : 'estimatedvalue';
    const country = kind === 'salesforce' ? 'Account.BillingCountry' : 'parentaccountid.address1_country';

    it("emptying the owner's e-mail: the team is not sent, the line names the owner's field, the amount flows", async () => {
      const id = await shared();
      s.crm.setOwnerEmail(id, null);
      s.crm.setAmount(id, 20_000);
      const c = await s.sync();
      expect(c.counts.issues).toBe(1);
      const r = await s.referralFor(id);
      expect(r.team?.map((m) => m.email)).toEqual(['ann@partner.example']);
      expect(r.details?.dealValue).toBe(20_000);
      const line = String(s.crm.field(id, 'statusLine'));
      expect(line).toMatch(/^✖ /);
      expect(line).toContain(`${ownerEmail}: e-mail address is required`);
      expect((await s.state.issues(kind)).map((i) => i.recordKey)).toEqual([`crm:${id}`]);
    });

    it('a bad amount on a linked deal is checked before the call, names the CRM field, and sends nothing invalid', async () => {
      const id = await shared();
      const before = patches();
      s.crm.setAmount(id, -1);
      s.crm.setNotes(id, 'still moving');
      await s.sync();
      const r = await s.referralFor(id);
      expect(r.details?.dealValue).toBe(12_500);
      expect(r.details?.notes).toBe('still moving');
      expect(patches()).toBe(before + 1);
      const line = String(s.crm.field(id, 'statusLine'));
      expect(line).toContain(`value: ${amount}: estimated value must be greater than 0`);
      expect(line).not.toMatch(/Partner Center rejected/);
    });

    it('a blocked edit and a conflict name the CRM field', async () => {
      const id = await shared({ notes: 'start' });
      const r = await s.referralFor(id);
      await s.client.patch(r.id, [{ op: 'replace', path: '/details/notes', value: 'from Partner Center' }], r.eTag ?? null);
      s.crm.setNotes(id, 'from the CRM');
      await s.sync();
      const notes = kind === 'salesforce' ? 'Description' : 'description';
      expect(String(s.crm.field(id, 'statusLine'))).toMatch(new RegExp(`^✖ conflict on notes \\(${notes}\\)`));
      s.crm.win(id);
      await s.sync();
      s.crm.editAfterClose(id, 5);
      await s.sync();
      expect(String(s.crm.field(id, 'statusLine'))).toMatch(new RegExp(`^✖ blocked: the referral is Won: .*\\(${amount}[,)]`));
    });

    it("emptying the account's country reports that field and lets the amount through, like changing it does", async () => {
      const id = await shared();
      s.crm.setAccountCountry(id, null);
      s.crm.setAmount(id, 30_000);
      await s.sync();
      const r = await s.referralFor(id);
      expect(r.details?.dealValue).toBe(30_000);
      expect(r.customerProfile?.address?.country).toBe('NL');
      expect(String(s.crm.field(id, 'statusLine'))).toMatch(new RegExp(`^✖ customer\\.country: ${country.replace(/\./g, '\\.')} is empty`));
    });
  });

  describe('a fix where the message points is picked up', () => {
    /** Let the record fall behind the change cursor: a later second and another change synced (Salesforce re-reads its last second). */
    const issueKeys = async () => (await s.state.issues(kind)).map((i) => i.recordKey);
    async function moveOn() {
      await s.sync();
      await new Promise((r) => setTimeout(r, 1100));
      s.crm.create({ name: 'Another deal' });
      await s.sync();
    }

    it("fixing the account's country (another record) shares the deal on the next cycle; an idle cycle stays one call per side", async () => {
      const id = await shared({ country: null });
      await moveOn(); // the fix comes after the change cursor has moved past the record
      expect(await s.state.issues(kind)).toHaveLength(1);
      s.crm.setAccountCountry(id, 'Germany');
      const fixed = await s.sync();
      expect(fixed.counts.created).toBe(1);
      expect((await s.referralFor(id)).customerProfile?.address?.country).toBe('DE');
      expect(await s.state.issues(kind)).toEqual([]);
      expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^✔ synced/);
      await s.sync();
      const idle = await s.sync();
      expect([idle.counts.crmCalls, idle.counts.referralCalls]).toEqual([1, 1]);
    });

    it('the run summary says the issues seen in the run and the open ones, each labelled', async () => {
      const bad = s.crm.create({ country: null, name: 'No country' });
      s.crm.create({ country: null, name: 'No country either' });
      const first = await s.sync();
      expect(summaryLine(kind, first)).toContain('issues 2 seen this run / 2 open');
      s.crm.setAccountCountry(bad, 'France');
      const second = await s.sync();
      expect(second.openIssues).toBe((await s.state.issues(kind)).length);
      expect(summaryLine(kind, second)).toContain('issues 1 seen this run / 1 open');
    });

    it("fixing the owner's e-mail on the user record sends the held team on the next cycle", async () => {
      const id = await shared();
      s.crm.setOwnerEmail(id, null);
      s.crm.setAmount(id, 20_000);
      await s.sync();
      await moveOn(); // the fix comes after the change cursor has moved past the record
      expect(await issueKeys()).toContain(`crm:${id}`);
      s.crm.setOwnerEmail(id, 'ann.lee@partner.example');
      await s.sync();
      expect((await s.referralFor(id)).team?.map((m) => m.email)).toEqual(['ann.lee@partner.example']);
      expect(await issueKeys()).not.toContain(`crm:${id}`);
      expect(String(s.crm.field(id, 'statusLine'))).toMatch(/^✔ synced/);
    });
  });

  describe('messy values are cleaned, de-duplicated, kept or reported', () => {
    it('control characters are cleaned, repeated solutions sent once, a blank currency takes the default', async () => {
      const id = await shared({ name: 'Contoso\u0000 expansion\u0007', solutions: 'SOL-A;SOL-A; SOL-B', noCurrency: true });
      const r = await s.referralFor(id);
      expect(r.name).toBe('Contoso expansion');
      expect(r.details?.requirements?.solutions?.map((x) => x.id)).toEqual(['SOL-A', 'SOL-B']);
      expect(r.details?.currency).toBe('USD');
    });

    it("an owner's phone extension is reported on the owner's field, not dropped", async () => {
      const id = await shared();
      s.crm.setOwner(id, { first: 'Bo', last: 'Berg', email: 'bo@partner.example', phone: '+1 206 555 0100 ext. 12' });
      await s.sync();
      expect((await s.referralFor(id)).team?.map((m) => m.email)).toEqual(['ann@partner.example']);
      const phone = kind === 'salesforce' ? 'Owner.Phone' : 'owninguser.address1_telephone1';
      expect(String(s.crm.field(id, 'statusLine'))).toContain(`team.phone: ${phone}: '+1 206 555 0100 ext. 12' has an extension (12)`);
    });
  });

  describe('an inbound referral keeps what its sender set', () => {
    it('EUR 30,000 from Microsoft: created with its currency and customer account, and accepting it keeps EUR', async () => {
      const rid = String(
        (await s.admin('microsoft/referrals', { name: 'Inbound euro', currency: 'EUR', dealValue: 30_000, customer: { name: 'Fabrikam GmbH', country: 'DE', city: 'Berlin' } })).id,
      );
      await s.sync();
      const id = s.crm.withReferral(rid)!;
      expect(s.crm.currencyOf(id)).toBe('EUR');
      expect(s.crm.accountOf(id)).toMatchObject({ name: 'Fabrikam GmbH' });
      s.crm.setStage(id, 'Qualify');
      await s.sync();
      const r = (await s.client.read(rid))!.referral;
      expect([r.substatus, r.details?.currency, r.details?.dealValue]).toEqual(['Accepted', 'EUR', 30_000]);
      // A second inbound deal for the same customer finds the account instead of adding another.
      const rid2 = String((await s.admin('microsoft/referrals', { name: 'Inbound euro 2', currency: 'EUR', customer: { name: 'Fabrikam GmbH', country: 'DE' } })).id);
      await s.sync();
      const id2 = s.crm.withReferral(rid2)!;
      expect(s.crm.raw(id2, kind === 'salesforce' ? 'AccountId' : '_parentaccountid_value')).toBe(s.crm.raw(id, kind === 'salesforce' ? 'AccountId' : '_parentaccountid_value'));
    });
  });
});
