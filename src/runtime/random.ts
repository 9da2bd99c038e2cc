/** mulberry32: a tiny seeded generator — deterministic demo data and fault injection that a failing test can replay. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An added latency for the fault injectors: `min` ms, or when `max` is above it a draw uniform in [min, max] (a
 * remote API's answers vary; the bench's realistic profile). Its own seeded stream, so a range does not shift
 * which requests the fault rolls hit.
 */
export function latencyDraw(min: number, max: number | undefined, seed: number): () => number {
  if (max === undefined || max <= min) return () => min;
  const random = seededRandom(seed ^ 0x5bd1e995);
  return () => min + Math.round(random() * (max - min));
}
