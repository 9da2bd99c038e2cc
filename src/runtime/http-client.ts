/// <reference path="./undici-agent.d.ts" />
/** The one way this project makes an axios instance for an API whose answers it parses and types itself. */
import https from 'node:https';
import v8 from 'node:v8';
import axios, { type AxiosInstance } from 'axios';
// The Agent alone: undici's main entry also loads fetch, WebSocket, caches and mocks — ~90 modules and ~9 MB of
// RSS in every sync process that sends only through this adapter (bench/RESULTS.md, goal 3).
import Agent from 'undici/lib/dispatcher/agent.js';
import { processEnv } from './env.js';
import { textAdapter } from './http-adapter.js';

// undici parses HTTP with llhttp compiled to WebAssembly, on the first connection. V8 compiles it with Liftoff,
// then, once hot, again with TurboFan on a background thread, whose compile zones for llhttp's one large
// state-machine function (15–35 MB) are malloc'd and stay resident after they are freed: a third of a sync
// process's peak RSS above its baseline. Liftoff's code parses the answers at the same client CPU per call
// (bench/client-path.ts, within ±3 µs), so the process keeps it (heaptrack and the numbers: bench/RESULTS.md).
// Both flags: without dynamic tiering V8 would tier every function up eagerly instead.
v8.setFlagsFromString('--no-wasm-dynamic-tiering');
v8.setFlagsFromString('--no-wasm-tier-up');

/** An axios instance and the end of its connections (a one-shot process needs no close: idle sockets are unref'd). */
export type TextAxios = AxiosInstance & { close(): Promise<void> };

/**
 * Every status is returned (the caller maps it to a typed error), bodies go out and come back as text (so a
 * truncated one is a clear error, not a half-parsed object), and redirects are not followed: a bearer token
 * must never travel to another host — and without them axios skips its redirect wrapper. axios reads the proxy
 * variables on every request; when none is set (`proxied`, from the env schema) the instance says so once and
 * sends through the lean text adapter (http-adapter.ts) on an undici Agent of its own; behind a proxy axios's own
 * adapter does the proxying. `ca` (PEM) is the only CA trusted, as Node's `ca` option means.
 */
export function createTextAxios(opts: { timeoutMs: number; maxContentLength: number; ca?: string | undefined; proxied?: boolean }): TextAxios {
  const proxied = opts.proxied ?? processEnv().proxied;
  const httpsAgent = proxied && opts.ca ? new https.Agent({ keepAlive: true, ca: opts.ca }) : undefined;
  // Connections per origin are left unlimited (undici's default), as http.Agent's were: the rate lane already caps
  // what is in flight (16–64), and a cap here would queue calls inside undici, where the lane's timeout and
  // metrics cannot see them. Idle sockets close after 4 s (undici's default, under Node servers' 5 s keep-alive),
  // or sooner when the server's Keep-Alive header says so.
  const dispatcher = proxied ? undefined : new Agent({ keepAliveTimeout: 4_000, ...(opts.ca ? { connect: { ca: opts.ca } } : {}) });
  const instance = axios.create({
    timeout: opts.timeoutMs,
    validateStatus: () => true,
    // No transforms (not identity ones): axios normalizes the headers once per transform and once more.
    transformRequest: [],
    transformResponse: [],
    maxRedirects: 0,
    maxContentLength: opts.maxContentLength,
    ...(httpsAgent ? { httpsAgent } : {}),
    ...(dispatcher ? { proxy: false as const, adapter: textAdapter(dispatcher) } : {}),
  });
  // No default headers: every caller sends its own Accept and content type, and axios merges the default
  // common and per-method header sets on every request — a quarter of its own CPU per call (bench/RESULTS.md).
  instance.defaults.headers = {} as never;
  return Object.assign(instance, {
    async close() {
      httpsAgent?.destroy();
      await dispatcher?.close();
    },
  });
}
