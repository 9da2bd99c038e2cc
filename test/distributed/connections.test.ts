/**
 * Multi-tenant configuration: connections stored in PostgreSQL through the admin API (`POST /api/v1/connections`)
 * and the CLI, validated by the config file's connection schema, scheduled on the shared queue at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledConnections } from '../../src/cli/run-distributed.js';
import { openSyncQueue, type SyncQueue } from '../../src/jobs/index.js';
import { loadConfig, serverSchema, silentLogger } from '../../src/runtime/index.js';
import { createHealth, createMetrics, startHttpServer, type HttpServer } from '../../src/server/index.js';
import { openPostgresState, type PostgresState } from '../../src/state/index.js';
import { databaseUrl, redisUrl, servicesUp, tearDown, uniqueName } from '../helpers/services.js';

const up = await servicesUp({ postgres: true, redis: true });
const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const conn = (over: Record<string, unknown> = {}) => ({
  name: 'partner-7',
  crm: { kind: 'salesforce', instanceUrl: 'https://partner7.my.salesforce.com', auth: { method: 'jwt', clientId: 'c', username: 'u@p7.example', privateKeyEnv: 'P7_SF_KEY' } },
  mapping: 'mappings/salesforce.yaml',
  schedule: '*/10 * * * *',
  ...over,
});

describe.skipIf(!up)('stored connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-conns-'));
  const schema = uniqueName('conns');
  const prefix = uniqueName('cosell-conns');
  const configFile = join(dir, 'config.yaml');
  // A distributed deployment may keep every connection in PostgreSQL: the file names none.
  writeFileSync(
    configFile,
    `state: { kind: postgres, schema: ${schema} }\nruntime: { mode: distributed, prefix: ${prefix} }\nreferrals: { target: partner-center, auth: { method: none } }\n`,
  );
  let state: PostgresState;
  let queue: SyncQueue;
  let server: HttpServer;
  let embedded: HttpServer;
  const api = (s: HttpServer, method: string, path: string, token: string, body?: unknown) =>
    fetch(`${s.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    state = await openPostgresState({ url: databaseUrl, schema });
    queue = openSyncQueue(redisUrl, prefix);
    const base = {
      state,
      connections: [],
      log: silentLogger,
      health: createHealth(),
      runNow: async () => {},
      syncReferral: async () => [],
      metrics: createMetrics({ connections: () => [], lagSeconds: async () => null, budgetRatio: () => null, recordIssues: async () => 0, conflictsOpen: async () => 0 }),
    };
    const env = { COSELL_API_READ_TOKEN: READ, COSELL_API_ADMIN_TOKEN: ADMIN };
    server = await startHttpServer({
      config: serverSchema.parse({ port: 0 }),
      ctx: { ...base, connectionConfigs: scheduledConnections(loadConfig(configFile), state, queue) },
      env,
    });
    embedded = await startHttpServer({ config: serverSchema.parse({ port: 0 }), ctx: base, env });
  });
  afterAll(async () => {
    await server?.close();
    await embedded?.close();
    await tearDown({ queue, state, schema, prefix });
  });

  it('POST /api/v1/connections stores a valid connection, schedules it from its cron and queues a first cycle', async () => {
    const res = await api(server, 'POST', '/connections', ADMIN, conn());
    expect([res.status, await res.json()]).toEqual([200, { name: 'partner-7', created: true }]);
    const again = await api(server, 'POST', '/connections', ADMIN, conn({ schedule: '*/15 * * * *' }));
    expect(await again.json()).toEqual({ name: 'partner-7', created: false });
    const schedulers = await queue.queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern])).toEqual([['partner-7', '*/15 * * * *']]);
    expect((await queue.queue.getJobs(['waiting', 'prioritized'])).map((j) => j.data.connection)).toContain('partner-7');
    const list = (await (await api(server, 'GET', '/connection-configs', READ)).json()) as { items: { name: string; schedule: string; pageSize: number }[] };
    expect(list.items.map((c) => [c.name, c.schedule, c.pageSize])).toEqual([['partner-7', '*/15 * * * *', 200]]);
  });

  it('refuses a bad connection naming every bad field, and the read token; removes one with its schedule', async () => {
    const bad = await api(server, 'POST', '/connections', ADMIN, conn({ name: 'Partner 8', crm: { kind: 'salesforce' }, pageSize: 0 }));
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { error: { problems: { path: string }[] } }).error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['body.crm', 'body.crm.auth', 'body.name', 'body.pageSize']);
    expect((await api(server, 'POST', '/connections', READ, conn({ name: 'partner-9' }))).status).toBe(403);
    const del = await api(server, 'DELETE', '/connections/partner-7', ADMIN);
    expect([del.status, await del.json()]).toEqual([200, { name: 'partner-7', removed: true }]);
    expect(await queue.queue.getJobSchedulers()).toEqual([]);
    expect((await api(server, 'DELETE', '/connections/partner-7', ADMIN)).status).toBe(404);
  });

  it('the embedded default says connections are stored only in PostgreSQL', async () => {
    const res = await api(embedded, 'POST', '/connections', ADMIN, conn());
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/state\.kind postgres/);
  });

  it('the CLI adds, lists and removes stored connections; a bad file is named with its line', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', configFile, 'connections', ...args], {
        encoding: 'utf8',
        env: { ...process.env, COSELL_DATABASE_URL: databaseUrl, COSELL_REDIS_URL: redisUrl, COSELL_LOG_LEVEL: 'error' },
      });
    const good = join(dir, 'p10.yaml');
    writeFileSync(
      good,
      'name: partner-10\ncrm: { kind: salesforce, instanceUrl: "https://p10.my.salesforce.com", auth: { method: jwt, clientId: c, username: u, privateKeyEnv: P10_KEY } }\nmapping: mappings/salesforce.yaml\n',
    );
    expect(cli('add', good).stdout).toBe('added partner-10\n');
    expect(cli('list').stdout).toMatch(/partner-10\s+salesforce\s+\*\/5 \* \* \* \*/);
    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'name: partner-11\ncrm: { kind: salesforce, sandbox: {} }\nmapping: m.yaml\nschedul: "* * * * *"\n');
    const bad = cli('add', badFile);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/bad\.yaml:4:\d+.*schedul/)]);
    expect(cli('remove', 'partner-10').stdout).toBe('removed partner-10\n');
    expect(cli('remove', 'partner-10').status).toBe(1);
  }, 60_000);
});
