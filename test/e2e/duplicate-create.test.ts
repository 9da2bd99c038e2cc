/**
 * Issue 13 §4 end to end: the store refuses a second referral for one externalReferenceId (409 naming the
 * first); the client takes that as "already created" and the sync links the named referral — no duplicate, no
 * record issue. (Here the first referral exists while the sync state has no link or pending create for it,
 * e.g. state restored from an older backup.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack('salesforce');
});
afterAll(async () => s.close());

describe('a create the store already holds', () => {
  it('the client returns the existing referral for a repeated externalReferenceId', async () => {
    const first = await s.referralFor(await firstSynced());
    const again = await s.client.create({
      name: 'again',
      externalReferenceId: first.externalReferenceId!,
      customerProfile: first.customerProfile,
      details: first.details,
      team: first.team,
      consent: first.consent,
    } as never);
    expect(again.referral.id).toBe(first.id);
  });

  it('the sync links the named referral instead of reporting an issue', async () => {
    const crmId = s.crm.create({ name: 'Pre-existing', sync: true });
    // The referral already exists for this CRM record, unknown to the sync state.
    const created = await s.client.create({
      name: 'Pre-existing (earlier run)',
      externalReferenceId: crmId,
      type: 'Independent',
      qualification: 'SalesQualified',
      customerProfile: { name: 'Pre-existing Ltd', address: { country: 'NL', city: 'Utrecht' } },
      consent: { consentToShareInfoWithOthers: false, consentToContact: true, consentToShareReferralWithMicrosoftSellers: false },
      details: { dealValue: 1000, currency: 'EUR', closingDateTime: '2026-09-30T00:00:00Z', requirements: { solutions: [{ id: 'SOL-1' }] } },
      team: [{ firstName: 'Ann', lastName: 'Lee', phoneNumber: '+31 20 555 0100', email: 'ann@partner.example' }],
    } as never);
    const posts = () => s.store.stats().byRoute['POST /v1.0/engagements/referrals'] ?? 0;
    const before = posts();
    const c = await s.sync();
    expect(posts()).toBeGreaterThan(before);
    expect(c.counts.issues).toBe(0);
    expect(await s.state.issues('salesforce')).toEqual([]);
    expect(s.crm.field(crmId, 'referralId')).toBe(created.referral.id);
    const all = await fetch(`${s.store.url}/referrals?$count=true&$filter=${encodeURIComponent(`externalReferenceId eq '${crmId}'`)}`, {
      headers: { Authorization: `Bearer ${s.store.apiKey}` },
    }).then((r) => r.json() as Promise<{ '@odata.count': number }>);
    expect(all['@odata.count']).toBe(1);
  });
});

async function firstSynced(): Promise<string> {
  const id = s.crm.create({ name: 'First', sync: true });
  await s.sync();
  return id;
}
