/**
 * What hardening must not cost: optimistic concurrency under load (50 concurrent PATCHes with one ETag → exactly
 * one 2xx) and durability (SIGKILL during a burst of creates → every acknowledged create is there after a
 * restart, none twice).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client, deal, replace, startTestStore } from '../contract/store/store-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startProcess(db: string): Promise<{ child: ChildProcess; url: string; apiKey: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/security/store-process.ts'], { env: { ...process.env, STORE_DB: db }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ child, ...(JSON.parse(out.split('\n')[0]!) as { url: string; apiKey: string }) });
    });
    child.on('exit', (code) => reject(new Error(`store process exited (${code}): ${err}`)));
  });
}

describe('load and durability', () => {
  it('50 concurrent PATCHes with one ETag → exactly one 2xx, 49 × 412; the winner is stored', async () => {
    const t = await startTestStore();
    try {
      const created = await t.api.post('/referrals', deal());
      const etag = created.headers.get('etag')!;
      const all = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          t.api.patch(`/referrals/${created.body.id}`, [replace('/details/notes', `writer ${i}`)], { 'If-Match': etag, Prefer: 'return=representation' }),
        ),
      );
      const ok = all.filter((r) => r.status < 300);
      expect(ok).toHaveLength(1);
      expect(all.filter((r) => r.status === 412)).toHaveLength(49);
      expect((await t.api.get(`/referrals/${created.body.id}`)).body.details.notes).toBe(ok[0]!.body.details.notes);
    } finally {
      await t.close();
    }
  });

  it('SIGKILL during a burst of creates: every acknowledged create is present after a restart, none twice', async () => {
    const db = join(dir, 'store.db');
    const first = await startProcess(db);
    const api = client(first.url, first.apiKey);
    const acknowledged: string[] = [];
    let sent = 0;
    // 16 writers creating until the process dies under them.
    const writers = Array.from({ length: 16 }, async () => {
      for (;;) {
        const n = sent++;
        try {
          const r = await api.post('/referrals', deal({ externalReferenceId: `BURST-${n}` }));
          if (r.status === 201) acknowledged.push(r.body.id);
        } catch {
          return; // connection refused or reset: the process is gone
        }
      }
    });
    setTimeout(() => first.child.kill('SIGKILL'), 1500);
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(20);

    const second = await startProcess(db);
    try {
      const again = client(second.url, second.apiKey);
      for (const id of acknowledged) expect((await again.get(`/referrals/${id}`)).status, id).toBe(200);
      const count = (await again.get('/referrals?$count=true&$top=1')).body['@odata.count'];
      expect(count).toBeGreaterThanOrEqual(acknowledged.length);
      expect(count).toBeLessThanOrEqual(sent);
    } finally {
      second.child.kill('SIGKILL');
    }
  }, 60_000);
});
