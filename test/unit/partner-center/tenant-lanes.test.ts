/**
 * Referrals lanes are per tenant: Partner Center throttles each partner tenant on its own, so a 429 with
 * Retry-After on one partner's calls pauses that partner's lane (every client of its credentials) and no other
 * partner's. An API on loopback answers the first call of tenant A with 429 and records the order calls arrive.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyProvider, createReferralsClient } from '../../../src/partner-center/index.js';
import { observeLanes } from '../../../src/runtime/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const RETRY_AFTER = 3;
const rate = { concurrency: 4, intervalCap: 1000, intervalMs: 1000, timeoutMs: 10_000, maxRetries: 3 };

describe('referrals lanes per tenant', () => {
  let server: Server;
  let url = '';
  const arrived: string[] = [];
  beforeAll(async () => {
    let refused = false;
    server = createServer((req, res) => {
      const who = (req.headers.authorization ?? '').replace('Bearer ', '');
      const status = who === 'key-tenant-a' && !refused ? 429 : 200;
      refused ||= status === 429;
      arrived.push(`${who} ${status}`);
      res.writeHead(status, { 'Content-Type': 'application/json', ...(status === 429 ? { 'Retry-After': String(RETRY_AFTER) } : {}) });
      res.end(status === 429 ? '{"error":{"code":"tooManyRequests","message":"slow down"}}' : '{"value":[]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0/engagements`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = (key: string) => createReferralsClient({ baseUrl: url, auth: apiKeyProvider(key), rate });

  it("a 429 on tenant A pauses A's calls from every client, not tenant B's", async () => {
    // Wait until A's lane has taken the 429 in (paused), not merely until the server sent it: a call issued in
    // between would rightly go out before the pause exists.
    let paused = false;
    observeLanes({ call: () => undefined, retryAfter: () => (paused = true) });
    const a1 = client('key-tenant-a').findByExternalReference('x');
    await waitFor('the 429 taken in by the lane', () => (paused ? true : undefined));
    observeLanes(null);
    // Another client of A (another run, another connection with the same credentials) and one of B.
    const [, a2, b] = await Promise.all([a1, client('key-tenant-a').findByExternalReference('y'), client('key-tenant-b').findByExternalReference('z')]);
    expect([a2, b]).toEqual([null, null]);
    // B went straight through; A's two calls both waited out the Retry-After.
    expect(arrived).toEqual(['key-tenant-a 429', 'key-tenant-b 200', 'key-tenant-a 200', 'key-tenant-a 200']);
  });
});
