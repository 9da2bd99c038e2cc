/**
 * Who may call a route, decided on the route the router matched — never on a string test of the URL (the
 * router decodes `%5F`, `%76`… that a prefix test would not see).
 *
 * A route group adopts a rule with one line inside its plugin: `accessFor(scope, 'admin')` (or 'partner',
 * or 'public'). Every route the app registers must carry one: a route without it fails `app.ready()`, so a new
 * group cannot be open by omission. 'partner' routes also take the store's fault injection (reliability tests),
 * before their key is checked.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { type FaultStatus, installFaults } from '../runtime/index.js';
import { bearer, hashKey, sameHash } from './auth.js';
import type { StoreContext } from './context.js';
import { ApiError } from './errors.js';
import type { Organization } from './repository.js';

export type Access = 'admin' | 'partner' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    org?: Organization;
  }
}

const FAULT_CODES: Record<FaultStatus, string> = { 429: 'tooManyRequests', 503: 'serviceUnavailable', 500: 'internalError' };

/**
 * Tag every route registered in `scope` (an encapsulated plugin) with its access rule. A route that names its
 * own (`config: { access: 'public' }`) keeps it: the group's rule is the default, never a silent override.
 */
export function accessFor(scope: FastifyInstance, access: Access): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...(route.config ?? {}), access: route.config?.access ?? access };
  });
}

export interface RouteAccess {
  method: string;
  url: string;
  access: Access | undefined;
}

/** Install the one authorization hook and the startup check that every route has a rule; returns the route table. */
export function enforceAccess(app: FastifyInstance, ctx: StoreContext): () => RouteAccess[] {
  // Keys and organizations are only ever added, so a found key can be remembered (unknown ones are not).
  const known = new Map<string, Organization>();
  const organizationOf = (hash: string): Organization | undefined => {
    let org = known.get(hash);
    if (!org) {
      const id = ctx.repo.orgIdByKeyHash(hash);
      org = id ? ctx.repo.getOrg(id) : undefined;
      if (org) known.set(hash, org);
    }
    return org;
  };

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));
  app.addHook('onReady', async () => {
    const open = routes.filter((r) => !r.config?.access).map((r) => `${String(r.method)} ${r.url}`);
    if (open.length) throw new Error(`referral store: routes without an access rule (accessFor): ${open.join(', ')}`);
  });

  const admin = (req: FastifyRequest) => {
    const key = bearer(req.headers.authorization);
    if (!key) throw new ApiError(401, 'unauthenticated', 'the admin key is required (Authorization: Bearer <admin key>)', 'Authorization');
    const h = hashKey(key);
    if (sameHash(h, ctx.adminKeyHash)) return;
    if (ctx.repo.orgIdByKeyHash(h)) throw new ApiError(403, 'accessDenied', 'an organization key cannot use admin endpoints', 'Authorization');
    throw new ApiError(401, 'unauthenticated', 'invalid admin key', 'Authorization');
  };

  const partner = async (req: FastifyRequest) => {
    const key = bearer(req.headers.authorization);
    const org = key ? organizationOf(hashKey(key)) : undefined;
    if (!org) {
      throw new ApiError(401, 'unauthenticated', key ? 'invalid API key' : 'missing API key (Authorization: Bearer <key>)', 'Authorization', [], {
        'WWW-Authenticate': 'Bearer',
      });
    }
    req.org = org;
  };

  installFaults(app, ctx.faults, {
    errorBody: (status) => new ApiError(status, FAULT_CODES[status], `injected fault (${status})`, null).body(),
    applies: (req) => !req.is404 && req.routeOptions.config.access === 'partner',
  });
  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    const access = req.routeOptions.config.access;
    if (access === 'admin') return admin(req);
    if (access === 'partner') return partner(req);
    // A matched route without a rule cannot exist (onReady); refuse rather than trust that.
    if (access !== 'public') throw new ApiError(403, 'accessDenied', 'this route has no access rule', null);
  });
  return () => routes.flatMap((r) => [r.method].flat().map((method) => ({ method, url: r.url, access: r.config?.access })));
}
