/**
 * One HTTP call to the referrals API: headers (Authorization, client-request-id, MS-CorrelationId), a single
 * token refresh on 401, and every failure mapped to a typed error the lane and the engine understand.
 */
import { randomUUID } from 'node:crypto';
import type { AxiosError, AxiosInstance, AxiosResponse, Method } from 'axios';
import {
  AlreadyCreatedError,
  AuthError,
  ConflictError,
  createTextAxios,
  NotFoundError,
  RateLimitedError,
  RemoteError,
  StagesIncompleteError,
  TerminalStateError,
  TransportError,
  ValidationError,
  type Problem,
} from '../runtime/index.js';
import type { TokenProvider } from './auth.js';

export interface HttpRequest {
  method: Method;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** What the call is, for error messages: "create referral", "PATCH referral 123". */
  label: string;
}

export interface HttpResult {
  status: number;
  data: unknown;
  headers: Record<string, string>;
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date). */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

interface ErrorBody {
  error?: { code?: string; message?: string; target?: string; details?: { target?: string; message?: string; code?: string }[]; innerError?: unknown };
}

function problemsOf(body: ErrorBody): Problem[] {
  const details = body.error?.details ?? [];
  if (details.length) return details.map((d) => ({ path: d.target ?? body.error?.target ?? '', message: d.message ?? d.code ?? 'invalid' }));
  return body.error?.message ? [{ path: body.error.target ?? '', message: body.error.message }] : [];
}

/** Map an HTTP status and error body to the project's typed errors. */
export function toTypedError(label: string, res: { status: number; data: unknown; headers: Record<string, string> }): Error {
  const body = (typeof res.data === 'object' && res.data !== null ? res.data : {}) as ErrorBody;
  const code = body.error?.code;
  const message = body.error?.message ?? (typeof res.data === 'string' && res.data ? res.data.slice(0, 200) : `HTTP ${res.status}`);
  const what = `${label}: ${message}`;
  switch (res.status) {
    case 400:
    case 422:
      return new ValidationError(what, problemsOf(body), label);
    case 401:
      return new AuthError(what);
    case 403:
      return new AuthError(`${label}: access denied (${message}); the account needs the Referrals Admin role`);
    case 404:
      return new NotFoundError(what);
    case 409: {
      if (code === 'terminalState') return new TerminalStateError(what);
      if (code === 'stagesIncomplete') return new StagesIncompleteError(what);
      const existing = code === 'duplicateExternalReferenceId' ? body.error?.details?.find((d) => d.code === 'existingReferral')?.message : undefined;
      return existing ? new AlreadyCreatedError(what, existing) : new ValidationError(what, problemsOf(body), label);
    }
    case 412:
      return new ConflictError(what, res.headers.etag);
    case 413:
      return new ValidationError(what, [{ path: '', message: 'request too large' }], label);
    case 429:
    case 503:
      return new RateLimitedError(what, retryAfterSeconds(res.headers['retry-after']), res.status);
    default:
      return new RemoteError(what, res.status, code);
  }
}

function headersOf(res: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const given = (res.headers ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(given)) {
    const v = given[k];
    if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  }
  return out;
}

/** Partner Center's request headers; a caller's own (If-Match) last. Built in place: one object per call. */
function headersFor(req: HttpRequest, token: string | null, correlationId: string): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (req.body !== undefined) h['Content-Type'] = 'application/json';
  if (token) h.Authorization = `Bearer ${token}`;
  h['client-request-id'] = randomUUID();
  h['MS-CorrelationId'] = correlationId;
  if (req.headers) Object.assign(h, req.headers);
  return h;
}

export interface HttpClient {
  call(req: HttpRequest, signal: AbortSignal): Promise<HttpResult>;
  readonly correlationId: string;
  withCorrelationId(id: string): HttpClient;
}

export function createHttpClient(opts: { auth: TokenProvider; timeoutMs: number; correlationId?: string; axios?: AxiosInstance }): HttpClient {
  const ax = opts.axios ?? createTextAxios({ timeoutMs: opts.timeoutMs, maxContentLength: 50 * 1024 * 1024 });

  const make = (correlationId: string): HttpClient => {
    const send = async (req: HttpRequest, token: string | null, signal: AbortSignal): Promise<HttpResult> => {
      let res: AxiosResponse;
      try {
        res = await ax.request({
          method: req.method,
          url: req.url,
          data: req.body === undefined ? undefined : JSON.stringify(req.body),
          signal,
          headers: headersFor(req, token, correlationId),
        });
      } catch (err) {
        const e = err as AxiosError;
        const kind =
          e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT'
            ? 'timeout'
            : e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ERR_BAD_RESPONSE'
              ? 'reset'
              : e.code === 'ECONNREFUSED'
                ? 'refused'
                : 'other';
        throw new TransportError(`${req.label}: ${e.code ?? e.message}`, kind);
      }
      const headers = headersOf(res);
      const raw = typeof res.data === 'string' ? res.data : res.data == null ? '' : String(res.data);
      let data: unknown = raw;
      if (raw.length > 0 && /json/i.test(headers['content-type'] ?? 'application/json')) {
        try {
          data = JSON.parse(raw);
        } catch {
          if (res.status < 400) throw new RemoteError(`${req.label}: the response is not valid JSON (truncated?)`, res.status);
        }
      } else if (raw.length > 0 && res.status < 300) {
        throw new RemoteError(`${req.label}: expected JSON, got ${headers['content-type'] ?? 'no content type'}`, res.status);
      }
      return { status: res.status, data, headers };
    };

    return {
      correlationId,
      withCorrelationId: (id: string) => make(id),
      async call(req, signal) {
        let res = await send(req, await opts.auth.token(false), signal);
        if (res.status === 401) {
          // Exactly one refresh and retry; a second 401 means the credentials themselves are wrong.
          res = await send(req, await opts.auth.token(true), signal);
          if (res.status === 401) {
            throw new AuthError(
              `${req.label}: Partner Center rejected the credentials of ${opts.auth.account} twice; sign in again (cosell-sync auth partner-center) or check the API key`,
              opts.auth.account,
            );
          }
        }
        // A redirect is not followed (a token must not travel to another host): it is an error like any other.
        if (res.status >= 300) throw toTypedError(req.label, res);
        return res;
      },
    };
  };
  return make(opts.correlationId ?? randomUUID());
}
