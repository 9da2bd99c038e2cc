/**
 * One contract suite for the referrals client, run twice: against a scripted API on loopback answering like the
 * documented Partner Center examples, and against a live embedded referral store. The same assertions pass on both.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dealFieldsToCreate, emptyDealFields, type DealFields, type Referral } from '../../../src/domain/index.js';
import { apiKeyProvider, createReferralsClient, refreshTokenFromCache, writeSecretFile, type ReferralsClient, type TokenProvider } from '../../../src/partner-center/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../../src/referral-store/index.js';
import { AuthError, ConflictError, RemoteError } from '../../../src/runtime/index.js';
import { type ScriptedAnswer, type ScriptedApi, type ScriptedRequest, startScriptedApi } from '../../helpers/scripted-api.js';

const rate = { concurrency: 4, intervalCap: 10_000, intervalMs: 1000, timeoutMs: 5000, maxRetries: 2 };
const ENGAGEMENTS = '/v1.0/engagements';

function deal(i = 0): DealFields {
  return {
    ...emptyDealFields(),
    name: `Contoso deal ${i}`,
    customer: { ...emptyDealFields().customer, name: 'Contoso Customer Inc', country: 'US', city: 'Redmond' },
    contact: { firstName: 'Sue', lastName: 'Smith', email: 'sue@contoso.example', phone: '+14255550100' },
    value: 50_000,
    currency: 'USD',
    closeDate: '2027-11-14',
    stage: 'Qualify',
    team: [{ firstName: 'John', lastName: 'Doe', email: 'john@partner.example', phone: '+12065550100' }],
    solutions: ['SOL-15974-MQF'],
  };
}

/**
 * Answers shaped like the Partner Center docs: POST → 201 + body + ETag; GET by id with ETag; PATCH with
 * If-Match → 412 `resourceModified` when stale, 204 or 200 with `Prefer: return=representation`; a list paged
 * by `@odata.nextLink` (absolute, on `base`). The consent flag comes back under the docs' spelling.
 */
function partnerCenterAnswers(seen: { headers: http.IncomingHttpHeaders[]; bodies: unknown[] }, base: () => string) {
  const items = new Map<string, Referral & Record<string, unknown>>();
  let version = 1;
  const wire = (r: Referral & Record<string, unknown>) => {
    const { consent, ...rest } = r;
    const { consentToShareInfoWithOthers, ...c } = (consent ?? {}) as Record<string, unknown>;
    return { ...rest, consent: consentToShareInfoWithOthers === undefined ? c : { ...c, consentToToShareInfoWithOthers: consentToShareInfoWithOthers } };
  };
  const create = (body: unknown): ScriptedAnswer => {
    seen.bodies.push(body);
    const id = randomUUID();
    const r = {
      ...(body as object),
      id,
      eTag: `"${version++}"`,
      status: 'Active',
      substatus: 'Accepted',
      direction: 'Outgoing',
      createdDateTime: new Date().toISOString(),
      updatedDateTime: new Date().toISOString(),
    } as never;
    items.set(id, r);
    return [201, wire(r), { ETag: (r as Referral).eTag!, 'Content-Type': 'application/json' }];
  };
  const read = (id: string): ScriptedAnswer => {
    const r = items.get(id);
    if (!r) return [404, { error: { code: 'itemNotFound', message: 'The referral was not found.' } }];
    return [200, wire(r), { ETag: r.eTag!, 'Content-Type': 'application/json' }];
  };
  const patch = (id: string, req: ScriptedRequest): ScriptedAnswer => {
    const r = items.get(id);
    if (!r) return [404, { error: { code: 'itemNotFound', message: 'not found' } }];
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== r.eTag) {
      return [412, { error: { code: 'resourceModified', message: 'The resource has been modified since it was last retrieved.', target: 'If-Match' } }, { ETag: r.eTag! }];
    }
    for (const op of req.body as { path: string; value: unknown }[]) {
      const parts = op.path.split('/').filter(Boolean);
      let node: Record<string, unknown> = r;
      for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
      node[parts.at(-1)!] = op.value;
    }
    r.eTag = `"${version++}"`;
    const prefer = String(req.headers.prefer ?? '');
    if (/return=representation/.test(prefer)) return [200, wire(r), { ETag: r.eTag, 'Content-Type': 'application/json' }];
    return [204, '', { ETag: r.eTag }];
  };
  const list = (path: string): ScriptedAnswer => {
    const url = new URL(path, 'https://x');
    const filter = url.searchParams.get('$filter') ?? '';
    let all = [...items.values()];
    const ext = /externalReferenceId eq '((?:[^']|'')*)'/.exec(filter);
    if (ext) all = all.filter((r) => r.externalReferenceId === ext[1]!.replace(/''/g, "'"));
    if (/updatedDateTime ge/.test(filter)) return [400, { error: { code: 'invalidRequest', message: 'Filtering on updatedDateTime is not supported.' } }];
    const top = Number(url.searchParams.get('$top') ?? 100);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = all.slice(skip, skip + top);
    const next = skip + top < all.length ? `${base()}/referrals?$top=${top}&$skiptoken=${skip + top}` : undefined;
    return [200, { value: page.map(wire), ...(next ? { '@odata.nextLink': next } : {}) }, { 'Content-Type': 'application/json' }];
  };
  return (req: ScriptedRequest): ScriptedAnswer => {
    seen.headers.push(req.headers);
    const path = req.path.startsWith(ENGAGEMENTS) ? req.path.slice(ENGAGEMENTS.length) : req.path;
    const id = /^\/referrals\/([^?]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && path === '/referrals') return create(req.body);
    if (req.method === 'GET' && id) return read(id);
    if (req.method === 'PATCH' && id) return patch(id, req);
    if (req.method === 'GET' && /^\/referrals(\?.*)?$/.test(path)) return list(path);
    return [501, { error: { code: 'notScripted', message: `${req.method} ${req.path}` } }];
  };
}

interface Target {
  name: string;
  client(opts?: { correlationId?: string }): ReferralsClient;
  seen?: { headers: http.IncomingHttpHeaders[]; bodies: unknown[] };
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
}

let store: ReferralStoreHandle;
let api: ScriptedApi;
const dir = mkdtempSync(join(tmpdir(), 'cosell-client-'));
const seen = { headers: [] as http.IncomingHttpHeaders[], bodies: [] as unknown[] };

const targets: Target[] = [
  {
    name: 'scripted API (documented Partner Center answers)',
    seen,
    client: (o = {}) =>
      createReferralsClient({
        baseUrl: `${api.url}${ENGAGEMENTS}`,
        auth: apiKeyProvider('scripted-token-123'),
        rate,
        incremental: { mode: 'auto', overlapSeconds: 0 },
        ...(o.correlationId ? { correlationId: o.correlationId } : {}),
      }),
    async setUp() {
      api = await startScriptedApi(partnerCenterAnswers(seen, () => `${api.url}${ENGAGEMENTS}`));
    },
    async tearDown() {
      await api.close();
    },
  },
  {
    name: 'live embedded referral store',
    client: (o = {}) =>
      createReferralsClient({
        baseUrl: store.url,
        auth: apiKeyProvider(store.apiKey),
        rate,
        incremental: { mode: 'auto', overlapSeconds: 0 },
        ...(o.correlationId ? { correlationId: o.correlationId } : {}),
      }),
    async setUp() {
      store = await startReferralStore({ dbFile: join(dir, `store-${randomUUID()}.db`), apiKey: 'client-contract-key', adminKey: 'client-contract-admin' });
    },
    async tearDown() {
      await store.close();
    },
  },
];

describe.each(targets)('referrals client contract — $name', (t) => {
  beforeAll(() => t.setUp());
  afterAll(() => t.tearDown());

  it('creates a referral (201 + ETag) and reads it back by id', async () => {
    const c = t.client();
    const created = await c.create(dealFieldsToCreate(deal(), 'crm-1'));
    expect(created.referral.id).toBeTruthy();
    expect(created.etag).toBeTruthy();
    const read = await c.read(created.referral.id);
    expect(read?.referral.name).toBe('Contoso deal 0');
    expect(read?.referral.externalReferenceId).toBe('crm-1');
    expect(await c.read(randomUUID())).toBeNull();
  });

  it('writes the documented consent key and reads the consent under either spelling', async () => {
    const c = t.client();
    const created = await c.create(dealFieldsToCreate(deal(), 'crm-consent'));
    if (t.seen) expect((t.seen.bodies.at(-1) as { consent: Record<string, unknown> }).consent).toHaveProperty('consentToToShareInfoWithOthers', true);
    const read = await c.read(created.referral.id);
    expect(read?.referral.consent?.consentToShareInfoWithOthers).toBe(true);
  });

  it('updates with If-Match; a stale ETag is a ConflictError', async () => {
    const c = t.client();
    const created = await c.create(dealFieldsToCreate(deal(), 'crm-2'));
    const updated = await c.patch(created.referral.id, [{ op: 'replace', path: '/details/dealValue', value: 60_000 }], created.etag);
    expect(updated.referral.details?.dealValue).toBe(60_000);
    expect(updated.etag).not.toBe(created.etag);
    await expect(c.patch(created.referral.id, [{ op: 'replace', path: '/details/dealValue', value: 70_000 }], created.etag)).rejects.toBeInstanceOf(ConflictError);
  });

  it('finds a referral by externalReferenceId with hostile characters escaped', async () => {
    const c = t.client();
    await c.create(dealFieldsToCreate(deal(), "crm-O'Brien"));
    expect((await c.findByExternalReference("crm-O'Brien"))?.referral.externalReferenceId).toBe("crm-O'Brien");
    expect(await c.findByExternalReference("x' or name ne '")).toBeNull();
  });

  it('pulls a three-page list following @odata.nextLink unchanged', async () => {
    const c = t.client();
    for (let i = 0; i < 210; i++) await c.create(dealFieldsToCreate(deal(i), `crm-page-${i}`));
    const ids = new Set<string>();
    let pages = 0;
    for await (const p of c.pull(null)) {
      pages++;
      for (const r of p.referrals) ids.add(r.id);
    }
    expect(ids.size).toBeGreaterThanOrEqual(210);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  // The store does not expose request headers; the scripted API does.
  it.skipIf(!t.seen)('sends a new client-request-id per call and one MS-CorrelationId per sync run', async () => {
    const seen = t.seen!;
    const before = seen.headers.length;
    const c = t.client().forRun('run-42');
    const created = await c.create(dealFieldsToCreate(deal(), 'crm-headers'));
    await c.read(created.referral.id);
    const hs = seen.headers.slice(before);
    expect(hs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(hs.map((h) => h['client-request-id'])).size).toBe(hs.length);
    expect(hs.every((h) => h['ms-correlationid'] === 'run-42')).toBe(true);
  });
});

describe('rate lane and retries', () => {
  const apis: ScriptedApi[] = [];
  const scripted = async (answer: (req: ScriptedRequest) => ScriptedAnswer) => {
    const a = await startScriptedApi(answer);
    apis.push(a);
    return a;
  };
  afterEach(async () => {
    for (const a of apis.splice(0)) await a.close();
  });

  it('a 429 with Retry-After: 2 holds every request on the lane for 2 s', async () => {
    const times: number[] = [];
    let refused = false;
    const api = await scripted((req) => {
      times.push(Date.now());
      if (!refused && req.path.endsWith('/referrals/a')) {
        refused = true;
        return [429, { error: { code: 'tooManyRequests', message: 'slow down' } }, { 'Retry-After': '2' }];
      }
      return [200, { id: req.path.split('/').pop(), status: 'Active' }, { 'Content-Type': 'application/json' }];
    });
    const c = createReferralsClient({ baseUrl: `${api.url}${ENGAGEMENTS}`, auth: apiKeyProvider('lane-token-1'), rate });
    const a = c.read('a');
    await new Promise((r) => setTimeout(r, 100));
    const b = c.read('b'); // sent while the lane is paused: must wait too
    await Promise.all([a, b]);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1990);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(1990);
  }, 15_000);

  it('a create whose answer was lost after the server stored it is settled by a lookup: one referral, not two', async () => {
    const s = await startReferralStore({ dbFile: join(dir, 'drop.db'), apiKey: 'drop-key-123456', adminKey: 'drop-admin-123456' });
    const up = new URL(s.url);
    let dropped = 0;
    // A proxy that forwards the first POST to the store, then cuts the connection instead of answering.
    const proxy = http.createServer((req, res) => {
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        if (req.method === 'POST' && dropped === 0) {
          dropped++;
          r.resume();
          r.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const c = createReferralsClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${up.pathname}`, auth: apiKeyProvider(s.apiKey), rate });
      const created = await c.create(dealFieldsToCreate(deal(), 'crm-dropped'));
      expect(dropped).toBe(1);
      const direct = createReferralsClient({ baseUrl: s.url, auth: apiKeyProvider(s.apiKey), rate });
      const all: string[] = [];
      for await (const p of direct.pull(null)) all.push(...p.referrals.filter((r) => r.externalReferenceId === 'crm-dropped').map((r) => r.id));
      expect(all).toEqual([created.referral.id]);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
      await s.close();
    }
  });

  it('a 401 refreshes the token exactly once; a second 401 is an AuthError naming the account', async () => {
    const forced: boolean[] = [];
    const auth: TokenProvider = { account: 'svc-cosell@partner.example', token: async (force) => (forced.push(force), force ? 'fresh-token-123' : 'old-token-123') };
    // x is answered for the fresh token only; y never.
    const api = await scripted((req) =>
      req.path.endsWith('/referrals/x') && req.headers.authorization === 'Bearer fresh-token-123'
        ? [200, { id: 'x', status: 'Active' }, { 'Content-Type': 'application/json' }]
        : [401, { error: { code: 'unauthenticated', message: 'expired' } }],
    );
    const c = createReferralsClient({ baseUrl: `${api.url}${ENGAGEMENTS}`, auth, rate });
    expect((await c.read('x'))?.referral.id).toBe('x');
    expect(forced).toEqual([false, true]);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old-token-123', 'Bearer fresh-token-123']);
    const err = await c.read('y').catch((e: unknown) => e);
    expect(api.requests.filter((r) => r.path.endsWith('/referrals/y'))).toHaveLength(2);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/svc-cosell@partner\.example/);
    expect((err as Error).message).toMatch(/cosell-sync auth partner-center/);
  });

  it('a redirect is not followed: the bearer token never goes to another host, and the call fails clearly', async () => {
    const elsewhere = await scripted(() => [200, { id: 'r' }]);
    const api = await scripted(() => [302, '', { Location: `${elsewhere.url}/steal` }]);
    const c = createReferralsClient({ baseUrl: `${api.url}${ENGAGEMENTS}`, auth: apiKeyProvider('redirect-token-1'), rate });
    const err = await c.read('r').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/read referral|referral r/i);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('rotated refresh tokens are written atomically with mode 0600 and read from the msal cache', () => {
    const file = join(dir, 'nested', 'pc.token');
    writeSecretFile(file, 'rt-1');
    writeSecretFile(file, 'rt-2');
    expect(readFileSync(file, 'utf8')).toBe('rt-2');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const cache = JSON.stringify({ RefreshToken: { 'a-b-refreshtoken-c': { secret: 'rt-from-cache', credential_type: 'RefreshToken' } } });
    expect(refreshTokenFromCache(cache)).toBe('rt-from-cache');
  });
});
