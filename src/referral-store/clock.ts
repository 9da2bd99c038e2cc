/**
 * The store clock: starts at a given instant (COSELL_NOW) or real time, runs at real speed, and can be moved
 * forward by whole days for tests and demos. `stamp()` gives write timestamps that are strictly increasing
 * per store at millisecond precision, which incremental pulls (`updatedDateTime ge …`) rely on.
 */
const DAY_MS = 86_400_000;

export interface StoreClock {
  now(): Date;
  advance(ms: number): void;
  /** A write timestamp: the clock's now, bumped past the previous stamp if needed. */
  stamp(): string;
  /** Never hand out a stamp at or before `iso` (the newest one already in the database). */
  observe(iso: string | null | undefined): void;
  /**
   * The instant due-checks (expiry, Microsoft's decisions) use: the clock, or the newest stamp when bursts of
   * writes pushed stamps a few milliseconds ahead of it — so a write is never "in the future" for them.
   */
  latest(): Date;
}

export function createClock(start: Date | null = null): StoreClock {
  const realStart = Date.now();
  const base = start ? start.getTime() : realStart;
  let offset = 0;
  let last = 0;
  const nowMs = () => base + (Date.now() - realStart) + offset;
  return {
    now: () => new Date(nowMs()),
    advance: (ms) => {
      // The whole timeline moves, including the floor of stamps that bursts pushed ahead of the clock.
      offset += ms;
      if (last > 0) last += ms;
    },
    stamp: () => {
      last = Math.max(nowMs(), last + 1);
      return new Date(last).toISOString();
    },
    latest: () => new Date(Math.max(nowMs(), last)),
    observe: (iso) => {
      if (iso) last = Math.max(last, new Date(iso).getTime());
    },
  };
}

export const days = (n: number) => n * DAY_MS;
