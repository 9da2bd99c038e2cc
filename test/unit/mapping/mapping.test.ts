import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../../connectors/connector.js';
import {
  compileMapping,
  loadMapping,
  toBoolean,
  toCountry,
  toCurrency,
  toDate,
  toEmail,
  toList,
  toMoney,
  toPhone,
  validateMappingText,
  checkMapping,
  suggestStages,
  previewRecord,
} from '../../../src/mapping/index.js';

describe('converters', () => {
  it.each([
    ['Netherlands', 'NL'],
    ['the netherlands', 'NL'],
    ['United States', 'US'],
    ['USA', 'US'],
    ['nl', 'NL'],
    ['DEU', 'DE'],
    ['', null],
  ])('country %j → %j', (input, out) => expect(toCountry(input)).toEqual({ ok: true, value: out }));
  it('country: a made-up name is a problem that names the value', () => {
    expect(toCountry('Narnia')).toEqual({ ok: false, problem: expect.stringContaining("'Narnia' is not a country") });
  });
  it.each([
    [12500, 12500],
    ['12,500.50', 12500.5],
    ['12.500,50', 12500.5],
    ['€ 1 000', 1000],
    [null, null],
  ])('money %j → %j', (input, out) => expect(toMoney(input)).toEqual({ ok: true, value: out }));
  it('money: text is a problem', () => expect(toMoney('lots').ok).toBe(false));
  it.each([
    ['2027-03-01', 'UTC', '2027-03-01'],
    ['2027-03-01T23:30:00.000+0000', 'UTC', '2027-03-01'],
    ['2027-03-01T23:30:00Z', 'Europe/Amsterdam', '2027-03-02'],
  ])('date %j in %s → %j', (input, tz, out) => expect(toDate(input, tz)).toEqual({ ok: true, value: out }));
  it('date: garbage is a problem', () => expect(toDate('next tuesday').ok).toBe(false));
  it('currency: ISO codes pass, others are named', () => {
    expect(toCurrency('eur')).toEqual({ ok: true, value: 'EUR' });
    expect(toCurrency('EURO')).toEqual({ ok: false, problem: expect.stringContaining("'EURO' is not an ISO 4217") });
  });
  it('phone: normalised to E.164 when possible, nonsense rejected', () => {
    expect(toPhone('+31 20 123 4567')).toEqual({ ok: true, value: '+31201234567' });
    expect(toPhone('call me').ok).toBe(false);
  });
  it('email: lower-cased, invalid rejected', () => {
    expect(toEmail('Ann@Partner.Example')).toEqual({ ok: true, value: 'ann@partner.example' });
    expect(toEmail('ann-at-partner').ok).toBe(false);
  });
  it('list and boolean', () => {
    expect(toList('SOL-1; SOL-2;')).toEqual({ ok: true, value: ['SOL-1', 'SOL-2'] });
    expect(toBoolean('Yes')).toEqual({ ok: true, value: true });
    expect(toBoolean('maybe').ok).toBe(false);
  });
});

describe('mapping files', () => {
  it('validate reports all three mistakes with positions', () => {
    const file = 'test/fixtures/mappings/three-mistakes.yaml';
    const r = validateMappingText(readFileSync(file, 'utf8'), file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const where = r.problems.map((p) => `${p.line}:${p.column} ${p.path}`).sort();
    expect(where).toEqual(['9:36 fields.value.convert', '10:3 fields', '6:17 stages.map.Closed Won'].sort());
    expect(r.problems.find((p) => p.path === 'fields')?.message).toMatch(/unknown key 'colour'/);
  });

  const SF_STAGES = [
    'Prospecting',
    'Qualification',
    'Needs Analysis',
    'Value Proposition',
    'Id. Decision Makers',
    'Perception Analysis',
    'Proposal/Price Quote',
    'Negotiation/Review',
    'Closed Won',
    'Closed Lost',
    'Microsoft Referral – On Hold',
    'Declined Referral',
    'Solution Design',
  ];
  it('the default Salesforce mapping maps every stage of the sandbox', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    for (const s of SF_STAGES) expect(c.stageOf({ StageName: s }).problem, s).toBeUndefined();
    expect(c.stageOf({ StageName: 'Closed Won' }).stage).toBe('Won');
    expect(c.stageOf({ StageName: 'Negotiation/Review' }).stage).toBe('Close');
  });

  it('the default Dynamics 365 mapping maps every sales stage and state', () => {
    const c = compileMapping(loadMapping('mappings/dynamics365.yaml'));
    expect([0, 1, 2, 3].map((s) => c.stageOf({ salesstage: s, statecode: 0, statuscode: 1 }).stage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
    expect(c.stageOf({ salesstage: 2, statecode: 1, statuscode: 3 }).stage).toBe('Won');
    expect(c.stageOf({ salesstage: 2, statecode: 2, statuscode: 4 }).stage).toBe('Lost');
    expect(c.stageOf({ salesstage: 0, statecode: 0, statuscode: 2, stepname: 'Microsoft Referral – On Hold' }).stage).toBe('on-hold');
    expect(c.stageOf({ salesstage: 1, statecode: 0, statuscode: 2 }).stage).toBe('Develop');
    expect(c.stageOf({ salesstage: 0, statecode: 2, stepname: 'Declined Referral' }).stage).toBe('declined');
  });

  const sfRecord = (fields: Record<string, unknown>): CrmRecord => ({ id: '006A', version: 'v', modifiedAt: '', deleted: false, fields });
  const good = {
    Name: 'Contoso expansion',
    StageName: 'Value Proposition',
    Amount: 12500,
    CurrencyIsoCode: 'EUR',
    CloseDate: '2027-03-01',
    Description: 'notes',
    How_can_Microsoft_help__c: 'ProofOfConceptOrDemo',
    Visible_to_Microsoft__c: true,
    Partner_Center_Solutions__c: 'SOL-1;SOL-2',
    Account: { Name: 'Contoso', BillingCountry: 'Netherlands', BillingCity: 'Utrecht' },
    Owner: { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+31 20 123 4567' },
  };

  it('messy values are cleaned, de-duplicated, defaulted or reported — never silently lost', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const messy = sfRecord({ ...good, Name: 'Contoso\u0000\u001b expansion\u0085', CurrencyIsoCode: '   ', Partner_Center_Solutions__c: 'SOL-1;SOL-1;SOL-2' });
    const { deal, problems } = c.toDeal(messy);
    expect(problems).toEqual([]);
    expect([deal.name, deal.currency, deal.solutions]).toEqual(['Contoso expansion', 'USD', ['SOL-1', 'SOL-2']]);
    const ext = c.toDeal(sfRecord({ ...good, Owner: { ...good.Owner, Phone: '+1 206 555 0100 x12' } }));
    expect(ext.problems).toEqual([{ path: 'team.phone', message: expect.stringContaining("Owner.Phone: '+1 206 555 0100 x12' has an extension (12)") }]);
  });

  it('maps a Salesforce record to deal fields', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const { deal, problems } = c.toDeal(sfRecord(good));
    expect(problems).toEqual([]);
    expect(deal).toMatchObject({
      name: 'Contoso expansion',
      stage: 'Develop',
      value: 12500,
      currency: 'EUR',
      closeDate: '2027-03-01',
      helpType: 'ProofOfConceptOrDemo',
      visibleToMicrosoft: true,
      solutions: ['SOL-1', 'SOL-2'],
      customer: { name: 'Contoso', country: 'NL', city: 'Utrecht' },
      team: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@partner.example', phone: '+31201234567' }],
    });
  });

  it('reads nested paths, whole dotted keys (Dataverse annotations) and deeper paths; a contact exists only when one of its values does', () => {
    const m = loadMapping('mappings/salesforce.yaml');
    const c = compileMapping({
      ...m,
      fields: {
        ...m.fields,
        notes: 'Amount@OData.Community.Display.V1.FormattedValue',
        campaignId: 'Campaign.Owner.Alias',
        contact: { ...m.fields.contact, email: 'Customer_Contact_Email__c' },
      },
    });
    const withContact = c.toDeal(
      sfRecord({
        ...good,
        'Amount@OData.Community.Display.V1.FormattedValue': '€12,500.00',
        Campaign: { Owner: { Alias: 'cmp-7' } },
        Customer_Contact_Email__c: 'Bo@Contoso.example',
      }),
    );
    expect(withContact.problems).toEqual([]);
    expect(withContact.deal).toMatchObject({ notes: '€12,500.00', campaignId: 'cmp-7', contact: { email: 'bo@contoso.example', firstName: null } });
    const without = c.toDeal(sfRecord({ ...good, Campaign: null }));
    expect(without.deal.contact).toBeNull();
    expect(without.deal.campaignId).toBeNull();
    const bad = c.toDeal(sfRecord({ ...good, Customer_Contact_Email__c: 'not-an-email' }));
    expect(bad.problems).toEqual([{ path: 'contact.email', message: "Customer_Contact_Email__c: 'not-an-email' is not an e-mail address" }]);
  });

  it('names the CRM field when a required value is missing or bad', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const { problems } = c.toDeal(sfRecord({ ...good, StageName: 'Imaginary', Account: { Name: 'Contoso', BillingCountry: null } }));
    expect(problems.map((p) => p.message)).toEqual([
      "Account.BillingCountry is empty: the customer's country is required",
      "StageName 'Imaginary' is not mapped to a co-sell stage (add it under stages.map)",
    ]);
  });

  it('writes deal fields back through the inverse of the mapping, skipping relationship paths', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const { deal } = c.toDeal(sfRecord(good));
    expect(c.fromDeal({ ...deal, value: 99, stage: 'Won' }, ['value', 'stage', 'customer'])).toEqual({ Amount: 99, StageName: 'Closed Won' });
    expect(c.fromDeal({ ...deal, stage: 'expired' }, ['stage'])).toEqual({ StageName: 'Closed Lost' });
    expect(c.crmStageFor('on-hold')).toEqual({ fields: { StageName: 'Microsoft Referral – On Hold' } });
  });

  it('is eligible by the sync flag, or when already linked', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    expect(c.eligible(sfRecord({ Sync_with_Partner_Center__c: true }))).toBe(true);
    expect(c.eligible(sfRecord({ Sync_with_Partner_Center__c: false }))).toBe(false);
    expect(c.eligible(sfRecord({ Sync_with_Partner_Center__c: false, Referral_Id__c: 'r1' }))).toBe(true);
  });

  it('check finds unmapped stages, missing fields and write-back fields', () => {
    const m = loadMapping('mappings/salesforce.yaml');
    const findings = checkMapping(
      m,
      compileMapping(m),
      [
        { value: 'Closed Won', label: 'Closed Won', probability: 100, isClosed: true, isWon: true, active: true, field: 'StageName' },
        { value: 'Pilot', label: 'Pilot', probability: 45, isClosed: false, isWon: false, active: true, field: 'StageName' },
      ],
      [{ name: 'Name', label: 'Name', type: 'string', custom: false, updateable: true }],
    );
    const text = findings.map((f) => f.message).join('\n');
    expect(text).toMatch(/stage 'Pilot' .* no rule maps it/);
    expect(findings.find((f) => /Pilot/.test(f.message))?.hint).toMatch(/"Pilot": Develop/);
    expect(text).toMatch(/write-back field Referral_Id__c does not exist/);
    expect(text).toMatch(/field Amount does not exist/);
  });

  it('suggest proposes stage rules from probabilities and closed flags', () => {
    const yaml = suggestStages([
      { value: 'Discovery', label: 'Discovery', probability: 20, isClosed: false, isWon: false, active: true, field: 'StageName' },
      { value: 'Deal Signed', label: 'Deal Signed', probability: 100, isClosed: true, isWon: true, active: true, field: 'StageName' },
      { value: 'Parked', label: 'Parked – on hold', probability: 10, isClosed: false, isWon: false, active: true, field: 'StageName' },
    ]);
    expect(yaml).toMatch(/Discovery: Qualify/);
    expect(yaml).toMatch(/Deal Signed: Won/);
    expect(yaml).toMatch(/Parked: on-hold/);
  });

  it('preview shows deal type, stage, percent, sources and validation problems', () => {
    const c = compileMapping(loadMapping('mappings/salesforce.yaml'));
    const p = previewRecord(c, sfRecord({ ...good, Owner: { FirstName: 'Ann' } }));
    expect(p.dealType).toBe('co-sell');
    expect(p.stage).toBe('Develop');
    expect(p.percent).toBe(40);
    expect(p.fields.find((f) => f.key === 'customer.country')).toEqual({ key: 'customer.country', source: 'Account.BillingCountry', value: 'NL' });
    expect(p.problems.map((x) => x.path)).toContain('team[0].lastName');
  });
});
