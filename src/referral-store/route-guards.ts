/**
 * The organization a 'partner' route serves: the access hook (access.ts) authenticated its key on the matched
 * route and put it on the request.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Organization } from './repository.js';

export function organizationOf(req: FastifyRequest): Organization {
  if (!req.org) throw new ApiError(401, 'unauthenticated', 'missing or invalid API key', 'Authorization');
  return req.org;
}
