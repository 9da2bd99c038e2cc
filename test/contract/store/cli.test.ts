/** `cosell-sync store serve|seed` as an operator runs them: URL and key sources printed, clean stop on signals. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cosell-store-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = ['--import', 'tsx', 'src/cli/main.ts', 'store'];
const env = { ...process.env, COSELL_STORE_API_KEY: 'cli-key-from-env-01', COSELL_STORE_ADMIN_KEY: 'cli-admin-from-env-01' };

describe('cosell-sync store', () => {
  it('seed fills a file once', () => {
    const db = join(dir, 'seeded.db');
    const first = spawnSync(process.execPath, [...cli, 'seed', '--db', db], { encoding: 'utf8', env });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/seeded .*: \d+ referrals/);
    const second = spawnSync(process.execPath, [...cli, 'seed', '--db', db], { encoding: 'utf8', env });
    expect(second.stdout).toContain('nothing seeded');
  });

  it('serve prints its URL and where the keys come from (never an env admin key), serves, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...cli, 'serve', '--port', '0', '--db', join(dir, 'serve.db')], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        if (/admin key/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const url = /referral store: (\S+)/.exec(out)![1]!;
    expect(out).toContain('API key: from COSELL_STORE_API_KEY');
    expect(out).toContain('admin key: from COSELL_STORE_ADMIN_KEY');
    expect(out).not.toContain('cli-admin-from-env-01');
    const res = await fetch(`${url}/referrals`, { headers: { authorization: 'Bearer cli-key-from-env-01' } });
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
