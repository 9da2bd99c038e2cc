/**
 * Lane pauses in Redis: one key per lane holding the epoch ms the pause ends, expiring then. A pause only ever
 * extends (a shorter Retry-After seen later never shortens a longer one). Workers' clocks are assumed in step
 * (NTP); a skew of s ms shifts the shared window by s.
 */
import type { Redis } from 'ioredis';
import type { SharedLanePauses } from '../runtime/index.js';

const EXTEND = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1]) end
return 1`;

export function redisLanePauses(redis: Redis, prefix: string): SharedLanePauses {
  const key = (lane: string) => `${prefix}:lane-pause:${lane}`;
  return {
    async until(lane) {
      return Number((await redis.get(key(lane))) ?? 0);
    },
    async pause(lane, until) {
      await redis.eval(EXTEND, 1, key(lane), String(Math.ceil(until)));
    },
  };
}
