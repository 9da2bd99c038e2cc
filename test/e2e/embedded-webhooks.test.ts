/**
 * The embedded default as `npm start` runs it, with the HTTP surface: the embedded store subscribes each
 * connection to its referral events, signs them like Partner Center, and the service (which pins the store's
 * certificate) syncs the one referral — so a Partner Center-side edit reaches the CRM in seconds, with no
 * scheduled cycle (the schedule here is yearly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { CERTIFICATE_PATH } from '../../src/referral-store/webhooks/certificate.js';
import { signWebhookBody, webhookSignatureHeaders } from '../../src/runtime/index.js';
import { startPki, type Pki } from '../helpers/webhook-pki.js';
import { writeSurfaceConfig } from '../helpers/surface-config.js';
import { waitFor as waitUntil } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-embedded-hooks-'));
const READ = 'read-token-embedded-0123456789';
const STORE_KEY = 'embedded-hooks-store-key-123';
let pki: Pki;
let child: ChildProcess;
let stderr = '';
let api = '';
let store = '';

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000) => waitUntil(what, probe, ms, () => stderr);
const get = async (path: string) => (await (await fetch(`${api}${path}`, { headers: { Authorization: `Bearer ${READ}` } })).json()) as any;
const webhookCount = async (result: string) => {
  const metrics = await (await fetch(`${api}/metrics`)).text();
  return Number(new RegExp(`cosell_sync_webhooks_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
};
const logLine = (message: string) =>
  stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.message === message);

beforeAll(async () => {
  pki = await startPki(); // only to fill the surface config; the embedded store's certificate is pinned, not fetched
  const mapping = join(dir, 'salesforce.yaml');
  writeFileSync(mapping, readFileSync('mappings/salesforce.yaml'));
  const config = writeSurfaceConfig(dir, {
    pki,
    mapping,
    schedule: '0 0 1 1 *',
    seed: 8,
    readEnv: 'EMB_READ',
    adminEnv: 'EMB_ADMIN',
    jsonLogs: true,
    subscribeEmbeddedStore: true,
  });
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', config, 'start'], {
    env: { ...process.env, COSELL_STORE_API_KEY: STORE_KEY, COSELL_STORE_ADMIN_KEY: 'embedded-hooks-admin-123', EMB_READ: READ, EMB_ADMIN: 'embedded-admin-token-0123456789' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  api = await waitFor('the http surface', () => logLine('http surface listening')?.url as string | undefined, 40_000);
  store = await waitFor('the store', () => logLine('referral store listening')?.url as string | undefined);
  await waitFor('the subscription', () => (logLine('referral events subscribed') ? true : undefined));
  await waitFor('the first run', async () => ((await get('/api/v1/runs?limit=5')).items.some((r: { status: string }) => r.status === 'ok') ? true : undefined));
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a Partner Center-side edit in the embedded store reaches the CRM through its own signed event, without a scheduled cycle', async () => {
  const entry = (await get('/api/v1/sync-log?limit=1')).items[0] as { crmId: string; referralId: string };
  const runsBefore = (await get('/api/v1/runs?limit=500')).items.length as number;
  const read = await fetch(`${store}/referrals/${entry.referralId}`, { headers: { Authorization: `Bearer ${STORE_KEY}` } });
  const edited = await fetch(`${store}/referrals/${entry.referralId}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${STORE_KEY}`, 'Content-Type': 'application/json-patch+json', 'If-Match': read.headers.get('etag')! },
    body: JSON.stringify([{ op: 'replace', path: '/details/dealValue', value: 424_242 }]),
  });
  expect(edited.status).toBeLessThan(300);
  const sentAt = Date.now();
  const amount = await waitFor(
    'the CRM amount',
    async () => {
      const rec = await get(`/api/v1/connections/sf/records/${entry.crmId}`);
      return rec.crm.fields.Amount === 424_242 ? rec.crm.fields.Amount : undefined;
    },
    15_000,
  );
  expect(amount).toBe(424_242);
  expect(Date.now() - sentAt, 'store edit to CRM').toBeLessThan(10_000);
  expect((await get('/api/v1/runs?limit=500')).items.length).toBeGreaterThan(runsBefore);
  const metrics = await (await fetch(`${api}/metrics`)).text();
  expect(metrics).toMatch(/cosell_sync_webhooks_total\{result="accepted"\} [1-9]/);
});

it("an event naming the embedded store's certificate but signed with another key is refused, and syncs nothing", async () => {
  const entry = (await get('/api/v1/sync-log?limit=1')).items[0] as { referralId: string };
  // The first test's edit can still echo (its sync writes back, the store signs that event too): wait until runs
  // and accepted events stand still, so what follows counts only what the forged event caused.
  const quiet = async () => `${(await get('/api/v1/runs?limit=500')).items.length}/${await webhookCount('accepted')}`;
  let last = await quiet();
  await waitFor('a quiet service', async () => {
    await new Promise((r) => setTimeout(r, 1_500));
    const now = await quiet();
    const settled = now === last;
    last = now;
    return settled ? true : undefined;
  });
  const runsBefore = (await get('/api/v1/runs?limit=500')).items.length as number;
  const acceptedBefore = await webhookCount('accepted');
  const rejectedBefore = await webhookCount('rejected');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const body = JSON.stringify({
    EventName: 'referral-updated',
    ResourceUri: `${store}/referrals/${entry.referralId}`,
    ResourceName: 'referral',
    AuditUri: 'x',
    ResourceChangeUtcDate: new Date().toISOString(),
  });
  const certificateUrl = `${new URL(store).origin}${CERTIFICATE_PATH}`;
  const headers = webhookSignatureHeaders(signWebhookBody(body, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), certificateUrl, false);
  const res = await fetch(`${api}/webhooks/partner-center`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body });
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/signature does not match/);
  await new Promise((r) => setTimeout(r, 500));
  expect((await get('/api/v1/runs?limit=500')).items.length).toBe(runsBefore);
  expect(await webhookCount('accepted')).toBe(acceptedBefore);
  expect(await webhookCount('rejected')).toBeGreaterThan(rejectedBefore);
});
