/**
 * Issue 14: rule problems speak the CRM's language. A referral rule's path becomes the deal field it is about,
 * and the mapping names the CRM field that deal field comes from; what the sync writes reads back by meaning.
 */
import { describe, expect, it } from 'vitest';
import { dealPathOf } from '../../../src/domain/index.js';
import { compileMapping, loadMapping } from '../../../src/mapping/index.js';

describe('messages on the CRM’s terms', () => {
  it.each([
    ['team[0].email', 'team.email'],
    ['team', 'team'],
    ['customerProfile.address.country', 'customer.country'],
    ['customerProfile.name', 'customer.name'],
    ['customerProfile.team[0].phoneNumber', 'contact.phone'],
    ['consent.consentToShareInfoWithOthers', 'contact'],
    ['details.dealValue', 'value'],
    ['details.requirements.solutions', 'solutions'],
    ['details.closingDateTime', 'closeDate'],
  ])('referral path %s is about deal field %s', (from, to) => expect(dealPathOf(from)).toBe(to));

  it('each deal field path names its CRM field(s), for both default mappings', () => {
    const sf = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const d365 = compileMapping(loadMapping('mappings/dynamics365.yaml'));
    expect(['team.email', 'value', 'customer.country', 'stage', 'team'].map((p) => sf.fieldFor(p))).toEqual([
      'Owner.Email',
      'Amount',
      'Account.BillingCountry',
      'StageName',
      'Owner.FirstName, Owner.LastName, Owner.Email, Owner.Phone',
    ]);
    expect(['team.email', 'value', 'solutions', 'nothing'].map((p) => d365.fieldFor(p))).toEqual(['owninguser.internalemailaddress', 'estimatedvalue', 'cosell_solutions', null]);
  });

  it('a stage reads back as its class: Expired is written as a loss; a closed Dataverse row is not closed again', () => {
    const sf = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const d365 = compileMapping(loadMapping('mappings/dynamics365.yaml'));
    expect(['expired', 'declined', 'Won', 'Develop'].map((st) => sf.readBack('stage', st))).toEqual(['Lost', 'declined', 'Won', 'Develop']);
    expect(['expired', 'declined', 'Won', 'Develop', 'on-hold'].map((st) => d365.readBack('stage', st))).toEqual(['Lost', 'declined', 'Won', 'Develop', 'on-hold']);
    expect([sf.readBack('statusReason', 'x'), sf.readBack('value', 5), d365.readBack('currency', 'EUR')]).toEqual([undefined, 5, undefined]);
    expect(d365.closeFor('declined', { statecode: 0 })).toEqual({ outcome: 'lost' });
    expect(d365.closeFor('declined', { statecode: 2 })).toBeUndefined();
  });
});
