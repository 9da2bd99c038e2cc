/**
 * Lanes shared across workers in Redis. Pauses: one key per lane holding the epoch ms the pause ends, expiring
 * then, only ever extended (a shorter Retry-After seen later never shortens a longer one). The interval cap: a
 * sliding window per lane (a sorted set of call times, by Redis's own clock so workers' clocks don't matter),
 * which holds the cap exactly over any window, where a fixed window (rate-limiter-flexible's Redis limiter) lets
 * up to twice the cap through across a window boundary, and BullMQ's limiter counts jobs, not the calls inside.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SharedLanePauses } from '../runtime/index.js';

const EXTEND = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1]) end
return 1`;

/** Returns 0 when a call was taken, else the ms until the oldest call in the window leaves it. */
const SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], interval)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + interval - now + 1)`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function redisLanePauses(redis: Redis, prefix: string): SharedLanePauses {
  const key = (lane: string) => `${prefix}:lane-pause:${lane}`;
  return {
    async until(lane) {
      return Number((await redis.get(key(lane))) ?? 0);
    },
    async pause(lane, until) {
      await redis.eval(EXTEND, 1, key(lane), String(Math.ceil(until)));
    },
    async slot(lane, cap, intervalMs) {
      const id = randomBytes(8).toString('hex');
      for (;;) {
        const wait = Number(await redis.eval(SLOT, 1, `${prefix}:lane-calls:${lane}`, String(cap), String(intervalMs), id));
        if (wait === 0) return;
        await sleep(wait);
      }
    },
  };
}
