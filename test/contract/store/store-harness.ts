/** Test harness: a real store on loopback in a temp folder, and a small fetch-based client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReferralStore, type ReferralStoreHandle, type ReferralStoreOptions } from '../../../src/referral-store/index.js';

export const START = '2026-01-05T09:00:00.000Z';

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Client {
  req<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Res<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<Res<T>>;
  post<T = any>(path: string, body: unknown, headers?: Record<string, string>): Promise<Res<T>>;
  patch<T = any>(path: string, body: unknown, headers?: Record<string, string>): Promise<Res<T>>;
}

/** `path` is relative to `base` unless it starts with http. Bodies are JSON unless a string is given. */
export function client(base: string, key: string | null): Client {
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const h: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers };
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: h,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };
  return {
    req,
    get: (p, h) => req('GET', p, undefined, h),
    post: (p, b, h) => req('POST', p, b, h),
    patch: (p, b, h) => req('PATCH', p, b, h),
  };
}

export interface TestStore {
  store: ReferralStoreHandle;
  /** The default organization's API client (base = …/v1.0/engagements). */
  api: Client;
  /** Admin client (base = origin). */
  admin: Client;
  /** Create another partner organization and return its client and id. */
  partner(name: string, saVetted?: boolean): Promise<{ id: string; api: Client }>;
  close(): Promise<void>;
}

export async function startTestStore(opts: Partial<ReferralStoreOptions> = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-store-'));
  const store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    now: START,
    apiKey: 'default-org-key-0001',
    adminKey: 'admin-key-0000001',
    microsoftActor: { enabled: true, acceptRate: 1, decisionDays: 2, seed: 7 },
    ...opts,
  });
  const admin = client(store.origin, store.adminKey);
  return {
    store,
    api: client(store.url, store.apiKey),
    admin,
    async partner(name, saVetted = false) {
      const r = await admin.post('/_admin/organizations', { name, solutionAssessmentVetted: saVetted });
      if (r.status !== 201) throw new Error(`cannot create organization: ${JSON.stringify(r.body)}`);
      return { id: r.body.id as string, api: client(store.url, r.body.apiKey as string) };
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A complete private outbound deal; override any part. */
export function deal(over: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    name: `Deal ${counter}`,
    externalReferenceId: `CRM-${counter}`,
    type: 'Independent',
    qualification: 'SalesQualified',
    customerProfile: {
      name: 'Contoso Customer Inc',
      address: { addressLine1: 'One Microsoft Way', city: 'Redmond', state: 'WA', postalCode: '98052', country: 'US' },
      team: [{ firstName: 'Sue', lastName: 'Smith', phoneNumber: '1234567890', email: 'sue.smith@contoso.example' }],
    },
    consent: { consentToShareInfoWithOthers: true, consentToContact: true, consentToShareReferralWithMicrosoftSellers: false },
    details: {
      notes: 'notes',
      dealValue: 50000,
      currency: 'USD',
      closingDateTime: '2026-06-30T00:00:00Z',
      requirements: { solutions: [{ id: 'SOL-15974-MQF', name: 'Contoso-Ale_Test' }] },
    },
    team: [{ firstName: 'John', lastName: 'Doe', phoneNumber: '1231231234', email: 'john.doe@partner.example' }],
    ...over,
  };
}

/** A co-sell deal: help requested from Microsoft. */
export const coSellDeal = (over: Record<string, unknown> = {}) =>
  deal({ type: 'Shared', inviteContext: { assistanceRequestCode: 'CustomerTechnicalArchitecture', notes: 'please help' }, ...over });

export const replace = (path: string, value: unknown) => ({ op: 'replace', path, value });
