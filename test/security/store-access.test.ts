/**
 * Issue 13 §1 and "prove the class is closed" for the referral store: every route the store registers ×
 * {no key, wrong key, a partner key on admin routes, another tenant's key on another tenant's referral} ×
 * {plain, percent-encoded, double-slash, dot-segment, mixed-case, trailing-slash paths} is refused, and nothing
 * changes; cross-tenant reads and writes by id, `$filter`, `externalReferenceId` and continuation token find
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deal, replace, startTestStore, type Client, type TestStore } from '../contract/store/store-harness.js';
import { raw, spellings } from './attack.js';
import { CERTIFICATE_PATH } from '../../src/referral-store/webhooks/certificate.js';

let t: TestStore;
let attacker: { id: string; api: Client; key: string };
let victim: { id: string; engagementId: string; etag: string; externalReferenceId: string };

/** A body that would succeed on each route if the request got through. */
function bodyFor(method: string, url: string): unknown {
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return undefined;
  if (url.endsWith('/referrals')) return deal();
  if (url.endsWith('/referrals/:id')) return method === 'PATCH' ? [replace('/name', 'owned')] : { ...deal(), id: victim.id, status: 'Active' };
  if (url.endsWith('/organizations')) return { name: 'Evil Corp' };
  if (url.endsWith('/keys')) return {};
  if (url.endsWith('/clock')) return { advanceDays: 30 };
  if (url.endsWith('/decisions')) return { engagementId: victim.engagementId, decision: 'decline' };
  if (url.endsWith('/faults')) return { rate503: 1 };
  return {};
}

const concrete = (url: string) => url.replace(':id', url.startsWith('/_admin') ? t.store.defaultOrgId : victim.id);

async function snapshot() {
  const orgs = await t.admin.get('/_admin/organizations');
  const clock = await t.admin.get('/_admin/clock');
  const faults = await t.admin.get('/_admin/faults');
  const v = await t.api.get(`/referrals/${victim.id}`);
  // The store clock runs in real time from START: compare the day (an attack advancing it moves days).
  return { orgs: orgs.body, day: (clock.body.now as string).slice(0, 10), faults: faults.body, victimEtag: v.headers.get('etag'), victimName: v.body.name };
}

beforeAll(async () => {
  t = await startTestStore();
  const r = await t.admin.post('/_admin/organizations', { name: 'Attacker Ltd' });
  attacker = { id: r.body.id, key: r.body.apiKey, api: (await import('../contract/store/store-harness.js')).client(t.store.url, r.body.apiKey) };
  const created = await t.api.post('/referrals', deal({ externalReferenceId: 'VICTIM-EXT-1', name: 'Victim deal' }));
  victim = { id: created.body.id, engagementId: created.body.engagementId, etag: created.headers.get('etag')!, externalReferenceId: 'VICTIM-EXT-1' };
  // More of the victim's referrals, so a list with a continuation token has a second page.
  for (let i = 0; i < 3; i++) await t.api.post('/referrals', deal());
  await attacker.api.post('/referrals', deal({ name: 'Attacker deal' }));
});
afterAll(async () => t.close());

describe('every route × credentials × path spelling', () => {
  it('the store lists its routes, each with an access rule; only the webhook signing certificate is public', () => {
    const routes = t.store.routes();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const r of routes) expect(['admin', 'partner', 'public'], `${r.method} ${r.url}`).toContain(r.access);
    expect(routes.filter((r) => r.url.startsWith('/_admin')).every((r) => r.access === 'admin')).toBe(true);
    expect([...new Set(routes.filter((r) => r.access === 'public').map((r) => r.url))]).toEqual([CERTIFICATE_PATH]);
  });

  it('admin routes refuse no key, a wrong key and every partner key, however the path is spelled; nothing changes', async () => {
    const before = await snapshot();
    const creds = { none: null, wrong: 'csadmin_wrong-key-000000000000', partner: t.store.apiKey, otherPartner: attacker.key };
    let tried = 0;
    for (const route of t.store.routes().filter((r) => r.access === 'admin')) {
      for (const [spelling, path] of Object.entries(spellings(concrete(route.url)))) {
        for (const [who, key] of Object.entries(creds)) {
          const res = await raw(t.store.origin, route.method, path, { key, body: bodyFor(route.method, route.url) });
          tried++;
          expect([401, 403, 404], `${route.method} ${path} (${spelling}, ${who}) → ${res.status} ${res.text.slice(0, 120)}`).toContain(res.status);
          expect(res.text).not.toMatch(/apiKey|cs_[A-Za-z0-9_-]{20}/);
        }
      }
    }
    expect(tried).toBeGreaterThan(400);
    expect(await snapshot()).toEqual(before);
  });

  it('partner routes refuse no key and a wrong key, however the path is spelled; nothing changes', async () => {
    const before = await snapshot();
    const { body: listBefore } = await t.api.get('/referrals?$count=true');
    for (const route of t.store.routes().filter((r) => r.access === 'partner')) {
      for (const [spelling, path] of Object.entries(spellings(concrete(route.url)))) {
        for (const [who, key] of Object.entries({ none: null, wrong: 'cs_wrong-key-000000000000000000000' })) {
          const res = await raw(t.store.origin, route.method, path, { key, body: bodyFor(route.method, route.url), headers: { 'if-match': '*' } });
          expect([401, 404], `${route.method} ${path} (${spelling}, ${who}) → ${res.status} ${res.text.slice(0, 120)}`).toContain(res.status);
          expect(res.text).not.toContain('Victim deal');
        }
      }
    }
    expect(await snapshot()).toEqual(before);
    expect((await t.api.get('/referrals?$count=true')).body['@odata.count']).toBe(listBefore['@odata.count']);
  });

  it("another tenant's key on a referral by id, however the path is spelled: 404, nothing changes", async () => {
    const before = await snapshot();
    for (const route of t.store.routes().filter((r) => r.url.endsWith('/referrals/:id'))) {
      for (const [spelling, path] of Object.entries(spellings(concrete(route.url)))) {
        const res = await raw(t.store.origin, route.method, path, { key: attacker.key, body: bodyFor(route.method, route.url), headers: { 'if-match': '*' } });
        expect(res.status, `${route.method} ${path} (${spelling}) → ${res.status} ${res.text.slice(0, 120)}`).toBe(404);
        expect(res.text).not.toContain('Victim deal');
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('cross-tenant reads and writes find nothing', () => {
  const list = async (filter: string) => (await attacker.api.get(`/referrals?$count=true&$filter=${encodeURIComponent(filter)}`)).body;

  it('by $filter on id, externalReferenceId, organizationId, engagementId, name', async () => {
    for (const f of [
      `id eq '${victim.id}'`,
      `externalReferenceId eq '${victim.externalReferenceId}'`,
      `organizationId eq '${t.store.defaultOrgId}'`,
      `engagementId eq '${victim.engagementId}'`,
      `name eq 'Victim deal' or id eq '${victim.id}'`,
      `contains(name, 'Victim')`,
    ]) {
      const page = await list(f);
      expect(page['@odata.count'], f).toBe(0);
      expect(page.value, f).toEqual([]);
    }
  });

  it("by continuation token: the victim's next link, followed with the attacker's key, shows only the attacker's own", async () => {
    const first = await t.api.get('/referrals?$top=1');
    const next = first.body['@odata.nextLink'] as string;
    expect(next).toContain('$skiptoken=');
    const stolen = await attacker.api.get(next);
    expect(stolen.status).toBe(200);
    expect(stolen.body.value.every((r: { organizationId: string }) => r.organizationId === attacker.id)).toBe(true);
  });

  it("by externalReferenceId on create: the victim's id is free in another organization (no 409 leaking the victim's referral)", async () => {
    const r = await attacker.api.post('/referrals', deal({ externalReferenceId: victim.externalReferenceId }));
    expect(r.status).toBe(201);
    expect(JSON.stringify(r.body)).not.toContain(victim.id);
  });

  it('prototype pollution cannot forge an organization for an unauthenticated request', async () => {
    const own = (await attacker.api.get('/referrals?$top=1')).body.value[0];
    const res = await attacker.api.patch(`/referrals/${own.id}`, [{ op: 'add', path: '/__proto__/org', value: { id: t.store.defaultOrgId } }]);
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).org).toBeUndefined();
    const anonymous = await raw(t.store.origin, 'GET', '/v1.0/engagements/referrals');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('Victim deal');
  });

  it("the victim's referral is unchanged after every attack", async () => {
    const v = await t.api.get(`/referrals/${victim.id}`);
    expect(v.headers.get('etag')).toBe(victim.etag);
    expect(v.body.name).toBe('Victim deal');
  });
});
