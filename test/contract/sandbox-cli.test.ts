/** `cosell-sync sandbox` as an admin runs it: `--help` says where keys go, `--state-dir` puts them elsewhere. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cosell-sandbox-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = ['--import', 'tsx', 'src/cli/main.ts', 'sandbox'];

it('--help names the folder the keys and certificates are written to, and the option to move it', () => {
  const help = spawnSync(process.execPath, [...cli, 'dynamics365', '--help'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/--state-dir <dir>\s+where keys and certificates are written\s+\(<dir>\/sandbox-certs\/<kind>\/\)/);
  expect(spawnSync(process.execPath, [...cli, '--help'], { encoding: 'utf8' }).stdout).toMatch(
    /<state-dir>\/sandbox-certs\/<kind>\/ \(default \.\/\.cosell, in the current folder\)/,
  );
});

it('dynamics365 --state-dir writes its CA and keys there and prints where', async () => {
  const stateDir = join(dir, 'state');
  const child = spawn(process.execPath, [...cli, 'dynamics365', '--port', '0', '--seed', '0', '--no-activity', '--state-dir', stateDir]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 20_000);
    child.stdout.on('data', () => {
      if (/Ctrl-C/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exit = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  const certDir = join(stateDir, 'sandbox-certs', 'dynamics365');
  expect(out).toContain(`keys and CA in ${certDir}`);
  expect(out).toContain(`caFile: ${join(certDir, 'ca.pem')}`);
  expect(existsSync(join(certDir, 'ca.pem'))).toBe(true);
  expect(readdirSync(certDir).length).toBeGreaterThan(1);
});
