/**
 * An admin's standalone store, from the README: a store run on its own and the shipped
 * `config/store.example.yaml` pointed at it (only its URL and file locations changed) sync a CRM into it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openService } from '../../src/cli/service.js';
import { apiKeyProvider, createReferralsClient } from '../../src/partner-center/index.js';
import { startReferralStore } from '../../src/referral-store/index.js';
import { loadConfig, silentLogger } from '../../src/runtime/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-standalone-'));
const KEY = 'standalone-store-key-0123456789';
afterAll(() => {
  delete process.env.COSELL_STORE_API_KEY;
});

it('config/store.example.yaml syncs the demo CRM into a store run on its own', async () => {
  const store = await startReferralStore({ dbFile: join(dir, 'store.db'), apiKey: KEY, adminKey: 'standalone-admin-key-01' });
  try {
    const example = readFileSync('config/store.example.yaml', 'utf8');
    expect(example).toContain('baseUrl: http://127.0.0.1:4700/v1.0/engagements');
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      example
        .replace('http://127.0.0.1:4700/v1.0/engagements', store.url)
        .replace('../.cosell/standalone-state.db', join(dir, 'state.db'))
        .replaceAll('../mappings/', `${join(process.cwd(), 'mappings')}/`)
        .replace('sandbox: { port: 0, seed: 200, activity: true }', 'sandbox: { port: 0, seed: 40, activity: false }'),
    );
    process.env.COSELL_STORE_API_KEY = KEY;
    const config = loadConfig(file);
    const service = await openService(config, silentLogger);
    let created = 0;
    try {
      for (const c of service.connections) created += (await c.runCycle()).counts.created;
    } finally {
      await service.close();
    }
    expect(created).toBeGreaterThan(0);
    const client = createReferralsClient({
      baseUrl: store.url,
      auth: apiKeyProvider(KEY),
      rate: { concurrency: 4, intervalCap: 1000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 1 },
    });
    let fromCrm = 0;
    for await (const page of client.pull(null)) fromCrm += page.referrals.filter((r) => r.externalReferenceId).length;
    expect(fromCrm).toBe(created);
  } finally {
    await store.close();
  }
}, 120_000);
