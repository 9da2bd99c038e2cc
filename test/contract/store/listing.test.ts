/**
 * `GET /referrals`: $filter (operators, logic, lambdas, nested paths, literals), $orderby, $top, $count and
 * keyset paging that stays stable while other clients write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deal, replace, startTestStore, type Client, type TestStore } from './store-harness.js';

let t: TestStore;
let p: { id: string; api: Client };
const made: any[] = [];

const member = (email: string) => ({ firstName: 'F', lastName: 'L', phoneNumber: '+1 555 0100 10', email });
const base = deal().details as Record<string, unknown>;

beforeAll(async () => {
  t = await startTestStore();
  p = await t.partner('Listing Partner');
  const specs = [
    { name: "O'Brien Ltd expansion", value: 1000, country: 'IE', email: 'ann@p.example', ext: 'EXT-1' },
    { name: 'Alpha rollout', value: 5000, country: 'US', email: 'bob@p.example', ext: 'EXT-2' },
    { name: 'Beta rollout', value: 5000, country: 'NL', email: 'cat@p.example', ext: 'EXT-3' },
    { name: 'Gamma migration', value: 20000, country: 'US', email: 'ann@p.example', ext: 'EXT-4' },
  ];
  for (const s of specs) {
    const r = await p.api.post(
      '/referrals',
      deal({
        name: s.name,
        externalReferenceId: s.ext,
        customerProfile: { name: 'Cust', address: { country: s.country } },
        details: { ...base, dealValue: s.value },
        team: [member(s.email)],
      }),
    );
    made.push(r.body);
  }
});
afterAll(async () => t.close());

const names = async (query: string, api = p.api) => {
  const r = await api.get(`/referrals?${query}`);
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.value.map((x: any) => x.name);
};
const f = (expr: string) => `$filter=${encodeURIComponent(expr)}`;

describe('$filter', () => {
  it('comparison operators eq/ne/gt/ge/lt/le on numbers', async () => {
    expect(await names(f('details/dealValue eq 5000'))).toEqual(['Alpha rollout', 'Beta rollout']);
    expect(await names(f('details/dealValue ne 5000'))).toEqual(["O'Brien Ltd expansion", 'Gamma migration']);
    expect(await names(f('details/dealValue gt 5000'))).toEqual(['Gamma migration']);
    expect(await names(f('details/dealValue ge 5000'))).toHaveLength(3);
    expect(await names(f('details/dealValue lt 5000'))).toEqual(["O'Brien Ltd expansion"]);
    expect(await names(f('details/dealValue le 5000'))).toHaveLength(3);
  });

  it("and / or / not with parentheses; nested paths; '' escapes in string literals", async () => {
    expect(await names(f("customerProfile/address/country eq 'US' and details/dealValue lt 10000"))).toEqual(['Alpha rollout']);
    expect(await names(f("(customerProfile/address/country eq 'NL' or customerProfile/address/country eq 'IE') and status eq 'Active'"))).toEqual([
      "O'Brien Ltd expansion",
      'Beta rollout',
    ]);
    expect(await names(f("not (customerProfile/address/country eq 'US')"))).toEqual(["O'Brien Ltd expansion", 'Beta rollout']);
    expect(await names(f("not customerProfile/address/country eq 'US' and details/dealValue gt 1000"))).toEqual(['Beta rollout']);
    expect(await names(f("name eq 'O''Brien Ltd expansion'"))).toEqual(["O'Brien Ltd expansion"]);
  });

  it("team/any(t:t/email eq '…') and string functions", async () => {
    expect(await names(f("team/any(t:t/email eq 'ann@p.example')"))).toEqual(["O'Brien Ltd expansion", 'Gamma migration']);
    expect(await names(f("team/all(t:t/email eq 'bob@p.example')"))).toEqual(['Alpha rollout']);
    expect(await names(f("contains(name,'rollout')"))).toEqual(['Alpha rollout', 'Beta rollout']);
    expect(await names(f("startswith(tolower(name),'gamma')"))).toEqual(['Gamma migration']);
  });

  it("externalReferenceId eq '…' finds the CRM-linked referral (create idempotency)", async () => {
    expect(await names(f("externalReferenceId eq 'EXT-3'"))).toEqual(['Beta rollout']);
  });

  it('updatedDateTime ge <ts> returns what changed since (incremental pull)', async () => {
    const since = (await p.api.patch(`/referrals/${made[1].id}`, [replace('/details/notes', 'touched')], { Prefer: 'return=representation' })).body.updatedDateTime;
    expect(await names(f(`updatedDateTime ge ${since}`))).toEqual(['Alpha rollout']);
    expect(await names(f(`updatedDateTime gt ${since}`))).toEqual([]);
    expect(await names(f(`updatedDateTime ge '${since}'`))).toEqual(['Alpha rollout']);
  });

  it('doc examples parse: status/qualification, country + direction, (direction and substatus)', async () => {
    expect(await names(f("status eq 'Active' and qualification eq 'SalesQualified'"))).toHaveLength(4);
    expect(await names(f("customerProfile/address/country eq 'US' and direction eq 'Outgoing'"))).toHaveLength(2);
    expect(await names(f("(direction eq 'Incoming' and substatus eq 'Pending')"))).toEqual([]);
  });
});

describe('$orderby, $top, $count', () => {
  it('orders by name / createdDateTime / updatedDateTime asc and desc', async () => {
    expect(await names('$orderby=name asc')).toEqual(['Alpha rollout', 'Beta rollout', 'Gamma migration', "O'Brien Ltd expansion"]);
    expect(await names('$orderby=name desc')).toEqual(["O'Brien Ltd expansion", 'Gamma migration', 'Beta rollout', 'Alpha rollout']);
    expect(await names('$orderby=createdDateTime desc')).toEqual(made.map((m) => m.name).reverse());
    const byUpdated = await names('$orderby=updatedDateTime desc&$top=1');
    expect(byUpdated).toHaveLength(1);
  });

  it('$count=true adds @odata.count of all matches, not just the page', async () => {
    const r = await p.api.get(`/referrals?$count=true&$top=1&${f("customerProfile/address/country eq 'US'")}`);
    expect(r.body['@odata.count']).toBe(2);
    expect(r.body.value).toHaveLength(1);
    expect(r.body['@odata.nextLink']).toContain('$skiptoken=');
    const next = await p.api.get(r.body['@odata.nextLink']);
    expect(next.body.value.map((x: any) => x.name)).toEqual(['Gamma migration']);
    expect(next.body['@odata.nextLink']).toBeUndefined();
  });

  it('$top must be 1..100; $orderby on an unsupported key and a forged $skiptoken → 400', async () => {
    for (const q of ['$top=0', '$top=101', '$top=abc', '$orderby=dealValue', '$skiptoken=garbage']) {
      const r = await p.api.get(`/referrals?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalidRequest');
    }
  });
});

describe('paging is stable under concurrent writes', () => {
  let q: { id: string; api: Client };
  const ids: string[] = [];
  beforeAll(async () => {
    q = await t.partner('Paging Partner');
    for (let i = 0; i < 120; i++) ids.push((await q.api.post('/referrals', deal({ name: `P${String(i).padStart(3, '0')}` }))).body.id);
  });

  const walk = async (query: string, between: (page: number) => Promise<void>) => {
    const seen: string[] = [];
    let url: string | undefined = `/referrals?${query}`;
    let page = 0;
    while (url) {
      const r: any = await q.api.get(url);
      expect(r.status).toBe(200);
      seen.push(...r.body.value.map((x: any) => x.id));
      url = r.body['@odata.nextLink'];
      await between(page++);
    }
    return seen;
  };

  for (const order of ['', '$orderby=createdDateTime desc&']) {
    it(`no item skipped or repeated while others are updated and created (${order || 'default order'})`, async () => {
      let k = 0;
      const seen = await walk(`${order}$top=7`, async () => {
        // Other clients: update 5 items spread over the set (some already seen, some not) and create one.
        await Promise.all([
          ...[0, 30, 60, 90, 119].map((i) => q.api.patch(`/referrals/${ids[(i + k) % ids.length]}`, [replace('/details/notes', `w${k}`)])),
          q.api.post('/referrals', deal({ name: `new-${order}-${k}` })),
        ]);
        k++;
      });
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of ids) expect(seen).toContain(id);
    });
  }

  it('the default page size is 100', async () => {
    const r = await q.api.get('/referrals');
    expect(r.body.value).toHaveLength(100);
    expect(r.body['@odata.nextLink']).toBeTruthy();
  });
});
