import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/sync/read-ahead.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('readAhead', () => {
  it('delivers every page in order and reads the next page while the current one is processed', async () => {
    const log: string[] = [];
    async function* pages() {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        await tick();
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const p of readAhead(pages())) {
      await tick();
      await tick();
      log.push(`done ${p}`);
      seen.push(p);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(log.indexOf('read 2')).toBeLessThan(log.indexOf('done 1'));
    expect(log.indexOf('read 3')).toBeLessThan(log.indexOf('done 2'));
  });

  it('stopping early lets the source clean up, and reads at most one page ahead', async () => {
    let reads = 0;
    let cleaned = false;
    async function* pages() {
      try {
        for (let i = 1; i <= 100; i++) {
          reads++;
          yield i;
        }
      } finally {
        cleaned = true;
      }
    }
    for await (const p of readAhead(pages())) if (p === 2) break;
    expect(cleaned).toBe(true);
    expect(reads).toBeLessThanOrEqual(3);
  });

  it('a failing page surfaces after the pages before it were delivered', async () => {
    async function* pages() {
      yield 1;
      await tick();
      throw new Error('page 2 failed');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const p of readAhead(pages())) seen.push(p);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([1]);
  });
});
