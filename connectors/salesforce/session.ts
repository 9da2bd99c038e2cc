/**
 * The Salesforce session (jsforce 3.10.16): OAuth login (JWT bearer by default), one re-authorization on an
 * expired session, jsforce errors mapped to the project's typed errors, the daily API budget watched through
 * Sforce-Limit-Info, every call through one rate lane.
 */
import { createSign } from 'node:crypto';
// jsforce's core: the connection, OAuth2, query and sobject calls the connector makes. The package's main entry
// also registers analytics, apex, bulk, bulk2, chatter, metadata, SOAP, streaming and tooling (faye, xml2js,
// csv…), ~9 MB of RSS this connector never uses (bench/RESULTS.md, goal 3).
import jsforce from 'jsforce/lib/core.js';
import { AuthError, BudgetExhaustedError, createLane, RateLimitedError, RemoteError, TransportError, registerSecret, type Logger } from '../../src/runtime/index.js';
import type { ApiUsage } from '../index.js';
import type { SalesforceAuth, SalesforceConnectorOptions } from './connector.js';

export type Connection = InstanceType<typeof jsforce.Connection>;

interface SfError {
  errorCode?: string;
  name?: string;
  message?: string;
  code?: string;
  type?: string;
}

function accountOf(auth: SalesforceAuth): string {
  return auth.method === 'jwt' || auth.method === 'password' ? `${auth.username} (client ${auth.clientId})` : `client ${auth.clientId}`;
}

export function jwtAssertion(auth: { clientId: string; username: string; privateKeyPem: string }, audience: string, now = Date.now()): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'RS256' })}.${b64({ iss: auth.clientId, sub: auth.username, aud: audience, exp: Math.floor(now / 1000) + 180 })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(auth.privateKeyPem, 'base64url')}`;
}

/** jsforce errors → the project's typed errors (so the lane knows what may be retried). */
function classify(err: unknown, label: string): Error {
  const e = err as SfError;
  const code = e.errorCode ?? e.name ?? '';
  const status = /^ERROR_HTTP_(\d{3})$/.exec(code)?.[1];
  if (code === 'REQUEST_LIMIT_EXCEEDED' && !/concurrent/i.test(e.message ?? '')) {
    return new BudgetExhaustedError(`Salesforce: the org's daily API request limit is spent (${label}); syncing resumes when the rolling 24-hour budget frees up`);
  }
  if (status === '429' || code === 'REQUEST_LIMIT_EXCEEDED') return new RateLimitedError(`Salesforce ${label}: too many requests`, undefined, 429);
  if (status === '503' || status === '502' || status === '504') return new RateLimitedError(`Salesforce ${label}: service unavailable`, undefined, 503);
  if (status && Number(status) >= 500) return new RemoteError(`Salesforce ${label}: HTTP ${status}`, Number(status));
  const net = e.code ?? '';
  if (
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(net) ||
    e.type === 'system' ||
    /socket hang up|network|premature close/i.test(e.message ?? '')
  ) {
    return new TransportError(`Salesforce ${label}: ${net || e.message}`, net === 'ETIMEDOUT' ? 'timeout' : net === 'ECONNREFUSED' ? 'refused' : 'reset');
  }
  if (/Unexpected token|JSON/i.test(e.message ?? '') || /^ERROR_HTTP_/.test(code))
    return new RemoteError(`Salesforce ${label}: unexpected response (${code || e.message})`, status ? Number(status) : undefined, code);
  return err instanceof Error ? err : new Error(String(err));
}

// jsforce tries its own refresh first and, without a refresh token (JWT bearer), reports that instead.
const isSessionError = (err: unknown) =>
  (err as SfError).errorCode === 'INVALID_SESSION_ID' || (err as SfError).name === 'INVALID_SESSION_ID' || /Unable to refresh session/.test((err as SfError).message ?? '');

export interface SalesforceSession {
  /** One API call: logged in, re-authorized exactly once on an expired session, classified errors, budget watched. */
  call<T>(label: string, idempotent: boolean, fn: (c: Connection) => Promise<T>): Promise<T>;
  calls(): number;
  usage(): ApiUsage | undefined;
  close(): Promise<void>;
}

export function openSession(opts: SalesforceConnectorOptions, log: Logger): SalesforceSession {
  const loginUrl = opts.loginUrl ?? opts.instanceUrl;
  const account = accountOf(opts.auth);
  const lane = createLane({ name: `salesforce ${new URL(opts.instanceUrl).host}`, ...opts.rate, log });
  let conn: Connection | null = null;
  let calls = 0;
  let usage: ApiUsage | undefined;
  let warned = false;
  for (const s of Object.values(opts.auth)) if (typeof s === 'string' && s.length > 20) registerSecret(s);
  if (opts.auth.method === 'password') log.warn('Salesforce username-password login is deprecated (blocked on new orgs); use JWT bearer', { account });

  const newConnection = (session: { instanceUrl?: string; accessToken?: string } = {}) =>
    new jsforce.Connection({
      loginUrl,
      instanceUrl: session.instanceUrl ?? opts.instanceUrl,
      ...(session.accessToken ? { accessToken: session.accessToken } : {}),
      version: opts.apiVersion,
      oauth2: {
        clientId: opts.auth.clientId,
        ...('clientSecret' in opts.auth && opts.auth.clientSecret ? { clientSecret: opts.auth.clientSecret } : {}),
        loginUrl,
        redirectUri: `${loginUrl}/services/oauth2/success`,
      },
    });

  const login = async (): Promise<Connection> => {
    let c = newConnection();
    const a = opts.auth;
    try {
      switch (a.method) {
        case 'jwt': {
          const audience = /\.sandbox\.|test\.salesforce\.com/.test(loginUrl)
            ? 'https://test.salesforce.com'
            : /login\.salesforce\.com/.test(loginUrl)
              ? 'https://login.salesforce.com'
              : loginUrl;
          await c.authorize({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(a, audience) } as never);
          break;
        }
        case 'client-credentials':
          await c.authorize({ grant_type: 'client_credentials' } as never);
          break;
        case 'refresh-token': {
          const res = await c.oauth2.refreshToken(a.refreshToken);
          c = newConnection({ instanceUrl: res.instance_url ?? opts.instanceUrl, accessToken: res.access_token });
          break;
        }
        case 'password':
          await c.login(a.username, a.password);
          break;
      }
    } catch (err) {
      const e = err as SfError & { error_description?: string };
      throw new AuthError(
        `Salesforce login for ${account} failed (${e.name ?? e.errorCode ?? 'error'}: ${e.message ?? ''}); check the connected app, the user's permission and the credentials`,
        account,
      );
    }
    if (c.accessToken) registerSecret(c.accessToken);
    return c;
  };

  const trackUsage = (c: Connection) => {
    const u = c.limitInfo?.apiUsage;
    if (!u) return;
    usage = { used: u.used, max: u.limit };
    const share = u.limit ? u.used / u.limit : 0;
    if (share >= opts.budget.warnAt && !warned) {
      warned = true;
      log.warn('salesforce API budget running low', { used: u.used, max: u.limit });
    }
  };

  const attempt = async <T>(fn: (c: Connection) => Promise<T>, c: Connection): Promise<T> => {
    calls++;
    const out = await fn(c);
    trackUsage(c);
    return out;
  };

  const call = <T>(label: string, idempotent: boolean, fn: (c: Connection) => Promise<T>): Promise<T> =>
    lane.run(
      async () => {
        if (usage?.max && usage.used / usage.max >= opts.budget.pauseAt) {
          throw new BudgetExhaustedError(
            `Salesforce API budget at ${usage.used}/${usage.max} (pause threshold ${Math.round(opts.budget.pauseAt * 100)} %): calls paused to leave room for the org's other integrations`,
          );
        }
        try {
          return await attempt(fn, (conn ??= await login()));
        } catch (err) {
          if (!isSessionError(err)) throw classify(err, label);
        }
        try {
          return await attempt(fn, (conn = await login()));
        } catch (again) {
          if (isSessionError(again)) throw new AuthError(`Salesforce rejected a fresh session for ${account} (${label}); check the integration user's access`, account);
          throw classify(again, label);
        }
      },
      { idempotent, label },
    );

  return {
    call,
    calls: () => calls,
    usage: () => usage,
    close: () => lane.onIdle(),
  };
}
