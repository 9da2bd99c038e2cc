/**
 * Fairness: one partner's backlog must not starve the others. One worker slot, one connection with a big initial
 * sync queued first, five small ones queued just after it: with slices the small ones are done long before the
 * big one (each waits at most one slice); without them (one long slice) they would wait for the whole backlog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistStack, type DistStack } from '../helpers/distributed-stack.js';
import { servicesUp } from '../helpers/services.js';

const up = await servicesUp({ postgres: true, redis: true });
const BIG = 2500;
const SMALL = 100;

describe.skipIf(!up)('fair scheduling across connections', () => {
  let stack: DistStack;
  beforeAll(async () => {
    stack = await startDistStack({ connections: 6, records: (i) => (i === 0 ? BIG : SMALL) });
  }, 120_000);
  afterAll(async () => stack?.close(), 60_000);

  it('small connections queued behind a big backlog finish first, each within about one slice of waiting', async () => {
    const w = await stack.startWorker({ DW_CONCURRENCY: '1', DW_SLICE_SECONDS: '1', DW_PAGE_SIZE: '50' });
    const started = Date.now();
    await stack.queue.syncNow('conn0');
    await w.nextPage('conn0');
    for (const c of stack.connections.slice(1)) await stack.queue.syncNow(c.name);
    const done = new Map<string, number>();
    for (const end = Date.now() + 240_000; done.size < stack.connections.length; ) {
      if (Date.now() > end) throw new Error(`not all synced: ${[...done.keys()].join(', ')}`);
      for (const c of stack.connections) {
        if (!done.has(c.name) && (await stack.state.linkCounts(c.name)).ok === c.records) done.set(c.name, Date.now() - started);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const small = stack.connections.slice(1).map((c) => done.get(c.name)!);
    const big = done.get('conn0')!;
    console.log(`fairness: small connections synced after ${small.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; the big one after ${(big / 1000).toFixed(1)} s`);
    expect(Math.max(...small)).toBeLessThan(big);
    // Five small cycles and at most a slice of the big one between each: far from the big backlog's length.
    expect(Math.max(...small)).toBeLessThan(big / 2);
  }, 300_000);
});
