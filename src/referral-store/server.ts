/**
 * The fastify app: JSON (and JSON Patch) bodies up to 1 MB, request ids and echoed correlation headers,
 * access rules on the matched route (access.ts), and one error renderer so every
 * failure has the documented `{ error: { code, message, target } }` body.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { accessFor, enforceAccess, type RouteAccess } from './access.js';
import { registerJsonParser } from './json-body.js';
import type { StoreContext } from './context.js';
import { adminRoutes } from './routes/admin.js';
import { referralRoutes } from './routes/referrals.js';
import { registrationAdminRoutes } from './routes/registration-admin.js';
import { registrationRoutes } from './routes/registrations.js';
import { webhookRoutes } from './routes/webhooks.js';

export const BODY_LIMIT = 1_048_576;

/** Fastify's own errors mapped to the API's codes. */
function fromFastify(err: FastifyError): ApiError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payloadTooLarge', `the request body is larger than ${BODY_LIMIT} bytes`, 'body');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupportedMediaType', 'the request body must be JSON (Content-Type: application/json)', 'Content-Type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalidRequest', 'the request body is empty', 'body');
    default:
      if (err instanceof SyntaxError || err.statusCode === 400) return new ApiError(400, 'invalidRequest', `malformed JSON body: ${err.message}`, 'body');
      if (err.statusCode && err.statusCode < 500) return new ApiError(err.statusCode, 'invalidRequest', err.message, null);
      return new ApiError(500, 'internalError', 'internal error', null);
  }
}

export function buildApp(ctx: StoreContext, defaultOrgId: string): { app: FastifyInstance; routes: () => RouteAccess[] } {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Partner Center clients send JSON Patch as application/json-patch+json; any +json type is JSON.
  registerJsonParser(app);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('request-id', req.id);
    for (const h of ['client-request-id', 'ms-correlationid']) {
      const v = req.headers[h];
      if (typeof v === 'string') reply.header(h === 'ms-correlationid' ? 'MS-CorrelationId' : h, v);
    }
    ctx.stats.requests++;
    const route = `${req.method} ${req.routeOptions.url ?? '(unmatched)'}`;
    ctx.stats.byRoute[route] = (ctx.stats.byRoute[route] ?? 0) + 1;
  });
  const routes = enforceAccess(app, ctx);

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const api = err instanceof ApiError ? err : fromFastify(err);
    if (api.status >= 500 && !(err instanceof ApiError)) ctx.log.error('referral store request failed', { requestId: req.id, error: (err as Error).message });
    void reply.code(api.status).headers(api.headers).send(api.body());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError(404, 'itemNotFound', `no route ${req.method} ${req.url.split('?')[0]}`, null).body());
  });

  void app.register(async (scope) => {
    accessFor(scope, 'partner');
    referralRoutes(scope, ctx);
    registrationRoutes(scope, ctx);
    // The webhook registration API is the partner's; its certificate is public and its delivery log admin (per route).
    webhookRoutes(scope, ctx);
  });
  void app.register(async (scope) => {
    accessFor(scope, 'admin');
    adminRoutes(scope, ctx, defaultOrgId);
    registrationAdminRoutes(scope, ctx);
  });
  return { app, routes };
}
