/**
 * A loopback HTTP proxy that injects faults in front of a server (429 with Retry-After, 503, connection
 * resets, stalls past the client's timeout) and records when each request arrived, so a test can check that
 * no request came in before a Retry-After had ended.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom as prng } from '../../src/runtime/index.js';

export interface ProxyLog {
  at: number;
  method: string;
  path: string;
  /** The fault injected, or the upstream status. */
  outcome: '429' | '503' | 'reset' | 'stall' | number;
  retryAfterSeconds?: number;
}

export interface FaultProxy {
  url: string;
  log: ProxyLog[];
  setRate(rate: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, opts: { rate: number; retryAfterSeconds: number; stallMs: number; seed: number }): Promise<FaultProxy> {
  const upstream = new URL(target);
  const random = prng(opts.seed);
  let rate = opts.rate;
  const log: ProxyLog[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const entry: ProxyLog = { at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/', outcome: 0 };
    log.push(entry);
    const roll = random();
    if (roll < rate) {
      const kind = Math.floor((roll / rate) * 4);
      if (kind === 0) {
        entry.outcome = '429';
        entry.retryAfterSeconds = opts.retryAfterSeconds;
        res.writeHead(429, { 'Retry-After': String(opts.retryAfterSeconds), 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'tooManyRequests', message: 'injected 429' } }));
        return;
      }
      if (kind === 1) {
        entry.outcome = '503';
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'serviceUnavailable', message: 'injected 503' } }));
        return;
      }
      if (kind === 2) {
        entry.outcome = 'reset';
        req.socket.destroy();
        return;
      }
      entry.outcome = 'stall';
      setTimeout(() => req.socket.destroy(), opts.stallMs);
      return;
    }
    const fwd = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        entry.outcome = up.statusCode ?? 0;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const path = upstream.pathname.replace(/\/$/, '');
  return {
    url: `http://127.0.0.1:${port}${path}`,
    log,
    setRate: (r) => void (rate = r),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
