/**
 * The lean axios adapter behind createTextAxios, against a real loopback server: what the referrals and Dataverse
 * clients rely on from axios's own adapter (error codes they classify, decoded bodies, limits) still holds.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AxiosError } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTextAxios } from '../../../src/runtime/index.js';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path === '/echo') {
        res.writeHead(201, { 'Content-Type': 'application/json', ETag: '"7"' });
        return res.end(
          JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization, encoding: req.headers['accept-encoding'] }),
        );
      }
      if (path === '/gzip') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        return res.end(gzipSync(JSON.stringify({ ok: 'ünïcode' })));
      }
      if (path === '/big') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('x'.repeat(10_000));
      }
      if (path === '/drop') return req.socket.destroy();
      if (path === '/slow') return setTimeout(() => res.end('late'), 2_000).unref();
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
    expect(res.headers.etag).toBe('"7"');
  });

  it('returns an error status as an answer (the caller maps it), not a rejection', async () => {
    const res = await client().get(`${base}/missing`);
    expect(res.status).toBe(404);
    expect(res.data).toBe('{"error":{"code":"notFound"}}');
  });

  it('decodes a gzip answer', async () => {
    const res = await client().get(`${base}/gzip`);
    expect(JSON.parse(res.data)).toEqual({ ok: 'ünïcode' });
  });

  it('refuses an answer over maxContentLength', async () => {
    const err = await failure(client(5_000, 1_000).get(`${base}/big`));
    expect(err.code).toBe('ERR_BAD_RESPONSE');
    expect(err.message).toMatch(/maxContentLength/);
  });

  it('times out with ECONNABORTED', async () => {
    const err = await failure(client(100).get(`${base}/slow`));
    expect(err.code).toBe('ECONNABORTED');
  });

  it('is cancelled by the abort signal, even one aborted before the call', async () => {
    const controller = new AbortController();
    const pending = client().get(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).code).toBe('ERR_CANCELED');
    expect((await failure(client().get(`${base}/echo`, { signal: AbortSignal.abort() }))).code).toBe('ERR_CANCELED');
  });

  it('reports a dropped connection with the socket error code', async () => {
    const err = await failure(client().get(`${base}/drop`));
    expect(err.code).toBe('ECONNRESET');
  });

  it('refuses a body that is not text rather than guessing its encoding', async () => {
    const err = await failure(client().request({ method: 'POST', url: `${base}/echo`, data: { a: 1 } }));
    expect(err.code).toBe('ERR_BAD_REQUEST');
  });
});
