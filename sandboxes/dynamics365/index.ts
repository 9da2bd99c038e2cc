/**
 * A local Dataverse (Web API v9.2) and Entra ID token endpoint over HTTPS, so `npm start` needs no Dynamics 365
 * environment and msal-node runs against it unmodified (trusting the sandbox's CA, never skipping TLS checks).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createFaultInjector, type FaultInjector, type FaultInput, installFaults, type Logger, processEnv, silentLogger } from '../../src/runtime/index.js';
import { countRequest, requestStats, sandboxCerts, statsSnapshot } from '../shared/index.js';
import { runBatch } from './batch.js';
import { type AttrDef, Dataverse, DataverseError, type Row } from './dataverse.js';
import { seedDataverse, startDataverseActivity } from './seed.js';
import { createWebApi, errorResponse } from './webapi.js';

export interface DynamicsSandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  activity?: boolean | { intervalMs: number };
  randomSeed?: number;
  credentials?: Partial<{ tenantId: string; clientId: string; clientSecret: string }>;
  tokenLifetimeSeconds?: number;
  /** Delta links older than this (sandbox clock) are refused like Dataverse refuses expired ones. */
  deltaTokenMaxAgeDays?: number;
  certDir?: string;
  /** false: an org before `setup dynamics365`, without the co-sell columns (default true). */
  cosellColumns?: boolean;
  /** Service protection: requests per 5 minutes and concurrent requests per client. */
  limits?: { requestsPer5Min?: number; concurrent?: number };
  faults?: FaultInput;
  log?: Logger;
}

export interface DynamicsSandbox {
  /** Organization URL, e.g. https://127.0.0.1:PORT */
  url: string;
  authority: string;
  credentials: { tenantId: string; clientId: string; clientSecret: string };
  caPem: string;
  caFile: string;
  org: {
    insert(set: string, row: Row): string;
    update(set: string, id: string, patch: Row): void;
    remove(set: string, id: string): void;
    /** WinOpportunity / LoseOpportunity, as a rep closing the deal in the app. */
    close(id: string, outcome: 'won' | 'lost', status?: number): void;
    get(set: string, id: string): Row;
    all(set: string): Row[];
    count(set: string): number;
    /** The columns of a table (by logical name) as its metadata describes them. */
    columns(logicalName: string): AttrDef[];
  };
  clock: { now(): Date; advanceDays(n: number): void };
  faults: FaultInjector;
  /**
   * The next Web API request to `method path` (no query) is answered with `answer` instead of the org's, once its
   * token has passed: a test's stand-in for an answer Dataverse could give and the sandbox never does.
   */
  answerNext(method: string, path: string, answer: { status: number; headers: Record<string, string>; body: string }): { done(): boolean };
  stats(): { calls: number; byEndpoint: Record<string, number> };
  expireTokens(): void;
  describe(): string;
  close(): Promise<void>;
}

const API_PREFIX = 'api/data/v9.2';

export async function startDynamicsSandbox(opts: DynamicsSandboxOptions = {}): Promise<DynamicsSandbox> {
  const log = opts.log ?? silentLogger;
  const env = processEnv();
  const certs = await sandboxCerts(opts.certDir ?? join('.cosell', 'sandbox-certs', 'dynamics365'));
  const creds = {
    tenantId: opts.credentials?.tenantId ?? env.D365_SANDBOX_TENANT_ID ?? '72f988bf-0000-4000-8000-00000000c0de',
    clientId: opts.credentials?.clientId ?? env.D365_SANDBOX_CLIENT_ID ?? '51f81489-12ee-4a9e-aaae-a2591f45987d',
    clientSecret: opts.credentials?.clientSecret ?? env.D365_SANDBOX_CLIENT_SECRET ?? randomBytes(18).toString('base64url'),
  };
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const dv = new Dataverse(now, undefined, opts.cosellColumns ?? true);
  let origin = '';
  const webapi = createWebApi({ dv, baseUrl: () => origin, now, deltaTokenMaxAgeDays: opts.deltaTokenMaxAgeDays ?? 7, userId: '0f2b2d4c-0000-4000-8000-000000000001' });
  const tokens = new Map<string, number>();
  const stats = requestStats();
  const limits = { requestsPer5Min: opts.limits?.requestsPer5Min ?? 6000, concurrent: opts.limits?.concurrent ?? 52 };
  const window: number[] = [];
  let inFlight = 0;
  const faults = createFaultInjector(opts.faults ?? env.D365_SANDBOX_FAULTS ?? {});
  const scripted: { method: string; path: string; answer: Parameters<DynamicsSandbox['answerNext']>[2]; done: boolean }[] = [];

  const app = Fastify({ logger: false, https: { key: certs.keyPem, cert: certs.certPem }, bodyLimit: 32 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
  app.addContentTypeParser(/^multipart\/mixed/, { parseAs: 'string' }, (_r, body, done) => done(null, body));
  // Dataverse takes `Content-Type: application/json` with no body (a DELETE from many clients) and answers bad
  // JSON in its own error shape, so the framework's JSON parser is replaced.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new DataverseError(400, '0x80048d19', `Error identified in Payload provided by the user for Entity :'': the body is not valid JSON (${(err as Error).message}).`));
    }
  });
  // Every answer, even one the framework produces, is in Dataverse's `{ error: { code, message } }` shape.
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: '0x80060888', message: `Resource not found for the segment '${req.url.split('?')[0]!.split('/').pop()}'.` } }),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof DataverseError) {
      const r = errorResponse(err);
      return reply.code(r.status).headers(r.headers).send(r.body);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error('dynamics 365 sandbox error', { error: err.message });
    return reply.code(status).send({ error: { code: status === 500 ? '0x80040216' : '0x80048d19', message: status === 500 ? 'An unexpected error occurred.' : err.message } });
  });

  app.addHook('onRequest', async (req) => {
    const route = `${req.method} ${req.url.split('?')[0]!.replace(/\([^)]*\)/g, '(…)')}`;
    countRequest(stats, route);
  });
  // Injected faults in Dataverse's shape: a 429 is its service protection limit, anything else a server error.
  installFaults(app, faults, {
    errorBody: (status) => ({
      error:
        status === 429
          ? { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' }
          : { code: '0x80040216', message: status === 503 ? 'Service unavailable' : 'An unexpected error occurred.' },
    }),
  });

  const tenantPath = (t: string) => t === creds.tenantId || t === 'organizations' || t === 'common';
  app.get('/:tenant/v2.0/.well-known/openid-configuration', async (req, reply) => {
    const { tenant } = req.params as { tenant: string };
    if (!tenantPath(tenant)) return reply.code(400).send({ error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` });
    const base = `${origin}/${creds.tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${origin}/${creds.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${origin}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    };
  });
  app.get('/common/discovery/instance', async () => ({
    tenant_discovery_endpoint: `${origin}/${creds.tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: new URL(origin).host, preferred_cache: new URL(origin).host, aliases: [new URL(origin).host] }],
  }));

  app.post('/:tenant/oauth2/v2.0/token', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const fail = (status: number, error: string, description: string) =>
      reply
        .code(status)
        .send({ error, error_description: description, error_codes: [7000215], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() });
    if (!tenantPath((req.params as { tenant: string }).tenant)) return fail(400, 'invalid_request', 'AADSTS90002: Tenant not found.');
    if (b.grant_type !== 'client_credentials') return fail(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${b.grant_type}'.`);
    if (b.client_id !== creds.clientId) return fail(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${b.client_id}' was not found in the directory.`);
    if (b.client_secret !== creds.clientSecret) return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const scope = String(b.scope ?? '')
      .split(' ')
      .find((s) => s.endsWith('/.default'));
    if (!scope || scope.replace(/\/\.default$/, '').replace(/\/$/, '') !== origin)
      return fail(400, 'invalid_scope', `AADSTS500011: The resource principal named ${scope ?? '(none)'} was not found in the tenant.`);
    const lifetime = opts.tokenLifetimeSeconds ?? 3599;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ typ: 'JWT', alg: 'RS256' })}.${b64({ aud: origin, iss: `${origin}/${creds.tenantId}/`, appid: creds.clientId, exp: Math.floor(Date.now() / 1000) + lifetime, jti: randomUUID() })}.${randomBytes(32).toString('base64url')}`;
    tokens.set(token, Date.now() + lifetime * 1000);
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token };
  });

  // Authorization is a hook of the matched Web API route, never a test of the raw URL.
  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const exp = auth ? tokens.get(auth) : undefined;
    if (!exp || exp < Date.now()) {
      reply.header('WWW-Authenticate', `Bearer authorization_uri=${origin}/${creds.tenantId}/oauth2/authorize, resource_id=${origin}`);
      return reply.code(401).send({ error: { code: '0x80072560', message: 'The user is not a member of the organization or the access token is invalid.' } });
    }
  };

  app.all(`/${API_PREFIX}/*`, { onRequest: requireToken }, async (req, reply) => {
    const script = scripted.find((s) => !s.done && s.method === req.method && s.path === req.url.split('?')[0]);
    if (script) {
      script.done = true;
      return reply.code(script.answer.status).headers(script.answer.headers).send(script.answer.body);
    }
    const t = Date.now();
    while (window.length && window[0]! < t - 300_000) window.shift();
    if (window.length >= limits.requestsPer5Min || inFlight >= limits.concurrent) {
      reply.header('Retry-After', String(window.length >= limits.requestsPer5Min ? Math.ceil((window[0]! + 300_000 - t) / 1000) : 1));
      return reply.code(429).send({
        error: {
          code: window.length >= limits.requestsPer5Min ? '0x80072322' : '0x80072326',
          message:
            window.length >= limits.requestsPer5Min
              ? `Number of requests exceeded the limit of ${limits.requestsPer5Min} over time window of 300 seconds.`
              : `Number of concurrent requests exceeded the limit of ${limits.concurrent}.`,
        },
      });
    }
    window.push(t);
    inFlight++;
    try {
      const full = new URL(req.url, origin);
      const path = full.pathname.slice(API_PREFIX.length + 2);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : String(v ?? '')]));
      if (path === '$batch') {
        if (req.method !== 'POST') return reply.code(405).send({ error: { code: '0x80060888', message: '$batch takes POST' } });
        try {
          const out = runBatch(webapi, headers['content-type'], typeof req.body === 'string' ? req.body : '', headers.prefer ?? '', API_PREFIX);
          return reply.code(200).header('Content-Type', out.contentType).header('OData-Version', '4.0').send(out.body);
        } catch (err) {
          const r = errorResponse(err as DataverseError);
          return reply.code(r.status).headers(r.headers).send(r.body);
        }
      }
      const res = webapi.dispatch({ method: req.method, path, query: full.searchParams, headers, body: req.body });
      reply.code(res.status).headers(res.headers);
      return res.body === undefined ? reply.send() : reply.send(res.body);
    } finally {
      inFlight--;
    }
  });

  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  const addr = app.server.address() as AddressInfo;
  origin = `https://${addr.address}:${addr.port}`;
  if (opts.seed) seedDataverse(dv, opts.seed, opts.randomSeed ?? 11);
  const stopActivity = opts.activity
    ? startDataverseActivity(dv, typeof opts.activity === 'object' ? opts.activity.intervalMs : 15_000, opts.randomSeed ?? 11, log)
    : () => undefined;
  log.info('dynamics 365 sandbox listening', { url: origin, opportunities: dv.all('opportunities').length });

  return {
    url: origin,
    authority: `${origin}/${creds.tenantId}`,
    credentials: creds,
    caPem: certs.caPem,
    caFile: certs.caFile,
    org: {
      insert: (set, row) => dv.insert(set, row),
      update: (set, id, patch) => dv.update(set, id, patch),
      remove: (set, id) => dv.remove(set, id),
      close: (id, outcome, status) => dv.close(id, outcome, status),
      get: (set, id) => dv.get(set, id),
      all: (set) => dv.all(set),
      count: (set) => dv.all(set).length,
      columns: (logicalName) => structuredClone(dv.byLogicalName.get(logicalName)?.attrs ?? []),
    },
    clock: { now, advanceDays: (n) => void (offsetMs += n * 86_400_000) },
    faults,
    answerNext(method, path, answer) {
      const script = { method, path, answer, done: false };
      scripted.push(script);
      return { done: () => script.done };
    },
    stats: () => statsSnapshot(stats),
    expireTokens: () => tokens.clear(),
    describe: () =>
      [
        '# Dynamics 365 sandbox — paste into a connection (the secret goes in the environment, not the file)',
        'crm:',
        '  kind: dynamics365',
        `  url: ${origin}`,
        '  auth:',
        '    method: client-credentials',
        `    tenantId: ${creds.tenantId}`,
        `    authority: ${origin}/${creds.tenantId}`,
        `    clientId: ${creds.clientId}`,
        '    clientSecretEnv: D365_CLIENT_SECRET',
        `    caFile: ${certs.caFile}`,
        `# export D365_CLIENT_SECRET=${creds.clientSecret}`,
      ].join('\n'),
    async close() {
      stopActivity();
      await app.close();
    },
  };
}

export { Dataverse, TABLES } from './dataverse.js';
