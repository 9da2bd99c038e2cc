/**
 * Shared Retry-After: a 429 with Retry-After seen through one worker's lane pauses the lane of the same API for
 * every worker (Redis), so no call reaches that API before the pause ends. Two lanes stand for two workers (each
 * lane's own pause is local; only Redis tells the other); the API on loopback records when each call arrived.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisLanePauses } from '../../src/jobs/index.js';
import { createLane, RateLimitedError, shareLanePauses } from '../../src/runtime/index.js';
import { redisUrl, servicesUp, uniqueName } from '../helpers/services.js';

const up = await servicesUp({ redis: true });

describe.skipIf(!up)('shared Retry-After', () => {
  let server: Server;
  let url = '';
  let calls: { at: number; status: number }[] = [];
  let refuseNext = true;
  /** When the client sent each call (what the lane controls; arrival adds the network's jitter). */
  let sent: number[] = [];
  const redis: Redis[] = [];
  const prefix = uniqueName('cosell-lanes');
  beforeAll(async () => {
    // The first call is refused with Retry-After: 2; every later one succeeds.
    server = createServer((_req, res) => {
      const status = refuseNext ? 429 : 200;
      refuseNext = false;
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

  /** A "worker": a lane of its own (its pause and its cap are its own unless shared through Redis). */
  function worker(cap = { intervalCap: 1000, intervalMs: 1000 }) {
    const lane = createLane({ name: 'referrals api.example', concurrency: 4, ...cap, timeoutMs: 5000, maxRetries: 3 });
    return {
      call: () =>
        lane.run(
          async (signal) => {
            sent.push(Date.now());
            const res = await fetch(url, { signal });
            if (res.status === 429) throw new RateLimitedError('throttled', Number(res.headers.get('retry-after')), 429);
            return res.status;
          },
          { idempotent: true },
        ),
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

  it('holds the interval cap across workers: never more than the cap in any window, whichever worker calls', async () => {
    const r = new Redis(redisUrl);
    redis.push(r);
    shareLanePauses(redisLanePauses(r, `${prefix}-cap`));
    calls = [];
    sent = [];
    refuseNext = false;
    const cap = { intervalCap: 5, intervalMs: 500 };
    const [a, b] = [worker(cap), worker(cap)];
    const started = Date.now();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).call()));
    lag.disable();
    // The most calls sent within any 500 ms window (sliding, the strictest reading of the cap), less the gap
    // between taking a slot in Redis and the send: 20 ms, or the event loop's worst delay in this run when the
    // machine is loaded (a slot taken on time but sent late bunches with the next window's sends).
    const slack = Math.min(200, Math.max(20, Math.ceil(lag.max / 1e6)));
    const at = [...sent].sort((x, y) => x - y);
    const most = Math.max(...at.map((t, i) => at.slice(i).filter((u) => u < t + 500 - slack).length));
    console.log(`shared cap: 20 calls by 2 workers in ${Date.now() - started} ms; most sent in any ${500 - slack} ms: ${most} (cap 5 per 500 ms)`);
    expect(calls).toHaveLength(20);
    expect(most).toBeLessThanOrEqual(5);
  });
});
