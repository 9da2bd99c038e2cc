/**
 * Distributed mode end to end through the real commands: `cosell-sync scheduler` and two `cosell-sync worker`
 * processes on PostgreSQL and Redis, a Salesforce sandbox and the referral store as the remote APIs. The file's
 * connection syncs; a second partner added through `POST /api/v1/connections` (its own referral credentials, by
 * environment variable name) is scheduled and synced by a worker that started before it existed; SIGTERM stops
 * every process with exit 0 and no lease left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistStack, type DistStack } from '../helpers/distributed-stack.js';
import { databaseUrl, redisUrl, servicesUp } from '../helpers/services.js';

const up = await servicesUp({ postgres: true, redis: true });
const RECORDS = 150;
const ADMIN = 'e2e-admin-token-0123456789';

describe.skipIf(!up)('distributed mode through the CLI', () => {
  let stack: DistStack;
  const procs: { child: ChildProcess; out: () => string; exited: Promise<number | null> }[] = [];
  beforeAll(async () => {
    stack = await startDistStack({ connections: 2, records: RECORDS });
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL'), await p.exited;
    await stack?.close();
  }, 60_000);

  const crm = (i: number) => {
    const sb = stack.connections[i]!.sb;
    return {
      kind: 'salesforce',
      instanceUrl: sb.url,
      loginUrl: sb.url,
      auth: { method: 'jwt', clientId: sb.credentials.clientId, username: sb.credentials.username, privateKeyEnv: `E2E_SF_KEY_${i}` },
    };
  };

  function run(config: string, command: string) {
    const [c0, c1] = stack.connections;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', config, command], {
      env: {
        ...process.env,
        COSELL_DATABASE_URL: databaseUrl,
        COSELL_REDIS_URL: redisUrl,
        E2E_ADMIN: ADMIN,
        E2E_READ: 'e2e-read-token-0123456789',
        E2E_STORE_KEY_0: c0!.storeKey,
        E2E_STORE_KEY_1: c1!.storeKey,
        E2E_SF_KEY_0: c0!.sb.credentials.privateKeyPem,
        E2E_SF_KEY_1: c1!.sb.credentials.privateKeyPem,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const p = { child, out: () => out, exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
    procs.push(p);
    return p;
  }
  const until = async (what: string, cond: () => Promise<boolean>, ms = 120_000) => {
    for (const end = Date.now() + ms; !(await cond()); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${procs.map((p) => p.out().slice(-2000)).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const synced = (name: string) => async () => (await stack.state.linkCounts(name)).ok === RECORDS;

  it('the scheduler and two workers sync the file connection and one added through the API, then stop cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cosell-e2e-dist-'));
    const config = join(dir, 'config.yaml');
    const referralsRate = { concurrency: 8, intervalCap: 10_000, intervalMs: 1000 };
    writeFileSync(
      config,
      JSON.stringify({
        state: { kind: 'postgres', schema: stack.schema },
        runtime: { mode: 'distributed', prefix: stack.prefix, leaseSeconds: 10, concurrency: 2 },
        log: { level: 'info', format: 'json' },
        referrals: {
          target: 'store',
          baseUrl: stack.store.url,
          auth: { method: 'api-key', apiKeyEnv: 'E2E_STORE_KEY_0' },
          rate: referralsRate,
          incremental: { mode: 'filter', overlapSeconds: 5 },
        },
        connections: [{ name: 'conn0', crm: crm(0), mapping: resolve('mappings/salesforce.yaml'), schedule: '*/5 * * * *' }],
        server: { port: 0, tokens: { readEnv: 'E2E_READ', adminEnv: 'E2E_ADMIN' }, webhooks: { enabled: false } },
      }),
    );
    const scheduler = run(config, 'scheduler');
    const workers = [run(config, 'worker'), run(config, 'worker')];
    await until('the scheduler to listen', async () => /"scheduler running"/.test(scheduler.out()));
    const url = /"http":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(scheduler.out())![1]!;
    await until('conn0 synced', synced('conn0'));

    const res = await fetch(`${url}/api/v1/connections`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'conn1',
        crm: crm(1),
        mapping: resolve('mappings/salesforce.yaml'),
        schedule: '*/5 * * * *',
        referrals: { auth: { method: 'api-key', apiKeyEnv: 'E2E_STORE_KEY_1' } },
      }),
    });
    expect([res.status, await res.json()]).toEqual([200, { name: 'conn1', created: true }]);
    await until('conn1 synced by a worker that started before it existed', synced('conn1'));
    await stack.drained(60_000);
    // A second cycle of each settles the write-backs of records the first one created.
    for (const c of stack.connections) await stack.queue.syncNow(c.name);
    await stack.drained(60_000);

    for (const r of await stack.verify()) expect([r.name, r.referrals, r.duplicates, r.missingWriteBack]).toEqual([r.name, RECORDS, [], []]);
    for (const p of [scheduler, ...workers]) p.child.kill('SIGTERM');
    expect(await Promise.all([scheduler, ...workers].map((p) => p.exited))).toEqual([0, 0, 0]);
    expect((await stack.state.db.query('SELECT * FROM leases')).rows).toEqual([]);
  }, 300_000);
});
