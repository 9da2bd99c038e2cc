/**
 * Partner Center-shaped webhooks served by the store (issue 17): the registration API as Partner Center
 * documents it, signed delivery verifiable with the certificate served at X-MS-Certificate-Url, retries on
 * 500s and timeouts, parking after 10 attempts, order per referral, and nothing lost or repeated across a
 * restart. A real receiver on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readWebhookSignature, verifyWebhookBody } from '../../../src/runtime/index.js';
import { startReferralStore } from '../../../src/referral-store/index.js';
import { startReceiver, type Receiver } from '../../helpers/webhook-receiver.js';
import { client, deal, replace, START, startTestStore, type TestStore } from './store-harness.js';

const FAST = { retryBaseMs: 5, pollMs: 10, timeoutMs: 300 };
const EVENTS = ['referral-created', 'referral-updated', 'related-referral-created', 'related-referral-updated'];
const REG = '/webhooks/v1/registration';

let t: TestStore;
let rx: Receiver;
let hooks: ReturnType<typeof client>;
beforeEach(async () => {
  t = await startTestStore({ webhooks: FAST });
  rx = await startReceiver();
  hooks = client(t.store.origin, t.store.apiKey);
});
afterEach(async () => {
  await t.close();
  await rx.close();
});

const subscribe = (over: Record<string, unknown> = {}) => hooks.post(REG, { WebhookUrl: rx.url, WebhookEvents: EVENTS, ...over });
const names = () => rx.received.filter((r) => r.answered === 200).map((r) => r.body.EventName);

describe('the registration API (Partner Center: /webhooks/v1/registration)', () => {
  it('POST creates, a second POST is refused, GET reads, PUT replaces, DELETE removes', async () => {
    expect((await hooks.get(REG)).status).toBe(404);
    const created = await subscribe({ SignatureTokenToMsSignatureHeader: true });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ SubscriberId: expect.any(String), WebhookUrl: rx.url, WebhookEvents: EVENTS, SignatureTokenToMsSignatureHeader: true });
    const again = await subscribe();
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('PUT');
    expect((await hooks.get(REG)).body).toEqual(created.body);
    const put = await hooks.req('PUT', REG, { webhookUrl: 'https://example.test/hook', webhookEvents: ['referral-created'] });
    expect(put.body).toEqual({
      SubscriberId: created.body.SubscriberId,
      WebhookUrl: 'https://example.test/hook',
      WebhookEvents: ['referral-created'],
      SignatureTokenToMsSignatureHeader: false,
    });
    expect((await hooks.req('DELETE', REG)).status).toBe(204);
    expect((await hooks.get(REG)).status).toBe(404);
    expect((await hooks.req('PUT', REG, { WebhookUrl: rx.url, WebhookEvents: EVENTS })).status).toBe(404);
  });

  it('bad input is a 400 naming each field; nothing is registered', async () => {
    const r = await hooks.post(REG, { WebhookUrl: 'not a url', WebhookEvents: ['referral-deleted'], Extra: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: any) => d.target).sort()).toEqual(['Extra', 'WebhookEvents[0]', 'WebhookUrl']);
    expect((await hooks.post(REG, { WebhookUrl: rx.url, WebhookEvents: [] })).status).toBe(400);
    expect((await hooks.get(REG)).status).toBe(404);
  });

  it('events lists what can be subscribed; every route needs an organization key; organizations are separate', async () => {
    expect((await hooks.get(`${REG}/events`)).body).toEqual([...EVENTS, 'test-created']);
    for (const [m, p] of [
      ['GET', REG],
      ['POST', REG],
      ['PUT', REG],
      ['DELETE', REG],
      ['GET', `${REG}/events`],
      ['POST', `${REG}/validationEvents`],
      ['GET', `${REG}/validationEvents/x`],
    ]) {
      expect((await client(t.store.origin, null).req(m!, p!)).status, `${m} ${p}`).toBe(401);
      expect((await client(t.store.origin, 'wrong-key-123').req(m!, p!)).status, `${m} ${p}`).toBe(401);
    }
    await subscribe();
    const other = await t.partner('Fabrikam');
    const orgKey = (await t.admin.post(`/_admin/organizations/${other.id}/keys`, {})).body.apiKey;
    expect((await client(t.store.origin, orgKey).get(REG)).status).toBe(404);
  });

  it('a validation event is delivered (test-created) and its progress read by correlation id', async () => {
    await subscribe();
    const v = await hooks.post(`${REG}/validationEvents`, undefined);
    expect(v.status).toBe(200);
    const cid = v.body.CorrelationId;
    await vi.waitFor(() => expect(rx.received).toHaveLength(1), { timeout: 5000 });
    expect(rx.received[0]!.body).toMatchObject({ EventName: 'test-created', ResourceName: 'test', ResourceUri: `${t.store.origin}${REG}/validationEvents/${cid}` });
    await vi.waitFor(async () => expect((await hooks.get(`${REG}/validationEvents/${cid}`)).body.status).toBe('completed'), { timeout: 5000 });
    const progress = (await hooks.get(`${REG}/validationEvents/${cid}`)).body;
    expect(progress).toMatchObject({
      correlationId: cid,
      partnerId: t.store.defaultOrgId,
      events: [{ eventName: 'test-created', status: 'completed', webhookUrl: rx.url, results: [{ responseCode: 'OK' }] }],
    });
    expect((await hooks.get(`${REG}/validationEvents/unknown`)).status).toBe(404);
  });
});

describe('signed delivery', () => {
  it('referral events arrive Partner Center-shaped and verify against the certificate served at X-MS-Certificate-Url', async () => {
    await subscribe();
    const created = (await t.api.post('/referrals', deal())).body;
    await vi.waitFor(() => expect(rx.received).toHaveLength(1), { timeout: 5000 });
    const got = rx.received[0]!;
    expect(Object.keys(got.body)).toEqual(['EventName', 'ResourceUri', 'ResourceName', 'AuditUri', 'ResourceChangeUtcDate']);
    expect(got.body).toEqual({
      EventName: 'referral-created',
      ResourceUri: `${t.store.url}/referrals/${created.id}`,
      ResourceName: 'referral',
      AuditUri: `${t.store.url}/referrals/${created.id}/audit`,
      ResourceChangeUtcDate: created.createdDateTime,
    });
    expect(got.headers['x-ms-signature-algorithm']).toBe('rsa-sha256');
    expect(got.headers.authorization).toMatch(/^Signature [A-Za-z0-9+/]+=*$/);
    expect(got.headers['x-ms-signature']).toBeUndefined();
    const sig = readWebhookSignature(got.headers);
    if (!sig.ok) throw new Error(sig.reason);
    const cert = Buffer.from(await (await fetch(sig.certificateUrl)).arrayBuffer());
    expect(verifyWebhookBody(got.raw, sig.signature, cert)).toBe(true);
    expect(verifyWebhookBody(got.raw.replace('referral-created', 'referral-updated'), sig.signature, cert)).toBe(false);
    // The receiver reads the referral by the resource URI with its key.
    expect((await t.api.get(got.body.ResourceUri)).body.id).toBe(created.id);
  });

  it('SignatureTokenToMsSignatureHeader: the signature comes in x-ms-signature instead of Authorization', async () => {
    await subscribe({ SignatureTokenToMsSignatureHeader: true });
    await t.api.post('/referrals', deal());
    await vi.waitFor(() => expect(rx.received).toHaveLength(1), { timeout: 5000 });
    const h = rx.received[0]!.headers;
    expect(h.authorization).toBeUndefined();
    const cert = Buffer.from(await (await fetch(h['x-ms-certificate-url'] as string)).arrayBuffer());
    expect(verifyWebhookBody(rx.received[0]!.raw, h['x-ms-signature'] as string, cert)).toBe(true);
  });

  it("only subscribed events are sent, only events after the registration, and never another organization's", async () => {
    const other = await t.partner('Fabrikam');
    await t.api.post('/referrals', deal());
    await subscribe({ WebhookEvents: ['referral-updated'] });
    const theirs = (await other.api.post('/referrals', deal())).body;
    await other.api.patch(`/referrals/${theirs.id}`, [replace('/name', 'theirs renamed')]);
    const r = (await t.api.post('/referrals', deal())).body;
    await t.api.patch(`/referrals/${r.id}`, [replace('/name', 'renamed')]);
    await vi.waitFor(() => expect(rx.received).toHaveLength(1), { timeout: 5000 });
    await t.store.deliverWebhooks();
    expect(names()).toEqual(['referral-updated']);
    expect(rx.received[0]!.body.ResourceUri).toContain(r.id);
  });
});

describe('retries, parking and order', () => {
  it('500s are retried with doubling delays; the next event of the same referral waits for the earlier one', async () => {
    await subscribe();
    rx.answer((r, n) => (r.body.EventName === 'referral-created' && n < 3 ? 500 : 200));
    const r = (await t.api.post('/referrals', deal())).body;
    await t.api.patch(`/referrals/${r.id}`, [replace('/name', 'renamed')]);
    await vi.waitFor(() => expect(names()).toEqual(['referral-created', 'referral-updated']), { timeout: 5000 });
    expect(rx.received.map((x) => [x.body.EventName, x.answered])).toEqual([
      ['referral-created', 500],
      ['referral-created', 500],
      ['referral-created', 500],
      ['referral-created', 200],
      ['referral-updated', 200],
    ]);
    const gaps = rx.received.slice(1, 4).map((x, i) => x.at - rx.received[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(FAST.retryBaseMs);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * FAST.retryBaseMs);
    expect(gaps[2]).toBeGreaterThanOrEqual(4 * FAST.retryBaseMs);
  });

  it('a receiver that does not answer in time is retried', async () => {
    await subscribe();
    rx.answer((_r, n) => (n === 0 ? 'stall' : 200));
    await t.api.post('/referrals', deal());
    await vi.waitFor(() => expect(names()).toEqual(['referral-created']), { timeout: 5000 });
    expect(rx.received.map((x) => x.answered)).toEqual(['stall', 200]);
  });

  it('after 10 failed attempts the delivery is parked (admin API), later events still flow, and a parked one can be retried', async () => {
    await subscribe();
    rx.answer((r) => (r.body.EventName === 'referral-created' ? 500 : 200));
    const r = (await t.api.post('/referrals', deal())).body;
    const parked = async () => (await t.admin.get('/_admin/webhooks/deliveries?state=parked')).body.value;
    await vi.waitFor(async () => expect(await parked()).toHaveLength(1), { timeout: 15_000 });
    expect(rx.received).toHaveLength(10);
    const [p] = await parked();
    expect(p).toMatchObject({
      organizationId: t.store.defaultOrgId,
      state: 'parked',
      attempts: 10,
      lastError: expect.stringContaining('InternalServerError'),
      event: { EventName: 'referral-created' },
    });
    expect((await t.api.get(`${t.store.origin}/_admin/webhooks/deliveries`)).status).toBe(403);

    await t.api.patch(`/referrals/${r.id}`, [replace('/name', 'renamed')]);
    await vi.waitFor(() => expect(names()).toEqual(['referral-updated']), { timeout: 5000 });

    rx.answer(() => 200);
    expect((await t.admin.post(`/_admin/webhooks/deliveries/${p.id}/retry`, {})).status).toBe(202);
    await vi.waitFor(() => expect(names()).toEqual(['referral-updated', 'referral-created']), { timeout: 5000 });
    expect(await parked()).toEqual([]);
    expect((await t.admin.post(`/_admin/webhooks/deliveries/${p.id}/retry`, {})).status).toBe(409);
    expect((await t.admin.post('/_admin/webhooks/deliveries/999999/retry', {})).status).toBe(404);
  });
});

describe('restart', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cosell-webhooks-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('undelivered events (failing, or not yet queued) are delivered once after a restart, signed with the same certificate', async () => {
    const dbFile = join(dir, 'store.db');
    const opts = { dbFile, now: START, apiKey: 'default-org-key-0001', adminKey: 'admin-key-0000001', microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 } };
    const first = await startReferralStore({ ...opts, webhooks: { ...FAST, pollMs: 60_000 } });
    const api = client(first.url, first.apiKey);
    expect((await client(first.origin, first.apiKey).post(REG, { WebhookUrl: rx.url, WebhookEvents: EVENTS })).status).toBe(200);
    rx.answer(() => 503);
    const a = (await api.post('/referrals', deal())).body;
    await first.deliverWebhooks(); // a: queued, one failed attempt
    const b = (await api.post('/referrals', deal())).body; // b: still only in the outbox
    expect(rx.received.map((x) => x.body.ResourceUri)).toEqual([`${first.url}/referrals/${a.id}`]);
    const cert1 = Buffer.from(await (await fetch(`${first.origin}/webhooks/v1/certificate/pcnotifications-dispatch.cer`)).arrayBuffer());
    await first.close();

    rx.answer(() => 200);
    const second = await startReferralStore({ ...opts, webhooks: FAST });
    try {
      await vi.waitFor(() => expect(names()).toHaveLength(2), { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 200));
      await second.deliverWebhooks();
      const ids = rx.received.filter((x) => x.answered === 200).map((x) => x.body.ResourceUri.split('/').at(-1));
      expect(ids).toEqual([a.id, b.id]);
      const last = rx.received.at(-1)!;
      const sig = readWebhookSignature(last.headers);
      if (!sig.ok) throw new Error(sig.reason);
      const cert2 = Buffer.from(await (await fetch(sig.certificateUrl)).arrayBuffer());
      expect(cert2.equals(cert1)).toBe(true);
      expect(verifyWebhookBody(last.raw, sig.signature, cert1)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
