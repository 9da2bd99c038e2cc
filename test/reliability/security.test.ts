/**
 * Security: a full cycle of both connections with a known secret in every credential slot — none of them
 * appears in any log line or error message; the store and the sandboxes bind to 127.0.0.1 and refuse writes
 * without a key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openService } from '../../src/cli/service.js';
import { createLogger, describeError, loadConfig } from '../../src/runtime/index.js';
import { startDynamicsSandbox, type DynamicsSandbox, startSalesforceSandbox, type SalesforceSandbox } from '../../sandboxes/index.js';

const SECRETS = {
  sfClientSecret: 'Sf-Client-Secret-9f3a1c77e2',
  sfPassword: 'Sf-Password-Zq81-x',
  d365Secret: 'D365-Secret-4k9Lm2p0Qr',
  storeKey: 'Store-Api-Key-77c1e9a4',
  storeAdmin: 'Store-Admin-Key-3b5d8f0a',
};

let sf: SalesforceSandbox;
let d365: DynamicsSandbox;
const dir = mkdtempSync(join(tmpdir(), 'cosell-security-'));
/** What the service's logger wrote, and nothing else: the secret check is only as good as this buffer. */
const lines: string[] = [];
const errors: string[] = [];
const counts: { created: number }[] = [];

beforeAll(async () => {
  sf = await startSalesforceSandbox({ seed: 30, certDir: '.cosell/test-certs/salesforce', credentials: { clientSecret: SECRETS.sfClientSecret, password: SECRETS.sfPassword } });
  d365 = await startDynamicsSandbox({ seed: 30, certDir: '.cosell/test-certs/dynamics365', credentials: { clientSecret: SECRETS.d365Secret } });
  process.env.SEC_SF_SECRET = SECRETS.sfClientSecret;
  process.env.SEC_SF_PASSWORD = SECRETS.sfPassword;
  process.env.SEC_D365_SECRET = SECRETS.d365Secret;
  process.env.SEC_D365_WRONG = 'D365-Wrong-Secret-11aa22bb';
  process.env.COSELL_STORE_API_KEY = SECRETS.storeKey;
  process.env.COSELL_STORE_ADMIN_KEY = SECRETS.storeAdmin;
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `
state: { path: ${join(dir, 'state.db')} }
log: { level: debug }
referrals:
  target: store
  embedded: { port: 0, db: ${join(dir, 'store.db')}, seed: true }
  auth: { method: api-key, apiKeyEnv: COSELL_STORE_API_KEY }
  rate: { concurrency: 8, intervalCap: 1000, intervalMs: 1000 }
connections:
  - name: sf
    crm:
      kind: salesforce
      instanceUrl: ${sf.url}
      loginUrl: ${sf.url}
      auth: { method: password, clientId: ${sf.credentials.clientId}, clientSecretEnv: SEC_SF_SECRET, username: ${sf.credentials.username}, passwordEnv: SEC_SF_PASSWORD }
    mapping: ${join(process.cwd(), 'mappings/salesforce.yaml')}
  - name: d365
    crm:
      kind: dynamics365
      url: ${d365.url}
      auth: { method: client-credentials, tenantId: ${d365.credentials.tenantId}, authority: ${d365.authority}, clientId: ${d365.credentials.clientId}, clientSecretEnv: SEC_D365_SECRET, caFile: ${d365.caFile} }
    mapping: ${join(process.cwd(), 'mappings/dynamics365.yaml')}
  - name: d365-wrong
    crm:
      kind: dynamics365
      url: ${d365.url}
      auth: { method: client-credentials, tenantId: ${d365.credentials.tenantId}, authority: ${d365.authority}, clientId: ${d365.credentials.clientId}, clientSecretEnv: SEC_D365_WRONG, caFile: ${d365.caFile} }
    mapping: ${join(process.cwd(), 'mappings/dynamics365.yaml')}
`,
  );
  const log = createLogger({
    level: 'debug',
    format: 'json',
    stream: new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  const service = await openService(loadConfig(file), log);
  try {
    for (const c of service.connections) {
      try {
        const r = await c.runCycle();
        counts.push(r.counts);
      } catch (err) {
        errors.push(describeError(err));
      }
    }
  } finally {
    await service.close();
  }
}, 120_000);

afterAll(async () => {
  await sf?.close();
  await d365?.close();
  for (const k of ['SEC_SF_SECRET', 'SEC_SF_PASSWORD', 'SEC_D365_SECRET', 'SEC_D365_WRONG', 'COSELL_STORE_API_KEY', 'COSELL_STORE_ADMIN_KEY']) delete process.env[k];
});

describe('secrets', () => {
  it('the cycle ran for real: records synced and the wrong-credential connection failed with a clear error', () => {
    expect(counts.some((c) => c.created > 0)).toBe(true);
    // The service's own logger wrote about both working connections (so the secret check below reads real lines).
    expect(lines.some((l) => l.includes('"connection":"sf"'))).toBe(true);
    expect(lines.some((l) => l.includes('"connection":"d365"'))).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Dynamics 365 sign-in for app .* failed/);
  });

  it('no secret appears in any log line or error message', () => {
    expect(lines.length).toBeGreaterThan(3);
    const text = [...lines, ...errors].join('\n');
    for (const [slot, secret] of Object.entries({ ...SECRETS, wrong: 'D365-Wrong-Secret-11aa22bb' })) {
      expect(text.includes(secret), `${slot} leaked`).toBe(false);
    }
    expect(text).not.toMatch(/Bearer [A-Za-z0-9]/);
  });
});

describe('network exposure', () => {
  it('the sandboxes listen on 127.0.0.1 and refuse API calls without a token', async () => {
    expect(new URL(sf.url).hostname).toBe('127.0.0.1');
    expect(new URL(d365.url).hostname).toBe('127.0.0.1');
    const res = await fetch(`${sf.url}/services/data/v62.0/sobjects/Opportunity`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'x' }),
    });
    expect(res.status).toBe(401);
  });

  it('the referral store listens on 127.0.0.1 and refuses writes without a key', async () => {
    const { startReferralStore } = await import('../../src/referral-store/index.js');
    const store = await startReferralStore({ dbFile: join(dir, 'exposure.db'), apiKey: 'exposure-key-1234', adminKey: 'exposure-admin-1234' });
    try {
      expect(new URL(store.url).hostname).toBe('127.0.0.1');
      const res = await fetch(`${store.url}/referrals`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
      const admin = await fetch(`${store.origin}/_admin/organizations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer exposure-key-1234' },
        body: JSON.stringify({ name: 'x' }),
      });
      expect([401, 403]).toContain(admin.status); // a partner's key is not an admin key
    } finally {
      await store.close();
    }
  });
});
