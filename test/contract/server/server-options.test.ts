/**
 * The server on its own (real state, no connections): TLS from cert/key files named by environment variables,
 * clear errors when they are missing, no token configured = the API closed, bad bodies are 4xx, never 5xx.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMapping } from '../../../src/mapping/index.js';
import { AuthError, RemoteError, serverSchema, silentLogger } from '../../../src/runtime/index.js';
import { createHealth, createMetrics, startHttpServer, type HttpServer } from '../../../src/server/index.js';
import { openSqliteState } from '../../../src/state/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-server-'));
const state = openSqliteState(join(dir, 'state.db'));
const servers: HttpServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  await state.close();
});

const ctx = {
  state,
  connections: [],
  log: silentLogger,
  metrics: createMetrics({ connections: () => [], lagSeconds: async () => null, budgetRatio: () => null, recordIssues: async () => 0, conflictsOpen: async () => 0 }),
  health: createHealth(),
  runNow: async () => {},
  syncReferral: async () => [],
};

const start = async (server: unknown, env: Record<string, string>) => {
  const s = await startHttpServer({ config: serverSchema.parse(server), ctx, env });
  servers.push(s);
  return s;
};

describe('the HTTP server', () => {
  it('serves HTTPS when server.tls names the cert and key files through environment variables', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    const s = await start({ port: 0, tls: { certFileEnv: 'T_CERT', keyFileEnv: 'T_KEY' } }, { T_CERT: join(dir, 'cert.pem'), T_KEY: join(dir, 'key.pem') });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/livez`, { ca: pems.cert }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it('names the environment variable when a TLS file is not configured', async () => {
    await expect(start({ port: 0, tls: { certFileEnv: 'T_CERT_MISSING', keyFileEnv: 'T_KEY' } }, {})).rejects.toThrow(
      'server.tls: environment variable T_CERT_MISSING (a PEM file path) is not set',
    );
  });

  it('with no token configured the API is closed to everyone; probes stay open; a bad body is a 4xx', async () => {
    const s = await start({ port: 0 }, {});
    expect((await fetch(`${s.url}/api/v1/connections`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/connections`, { headers: { Authorization: 'Bearer ' } })).status).toBe(401);
    expect((await fetch(`${s.url}/livez`)).status).toBe(200);
    const adminOnly = await startHttpServer({ config: serverSchema.parse({ port: 0 }), ctx, env: { COSELL_API_ADMIN_TOKEN: 'only-admin-token-123' } });
    servers.push(adminOnly);
    const broken = await fetch(`${adminOnly.url}/api/v1/issues/retry`, {
      method: 'POST',
      headers: { Authorization: 'Bearer only-admin-token-123', 'Content-Type': 'application/json' },
      body: '{"connection": ',
    });
    expect(broken.status).toBe(400);
    const huge = await fetch(`${adminOnly.url}/webhooks/partner-center`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(70_000) });
    expect(huge.status).toBe(413);
  });

  it('/readyz is 503 and names what is not ready: rejected credentials, an unreachable referrals API, a closed state', async () => {
    const health = createHealth();
    const dbFile = join(dir, 'ready.db');
    const own = openSqliteState(dbFile);
    const s = await startHttpServer({
      config: serverSchema.parse({ port: 0 }),
      ctx: { ...ctx, state: own, health, connections: [{ name: 'sf' }, { name: 'dyn' }] as never },
      env: {},
    });
    servers.push(s);
    const ready = async () => {
      const res = await fetch(`${s.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; notReady: { name: string; detail: string }[] } };
    };
    expect((await ready()).status).toBe(200);
    health.runFinished('sf', new AuthError('invalid_grant: the refresh token has expired', 'svc@partner.example'));
    health.apiCall('referrals', '503');
    const r = await ready();
    expect(r.status).toBe(503);
    expect(r.body.notReady.map((c) => c.name)).toEqual(['credentials:sf', 'referrals-api']);
    expect(r.body.notReady[0]!.detail).toContain('refresh token has expired');
    health.runFinished('sf');
    health.apiCall('referrals', 'ok');
    expect((await ready()).status).toBe(200);
    await own.close();
    const closed = await ready();
    expect(closed.status).toBe(503);
    expect(closed.body.notReady.map((c) => c.name)).toEqual(['state']);
  });

  it('a remote failing during a request is a 502 that says so, never a 500', async () => {
    const down = {
      name: 'sf',
      kind: 'salesforce',
      crm: { read: async () => Promise.reject(new RemoteError('salesforce: the server answered 503', 503)) },
      referrals: { read: async () => null },
      mappingFile: 'mappings/salesforce.yaml',
      mapping: () => loadMapping('mappings/salesforce.yaml'),
    };
    const s = await startHttpServer({
      config: serverSchema.parse({ port: 0 }),
      ctx: { ...ctx, connections: [down] as never },
      env: { COSELL_API_READ_TOKEN: 'read-token-502-test' },
    });
    servers.push(s);
    const res = await fetch(`${s.url}/api/v1/connections/sf/records/006A`, { headers: { Authorization: 'Bearer read-token-502-test' } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'remote', message: 'salesforce: the server answered 503' });
  });
});
