/**
 * The service's HTTP surface (fastify): probes, metrics, the Partner Center webhook receiver and the admin API
 * under /api/v1 with its OpenAPI document. Binds 127.0.0.1 by default; TLS when the config names cert/key
 * files through environment variables. `close()` stops accepting and lets in-flight requests finish.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConfigError, CosellError, ValidationError, describeError, processEnv, readOptionalSecret, type Env, type ServerConfig } from '../runtime/index.js';
import { apiRoutes } from './api.js';
import { connectionConfigRoutes } from './connection-configs.js';
import { authorize } from './auth.js';
import { defaultConsoleDir, registerConsole } from './console.js';
import { consoleRoutes } from './console-api.js';
import type { SurfaceContext } from './context.js';
import { registerProbes } from './probes.js';
import { InputError, openApiDocument, registerRoutes } from './route.js';
import { registerWebhookReceiver } from './webhooks/receiver.js';
import { createVerifier, type VerifierOptions } from './webhooks/verify.js';

export { createMetrics, type Metrics, type MetricsSource } from './metrics.js';
export { createHealth, type Health } from './health.js';
export type { SurfaceContext, SurfaceConnection, StoredConnections } from './context.js';
export { createVerifier } from './webhooks/verify.js';
export { partnerCenterEventSchema, type PartnerCenterEvent } from './webhooks/receiver.js';
export { registerPartnerCenterWebhook } from './webhooks/registration.js';

export interface HttpServerOptions {
  config: ServerConfig;
  ctx: SurfaceContext & { syncReferral(referralId: string): Promise<unknown> };
  env?: Env;
  resolvePath?: (p: string) => string;
  /** The built admin console (default: dist/console of this package). */
  consoleDir?: string;
  /** More certificate hosts to allow (the embedded store); and a fetcher override for tests. */
  /** Certificates held in this process (the embedded store's), trusted by their exact URL. */
  pinnedCertificates?: VerifierOptions['pinned'];
  extraTrustAnchors?: string[];
  fetchCertificate?: VerifierOptions['fetchCertificate'];
}

export interface HttpServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const API = '/api/v1';

/** Typed errors to answers: the caller's mistakes are 4xx; a remote (CRM, referrals API) failing is 502/503. */
const STATUS: Record<string, number> = {
  notFound: 404,
  validation: 400,
  config: 400,
  paused: 409,
  conflict: 409,
  terminalState: 409,
  remote: 502,
  transport: 502,
  auth: 502,
  rateLimited: 503,
  budgetExhausted: 503,
};

function tlsOptions(config: ServerConfig, env: Env, resolvePath: (p: string) => string) {
  if (!config.tls) return null;
  const read = (name: string) => {
    const path = env[name];
    if (!path) throw new ConfigError(`server.tls: environment variable ${name} (a PEM file path) is not set`, `env:${name}`);
    return readFileSync(resolvePath(path));
  };
  return { cert: read(config.tls.certFileEnv), key: read(config.tls.keyFileEnv) };
}

export function buildHttpApp(opts: HttpServerOptions): FastifyInstance {
  const { config, ctx } = opts;
  const env = opts.env ?? processEnv().vars;
  const resolvePath = opts.resolvePath ?? ((p: string) => p);
  const https = tlsOptions(config, env, resolvePath);
  const app = Fastify({ logger: false, forceCloseConnections: 'idle', bodyLimit: 2 * 1024 * 1024, ...(https ? { https } : {}) }) as unknown as FastifyInstance;
  const tokens = { read: readOptionalSecret(config.tokens.readEnv, env), admin: readOptionalSecret(config.tokens.adminEnv, env) };
  if (!tokens.read && !tokens.admin) ctx.log.warn('admin API disabled: no token set', { readEnv: config.tokens.readEnv, adminEnv: config.tokens.adminEnv });
  app.addHook('onRequest', authorize(tokens));
  // Every change an admin makes is worth one line (reads are not).
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.config?.role === 'admin') ctx.log.info('admin action', { method: req.method, route: req.routeOptions.url, params: req.params, status: reply.statusCode });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof InputError) return reply.code(400).send({ error: { code: 'invalidRequest', message: err.message, problems: err.problems } });
    if (err instanceof CosellError && STATUS[err.code]) {
      if (STATUS[err.code]! >= 500) ctx.log.warn('remote failed during a request', { route: req.routeOptions.url, code: err.code, error: describeError(err) });
      const problems = err instanceof ValidationError ? err.problems : undefined;
      return reply.code(STATUS[err.code]!).send({ error: { code: err.code, message: err.message, ...(problems ? { problems } : {}) } });
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: { code: err.code ?? 'invalidRequest', message: err.message } });
    ctx.log.error('request failed', { method: req.method, route: req.routeOptions.url, error: describeError(err) });
    return reply.code(500).send({ error: { code: 'internalError', message: 'internal error' } });
  });

  registerProbes(app, ctx);
  if (config.webhooks.enabled) {
    const anchorFile = config.webhooks.trustAnchorFile;
    const anchors = [...(anchorFile ? [readFileSync(resolvePath(anchorFile), 'utf8')] : []), ...(opts.extraTrustAnchors ?? [])];
    registerWebhookReceiver(app, {
      verify: createVerifier({
        allowedHosts: config.webhooks.allowedCertificateHosts,
        ...(opts.pinnedCertificates ? { pinned: opts.pinnedCertificates } : {}),
        ...(anchors.length ? { trustAnchors: anchors } : {}),
        organization: config.webhooks.organization,
        ...(opts.fetchCertificate ? { fetchCertificate: opts.fetchCertificate } : {}),
      }),
      syncReferral: ctx.syncReferral,
      metrics: ctx.metrics,
      log: ctx.log.child({ component: 'webhooks' }),
      dedupeSeconds: config.webhooks.dedupeSeconds,
    });
  }
  const routes = [...apiRoutes(ctx), ...consoleRoutes(ctx), ...connectionConfigRoutes(ctx)];
  registerRoutes(app, API, routes);
  const document = openApiDocument(API, routes, { title: 'cosell-sync admin API', version: '1' });
  app.get(`${API}/openapi.json`, { config: { role: 'none' } }, async () => document);
  registerConsole(app, opts.consoleDir ?? defaultConsoleDir());
  return app;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app = buildHttpApp(opts);
  await app.listen({ host: opts.config.host, port: opts.config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.config.port;
  const url = `${opts.config.tls ? 'https' : 'http'}://${opts.config.host.includes(':') ? `[${opts.config.host}]` : opts.config.host}:${port}`;
  opts.ctx.log.info('http surface listening', { url });
  return { app, url, close: () => app.close() };
}
