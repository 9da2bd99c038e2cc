/**
 * The Dataverse Web API client (axios + msal-node), as partner-center/http.ts is for the referrals API: the
 * bearer token (refreshed once on a 401), one rate lane, HTTP errors mapped to the project's typed errors,
 * answers parsed at the boundary, and collections read page by page.
 */
import type { AxiosError, AxiosResponse } from 'axios';
import type { z } from 'zod';
import { AuthError, createLane, createTextAxios, RateLimitedError, RemoteError, TransportError, ValidationError, type Logger } from '../../src/runtime/index.js';
import { parseAnswer } from '../shared/index.js';
import { type CollectionPage, collectionSchema, errorField } from './answers.js';
import { clientCredentialTokens, httpsAgent } from './auth.js';
import type { DynamicsConnectorOptions } from './connector.js';

export interface WebApi {
  /** The Web API root, `https://org/api/data/v9.2/`; relative URLs are resolved against it. */
  api: string;
  request<T>(
    label: string,
    method: string,
    url: string,
    o: { headers?: Record<string, string>; body?: string; idempotent: boolean },
    read: (res: AxiosResponse<string>) => T,
  ): Promise<T>;
  getAs<S extends z.ZodType>(label: string, url: string, schema: S, prefer?: string): Promise<z.infer<S>>;
  /** One page of a collection. */
  getJson(label: string, url: string, prefer?: string): Promise<CollectionPage>;
  /** Every page of a collection, following `@odata.nextLink` only when the caller asks for the next one. */
  pages(label: string, url: string, prefer?: string, first?: CollectionPage): AsyncGenerator<CollectionPage>;
  calls(): number;
  close(): Promise<void>;
}

export function openWebApi(opts: DynamicsConnectorOptions, log: Logger): WebApi {
  const org = opts.url.replace(/\/+$/, '');
  const api = `${org}/api/data/v${opts.apiVersion}/`;
  const agent = httpsAgent(opts.auth.caPem);
  const tokens = clientCredentialTokens(opts.auth, org, agent);
  const lane = createLane({ name: `dynamics365 ${new URL(org).host}`, ...opts.rate, log });
  const http = createTextAxios({ ca: opts.auth.caPem, timeoutMs: opts.rate.timeoutMs, maxContentLength: 200 * 1024 * 1024 });
  let calls = 0;

  const typed = (label: string, res: AxiosResponse): Error => {
    let body: unknown = {};
    try {
      body = typeof res.data === 'string' && res.data ? JSON.parse(res.data) : {};
    } catch {
      // not JSON: described below by status
    }
    const error = errorField(body);
    const msg = error?.message ?? (typeof res.data === 'string' && res.data ? res.data.slice(0, 160) : `HTTP ${res.status}`);
    const what = `Dynamics 365 ${label}: ${msg}`;
    if (res.status === 429 || res.status === 503) {
      const ra = Number(res.headers['retry-after']);
      return new RateLimitedError(what, Number.isFinite(ra) ? ra : undefined, res.status);
    }
    if (res.status === 400) return new ValidationError(what, [{ path: error?.code ?? '', message: msg }], label);
    if (res.status === 403) return new AuthError(`${what} (the application user needs a security role with access to opportunities)`, tokens.account);
    return new RemoteError(what, res.status, error?.code);
  };

  /** One HTTP call with a bearer token; a 401 refreshes the token once (skipping msal's cache), then gives up. */
  const send = async (
    label: string,
    method: string,
    url: string,
    headers: Record<string, string>,
    data: string | undefined,
    signal: AbortSignal,
  ): Promise<AxiosResponse<string>> => {
    const attempt = async (force: boolean) => {
      const token = await tokens.token(force); // an AuthError here is final, not a network failure
      try {
        return await http.request<string>({
          method,
          url,
          data,
          signal,
          headers: { Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0', Authorization: `Bearer ${token}`, ...headers },
        });
      } catch (err) {
        const e = err as AxiosError;
        throw new TransportError(
          `Dynamics 365 ${label}: ${e.code ?? e.message}`,
          e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' ? 'timeout' : e.code === 'ECONNREFUSED' ? 'refused' : 'reset',
        );
      }
    };
    calls++;
    let res = await attempt(false);
    if (res.status === 401) {
      calls++;
      res = await attempt(true);
      if (res.status === 401)
        throw new AuthError(`Dynamics 365 rejected a fresh token for ${tokens.account} (${label}); check that the app is an application user with a security role`, tokens.account);
    }
    // Redirects are not followed (the token would travel with them): a clear error instead.
    if (res.status >= 300 && res.status < 400)
      throw new RemoteError(
        `Dynamics 365 ${label}: unexpected redirect (HTTP ${res.status}) to ${String(res.headers.location ?? 'nowhere')}; check the organization URL`,
        res.status,
      );
    return res;
  };

  /** One call in the lane: ≥ 400 is a typed error; `read` turns the answer into the result (inside the lane, so a retry repeats it). */
  const request = <T>(
    label: string,
    method: string,
    url: string,
    o: { headers?: Record<string, string>; body?: string; idempotent: boolean },
    read: (res: AxiosResponse<string>) => T,
  ): Promise<T> =>
    lane.run(
      async (signal) => {
        const res = await send(label, method, url.startsWith('http') ? url : `${api}${url}`, o.headers ?? {}, o.body, signal);
        if (res.status >= 400) throw typed(label, res);
        return read(res);
      },
      { idempotent: o.idempotent, label },
    );

  /** A GET whose answer is parsed at the boundary: not JSON or of the wrong shape is a RemoteError naming the call. */
  const getAs = <S extends z.ZodType>(label: string, url: string, schema: S, prefer?: string): Promise<z.infer<S>> =>
    request(label, 'GET', url, { headers: prefer ? { Prefer: prefer } : {}, idempotent: true }, (res) => {
      let json: unknown;
      try {
        json = JSON.parse(res.data);
      } catch {
        throw new RemoteError(`Dynamics 365 ${label}: the response is not valid JSON (truncated?)`, res.status);
      }
      return parseAnswer('Dynamics 365', label, schema, json, res.status);
    });
  /** One page of a collection. */
  const getJson = (label: string, url: string, prefer?: string) => getAs(label, url, collectionSchema, prefer);
  /** Every page of a collection, following `@odata.nextLink` only when the caller asks for the next one. */
  const pages = async function* (label: string, url: string, prefer?: string, first?: CollectionPage): AsyncGenerator<CollectionPage> {
    let page = first ?? (await getJson(label, url, prefer));
    for (;;) {
      yield page;
      const next = page['@odata.nextLink'];
      if (!next) return;
      page = await getJson(label, next, prefer);
    }
  };

  return {
    api,
    request,
    getAs,
    getJson,
    pages,
    calls: () => calls,
    async close() {
      await lane.onIdle();
      agent.destroy();
      await http.close();
    },
  };
}
