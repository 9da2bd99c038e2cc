/** The one way this project makes an axios instance for an API whose answers it parses and types itself. */
import type { Agent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { processEnv } from './env.js';
import { textAdapter } from './http-adapter.js';

/**
 * Every status is returned (the caller maps it to a typed error), bodies go out and come back as text (so a
 * truncated one is a clear error, not a half-parsed object), and redirects are not followed: a bearer token
 * must never travel to another host — and without them axios skips its redirect wrapper. axios reads the proxy
 * variables on every request; when none is set (`proxied`, from the env schema) the instance says so once and
 * sends through the lean text adapter (http-adapter.ts); behind a proxy axios's own adapter does the proxying.
 */
export function createTextAxios(opts: { timeoutMs: number; maxContentLength: number; httpsAgent?: Agent; proxied?: boolean }): AxiosInstance {
  const instance = axios.create({
    timeout: opts.timeoutMs,
    validateStatus: () => true,
    transformRequest: (data: unknown) => data,
    transformResponse: (raw: unknown) => raw,
    maxRedirects: 0,
    maxContentLength: opts.maxContentLength,
    ...(opts.httpsAgent ? { httpsAgent: opts.httpsAgent } : {}),
    ...((opts.proxied ?? processEnv().proxied) ? {} : { proxy: false as const, adapter: textAdapter }),
  });
  // No default headers: every caller sends its own Accept and content type, and axios merges the default
  // common and per-method header sets on every request — a quarter of its own CPU per call (bench/RESULTS.md).
  instance.defaults.headers = {} as never;
  return instance;
}
