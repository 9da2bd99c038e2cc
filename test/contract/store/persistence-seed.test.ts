/** The store file: migrations recorded, data and keys surviving a restart, and the demo seed's mix. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { seedReferralStore, startReferralStore } from '../../../src/referral-store/index.js';
import { MIGRATIONS } from '../../../src/referral-store/migrations.js';
import { client, deal } from './store-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-store-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite file, migrations and restarts', () => {
  it('records applied migrations, keeps referrals and the default organization across a restart', async () => {
    const dbFile = join(dir, 'restart.db');
    const first = await startReferralStore({ dbFile, apiKey: 'persist-key-0001', now: '2026-02-01T00:00:00Z' });
    const created = await client(first.url, first.apiKey).post('/referrals', deal());
    await first.close();

    const db = new Database(dbFile, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })).sort((a, b) => a.version - b.version));
    const hashes = db.prepare('SELECT hash FROM api_keys').all() as { hash: string }[];
    expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h.hash) && h.hash !== 'persist-key-0001')).toBe(true);
    db.close();

    const second = await startReferralStore({ dbFile, apiKey: 'persist-key-0001' });
    expect(second.defaultOrgId).toBe(first.defaultOrgId);
    const again = await client(second.url, second.apiKey).get(`/referrals/${created.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body.eTag).toBe(created.body.eTag);
    // the store clock never hands out a stamp at or before what is stored
    const next = await client(second.url, second.apiKey).post('/referrals', deal());
    expect(next.body.updatedDateTime > created.body.updatedDateTime).toBe(true);
    await second.close();
  });

  it('the store clock never runs backwards across a restart (advanced days stay advanced)', async () => {
    const dbFile = join(dir, 'clock.db');
    const first = await startReferralStore({ dbFile, apiKey: 'clock-key-00001', now: '2026-02-01T00:00:00Z' });
    await first.clock.advanceDays(10);
    await client(first.url, first.apiKey).post('/referrals', deal());
    await first.close();
    const second = await startReferralStore({ dbFile, apiKey: 'clock-key-00001', now: '2026-02-01T00:00:00Z' });
    expect(second.clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse('2026-02-11T00:00:00Z'));
    await second.close();
  });

  it('a generated key is reported as generated and replaces the previous generated one', async () => {
    const dbFile = join(dir, 'generated.db');
    const saved = process.env.COSELL_STORE_API_KEY;
    delete process.env.COSELL_STORE_API_KEY;
    try {
      const a = await startReferralStore({ dbFile });
      expect(a.keySources.apiKey).toBe('generated');
      await a.close();
      const b = await startReferralStore({ dbFile });
      expect((await client(b.url, b.apiKey).get('/referrals')).status).toBe(200);
      expect((await client(b.url, a.apiKey).get('/referrals')).status).toBe(401);
      await b.close();
    } finally {
      if (saved !== undefined) process.env.COSELL_STORE_API_KEY = saved;
    }
  });
});

describe('demo seed', () => {
  it('fills an empty store with every deal type, every stage, inbound from Microsoft, a P2P pair and terminal deals', async () => {
    const dbFile = join(dir, 'seed.db');
    expect(seedReferralStore(dbFile).seeded).toBe(true);
    expect(seedReferralStore(dbFile).seeded).toBe(false);
    const s = await startReferralStore({ dbFile, apiKey: 'seed-key-000001' });
    const all = (await client(s.url, s.apiKey).get('/referrals')).body.value as any[];
    await s.close();
    expect(new Set(all.map((r) => r.dealType))).toEqual(new Set(['private', 'partner-led', 'co-sell', 'p2p', 'solution-assessment']));
    expect(new Set(all.map((r) => r.salesStage).filter(Boolean))).toEqual(new Set(['Qualify', 'Develop', 'Propose', 'Close']));
    expect(new Set(all.filter((r) => r.status === 'Closed').map((r) => r.substatus))).toEqual(new Set(['Won', 'Lost', 'Declined']));
    expect(all.some((r) => r.direction === 'Incoming' && r.inviteContext?.invitedBy?.organizationId === 'msft' && r.status === 'New')).toBe(true);
    expect(all.some((r) => r.direction === 'Incoming' && r.inviteContext?.invitedBy?.organizationId === 'northwind')).toBe(true);
  });
});
