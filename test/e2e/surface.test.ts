/**
 * The service's HTTP surface, end to end: `cosell-sync start` runs as an operator runs it (embedded store, a
 * Salesforce sandbox, a yearly schedule so every cycle here is one the test caused), and everything is asked
 * over real HTTP on loopback: probes, metrics (parsed as Prometheus text), every /api/v1 route under the auth
 * matrix, paths that try to route around authorization, and Partner Center-signed webhooks (a test CA serves
 * the signing certificates over HTTPS) that must reach the CRM record within seconds — or be refused.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';
import { writeSurfaceConfig } from '../helpers/surface-config.js';
import { signedHeaders, startPki, type Pki } from '../helpers/webhook-pki.js';
import { waitFor as waitUntil } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-surface-'));
const READ = 'read-token-surface-0123456789';
const ADMIN = 'admin-token-surface-0123456789';
const STORE_KEY = 'surface-store-key-123456';
const env = { ...process.env, COSELL_STORE_API_KEY: STORE_KEY, COSELL_STORE_ADMIN_KEY: 'surface-store-admin-123456', SURFACE_READ: READ, SURFACE_ADMIN: ADMIN };
const mappingFile = join(dir, 'salesforce.yaml');

let pki: Pki;
let child: ChildProcess;
let api = '';
let store = '';
let stderr = '';
let stdout = '';

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000) => waitUntil(what, probe, ms, () => stderr);

const call = async (method: string, path: string, token?: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
};

/** A request with the path sent byte for byte (fetch would normalize dot segments and case of nothing). */
const raw = (method: string, path: string, token?: string) =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(api);
    const req = request({ host: u.hostname, port: u.port, method, path, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });

const storeCall = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${store}${path}`, {
    method,
    headers: { Authorization: `Bearer ${STORE_KEY}`, 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, etag: res.headers.get('etag'), body: (res.status === 204 ? null : await res.json()) as any };
};

const runs = async () => (await call('GET', '/api/v1/runs?limit=500', READ)).body.items as { id: number; status: string }[];

beforeAll(async () => {
  pki = await startPki();
  writeFileSync(mappingFile, readFileSync('mappings/salesforce.yaml'));
  const config = writeSurfaceConfig(dir, { pki, mapping: mappingFile, schedule: '0 0 1 1 *', seed: 12, readEnv: 'SURFACE_READ', adminEnv: 'SURFACE_ADMIN', jsonLogs: true });
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', config, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const urlOf = (message: string) => {
    const line = stderr.split('\n').find((l) => l.includes(`"message":"${message}"`));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  };
  api = await waitFor('the http surface', () => urlOf('http surface listening'), 40_000);
  store = await waitFor('the store', () => urlOf('referral store listening'));
  await waitFor('the first run', async () => ((await runs()).some((r) => r.status === 'ok') ? true : undefined));
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('probes and metrics', () => {
  it('/livez answers with the event loop delay; /readyz names every check', async () => {
    const live = await call('GET', '/livez');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');
    expect(live.body.eventLoopDelayP99Ms).toBeLessThan(2000);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual(['state', 'credentials:sf', 'referrals-api']);
    expect(ready.body.notReady).toEqual([]);
  });

  it('/metrics is Prometheus text with every family the issue names, typed and following conventions', async () => {
    // The run is in the state before its metrics are (registration and notifications follow the engine's commit).
    const families = await waitFor('the first run in the metrics', async () => {
      const res = await fetch(`${api}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const f = parsePrometheusText(await res.text());
      return sampleValue(f, 'cosell_sync_runs_total', { connection: 'sf', result: 'ok' }) ? f : undefined;
    });
    const want: Record<string, string> = {
      cosell_sync_runs_total: 'counter',
      cosell_sync_run_duration_seconds: 'histogram',
      cosell_sync_records_total: 'counter',
      cosell_sync_api_calls_total: 'counter',
      cosell_sync_api_retry_after_seconds_total: 'counter',
      cosell_sync_lag_seconds: 'gauge',
      cosell_sync_crm_api_budget_ratio: 'gauge',
      cosell_sync_record_issues: 'gauge',
      cosell_sync_conflicts_open: 'gauge',
      cosell_sync_webhooks_total: 'counter',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(want)) expect(families.get(name)?.type, name).toBe(type);
    for (const f of families.values()) if (f.type === 'counter') expect(f.name, 'counters end in _total').toMatch(/_total$/);
    expect(sampleValue(families, 'cosell_sync_runs_total', { connection: 'sf', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'cosell_sync_run_duration_seconds_count', { connection: 'sf' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'cosell_sync_records_total', { connection: 'sf', action: 'created' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'cosell_sync_api_calls_total', { api: 'salesforce', status: 'ok' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'cosell_sync_api_calls_total', { api: 'referrals', status: 'ok' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'cosell_sync_lag_seconds', { connection: 'sf' })).toBeGreaterThanOrEqual(0);
    const budget = sampleValue(families, 'cosell_sync_crm_api_budget_ratio', { connection: 'sf' })!;
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThan(1);
    expect(sampleValue(families, 'cosell_sync_record_issues', { connection: 'sf' })).toBe(0);
  });
});

describe('authorization on the matched route', () => {
  const fill = (path: string) =>
    path
      .replace('{name}', 'sf')
      .replace('{crmId}', 'nope')
      .replace('{id}', '999999')
      .replace(/^\/api\/v1/, '');

  it('every documented route: no token 401, unknown token 401, read token only on read routes, admin token everywhere', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json')).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, { 'x-required-role'?: string }>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ method: m.toUpperCase(), path: `/api/v1${fill(p)}`, role: op['x-required-role'] })),
    );
    expect(routes.length).toBe(31); // 23 of the surface, 5 of the console, 3 of stored connections (distributed mode)
    const paused = routes.filter((r) => r.path.endsWith('/pause'));
    // Pause first and resume last so the admin pass leaves the connection as it found it.
    const ordered = [...paused, ...routes.filter((r) => !paused.includes(r) && !r.path.endsWith('/resume')), ...routes.filter((r) => r.path.endsWith('/resume'))];
    for (const r of ordered) {
      const body = r.method === 'GET' ? undefined : {};
      const none = await call(r.method, r.path, undefined, body);
      const wrong = await call(r.method, r.path, 'not-a-token', body);
      const read = await call(r.method, r.path, READ, body);
      const admin = await call(r.method, r.path, ADMIN, body);
      const where = `${r.method} ${r.path}`;
      expect(none.status, where).toBe(401);
      expect(wrong.status, where).toBe(401);
      if (r.role === 'admin') expect(read.status, where).toBe(403);
      else expect([401, 403], where).not.toContain(read.status);
      expect([401, 403], where).not.toContain(admin.status);
      expect(admin.status, `${where}: bad input is a 4xx, never a 5xx`).toBeLessThan(500);
    }
    expect((await call('GET', '/api/v1/connections/sf', READ)).body.paused).toBe(false);
  }, 60_000);

  it('encoded, doubled, dot-segment and mixed-case paths never reach an admin action with the read token', async () => {
    const tricks = [
      '/api/v1//connections/sf/pause',
      '/api/v1/./connections/sf/pause',
      '/api/v1/connections/sf/../sf/pause',
      '/api/v1/connections/x/../sf/pause',
      '/API/v1/connections/sf/pause',
      '/api/V1/connections/sf/pause',
      '/api/v1/connections/sf/PAUSE',
      '/api/v1/%63onnections/sf/pause',
      '/api/v1/connections/sf/%70ause',
      '/api/v1/connections/sf%2Fpause',
      '/api%2Fv1/connections/sf/pause',
      '/api/v1/connections/sf/pause/',
      '/api/v1/connections/sf/pause?next=/livez',
      '/livez/../api/v1/connections/sf/pause',
      '/livez/..%2Fapi/v1/connections/sf/pause',
      '/webhooks/partner-center/../../api/v1/connections/sf/pause',
    ];
    for (const path of tricks) {
      const status = await raw('POST', path, READ);
      expect([401, 403, 404], path).toContain(status);
      const anonymous = await raw('POST', path);
      expect([401, 404], path).toContain(anonymous);
      expect(anonymous, `${path}: an anonymous caller never learns more than 401`).toBe(401);
    }
    for (const path of ['/API/V1/connections', '/api/v1/%63onnections', '/api/v1//runs', '/livez/../api/v1/issues']) {
      expect(await raw('GET', path), path).toBe(401);
    }
    expect((await call('GET', '/api/v1/connections/sf', READ)).body.paused).toBe(false);
  });
});

describe('admin API', () => {
  it('connections: status with lag, counts and budget; pause blocks sync now; resume; sync now runs a cycle', async () => {
    const list = await call('GET', '/api/v1/connections', READ);
    expect(list.status).toBe(200);
    const sf = list.body.items[0];
    expect(sf).toMatchObject({ connection: 'sf', crm: 'salesforce', paused: false });
    expect(sf.linked).toBeGreaterThan(0);
    expect(sf.crmBudget).toMatch(/^\d+\/\d+$/);
    expect(sf.lagSeconds).toBeGreaterThanOrEqual(0);
    expect((await call('GET', '/api/v1/connections/nope', READ)).status).toBe(404);

    expect((await call('POST', '/api/v1/connections/sf/pause', ADMIN)).body.paused).toBe(true);
    const refused = await call('POST', '/api/v1/connections/sf/sync', ADMIN);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('paused');
    expect((await call('POST', '/api/v1/connections/sf/resume', ADMIN)).body.paused).toBe(false);

    const before = (await runs()).length;
    expect((await call('POST', '/api/v1/connections/sf/sync', ADMIN)).status).toBe(202);
    await waitFor('a new run', async () => ((await runs()).length > before && (await runs())[0]!.status !== 'running' ? true : undefined));
    // Nothing changed since: the idle cycle costs one call per side (what makes a seconds schedule affordable).
    const idle = (await call('GET', '/api/v1/runs?limit=1', READ)).body.items[0];
    expect(idle.status).toBe('ok');
    expect([idle.counts.crmCalls, idle.counts.referralCalls]).toEqual([1, 1]);
  });

  it('the CLI and the API share one pause: `cosell-sync pause` is seen by the running service', async () => {
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', join(dir, 'config.yaml'), 'pause', '--connection', 'sf'], { env, encoding: 'utf8' });
    expect(cli.stdout).toBe('sf: paused\n');
    expect((await call('GET', '/api/v1/connections/sf', READ)).body.paused).toBe(true);
    expect((await call('POST', '/api/v1/connections/sf/resume', ADMIN)).body.paused).toBe(false);
  });

  it('runs page server-side; a run has its sync log, searchable by CRM id, referral id or name', async () => {
    const first = await call('GET', '/api/v1/runs?limit=1', READ);
    expect(first.body.items).toHaveLength(1);
    const all = await runs();
    if (all.length > 1) {
      expect(first.body.next).toBe(first.body.items[0].id);
      const second = await call('GET', `/api/v1/runs?limit=1&before=${first.body.next}`, READ);
      expect(second.body.items[0].id).toBeLessThan(first.body.items[0].id);
    }
    const firstRun = all[all.length - 1]!;
    const log = await call('GET', `/api/v1/runs/${firstRun.id}/log?limit=500`, READ);
    expect(log.status).toBe(200);
    expect(log.body.items.length).toBeGreaterThan(0);
    const created = log.body.items.find((e: { outcome: string }) => e.outcome === 'created');
    expect(created).toMatchObject({ runId: firstRun.id, connection: 'sf' });
    for (const search of [created.crmId, created.referralId, created.name.slice(2, 9)]) {
      const found = await call('GET', `/api/v1/sync-log?search=${encodeURIComponent(search)}`, READ);
      expect(
        found.body.items.some((e: { id: number }) => e.id === created.id),
        search,
      ).toBe(true);
    }
    const none = await call('GET', '/api/v1/sync-log?search=%25', READ);
    expect(none.body.items).toEqual([]);
    const bad = await call('GET', '/api/v1/runs?limit=lots', READ);
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0].path).toBe('query.limit');
  });

  it('one record: the CRM side, the referral side, the base and its history', async () => {
    const entry = (await call('GET', '/api/v1/sync-log?limit=1', READ)).body.items[0];
    const rec = await call('GET', `/api/v1/connections/sf/records/${entry.crmId}`, READ);
    expect(rec.status).toBe(200);
    expect(rec.body.crm.id).toBe(entry.crmId);
    expect(rec.body.referral.id).toBe(entry.referralId);
    expect(rec.body.link.base.name).toBe(rec.body.referral.name);
    expect(rec.body.history.length).toBeGreaterThan(0);
    expect(rec.body.nextPlan, 'a synced record has nothing to do').toEqual({ actions: [], blocked: [], conflicts: [], problems: [] });
    expect((await call('GET', '/api/v1/connections/sf/records/006NOPE', READ)).status).toBe(404);
    const hostile = await call('GET', `/api/v1/connections/sf/records/${encodeURIComponent("006' OR Id != '")}`, READ);
    expect(hostile.status).toBe(400);
    expect(hostile.body.error.problems[0].path).toBe('params.crmId');
  });

  it('issues and conflicts: paged lists, retry validates its keys, resolving an unknown conflict is a 404', async () => {
    const issues = await call('GET', '/api/v1/issues?limit=5', READ);
    expect(issues.body).toMatchObject({ items: expect.any(Array), total: expect.any(Number) });
    const retry = await call('POST', '/api/v1/issues/retry', ADMIN, { connection: 'sf', records: ['crm:006A', 'nonsense'] });
    expect(retry.status).toBe(400);
    expect(retry.body.error.problems[0].message).toContain("'nonsense'");
    const ok = await call('POST', '/api/v1/issues/retry', ADMIN, { connection: 'sf', records: ['crm:006A'] });
    expect(ok.body).toEqual({ connection: 'sf', queued: 1 });
    expect((await call('POST', '/api/v1/issues/retry', ADMIN, { connection: 'nope' })).status).toBe(404);
    expect((await call('GET', '/api/v1/conflicts?all=true', READ)).body.total).toBeGreaterThanOrEqual(0);
    const take = await call('POST', '/api/v1/conflicts/424242/resolve', ADMIN, { take: 'both' });
    expect(take.status).toBe(400);
    expect(take.body.error.problems[0].path).toBe('body.take');
    expect((await call('POST', '/api/v1/conflicts/424242/resolve', ADMIN, { take: 'crm' })).status).toBe(404);
  });

  it('mappings: read, validate with line:col, preview, suggest, save atomically with a backup (a bad text saves nothing)', async () => {
    const cur = await call('GET', '/api/v1/connections/sf/mapping', READ);
    expect(cur.body.text).toBe(readFileSync(mappingFile, 'utf8'));
    const broken = cur.body.text.replace('  value: Amount', '  value: 42').replace('crm: salesforce', 'crm: sap');
    const check = await call('POST', '/api/v1/mappings/validate', READ, { text: broken, file: 'sf.yaml' });
    expect(check.body.ok).toBe(false);
    expect(check.body.problems.length).toBeGreaterThanOrEqual(2);
    for (const p of check.body.problems) expect(p).toMatchObject({ file: 'sf.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(check.body.problems.map((p: { path: string }) => p.path)).toContain('crm');

    const crmId = (await call('GET', '/api/v1/sync-log?limit=1', READ)).body.items[0].crmId;
    const preview = await call('POST', '/api/v1/connections/sf/mapping/preview', READ, { record: crmId });
    expect(preview.status).toBe(200);
    expect(preview.body.fields.find((f: { key: string }) => f.key === 'value').source).toBe('Amount');
    const live = await call('GET', '/api/v1/connections/sf/mapping/check', READ);
    expect(live.status).toBe(200);
    expect(
      live.body.findings.filter((f: { level: string }) => f.level === 'error'),
      'the default mapping matches the sandbox',
    ).toEqual([]);
    const suggest = await call('GET', '/api/v1/connections/sf/mapping/suggest', READ);
    expect(suggest.body.yaml).toContain('StageName');

    const refused = await call('PUT', '/api/v1/connections/sf/mapping', ADMIN, { text: broken });
    expect(refused.status).toBe(400);
    expect(readFileSync(mappingFile, 'utf8')).toBe(cur.body.text);
    expect(existsSync(`${mappingFile}.bak`)).toBe(false);

    const edited = `${cur.body.text}\n# saved through the API\n`;
    const saved = await call('PUT', '/api/v1/connections/sf/mapping', ADMIN, { text: edited });
    expect(saved.body).toEqual({ file: mappingFile, backup: `${mappingFile}.bak` });
    expect(readFileSync(mappingFile, 'utf8')).toBe(edited);
    expect(readFileSync(`${mappingFile}.bak`, 'utf8')).toBe(cur.body.text);
  });

  it('referral views page through the referrals API; a favorite toggles; a foreign page token is refused', async () => {
    const first = await call('GET', '/api/v1/connections/sf/referrals?view=outbound&top=2', READ);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.every((r: { direction: string }) => r.direction === 'Outgoing')).toBe(true);
    const second = await call('GET', `/api/v1/connections/sf/referrals?view=outbound&top=2&next=${first.body.next}`, READ);
    expect(second.body.items.map((r: { id: string }) => r.id)).not.toContain(first.body.items[0].id);
    const foreign = Buffer.from('https://attacker.example/steal?x=1').toString('base64url');
    const refused = await call('GET', `/api/v1/connections/sf/referrals?view=outbound&next=${foreign}`, READ);
    expect(refused.status).toBe(400);
    expect(refused.body.error.problems[0].path).toBe('next');
    expect((await call('GET', '/api/v1/connections/sf/referrals?view=everything', READ)).body.error.problems[0].path).toBe('query.view');

    const id = first.body.items[0].id;
    const fav = await call('POST', `/api/v1/connections/sf/referrals/${id}/favorite`, ADMIN, { favorite: true });
    expect(fav.status).toBe(200);
    expect(fav.body.favorite).toBe(true);
    const favorites = await call('GET', '/api/v1/connections/sf/referrals?view=favorites', READ);
    expect(favorites.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    await call('POST', `/api/v1/connections/sf/referrals/${id}/favorite`, ADMIN, { favorite: false });
    expect((await call('GET', '/api/v1/connections/sf/referrals?view=favorites', READ)).body.items).toEqual([]);
    expect((await call('POST', '/api/v1/connections/sf/referrals/no-such-referral/favorite', ADMIN, { favorite: true })).status).toBe(404);
  });

  it('the OpenAPI document lists every route with its role, built from the zod schemas', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const retry = doc.paths['/api/v1/issues/retry'].post;
    expect(retry['x-required-role']).toBe('admin');
    expect(retry.requestBody.content['application/json'].schema.required).toEqual(['connection']);
    const runsOp = doc.paths['/api/v1/runs'].get;
    expect(runsOp.parameters.map((p: { name: string }) => p.name)).toEqual(['connection', 'before', 'limit']);
    expect(doc.paths['/api/v1/connections/{name}/records/{crmId}'].get.parameters.map((p: { in: string }) => p.in)).toEqual(['path', 'path']);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { summary: string; parameters?: { name: string; in: string }[] }>>)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        expect(
          (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          `${method} ${path}: path parameters`,
        ).toEqual(inPath);
      }
    }
  });
});

describe('POST /webhooks/partner-center', () => {
  const event = (referralId: string, at: string) =>
    JSON.stringify({
      EventName: 'referral-updated',
      ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${referralId}`,
      ResourceName: 'referral',
      AuditUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${referralId}/audit`,
      ResourceChangeUtcDate: at,
    });
  const post = async (body: string, headers: Record<string, string>) => {
    const res = await fetch(`${api}/webhooks/partner-center`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const webhooks = async () => parsePrometheusText(await (await fetch(`${api}/metrics`)).text());

  it('refuses forged, wrongly signed or untrusted events with 401, counted, and syncs nothing', async () => {
    const entry = (await call('GET', '/api/v1/sync-log?limit=1', READ)).body.items[0];
    const body = event(entry.referralId, new Date().toISOString());
    const valid = signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid'));
    const cases: [string, Record<string, string>, string][] = [
      ['no signature', { ...valid, Authorization: '' }, 'no signature'],
      ['forged signature', signedHeaders(body, pki.keyOf('expired'), pki.certUrl('valid')), 'does not match'],
      ['body changed after signing', valid, 'does not match'],
      ['wrong algorithm', signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid'), 'rsa-sha1'), 'must be rsa-sha256'],
      ['certificate host off the list', signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid').replace('127.0.0.1', 'localhost')), 'allow-list'],
      ['plain-HTTP certificate URL', signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid').replace('https:', 'http:')), 'not HTTPS'],
      ['expired certificate', signedHeaders(body, pki.keyOf('expired'), pki.certUrl('expired')), 'not valid at'],
      ['self-signed certificate', signedHeaders(body, pki.keyOf('self-signed'), pki.certUrl('self-signed')), 'self-signed'],
      ['another organization', signedHeaders(body, pki.keyOf('wrong-org'), pki.certUrl('wrong-org')), "organization is 'Contoso Ltd'"],
    ];
    const rejectedBefore = sampleValue(await webhooks(), 'cosell_sync_webhooks_total', { result: 'rejected' })!;
    const runsBefore = (await runs()).length;
    for (const [what, headers, reason] of cases) {
      const sent = what === 'body changed after signing' ? body.replace('referral-updated', 'referral-created') : body;
      const r = await post(sent, headers);
      expect(r.status, what).toBe(401);
      expect(r.body.error.message, what).toContain(reason);
    }
    expect(sampleValue(await webhooks(), 'cosell_sync_webhooks_total', { result: 'rejected' })).toBe(rejectedBefore + cases.length);
    expect(stderr.split('\n').filter((l) => l.includes('"message":"webhook rejected"')).length).toBeGreaterThanOrEqual(cases.length);
    await new Promise((r) => setTimeout(r, 500));
    expect((await runs()).length, 'nothing was queued').toBe(runsBefore);
  });

  it('a Partner Center-side edit, announced by a signed event, reaches the CRM within seconds; a replay syncs once', async () => {
    const entry = (await call('GET', '/api/v1/sync-log?limit=1', READ)).body.items[0];
    const current = await storeCall('GET', `/referrals/${entry.referralId}`);
    const edited = await storeCall('PATCH', `/referrals/${entry.referralId}`, [{ op: 'replace', path: '/details/dealValue', value: 777_777 }], {
      'Content-Type': 'application/json-patch+json',
      'If-Match': current.etag!,
    });
    expect(edited.status).toBeLessThan(300);
    const pending = await call('GET', `/api/v1/connections/sf/records/${entry.crmId}`, READ);
    expect(pending.body.nextPlan.actions, 'the record view shows what the next sync would do').toEqual(['write-crm']);
    const plan = await call('GET', '/api/v1/connections/sf/plan', READ);
    expect(plan.body.items).toContainEqual({ crmId: entry.crmId, referralId: entry.referralId, actions: ['write-crm'], blocked: [], conflicts: [], problems: [] });
    const body = event(entry.referralId, new Date().toISOString());
    const headers = signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid'));
    const runsBefore = (await runs()).length;
    const fetchesBefore = pki.fetches();
    const sentAt = Date.now();
    const first = await post(body, headers);
    expect(first).toEqual({ status: 200, body: { status: 'accepted', referralId: entry.referralId } });
    const amount = await waitFor(
      'the CRM amount',
      async () => {
        const rec = await call('GET', `/api/v1/connections/sf/records/${entry.crmId}`, READ);
        return rec.body.crm.fields.Amount === 777_777 ? rec.body.crm.fields.Amount : undefined;
      },
      10_000,
    );
    expect(amount).toBe(777_777);
    expect(Date.now() - sentAt, 'webhook to CRM').toBeLessThan(5_000);

    const replay = await post(body, headers);
    expect(replay).toEqual({ status: 200, body: { status: 'duplicate' } });
    await new Promise((r) => setTimeout(r, 700));
    expect((await runs()).length - runsBefore, 'one sync for the event and its replay').toBe(1);
    expect(pki.fetches() - fetchesBefore, 'the certificate is cached').toBeLessThanOrEqual(1);
    const m = await webhooks();
    expect(sampleValue(m, 'cosell_sync_webhooks_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, 'cosell_sync_webhooks_total', { result: 'duplicate' })).toBeGreaterThanOrEqual(1);
  });

  it('a signed event with a bad payload is a 400 naming the field, and the validation event is acknowledged', async () => {
    const bad = JSON.stringify({ EventName: 'referral-updated', ResourceUri: 'not a url', ResourceChangeUtcDate: 'x' });
    const r = await post(bad, signedHeaders(bad, pki.keyOf('valid'), pki.certUrl('valid')));
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('ResourceUri');
    const test = JSON.stringify({
      EventName: 'test-created',
      ResourceUri: 'https://api.partnercenter.microsoft.com/webhooks/v1/registration/validationEvents/1',
      ResourceChangeUtcDate: new Date().toISOString(),
    });
    expect((await post(test, signedHeaders(test, pki.keyOf('valid'), pki.certUrl('valid')))).body).toEqual({ status: 'acknowledged' });
  });
});

describe('shutdown', () => {
  it('SIGTERM during a full resync: stops accepting, the cycle finishes its page and checkpoints, exits 0', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    expect((await call('POST', '/api/v1/connections/sf/resync', ADMIN)).status).toBe(202);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const db = new Database(join(dir, 'state.db'), { readonly: true });
    const last = db.prepare('SELECT status FROM runs ORDER BY id DESC LIMIT 1').get() as { status: string };
    db.close();
    expect(['ok', 'interrupted'], 'the last run ended cleanly').toContain(last.status);
    await expect(fetch(`${api}/livez`)).rejects.toThrow();
    expect(stderr).toContain('"message":"shutting down"');
    const actions = stderr
      .split('\n')
      .filter((l) => l.includes('"message":"admin action"'))
      .map((l) => JSON.parse(l) as { route: string; status: number });
    expect(
      actions.some((a) => a.route === '/api/v1/connections/:name/pause' && a.status === 200),
      'admin changes are logged',
    ).toBe(true);
    for (const secret of [READ, ADMIN, STORE_KEY]) expect(stderr + stdout, 'tokens never reach a log line').not.toContain(secret);
  });
});
