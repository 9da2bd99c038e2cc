/**
 * The README's Dynamics 365 inbound mapping, as an admin writes it: constant lookups bound with
 * `<nav>@odata.bind` (owner, currency) land on every opportunity created from an inbound referral, next to
 * the deal fields, the on-hold step and the write-backs.
 */
import { afterEach, expect, it } from 'vitest';
import { loadMapping } from '../../src/mapping/index.js';
import { startStack, type Stack } from './stack.js';

let s: Stack;
afterEach(async () => {
  await s?.close();
});

// The stack's Dataverse is seeded deterministically: its first row is the owner, its second the currency.
const OWNER = 'd365a000-0000-4000-8000-000000000001';
const EUR = 'd365a000-0000-4000-8000-000000000002';

it('inbound.fields binds the owner and currency lookups of a new Dataverse opportunity', async () => {
  const mapping = loadMapping('mappings/dynamics365.yaml');
  mapping.inbound.fields = {
    'ownerid@odata.bind': `/systemusers(${OWNER})`,
    'transactioncurrencyid@odata.bind': `/transactioncurrencies(${EUR})`,
    cosell_syncwithpartnercenter: true,
  };
  s = await startStack('dynamics365', { mapping });
  const referral = await s.admin('microsoft/referrals', { name: 'Inbound from Microsoft', dealValue: 42_000, currency: 'EUR', closeDate: '2027-06-30' });
  await s.sync();
  const id = s.crm.withReferral(String(referral.id));
  expect(id).toBeDefined();
  const [row] = await s.connector.findBy(
    'cosell_referralid',
    [String(referral.id)],
    ['_ownerid_value', '_transactioncurrencyid_value', 'name', 'estimatedvalue', 'estimatedclosedate', 'stepname', 'statuscode', 'cosell_syncwithpartnercenter'],
  );
  expect(row?.id).toBe(id);
  expect(row?.fields).toMatchObject({
    _ownerid_value: OWNER,
    _transactioncurrencyid_value: EUR,
    name: 'Inbound from Microsoft',
    estimatedvalue: 42_000,
    estimatedclosedate: '2027-06-30',
    stepname: 'Microsoft Referral – On Hold',
    statuscode: 2,
    cosell_syncwithpartnercenter: true,
  });
});
