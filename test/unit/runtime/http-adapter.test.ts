/**
 * The lean axios adapter behind createTextAxios (undici underneath), against real loopback servers: what the
 * referrals and Dataverse clients rely on from axios's own adapter (error codes they classify, decoded bodies,
 * limits, a pinned CA) still holds.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { AxiosError } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTextAxios } from '../../../src/runtime/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startPki, type Pki } from '../../helpers/webhook-pki.js';

let server: http.Server;
let base: string;
const hits: Record<string, number> = {};
/** How many chunks /endless had written when its client went away (undefined while it still writes). */
let endlessWrote: number | undefined;

const encoded: Record<string, [string, (b: Buffer) => Buffer]> = {
  '/gzip': ['gzip', gzipSync],
  '/deflate': ['deflate', deflateSync],
  '/br': ['br', brotliCompressSync],
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/echo') {
        res.setHeader('X-Multi', ['a', 'b']);
        res.setHeader('Set-Cookie', ['c=1', 'd=2']);
        res.writeHead(201, { 'Content-Type': 'application/json', ETag: '"7"' });
        return res.end(
          JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization, encoding: req.headers['accept-encoding'] }),
        );
      }
      const enc = encoded[path];
      if (enc) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': enc[0] });
        return res.end(enc[1](Buffer.from(JSON.stringify({ ok: 'ünïcode' }))));
      }
      if (path === '/big') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('x'.repeat(10_000));
      }
      if (path === '/endless') {
        endlessWrote = undefined;
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        let wrote = 0;
        const tick = setInterval(() => (wrote < 1_000 ? (res.write('y'.repeat(1_000)), wrote++) : res.end()), 5);
        res.on('close', () => (clearInterval(tick), (endlessWrote = wrote)));
        return;
      }
      if (path === '/port') return res.end(String(req.socket.remotePort));
      if (path === '/drop') return req.socket.destroy();
      if (path === '/cut' || path === '/cut-close') {
        // Headers and a sliver of the promised body, then the connection goes: on a kept-alive connection, or
        // on one the answer said it would close (undici names the two differently).
        const close = path === '/cut-close';
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000', ...(close ? { Connection: 'close' } : {}) });
        return res.write('{"value":[', () => setTimeout(() => (close ? req.socket.end() : req.socket.destroy()), 20));
      }
      if (path === '/slow') return setTimeout(() => res.end('late'), 2_000).unref();
      if (path === '/trickle') {
        // Never idle for long, never done within the client's timeout: only a whole-call timeout ends it.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const tick = setInterval(() => res.write('.'), 20);
        const end = setTimeout(() => (clearInterval(tick), res.end()), 2_000);
        res.on('close', () => (clearInterval(tick), clearTimeout(end)));
        return;
      }
      res.writeHead(404);
      res.end('{"error":{"code":"notFound"}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const client = (timeoutMs = 5_000, maxContentLength = 1_000_000) => createTextAxios({ timeoutMs, maxContentLength, proxied: false });
const failure = async (p: Promise<unknown>): Promise<AxiosError> => {
  try {
    await p;
  } catch (err) {
    return err as AxiosError;
  }
  throw new Error('expected the request to fail');
};

describe('createTextAxios (lean adapter)', () => {
  it('sends the body and headers and returns the answer as text with its status and headers', async () => {
    const res = await client().request({ method: 'POST', url: `${base}/echo`, data: '{"a":1}', headers: { Authorization: 'Bearer t-1', 'Content-Type': 'application/json' } });
    expect(res.status).toBe(201);
    expect(typeof res.data).toBe('string');
    expect(JSON.parse(res.data)).toEqual({ method: 'POST', body: '{"a":1}', auth: 'Bearer t-1', encoding: 'gzip, deflate, br' });
    // Lower-cased names; a repeated header joined as Node does, set-cookie kept a list.
    expect(Object.keys(res.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(res.headers.etag).toBe('"7"');
    expect(res.headers['x-multi']).toBe('a, b');
    expect(res.headers['set-cookie']).toEqual(['c=1', 'd=2']);
  });

  it('returns an error status as an answer (the caller maps it), not a rejection', async () => {
    const res = await client().get(`${base}/missing`);
    expect(res.status).toBe(404);
    expect(res.data).toBe('{"error":{"code":"notFound"}}');
  });

  it('applies a validateStatus given with the call', async () => {
    const err = await failure(client().get(`${base}/missing`, { validateStatus: (s) => s < 400 }));
    expect(err.code).toBe('ERR_BAD_REQUEST');
    expect(err.response?.status).toBe(404);
    expect(err.response?.data).toBe('{"error":{"code":"notFound"}}');
  });

  it.each(Object.keys(encoded))('decodes a %s answer', async (path) => {
    const res = await client().get(`${base}${path}`);
    expect(JSON.parse(res.data)).toEqual({ ok: 'ünïcode' });
  });

  it('refuses an answer over maxContentLength', async () => {
    const err = await failure(client(5_000, 1_000).get(`${base}/big`));
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    expect(err.message).toMatch(/maxContentLength/);
  });

  it('stops reading an answer once it is over maxContentLength', async () => {
    const err = await failure(client(20_000, 5_000).get(`${base}/endless`));
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    // The connection is closed under the server well before its 1,000 chunks (5 s) are out.
    const wrote = await waitFor('the server to see its client go', () => endlessWrote, 2_000);
    expect(wrote).toBeLessThan(500);
  });

  it('times out with ECONNABORTED', async () => {
    const err = await failure(client(100).get(`${base}/slow`));
    expect(err.code).toBe('ECONNABORTED');
  });

  it('times out the whole call, not only an idle connection', async () => {
    const started = Date.now();
    const err = await failure(client(300).get(`${base}/trickle`));
    expect(err.code).toBe('ECONNABORTED');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('is cancelled by the abort signal, even one aborted before the call (which then never leaves)', async () => {
    const controller = new AbortController();
    const pending = client().get(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).code).toBe('ERR_CANCELED');
    expect((await failure(client().get(`${base}/never`, { signal: AbortSignal.abort() }))).code).toBe('ERR_CANCELED');
    await new Promise((r) => setTimeout(r, 50));
    expect(hits['/never']).toBeUndefined();
  });

  it('reports a dropped connection with the socket error code', async () => {
    const err = await failure(client().get(`${base}/drop`));
    expect(err.code).toBe('ECONNRESET');
  });

  it.each(['/cut', '/cut-close'])('reports an answer cut short (%s) as a reset connection', async (path) => {
    const err = await failure(client().get(`${base}${path}`));
    expect(err.code).toBe('ECONNRESET');
  });

  it('reports a refused connection as ECONNREFUSED', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await failure(client().get(`http://127.0.0.1:${port}/`));
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('keeps connections alive between calls, and close() ends them', async () => {
    const c = client();
    const ports = new Set<string>();
    for (let i = 0; i < 6; i++) ports.add((await c.get(`${base}/port`)).data);
    // undici may open a second connection while the first is being released; never one per call.
    expect(ports.size).toBeLessThanOrEqual(2);
    await c.close();
    expect((await failure(c.get(`${base}/port`))).code).toBe('UND_ERR_DESTROYED');
  });

  it('refuses a body that is not text rather than guessing its encoding', async () => {
    const err = await failure(client().request({ method: 'POST', url: `${base}/echo`, data: { a: 1 } }));
    expect(err.code).toBe('ERR_BAD_REQUEST');
  });

  it('refuses query parameters given apart from the URL', async () => {
    const err = await failure(client().get(`${base}/echo`, { params: { a: 1 } }));
    expect(err.code).toBe('ERR_BAD_OPTION');
  });
});

describe('createTextAxios over TLS with a pinned CA', () => {
  let pki: Pki;
  beforeAll(async () => {
    pki = await startPki();
  });
  afterAll(() => pki.close());

  it('trusts a server signed by the CA it is given, and not one without it', async () => {
    const pinned = createTextAxios({ timeoutMs: 5_000, maxContentLength: 1_000_000, ca: pki.caPem, proxied: false });
    const res = await pinned.get(pki.certUrl('valid'));
    expect(res.status).toBe(200);
    expect(res.data).toMatch(/BEGIN CERTIFICATE/);
    await pinned.close();
    const err = await failure(client().get(pki.certUrl('valid')));
    expect(err.code).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('a call that times out while its connection is still being set up is never sent', async () => {
    let received = 0;
    const tls = https.createServer(pki.tls, (_req, res) => (received++, res.end('sent')));
    // The TLS handshake starts 300 ms after the connection: undici only has the request on a connection then.
    const slow = net.createServer((socket) => void setTimeout(() => tls.emit('connection', socket), 300));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const pinned = createTextAxios({ timeoutMs: 100, maxContentLength: 1_000, ca: pki.caPem, proxied: false });
    try {
      const err = await failure(pinned.get(`https://127.0.0.1:${(slow.address() as AddressInfo).port}/`));
      expect(err.code).toBe('ECONNABORTED');
      await new Promise((r) => setTimeout(r, 600));
      expect(received).toBe(0);
    } finally {
      await pinned.close();
      tls.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });
});
