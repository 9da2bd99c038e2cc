/**
 * Shared Retry-After: a 429 with Retry-After seen through one worker's lane pauses the lane of the same API for
 * every worker (Redis), so no call reaches that API before the pause ends. Two lanes stand for two workers (each
 * lane's own pause is local; only Redis tells the other); the API on loopback records when each call arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisLanePauses } from '../../src/jobs/shared-pauses.js';
import { createLane, RateLimitedError, shareLanePauses } from '../../src/runtime/index.js';
import { redisUrl, servicesUp, uniqueName } from '../helpers/services.js';

const up = await servicesUp({ redis: true });

describe.skipIf(!up)('shared Retry-After', () => {
  let server: Server;
  let url = '';
  const calls: { at: number; status: number }[] = [];
  const redis: Redis[] = [];
  const prefix = uniqueName('cosell-lanes');
  beforeAll(async () => {
    // The first call is refused with Retry-After: 2; every later one succeeds.
    server = createServer((_req, res) => {
      const status = calls.length === 0 ? 429 : 200;
      calls.push({ at: Date.now(), status });
      res.writeHead(status, status === 429 ? { 'Retry-After': '2' } : {}).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(() => shareLanePauses(null));
  afterAll(async () => {
    const keys = await redis[0]?.keys(`${prefix}:*`);
    if (keys?.length) await redis[0]!.del(...keys);
    for (const r of redis) r.disconnect();
    server.close();
  });

  /** A "worker": a lane of its own (its pause is its own unless shared through Redis). */
  function worker() {
    const lane = createLane({ name: 'referrals api.example', concurrency: 4, intervalCap: 1000, intervalMs: 1000, timeoutMs: 5000, maxRetries: 3 });
    return {
      call: () =>
        lane.run(async (signal) => {
          const res = await fetch(url, { signal });
          if (res.status === 429) throw new RateLimitedError('throttled', Number(res.headers.get('retry-after')), 429);
          return res.status;
        }, { idempotent: true }),
    };
  }

  it('no worker calls the lane before the Retry-After another worker saw has ended', async () => {
    const r = new Redis(redisUrl);
    redis.push(r);
    shareLanePauses(redisLanePauses(r, prefix));
    const a = worker();
    const b = worker();
    const first = a.call();
    // Once A has been refused, B (which never saw a 429) tries the same API.
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const [ra, rb] = await Promise.all([first, b.call()]);
    expect([ra, rb]).toEqual([200, 200]);
    const refusedAt = calls[0]!.at;
    const early = calls.slice(1).filter((c) => c.at < refusedAt + 2000);
    expect(early, 'calls inside the Retry-After window').toEqual([]);
    expect(calls).toHaveLength(3);
  });
});
