/** One step of mulberry32, as a pure function: the state goes in and comes out, so a caller can keep it as data. */
export function mulberry32(state: number): { value: number; state: number } {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: next };
}

/** mulberry32: a tiny seeded generator — deterministic demo data and fault injection that a failing test can replay. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const r = mulberry32(state);
    state = r.state;
    return r.value;
  };
}
