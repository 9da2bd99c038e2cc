/**
 * The Salesforce sandbox's HTTP face: sign-in, the REST API subset the connector and an admin's tools use
 * (sObjects, query, composite, Bulk API 2.0 query), with Salesforce's response and error shapes, the
 * Sforce-Limit-Info header, a daily API budget, and fault injection for reliability tests. Route groups live in
 * `routes/`; what they share is in `context.ts`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { type FaultStatus, installFaults } from '../../src/runtime/index.js';
import { countRequest } from '../shared/index.js';
import { createContext, sfError, type SandboxContext, type ServerOptions } from './context.js';
import { authRoutes } from './routes/auth.js';
import { bulkRoutes } from './routes/bulk.js';
import { compositeRoutes } from './routes/composite.js';
import { queryRoutes } from './routes/query.js';
import { searchRoutes } from './routes/search.js';
import { sobjectRoutes } from './routes/sobjects.js';

export type { SandboxCredentials, ServerOptions } from './context.js';
export { verifyAssertion } from './routes/auth.js';

/** Injected faults in Salesforce's error shape. */
const FAULT_ERRORS: Record<FaultStatus, { errorCode: string; message: string }> = {
  429: { errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'Too many requests' },
  503: { errorCode: 'SERVER_UNAVAILABLE', message: 'Service unavailable' },
  500: { errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred.' },
};

export function buildServer(o: ServerOptions): { app: FastifyInstance; sessions: SandboxContext['sessions']; stats: SandboxContext['stats'] } {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024, routerOptions: { ignoreTrailingSlash: true } });
  const ctx = createContext(o);

  app.addHook('onRequest', async (req) => {
    const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    countRequest(ctx.stats, route);
  });
  installFaults(app, o.faults, { errorBody: (status) => [{ ...FAULT_ERRORS[status], fields: [] }] });

  authRoutes(app, ctx);
  sobjectRoutes(app, ctx);
  queryRoutes(app, ctx);
  compositeRoutes(app, ctx);
  bulkRoutes(app, ctx);
  searchRoutes(app, ctx);

  app.setNotFoundHandler((req, reply) => sfError(reply, 404, 'NOT_FOUND', `The requested resource does not exist: ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return sfError(reply, status, status === 500 ? 'UNKNOWN_EXCEPTION' : 'JSON_PARSER_ERROR', err.message);
  });
  return { app, sessions: ctx.sessions, stats: ctx.stats };
}
