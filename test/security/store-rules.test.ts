/**
 * Issue 13 §2–§8 against a live store, each as it was reproduced on main: the request, then proof that the
 * store refused it and changed nothing (same ETag) — and kept serving everybody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coSellDeal, deal, replace, startTestStore, type Client, type Res, type TestStore } from '../contract/store/store-harness.js';
import { raw } from './attack.js';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => t.close());

const created = async (api: Client, body: Record<string, unknown>) => {
  const r = await api.post('/referrals', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, etag: r.headers.get('etag')!, body: r.body };
};
const etagOf = async (id: string) => (await t.api.get(`/referrals/${id}`)).headers.get('etag');
const patch = (id: string, ops: unknown[]) => t.api.patch(`/referrals/${id}`, ops, { Prefer: 'return=representation' });
const refused = (r: Res, status: number, target?: string) => {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  if (target) expect(r.body.error.target, JSON.stringify(r.body)).toBe(target);
};

describe('§2 prototype pollution through JSON Patch', () => {
  it('every prototype path is refused; Object.prototype untouched; creates of every tenant still work', async () => {
    const r = await created(t.api, deal());
    for (const path of [
      '/__proto__/x',
      '/__proto__',
      '/constructor/prototype/x',
      '/constructor/x',
      '/details/__proto__/x',
      '/team/0/__proto__/polluted',
      '/__PROTO__/x',
      '/~5f_proto__/x',
    ]) {
      for (const op of ['add', 'replace']) {
        const res = await patch(r.id, [{ op, path, value: { polluted: true, id: 'x' } }]);
        expect(res.status, `${op} ${path}: ${JSON.stringify(res.body)}`).toBe(400);
      }
    }
    const proto = Object.prototype as Record<string, unknown>;
    expect([proto.x, proto.polluted, proto.org, proto.id]).toEqual([undefined, undefined, undefined, undefined]);
    expect(await etagOf(r.id)).toBe(r.etag);
    const other = await t.partner('Bystander');
    await created(other.api, deal());
    await created(t.api, deal());
  });

  it('a value with a __proto__ key pollutes nothing and is refused as an unknown property', async () => {
    const r = await created(t.api, deal());
    const res = await t.api.patch(`/referrals/${r.id}`, `[{"op":"replace","path":"/details","value":{"__proto__":{"polluted":1},"notes":"n"}}]`);
    expect(res.status).toBe(400);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(await etagOf(r.id)).toBe(r.etag);
  });
});

describe('§3 visibility to Microsoft is never withdrawn, whatever the spelling', () => {
  it('null, {}, null consent, removed member, a PUT without consent: all refused', async () => {
    const r = await created(t.api, deal({ consent: { consentToShareInfoWithOthers: true, consentToContact: true, consentToShareReferralWithMicrosoftSellers: true } }));
    expect(r.body.dealType).toBe('partner-led');
    for (const ops of [
      [replace('/consent/consentToShareReferralWithMicrosoftSellers', null)],
      [replace('/consent/consentToShareReferralWithMicrosoftSellers', false)],
      [replace('/consent', {})],
      [replace('/consent', null)],
      [replace('/consent', { consentToShareInfoWithOthers: true })],
      [{ op: 'remove', path: '/consent/consentToShareReferralWithMicrosoftSellers' }],
    ]) {
      const res = await patch(r.id, ops);
      expect(res.status, `${JSON.stringify(ops)} → ${JSON.stringify(res.body)}`).toBe(400);
    }
    const current = (await t.api.get(`/referrals/${r.id}`)).body;
    const { consent: _c, links: _l, eTag: _e, ...withoutConsent } = current;
    const put = await t.api.req('PUT', `/referrals/${r.id}`, withoutConsent, { 'If-Match': r.etag });
    refused(put, 400, 'consent.consentToShareReferralWithMicrosoftSellers');
    expect(await etagOf(r.id)).toBe(r.etag);
    expect((await t.api.get(`/referrals/${r.id}`)).body.dealType).toBe('partner-led');
  });

  it('a co-sell deal stays Shared: type null or Independent refused', async () => {
    const r = await created(t.api, coSellDeal());
    const etag = await etagOf(r.id);
    refused(await patch(r.id, [replace('/type', null)]), 400, 'type');
    refused(await patch(r.id, [replace('/type', 'Independent')]), 400, 'type');
    expect(await etagOf(r.id)).toBe(etag);
  });
});

describe('§4 duplicates by externalReferenceId', () => {
  it('200 concurrent creates with one id make one referral; the others are 409 naming it', async () => {
    const body = deal({ externalReferenceId: 'CRM-DUP-CONCURRENT' });
    const all = await Promise.all(Array.from({ length: 200 }, () => t.api.post('/referrals', body)));
    const ok = all.filter((r) => r.status === 201);
    expect(ok).toHaveLength(1);
    const id = ok[0]!.body.id;
    for (const r of all.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'duplicateExternalReferenceId', target: 'externalReferenceId', details: [{ code: 'existingReferral', message: id }] });
      expect(r.body.error.message).toContain(id);
    }
    const list = await t.api.get(`/referrals?$count=true&$filter=${encodeURIComponent("externalReferenceId eq 'CRM-DUP-CONCURRENT'")}`);
    expect(list.body['@odata.count']).toBe(1);
  });

  it('one after another, and a PATCH taking another referral’s id: 409; the same id on its own referral is fine', async () => {
    const a = await created(t.api, deal({ externalReferenceId: 'CRM-DUP-SEQ' }));
    for (let i = 0; i < 5; i++) refused(await t.api.post('/referrals', deal({ externalReferenceId: 'CRM-DUP-SEQ' })), 409, 'externalReferenceId');
    const b = await created(t.api, deal({ externalReferenceId: 'CRM-DUP-OTHER' }));
    refused(await patch(b.id, [replace('/externalReferenceId', 'CRM-DUP-SEQ')]), 409, 'externalReferenceId');
    expect(await etagOf(b.id)).toBe(b.etag);
    expect((await patch(a.id, [replace('/externalReferenceId', 'CRM-DUP-SEQ'), replace('/name', 'renamed')])).status).toBe(200);
  });
});

describe('§5 server-owned fields are not writable by a partner', () => {
  it('PATCH of each → 400 naming the field; nothing changes', async () => {
    const r = await created(t.api, deal());
    for (const [path, value, target] of [
      ['/acceptedDateTime', '2020-01-01T00:00:00Z', 'acceptedDateTime'],
      ['/closedDateTime', '2020-01-01T00:00:00Z', 'closedDateTime'],
      ['/createdDateTime', '2020-01-01T00:00:00Z', 'createdDateTime'],
      ['/expirationDateTime', '2020-01-01T00:00:00Z', 'expirationDateTime'],
      ['/trackingInfo/microsoftMsxId', 'MSX-FORGED', 'trackingInfo.microsoftMsxId'],
      ['/trackingInfo', { microsoftMsxId: 'MSX-FORGED' }, 'trackingInfo'],
      ['/organizationName', 'Someone Else', 'organizationName'],
      ['/organizationId', 'msft', 'organizationId'],
      ['/stageHistory', [], 'stageHistory'],
      ['/dealType', 'co-sell', 'dealType'],
      ['/inviteContext/invitedBy', { organizationId: 'msft' }, 'inviteContext.invitedBy'],
      ['/type', null, 'type'],
    ] as const) {
      refused(await patch(r.id, [replace(path, value)]), 400, target);
    }
    expect(await etagOf(r.id)).toBe(r.etag);
  });

  it('a PUT changing one → 400 naming it; a PUT echoing what was read passes', async () => {
    const r = await created(t.api, deal());
    const read = (await t.api.get(`/referrals/${r.id}`)).body;
    const { links: _l, ...body } = read;
    refused(await t.api.req('PUT', `/referrals/${r.id}`, { ...body, acceptedDateTime: '2020-01-01T00:00:00.000Z' }, { 'If-Match': r.etag }), 400, 'acceptedDateTime');
    refused(await t.api.req('PUT', `/referrals/${r.id}`, { ...body, trackingInfo: { microsoftMsxId: 'MSX-1' } }, { 'If-Match': r.etag }), 400, 'trackingInfo.microsoftMsxId');
    expect(await etagOf(r.id)).toBe(r.etag);
    expect((await t.api.req('PUT', `/referrals/${r.id}`, { ...body, name: 'echoed' }, { 'If-Match': r.etag })).status).toBe(200);
  });

  it('a create setting one → 400 naming it', async () => {
    for (const [key, value] of [
      ['closedDateTime', '2020-01-01T00:00:00Z'],
      ['expirationDateTime', '2020-01-01T00:00:00Z'],
      ['trackingInfo', { microsoftMsxId: 'MSX-1' }],
      ['organizationName', 'Fabrikam'],
    ] as const) {
      refused(await t.api.post('/referrals', deal({ [key]: value })), 400, key);
    }
  });
});

describe('§7 no input crashes the server', () => {
  it('a body nested 10,000 levels deep → 400 (create and patch)', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const deepObject = `{"name":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    refused(await t.api.post('/referrals', deepObject), 400, 'body');
    const r = await created(t.api, deal());
    refused(await t.api.patch(`/referrals/${r.id}`, deep), 400, 'body');
    expect(await etagOf(r.id)).toBe(r.etag);
  });

  it('$filter with now(), maxdatetime(), mindatetime() and other untranslated functions → 400 unsupportedFilter', async () => {
    for (const f of [
      'createdDateTime lt now()',
      'createdDateTime lt maxdatetime()',
      'mindatetime() lt createdDateTime',
      'year(createdDateTime) eq 2026',
      'details/dealValue add 1 gt 2',
      "name has 'x'",
    ]) {
      const res = await t.api.get(`/referrals?$filter=${encodeURIComponent(f)}`);
      expect(res.status, f).toBe(400);
      expect(res.body.error, f).toMatchObject({ code: 'unsupportedFilter', target: '$filter' });
    }
    const deep = `${'('.repeat(5000)}name eq 'x'${')'.repeat(5000)}`;
    refused(await t.api.get(`/referrals?$filter=${encodeURIComponent(deep)}`), 400, '$filter');
    refused(await t.api.get(`/referrals?$orderby=constructor`), 400, '$orderby');
    expect((await t.api.get('/referrals?$top=1')).status).toBe(200);
  });

  it('$filter with a JSON array or object literal → 400 unsupportedFilter at once (an unterminated string in one hung the parser forever)', async () => {
    for (const f of ['["a', ' ["C@k', '{"a', 'name in ["x"]', 'status eq %5B%22a', "name eq 'x' or [\"y"]) {
      const res = await t.api.get(`/referrals?$filter=${encodeURIComponent(f)}`);
      expect(res.status, f).toBe(400);
      expect(res.body.error, f).toMatchObject({ code: 'unsupportedFilter', target: '$filter' });
    }
    expect((await t.api.get(`/referrals?$filter=${encodeURIComponent("name eq 'x' or status eq 'New'")}`)).status).toBe(200);
  });
});

describe('§8 bad values are refused, not silently taken', () => {
  it('substatus Won on create, close date 0000-01-01, dealValue beyond 2^53', async () => {
    refused(await t.api.post('/referrals', deal({ substatus: 'Won' })), 400, 'substatus');
    refused(await t.api.post('/referrals', deal({ details: { ...(deal().details as object), closingDateTime: '0000-01-01T00:00:00Z' } })), 400, 'details.closingDateTime');
    const huge = JSON.stringify(deal()).replace('"dealValue":50000', '"dealValue":9007199254740993');
    refused(await t.api.post('/referrals', huge), 400, 'details.dealValue');
    const r = await created(t.api, deal());
    refused(await patch(r.id, [replace('/details/dealValue', 2 ** 60)]), 400, 'details.dealValue');
    expect(await etagOf(r.id)).toBe(r.etag);
  });

  it('$select (documented by Partner Center) returns only the named properties; an unknown one → 400', async () => {
    const r = await created(t.api, deal());
    const one = await t.api.get(`/referrals/${r.id}?$select=id,Status,customerProfile`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(['customerProfile', 'id', 'status']);
    const list = await t.api.get('/referrals?$select=id,name&$top=1');
    expect(Object.keys(list.body.value[0]).sort()).toEqual(['id', 'name']);
    expect(list.body['@odata.nextLink']).toContain('$select=id%2Cname');
    refused(await t.api.get(`/referrals?$select=id,constructor`), 400, '$select');
    refused(await t.api.get(`/referrals/${r.id}?$select=nope`), 400, '$select');
  });

  it('$expand, $search, $skip (not documented for referrals; list and get) → 400 naming the option', async () => {
    const r = await created(t.api, deal());
    for (const q of ['$expand=team', '$search=contoso', '$skip=1']) {
      const key = q.split('=')[0]!;
      refused(await t.api.get(`/referrals?${q}`), 400, key);
      refused(await t.api.get(`/referrals/${r.id}?${q}`), 400, key);
    }
  });
});

it('the server keeps answering after all of it', async () => {
  const res = await raw(t.store.origin, 'GET', '/v1.0/engagements/referrals?$top=1', { key: t.store.apiKey });
  expect(res.status).toBe(200);
});
