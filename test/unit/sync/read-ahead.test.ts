import { describe, expect, it } from 'vitest';
import { prefetchFirst, readAhead } from '../../../src/sync/read-ahead.js';

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

describe('prefetchFirst', () => {
  it('asks for the first page at once; iterated later, it yields that page and then the rest, in order', async () => {
    const log: string[] = [];
    async function* pages() {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        yield i;
      }
    }
    const early = prefetchFirst(pages());
    await tick();
    expect(log).toEqual(['read 1']);
    const seen: number[] = [];
    for await (const p of readAhead(early)) seen.push(p);
    expect(seen).toEqual([1, 2, 3]);
    expect(log).toEqual(['read 1', 'read 2', 'read 3']);
  });

  it('discarded, the source cleans up once its read settles, and a failed read is no unhandled rejection', async () => {
    let cleaned = false;
    let release: () => void = () => undefined;
    async function* slow() {
      try {
        await new Promise<void>((r) => {
          release = r;
        });
        yield 1;
        yield 2;
      } finally {
        cleaned = true;
      }
    }
    const early = prefetchFirst(slow());
    early.discard();
    await tick();
    expect(cleaned).toBe(false);
    release();
    await tick();
    expect(cleaned).toBe(true);

    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* failing(): AsyncGenerator<number> {
        await tick();
        if (Date.now() > 0) throw new Error('CRM down');
        yield 1;
      }
      prefetchFirst(failing()).discard();
      await tick();
      await tick();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
