/**
 * `cosell-sync start --mode distributed`: the scheduler and a worker in one process (the config says embedded;
 * the flag decides), on PostgreSQL and Redis, a Salesforce sandbox and the referral store as the remote APIs, with
 * the HTTP surface `start` has (probes, admin API, run metrics). SIGTERM in the middle of the first cycle: the
 * page in progress is committed, the lease released, exit 0; a second start resumes from the committed cursor and
 * converges (every opportunity one referral, none duplicated, every write-back present).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_TOKEN, ADMIN_TOKEN, spawnCli, surfaceUrl, writeDistributedConfig, type CliProcess } from '../helpers/cli-process.js';
import { startDistStack, type DistStack } from '../helpers/distributed-stack.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { servicesUp } from '../helpers/services.js';
import { waitFor } from '../helpers/wait-for.js';

const up = await servicesUp({ postgres: true, redis: true });
const RECORDS = 3000;
const PAGE = 50;

describe.skipIf(!up)('start --mode distributed', () => {
  let stack: DistStack;
  const procs: CliProcess[] = [];
  beforeAll(async () => {
    stack = await startDistStack({ connections: 1, records: RECORDS });
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL'), await p.exited;
    await stack?.close();
  }, 60_000);

  const start = (config: string) => {
    const p = spawnCli(stack, config, ['start', '--mode', 'distributed']);
    procs.push(p);
    return p;
  };
  const get = (url: string, token: string) => fetch(url, { headers: { Authorization: `Bearer ${token}` } });

  it('schedules and syncs in one process; SIGTERM mid-cycle commits the page, releases the lease, exits 0; a restart converges', async () => {
    const config = writeDistributedConfig(stack, { connections: 1, pageSize: PAGE });
    const first = start(config);
    const url = await waitFor('the HTTP surface', () => surfaceUrl(first), 120_000, first.output);
    expect(first.output()).toMatch(/"scheduler running"/);
    expect((await get(`${url}/readyz`, READ_TOKEN)).status).toBe(200);
    const listed = (await (await get(`${url}/api/v1/connections`, READ_TOKEN)).json()) as { items: { connection: string }[] };
    expect(listed.items.map((c) => c.connection)).toEqual(['conn0']);

    // The first cycle, queued by the scheduler role and run by the worker role, is committing pages.
    await waitFor('two page commits', async () => ((await stack.pageCommits()).length >= 2 ? true : undefined), 120_000, first.output);
    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    expect((await stack.state.db.query('SELECT * FROM leases')).rows).toEqual([]);
    const finished = first.output().match(/^.*"sync job finished".*$/gm) ?? [];
    expect(finished.length, 'the cycle ended (finished its page) before the process exited').toBe(1);
    expect(JSON.parse(finished[0]!)).toMatchObject({ connection: 'conn0', interrupted: true });
    const linked = (await stack.state.linkCounts('conn0')).ok;
    expect(linked, 'stopped mid-cycle, not after it').toBeLessThan(RECORDS);
    expect(linked).toBeGreaterThan(0);

    const second = start(config);
    const url2 = await waitFor('the HTTP surface again', () => surfaceUrl(second), 120_000, second.output);
    await waitFor('conn0 synced', async () => ((await stack.state.linkCounts('conn0')).ok === RECORDS ? true : undefined), 180_000, second.output);
    await stack.drained(120_000);
    // A second cycle settles the write-backs of records the first one created.
    await stack.queue.syncNow('conn0');
    await stack.drained(120_000);
    const [r] = await stack.verify();
    expect([r!.referrals, r!.duplicates, r!.missingWriteBack]).toEqual([RECORDS, [], []]);
    // The worker role reports its runs to the surface's metrics, as `start` does.
    const metrics = parsePrometheusText(await (await get(`${url2}/metrics`, ADMIN_TOKEN)).text());
    expect(sampleValue(metrics, 'cosell_sync_runs_total', { connection: 'conn0', result: 'ok' })).toBeGreaterThanOrEqual(1);

    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);
    expect((await stack.state.db.query('SELECT * FROM leases')).rows).toEqual([]);
  }, 420_000);
});
