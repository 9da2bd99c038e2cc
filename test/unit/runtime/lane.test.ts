/** The rate lane's own timeout: every call is given up after timeoutMs, whether or not it honours its signal. */
import { describe, expect, it } from 'vitest';
import { createLane, TransportError } from '../../../src/runtime/index.js';

const lane = (maxRetries = 0) => createLane({ name: 'test lane', concurrency: 2, intervalCap: 100, intervalMs: 1000, timeoutMs: 50, maxRetries, backoffBaseMs: 1 });

describe('lane timeout', () => {
  it('gives up a call that ignores its signal, with a timeout error, and aborts that signal with the same error', async () => {
    let seen: AbortSignal | undefined;
    const err = await lane()
      .run(
        (signal) => {
          seen = signal;
          return new Promise<never>(() => undefined);
        },
        { idempotent: false, label: 'hang' },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe('timeout');
    expect((err as Error).message).toBe('test lane: hang timed out after 50 ms');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(err);
  });

  it('a call that honours its signal stops at the timeout; an idempotent one is retried, a new signal each time', async () => {
    const signals: AbortSignal[] = [];
    const l = lane(2);
    const err = await l
      .run(
        (signal) =>
          new Promise<never>((_, reject) => {
            signals.push(signal);
            signal.addEventListener('abort', () => reject(new Error('aborted by signal')));
          }),
        { idempotent: true, label: 'read' },
      )
      .catch((e: unknown) => e);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    expect(err).toBeInstanceOf(TransportError);
    expect(l.stats()).toMatchObject({ calls: 3, retries: 2, failures: 1 });
  });

  it('a call that answers in time is not aborted later', async () => {
    let seen: AbortSignal | undefined;
    const value = await lane().run(
      async (signal) => {
        seen = signal;
        return 'ok';
      },
      { idempotent: false },
    );
    await new Promise((r) => setTimeout(r, 80));
    expect(value).toBe('ok');
    expect(seen?.aborted).toBe(false);
  });
});
