/**
 * The Partner Center Referrals REST contract served by the store, driven over real HTTP: the doc examples,
 * auth, headers, ETags, legacy PUT, and the bad-input list (each bad request changes nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, deal, replace, startTestStore, type TestStore } from './store-harness.js';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => t.close());

/** Microsoft's "Create a referral" request example (private deal), PascalCase consent keys and all. */
const DOCS_CREATE_EXAMPLE = {
  name: 'Contoso Test Deal - [Private]',
  qualification: 'SalesQualified',
  type: 'Independent',
  customerProfile: {
    name: 'Contoso Customer Inc',
    address: { addressLine1: 'One Microsoft Way', addressLine2: '34', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
    size: '10to50employees',
    team: [{ firstName: 'Sue', lastName: 'Smith', phoneNumber: '1234567890', email: 'sue@contoso.com' }],
  },
  consent: {
    ConsentToToShareInfoWithOthers: true,
    ConsentToContact: true,
    ConsentToMicrosoftToContactSpecificPartners: true,
    consentToShareReferralWithMicrosoftSellers: false,
  },
  details: {
    notes: "Customer is looking to leverage Dynamics 365 to manage their supply chain. There's also a need to leverage a set of custom apps to enable their business processes.",
    dealValue: 50000,
    currency: 'USD',
    closingDateTime: '2024-11-14T00:00:00Z',
    requirements: {
      solutions: [{ type: 'Name', id: 'SOL-15974-MQF', name: 'Contoso-Ale_Test', publisherName: 'Contoso_Test', solutionType: '3P' }],
      additionalRequirements: { iot: {}, attributes: [{ id: 'HaveNotDecided', type: 'CustomerMarketplaceIntent' }] },
    },
  },
  team: [{ firstName: 'John', lastName: 'Doe', phoneNumber: '1231231234', email: 'john@contoso.com' }],
  target: [],
};

async function snapshot(id: string) {
  const r = await t.api.get(`/referrals/${id}`);
  return { etag: r.headers.get('etag'), body: r.body };
}

describe('Partner Center doc examples', () => {
  it('"Create a referral" example: 201, ETag, Location, private deal, consent keys normalised', async () => {
    const r = await t.api.post('/referrals', DOCS_CREATE_EXAMPLE);
    expect(r.status).toBe(201);
    expect(r.headers.get('etag')).toBe(r.body.eTag);
    expect(r.headers.get('location')).toBe(`${t.store.url}/referrals/${r.body.id}`);
    expect(r.body).toMatchObject({ status: 'Active', substatus: 'Accepted', direction: 'Outgoing', dealType: 'private', type: 'Independent' });
    expect(r.body.consent.consentToToShareInfoWithOthers).toBe(true);
    expect(r.body.consent.consentToMicrosoftToContactSpecificPartners).toBe(true);
    expect(r.body.customerProfile.size).toBe('10to50employees');
    expect(r.body.details.requirements.additionalRequirements.attributes[0].id).toBe('HaveNotDecided');
    expect(r.body.links.relatedReferrals.uri).toContain(encodeURIComponent(`engagementId eq '${r.body.engagementId}'`));
  });

  it('"Update a referral" example: string dealValue coerced, /team/- appended, Prefer: return=representation → 200 + body', async () => {
    const created = await t.api.post('/referrals', deal());
    const r = await t.api.patch(
      `/referrals/${created.body.id}`,
      [
        { op: 'replace', path: '/details/dealValue', value: '10000' },
        { op: 'add', path: '/team/-', value: { FirstName: 'Jane', LastName: 'Roe', PhoneNumber: '+1 425 555 0100', Email: 'jane.roe@partner.example' } },
      ],
      { Prefer: 'return=representation', 'If-Match': created.headers.get('etag')! },
    );
    expect(r.status).toBe(200);
    expect(r.body.details.dealValue).toBe(10000);
    expect(r.body.team).toHaveLength(2);
    expect(r.body.team[1]).toMatchObject({ firstName: 'Jane', email: 'jane.roe@partner.example' });
    expect(r.headers.get('etag')).toBe(r.body.eTag);
    expect(r.headers.get('etag')).not.toBe(created.headers.get('etag'));
  });

  it('older doc example: contactPreference objects, "ids": {}, industries/products/services', async () => {
    const r = await t.api.post('/referrals', {
      ...deal(),
      customerProfile: {
        name: 'Contoso',
        address: { addressLine1: 'One Microsoft Way', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
        size: '10to50employees',
        team: [
          { contactPreference: { locale: 'en-us', disableNotifications: false }, firstName: 'Sue', lastName: 'Smith', phoneNumber: '1234567890', email: 'sue.smith@contoso.com' },
        ],
        ids: {},
      },
      details: {
        notes: 'Customer is looking to leverage Dynamics 365 to manage their supply chain.',
        dealValue: 50000,
        currency: 'USD',
        closingDateTime: '2018-11-14T00:00:00Z',
        requirements: {
          industries: [{ id: 'Manufacturing' }],
          products: [{ id: 'Dynamics365Enterprise' }],
          services: [{ id: 'DeploymentOrMigration' }],
          solutions: [{ name: 'Dynamics 365 for Field Service', type: 'Category', id: 'Dynamics365forFieldService' }],
        },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.customerProfile.ids).toEqual([]);
    expect(r.body.customerProfile.team[0].contactPreference).toEqual({ locale: 'en-us', disableNotifications: false });
  });

  it('read-only properties in a create body (createdDateTime, updatedDateTime, eTag) are ignored', async () => {
    const r = await t.api.post('/referrals', deal({ createdDateTime: '2018-11-06T18:40:42.6178337Z', updatedDateTime: '2018-11-06T18:40:42.6178337Z', eTag: '"x"' }));
    expect(r.status).toBe(201);
    expect(r.body.createdDateTime).not.toBe('2018-11-06T18:40:42.6178337Z');
    expect(r.body.createdDateTime.startsWith('2026-')).toBe(true);
  });

  it('"Update a referral (obsolete)" PUT example: whole body, PascalCase Substatus, Won completes the stages', async () => {
    const created = (await t.api.post('/referrals', deal({ type: 'Shared', inviteContext: { assistanceRequestCode: 'GeneralOrOther' } }))).body;
    const docsBody = {
      id: created.id,
      externalReferenceId: 'mycrmid1234',
      status: 'Closed',
      Substatus: 'Won',
      StatusReason: 'Customer engagement was a success!',
      qualification: 'SalesQualified',
      type: 'Shared',
      customerProfile: {
        name: 'AdventureWorks',
        address: { addressLine1: 'One Microsoft Way', addressLine2: '34', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
        size: '10to50employees',
        team: [
          { firstName: 'John', lastName: 'Doe', phoneNumber: '1234567890', email: 'john.doe@adventure-works.com' },
          { firstName: 'Dawn', lastName: 'Smith', phoneNumber: '4035698759', email: 'dawn.smith@adventure-works.com' },
        ],
        ids: {},
      },
      consent: {
        consentToToShareInfoWithOthers: true,
        consentToContact: true,
        consentToMicrosoftToContactSpecificPartners: true,
        consentToShareReferralWithMicrosoftSellers: true,
      },
      details: { notes: 'Customer is looking to leverage Microsoft 365 in their bicycle store chain.', requirements: {} },
      team: [{ firstName: 'Luke', lastName: 'Johnson', phoneNumber: '1231231234', email: 'luke.johnson@fabrikam.com' }],
      inviteContext: { assistanceRequestCode: 'GeneralOrOther' },
    };
    const r = await t.api.req('PUT', `/referrals/${created.id}`, docsBody, { 'If-Match': created.eTag });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'Closed',
      substatus: 'Won',
      statusReason: 'Customer engagement was a success!',
      salesStage: 'Close',
      engagementId: created.engagementId,
    });
    expect(r.body.stageHistory.map((h: { salesStage: string }) => h.salesStage)).toEqual(['Qualify', 'Develop', 'Propose', 'Close']);
  });

  it("keys as the docs' property tables spell them (ExternalReferenceID, PascalCase) bind like camelCase", async () => {
    const { externalReferenceId: _x, name: _n, ...rest } = deal();
    const r = await t.api.post('/referrals', { ...rest, Name: 'Pascal deal', ExternalReferenceID: 'CRM-PASCAL-1' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Pascal deal', externalReferenceId: 'CRM-PASCAL-1' });
  });

  it('PATCH without Prefer answers 204 with the new ETag; JSON Patch content type is accepted', async () => {
    const created = await t.api.post('/referrals', deal());
    const r = await t.api.patch(`/referrals/${created.body.id}`, [replace('/details/notes', 'x')], { 'content-type': 'application/json-patch+json' });
    expect(r.status).toBe(204);
    const after = await snapshot(created.body.id);
    expect(after.etag).toBe(r.headers.get('etag'));
    expect(after.body.details.notes).toBe('x');
  });
});

describe('auth and headers', () => {
  it('missing or wrong key → 401 unauthenticated', async () => {
    for (const key of [null, 'wrong-key-123']) {
      const r = await client(t.store.url, key).get('/referrals');
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthenticated');
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it("another organization's referral → 404, and it is absent from its list", async () => {
    const other = await t.partner('Other Partner');
    const mine = await t.api.post('/referrals', deal());
    expect((await other.api.get(`/referrals/${mine.body.id}`)).status).toBe(404);
    expect((await other.api.patch(`/referrals/${mine.body.id}`, [replace('/name', 'x')])).status).toBe(404);
    const list = await other.api.get('/referrals');
    expect(list.body.value.map((r: { id: string }) => r.id)).not.toContain(mine.body.id);
  });

  it('admin endpoints need the admin key (403 for an organization key)', async () => {
    expect((await client(t.store.origin, null).get('/_admin/organizations')).status).toBe(401);
    expect((await client(t.store.origin, t.store.apiKey).get('/_admin/organizations')).status).toBe(403);
    expect((await t.admin.get('/_admin/organizations')).status).toBe(200);
  });

  it('request-id on every response; client-request-id and MS-CorrelationId echoed', async () => {
    const r = await t.api.get('/referrals?$top=1', { 'client-request-id': 'c-123', 'MS-CorrelationId': 'corr-9' });
    expect(r.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('client-request-id')).toBe('c-123');
    expect(r.headers.get('ms-correlationid')).toBe('corr-9');
  });

  it('GET returns the ETag header matching eTag in the body', async () => {
    const created = await t.api.post('/referrals', deal());
    const r = await t.api.get(`/referrals/${created.body.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(r.body.eTag);
    expect(r.body.eTag).toBe(created.body.eTag);
  });
});

describe('ETags and legacy PUT', () => {
  it('PATCH with a stale If-Match → 412 preconditionFailed, nothing changes', async () => {
    const created = await t.api.post('/referrals', deal());
    const stale = created.headers.get('etag')!;
    expect((await t.api.patch(`/referrals/${created.body.id}`, [replace('/name', 'first')], { 'If-Match': stale })).status).toBe(204);
    const r = await t.api.patch(`/referrals/${created.body.id}`, [replace('/name', 'second')], { 'If-Match': stale });
    expect(r.status).toBe(412);
    expect(r.body.error.code).toBe('preconditionFailed');
    expect((await snapshot(created.body.id)).body.name).toBe('first');
  });

  it('PUT without If-Match → 428; stale → 412; current → 200; links in body → 400', async () => {
    const created = await t.api.post('/referrals', deal());
    const { links: _links, eTag: _e, ...body } = created.body;
    const put = (b: unknown, h: Record<string, string> = {}) => t.api.req('PUT', `/referrals/${created.body.id}`, b, h);
    expect((await put({ ...body, name: 'x' })).status).toBe(428);
    expect((await put({ ...body, name: 'x' }, { 'If-Match': '"nope"' })).status).toBe(412);
    const withLinks = await put({ ...body, links: {} }, { 'If-Match': created.headers.get('etag')! });
    expect(withLinks.status).toBe(400);
    expect(withLinks.body.error.target).toBe('links');
    const ok = await put({ ...body, name: 'Renamed by PUT' }, { 'If-Match': created.headers.get('etag')! });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('Renamed by PUT');
  });
});

describe('bad input gets the documented error body and changes nothing', () => {
  let id: string;
  let before: { etag: string | null; body: unknown };
  beforeAll(async () => {
    id = (await t.api.post('/referrals', deal())).body.id;
    before = await snapshot(id);
  });

  const expectUnchanged = async () => expect(await snapshot(id)).toEqual(before);
  const expectError = (r: { status: number; body: any }, status: number, code: string) => {
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ code });
    expect(typeof r.body.error.message).toBe('string');
    expect(r.body.error).toHaveProperty('target');
  };

  it('malformed JSON → 400', async () => {
    expectError(await t.api.patch(`/referrals/${id}`, '[{"op":"replace",'), 400, 'invalidRequest');
    expectError(await t.api.post('/referrals', '{"name":'), 400, 'invalidRequest');
    await expectUnchanged();
  });

  it('non-JSON content type → 415', async () => {
    expectError(await t.api.patch(`/referrals/${id}`, 'name=x', { 'content-type': 'text/plain' }), 415, 'unsupportedMediaType');
    await expectUnchanged();
  });

  it('wrong types → 400 naming the field', async () => {
    const r = await t.api.patch(`/referrals/${id}`, [replace('/details/dealValue', 'lots')]);
    expectError(r, 400, 'invalidRequest');
    expect(r.body.error.target).toBe('details.dealValue');
    await expectUnchanged();
  });

  it('unknown properties → 400 naming each (create and patch)', async () => {
    const c = await t.api.post('/referrals', deal({ colour: 'blue', details: { ...(deal().details as object), extra: 1 } }));
    expectError(c, 400, 'invalidRequest');
    const targets = c.body.error.details.map((d: { target: string }) => d.target);
    expect(targets).toEqual(expect.arrayContaining(['colour', 'details.extra']));
    const p = await t.api.patch(`/referrals/${id}`, [replace('/noSuchField', 1)]);
    expectError(p, 400, 'invalidRequest');
    expect(p.body.error.target).toBe('noSuchField');
    await expectUnchanged();
  });

  it('JSON Patch op other than add/replace → 400', async () => {
    for (const op of ['remove', 'move', 'copy', 'test']) {
      const r = await t.api.patch(`/referrals/${id}`, [{ op, path: '/name', value: 'x', from: '/name' }]);
      expectError(r, 400, 'invalidRequest');
    }
    await expectUnchanged();
  });

  it('a path that does not exist (array index out of range, through a scalar) → 400', async () => {
    expectError(await t.api.patch(`/referrals/${id}`, [replace('/team/5/email', 'a@b.example')]), 400, 'invalidRequest');
    expectError(await t.api.patch(`/referrals/${id}`, [replace('/name/first', 'x')]), 400, 'invalidRequest');
    await expectUnchanged();
  });

  it('oversize body → 413 payloadTooLarge', async () => {
    const big = [replace('/details/notes', 'x'.repeat(1_100_000))];
    expectError(await t.api.patch(`/referrals/${id}`, big), 413, 'payloadTooLarge');
    await expectUnchanged();
  });

  it('invalid $filter → 400 with the position', async () => {
    const r = await t.api.get(`/referrals?$filter=${encodeURIComponent("status eq 'New' and")}`);
    expectError(r, 400, 'invalidRequest');
    expect(r.body.error.target).toBe('$filter');
    expect(r.body.error.message).toContain('position 15');
    const unknown = await t.api.get(`/referrals?$filter=${encodeURIComponent('colour eq 1')}`);
    expect(unknown.body.error.message).toContain("unknown property 'colour'");
  });

  it('unknown id → 404 itemNotFound', async () => {
    expectError(await t.api.get('/referrals/does-not-exist'), 404, 'itemNotFound');
    expectError(await t.api.patch('/referrals/does-not-exist', [replace('/name', 'x')]), 404, 'itemNotFound');
  });

  it('create with every problem listed, each with its path', async () => {
    const r = await t.api.post(
      '/referrals',
      deal({ name: '', team: [], details: { dealValue: -5, currency: 'XXX1' }, customerProfile: { name: 'C', address: { country: 'Narnia' } } }),
    );
    expectError(r, 400, 'invalidRequest');
    const targets = r.body.error.details.map((d: { target: string }) => d.target);
    expect(targets).toEqual(
      expect.arrayContaining([
        'name',
        'team',
        'details.dealValue',
        'details.currency',
        'details.closingDateTime',
        'customerProfile.address.country',
        'details.requirements.solutions',
      ]),
    );
  });
});
