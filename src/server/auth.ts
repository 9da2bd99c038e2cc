/**
 * Who may call what: every route declares the role it needs (`none` for probes and the webhook, `read` or
 * `admin` for /api/v1) in its config, and one hook checks the bearer token against the route that MATCHED —
 * never a test on the URL string, so encodings, double slashes or case cannot route around it. A request that
 * matched no route needs the admin token (deny by default; only then does it learn it was a 404).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export type Role = 'none' | 'read' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
  }
  interface FastifyRequest {
    /** What the caller's token grants (set once authorized; the console shows or hides write buttons by it). */
    role?: 'read' | 'admin';
  }
}

export interface Tokens {
  read?: string | undefined;
  admin?: string | undefined;
}

const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The role a bearer token grants (hashes compared in constant time), or null. */
export function tokenRole(tokens: Tokens): (authorization: string | undefined) => 'read' | 'admin' | null {
  const admin = tokens.admin ? hash(tokens.admin) : null;
  const read = tokens.read ? hash(tokens.read) : null;
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return null;
    const h = hash(m[1]!);
    // Both comparisons always run, so the time taken does not tell which token was close.
    const isAdmin = admin !== null && timingSafeEqual(h, admin);
    const isRead = read !== null && timingSafeEqual(h, read);
    return isAdmin ? 'admin' : isRead ? 'read' : null;
  };
}

export function authorize(tokens: Tokens) {
  const roleOf = tokenRole(tokens);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const needed: Role = req.routeOptions.config?.role ?? 'admin';
    if (needed === 'none') return;
    const has = roleOf(req.headers.authorization);
    if (!has) {
      reply.header('WWW-Authenticate', 'Bearer realm="cosell-sync"');
      return reply.code(401).send({ error: { code: 'unauthenticated', message: 'a valid bearer token is required (Authorization: Bearer <token>)' } });
    }
    if (needed === 'admin' && has !== 'admin') {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'this route needs the admin token; the read-only token cannot change anything' } });
    }
    req.role = has;
  };
}
