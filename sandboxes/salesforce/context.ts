/**
 * What every route group of the Salesforce sandbox shares: the org, sessions, usage counters, and the two
 * helpers that give every answer Salesforce's shape (errors as `[{ message, errorCode, fields }]`, the
 * `Sforce-Limit-Info` header, the daily request budget).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FaultInjector } from '../../src/runtime/index.js';
import { type RequestStats, requestStats } from '../shared/index.js';
import { type Org, SalesforceApiError } from './org.js';
import { SoqlError } from './soql.js';

export interface SandboxCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface ServerOptions {
  org: Org;
  credentials: SandboxCredentials;
  certificatePem: string;
  tokenLifetimeSeconds: number;
  dailyApiLimit: number;
  faults: FaultInjector;
  baseUrl: () => string;
}

export interface SandboxStats extends RequestStats {
  /** Calls against the daily API budget (a composite counts once). */
  used: number;
  recordsServed: number;
}

export interface Session {
  expires: number;
}

export const ORG_ID = '00D5g000004SandBX';
export const USER_ID = '0055g00000SandBXAAA';

/** API versions the sandbox answers, as Salesforce lists them (31.0 … Winter '27). */
export const API_VERSIONS = Array.from({ length: 68 - 31 + 1 }, (_, i) => `${31 + i}.0`);

export interface SandboxContext {
  o: ServerOptions;
  org: Org;
  sessions: Map<string, Session>;
  refreshTokens: Set<string>;
  stats: SandboxStats;
  /** preHandler: a live session (Bearer or OAuth), a known API version, and the daily budget. */
  authed: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function sfError(reply: FastifyReply, status: number, errorCode: string, message: string, fields: string[] = []) {
  return reply.code(status).send([{ message, errorCode, fields }]);
}

/** A route body whose SalesforceApiError / SoqlError becomes Salesforce's error answer. */
export const handle = (fn: (req: FastifyRequest, reply: FastifyReply) => unknown) => async (req: FastifyRequest, reply: FastifyReply) => {
  try {
    return await fn(req, reply);
  } catch (err) {
    if (err instanceof SalesforceApiError) return sfError(reply, err.status, err.errorCode, err.message, err.fields);
    if (err instanceof SoqlError) return sfError(reply, 400, 'MALFORMED_QUERY', err.message);
    throw err;
  }
};

export function createContext(o: ServerOptions): SandboxContext {
  const sessions = new Map<string, Session>();
  const stats: SandboxStats = { ...requestStats(), used: 0, recordsServed: 0 };
  const authed = async (req: FastifyRequest, reply: FastifyReply) => {
    const version = (req.params as { version?: string }).version;
    if (version !== undefined && !API_VERSIONS.includes(version.replace(/^v/i, ''))) {
      return sfError(reply, 404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    const h = req.headers.authorization ?? '';
    const token = /^(Bearer|OAuth)\s+(.+)$/i.exec(h)?.[2];
    const s = token ? sessions.get(token) : undefined;
    if (!s || s.expires < Date.now()) {
      return sfError(reply, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    stats.used++;
    reply.header('Sforce-Limit-Info', `api-usage=${Math.min(stats.used, o.dailyApiLimit)}/${o.dailyApiLimit}`);
    if (stats.used > o.dailyApiLimit) {
      return sfError(reply, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    }
  };
  return { o, org: o.org, sessions, refreshTokens: new Set(), stats, authed };
}
