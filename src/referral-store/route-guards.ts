/**
 * A route-level guard for organization-key routes added outside the referrals module (registrations,
 * webhooks): it authenticates the bearer key itself, so these routes stay protected whatever the app-wide
 * hooks do, and hands the route its organization.
 */
import type { FastifyRequest } from 'fastify';
import { bearer, hashKey, sameHash } from './auth.js';
import { ApiError } from './errors.js';
import type { Organization, Repository } from './repository.js';

export function organizationGuard(repo: Repository) {
  return async (req: FastifyRequest): Promise<void> => {
    if (req.org) return;
    const key = bearer(req.headers.authorization);
    const id = key ? repo.orgIdByKeyHash(hashKey(key)) : undefined;
    const org = id ? repo.getOrg(id) : undefined;
    if (!org) {
      throw new ApiError(401, 'unauthenticated', key ? 'invalid API key' : 'missing API key (Authorization: Bearer <key>)', 'Authorization', [], { 'WWW-Authenticate': 'Bearer' });
    }
    req.org = org;
  };
}

/** The organization the guard authenticated. */
export function organizationOf(req: FastifyRequest): Organization {
  if (!req.org) throw new ApiError(401, 'unauthenticated', 'missing or invalid API key', 'Authorization');
  return req.org;
}

/** The admin key, checked on the route (an organization key is 403, anything else 401). */
export function adminGuard(repo: Repository, adminKeyHash: string) {
  return async (req: FastifyRequest): Promise<void> => {
    const key = bearer(req.headers.authorization);
    if (!key) throw new ApiError(401, 'unauthenticated', 'the admin key is required (Authorization: Bearer <admin key>)', 'Authorization');
    const h = hashKey(key);
    if (sameHash(h, adminKeyHash)) return;
    if (repo.orgIdByKeyHash(h)) throw new ApiError(403, 'accessDenied', 'an organization key cannot use admin endpoints', 'Authorization');
    throw new ApiError(401, 'unauthenticated', 'invalid admin key', 'Authorization');
  };
}
