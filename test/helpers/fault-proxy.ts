/**
 * A loopback HTTP proxy that injects faults in front of a server (429 with Retry-After, 503, connection
 * resets, stalls past the client's timeout) and records when each request arrived, so a test can check that
 * no request came in before a Retry-After had ended. A bearer token ending in `~<epoch ms>` (a test's token
 * provider stamping when the client sent the call) is recorded as `sentAt` and forwarded without the stamp.
 * Answers are passed on with the server's origin rewritten to the proxy's, so links lead back through it.
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
  /** When the client sent it, from a stamped token (see above). */
  sentAt?: number;
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
  let port = 0;
  const server = http.createServer((req, res) => {
    const entry: ProxyLog = { at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/', outcome: 0 };
    const stamp = /~(\d+)$/.exec(req.headers.authorization ?? '');
    if (stamp) {
      entry.sentAt = Number(stamp[1]);
      req.headers.authorization = req.headers.authorization!.slice(0, -stamp[0].length);
    }
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
    const fwd = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      entry.outcome = up.statusCode ?? 0;
      // Links the server writes (`@odata.nextLink`) name the proxy, so paging goes through it too.
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(upstream.origin, `http://127.0.0.1:${port}`));
        const { 'transfer-encoding': _chunked, ...headers } = up.headers;
        res.writeHead(up.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      });
      up.on('error', () => res.destroy());
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
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
