/**
 * Distributed mode end to end through the real commands, the roles of deploy/docker-compose.yaml:
 * `cosell-sync scheduler`, two `cosell-sync worker` and `cosell-sync console` processes on PostgreSQL and Redis, a
 * Salesforce sandbox and the referral store as the remote APIs. The file's connection syncs; a second partner
 * added through the console's `POST /api/v1/connections` (its own referral credentials, by environment variable
 * name) is served by the console at once and by the scheduler once it reads PostgreSQL again, and is scheduled
 * and synced by a worker that started before it existed; SIGTERM stops every process with exit 0 and no lease
 * left behind.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, sandboxCrm, spawnCli, surfaceUrl, writeDistributedConfig, type CliProcess } from '../helpers/cli-process.js';
import { startDistStack, type DistStack } from '../helpers/distributed-stack.js';
import { servicesUp } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const up = await servicesUp({ postgres: true, redis: true });
const RECORDS = 150;

describe.skipIf(!up)('distributed mode through the CLI', () => {
  let stack: DistStack;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    stack = await startDistStack({ connections: 2, records: RECORDS });
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL'), await p.exited;
    await stack?.close();
  }, 60_000);

  const run = (config: string, command: string) => {
    const p = spawnCli(stack, config, [command]);
    procs.push(p);
    return p;
  };
  const until = (what: string, cond: () => Promise<boolean>) =>
    waitFor(
      what,
      async () => (await cond()) || undefined,
      120_000,
      () => procs.map((p) => p.output().slice(-2000)).join('\n---\n'),
    );
  const synced = (name: string) => async () => (await stack.state.linkCounts(name)).ok === RECORDS;

  it('the scheduler and two workers sync the file connection and one added through the console, then stop cleanly', async () => {
    const config = writeDistributedConfig(stack, { connections: 1, runtime: { mode: 'distributed', connectionsRefreshSeconds: 1 } });
    const scheduler = run(config, 'scheduler');
    const workers = [run(config, 'worker'), run(config, 'worker')];
    const consoleRole = run(config, 'console');
    const schedulerUrl = await waitFor('the scheduler to listen', () => surfaceUrl(scheduler), 120_000, scheduler.output);
    const url = await waitFor('the console to listen', () => surfaceUrl(consoleRole), 120_000, consoleRole.output);
    expect(consoleRole.output()).toMatch(/"console running"/);
    const page = await fetch(`${url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    await until('conn0 synced', synced('conn0'));

    const res = await fetch(`${url}/api/v1/connections`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'conn1',
        crm: sandboxCrm(stack, 1),
        mapping: resolve('mappings/salesforce.yaml'),
        schedule: '*/5 * * * *',
        referrals: { auth: { method: 'api-key', apiKeyEnv: 'E2E_STORE_KEY_1' } },
      }),
    });
    expect([res.status, await res.json()]).toEqual([200, { name: 'conn1', created: true }]);
    // The console serves the connection it stored at once; the scheduler learns it from PostgreSQL.
    const listed = async (base: string) =>
      ((await (await fetch(`${base}/api/v1/connections`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { items: { connection: string }[] }).items.map(
        (c) => c.connection,
      );
    expect(await listed(url)).toEqual(['conn0', 'conn1']);
    await waitFor('the scheduler to serve conn1', async () => ((await listed(schedulerUrl)).includes('conn1') ? true : undefined), 30_000, scheduler.output);
    await until('conn1 synced by a worker that started before it existed', synced('conn1'));
    await stack.drained(60_000);
    // A second cycle of each settles the write-backs of records the first one created.
    for (const c of stack.connections) await stack.queue.syncNow(c.name);
    await stack.drained(60_000);

    for (const r of await stack.verify()) expect([r.name, r.referrals, r.duplicates, r.missingWriteBack]).toEqual([r.name, RECORDS, [], []]);
    for (const p of [scheduler, consoleRole, ...workers]) p.child.kill('SIGTERM');
    expect(await Promise.all([scheduler, consoleRole, ...workers].map((p) => p.exited))).toEqual([0, 0, 0, 0]);
    // The console only serves: the cycles ran on the workers.
    expect(consoleRole.output()).not.toMatch(/"sync job started"/);
    expect((await stack.state.db.query('SELECT * FROM leases')).rows).toEqual([]);
  }, 300_000);
});
