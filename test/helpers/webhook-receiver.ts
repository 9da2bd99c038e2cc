/**
 * A webhook receiver on loopback (port 0) that records every request (raw body, headers, arrival time) and
 * answers as the test says: a status, or a stall past the sender's timeout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './scripted-api.js';

export interface Received {
  at: number;
  raw: string;
  body: any;
  headers: http.IncomingHttpHeaders;
  answered: number | 'stall';
}

export type Answer = number | 'stall';

export interface Receiver {
  url: string;
  received: Received[];
  /** Decide the answer to each request (default 200). */
  answer(fn: (r: Omit<Received, 'answered'>, n: number) => Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(stallMs = 2_000): Promise<Receiver> {
  const received: Received[] = [];
  let decide: (r: Omit<Received, 'answered'>, n: number) => Answer = () => 200;
  const server = http.createServer(async (req, res) => {
    const { raw, json } = await readBody(req);
    const r = { at: Date.now(), raw, body: json ?? null, headers: req.headers };
    const answered = decide(r, received.length);
    received.push({ ...r, answered });
    if (answered === 'stall') {
      setTimeout(() => res.destroy(), stallMs).unref();
      return;
    }
    res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'ok' : 'receiver says no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/partner-center`,
    received,
    answer: (fn) => {
      decide = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
