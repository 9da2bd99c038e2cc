/**
 * A rate lane: every call to one remote API goes through one p-queue with a concurrency and an interval cap.
 * A 429 (or 503) pauses the whole lane until its Retry-After has passed (exponential backoff with jitter when
 * the remote gave none), then the call is retried. Calls time out. Only idempotent calls are retried after
 * failures where the remote may have acted (503, connection reset, timeout); a 429 is always safe to retry
 * because the remote refused the request before doing anything.
 */
import PQueue from 'p-queue';
import { CosellError, RateLimitedError, RemoteError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';

export interface LaneOptions {
  name: string;
  concurrency: number;
  intervalCap: number;
  intervalMs: number;
  timeoutMs: number;
  maxRetries: number;
  log?: Logger;
  /** Base of the exponential backoff when the remote gives no Retry-After. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
}

export interface CallOptions {
  /** Safe to send twice (GET, PATCH with If-Match, upsert). */
  idempotent: boolean;
  label?: string;
}

export interface LaneStats {
  calls: number;
  retries: number;
  throttled: number;
  failures: number;
  /** Epoch ms until which the lane is paused (0 when not paused). */
  pausedUntil: number;
}

/** Network-level failures: the request may or may not have reached the remote. */
export class TransportError extends CosellError {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'reset' | 'refused' | 'other',
  ) {
    super('transport', message);
  }
}

export interface Lane {
  readonly name: string;
  run<T>(call: (signal: AbortSignal) => Promise<T>, opts: CallOptions): Promise<T>;
  /** Stop starting calls for this long (e.g. a Salesforce budget nearly spent). */
  pauseFor(ms: number): void;
  stats(): LaneStats;
  onIdle(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Who is told about every call's outcome (the service's metrics); `api` is the lane's first word. */
export interface LaneObserver {
  call(api: string, status: string): void;
  retryAfter(api: string, seconds: number): void;
}
let observer: LaneObserver | null = null;
export function observeLanes(o: LaneObserver | null): void {
  observer = o;
}

/**
 * Lane pauses shared beyond this process (distributed mode: Redis). A Retry-After seen by one worker pauses the
 * lane of the same name — the same remote API host — in every worker until it ends.
 */
export interface SharedLanePauses {
  /** Epoch ms until which the lane is paused anywhere (0: not paused). */
  until(lane: string): Promise<number>;
  pause(lane: string, until: number): Promise<void>;
  /** Take one call of the lane's interval cap counted across every worker; resolves once the call may start. */
  slot(lane: string, cap: number, intervalMs: number): Promise<void>;
}
let shared: SharedLanePauses | null = null;
export function shareLanePauses(s: SharedLanePauses | null): void {
  shared = s;
}

/** A bounded status label: the HTTP status when the error carries one, else the error's kind. */
function statusLabel(err: unknown): string {
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return String(status);
  return err instanceof CosellError ? err.code : 'error';
}

function isRetryable(err: unknown, idempotent: boolean): 'throttle' | 'retry' | 'no' {
  if (err instanceof RateLimitedError) return err.status === 429 || idempotent ? 'throttle' : 'no';
  if (!idempotent) return 'no';
  if (err instanceof TransportError) return 'retry';
  if (err instanceof RemoteError && err.status !== undefined && [500, 502, 503, 504].includes(err.status)) return 'retry';
  return 'no';
}

export function createLane(opts: LaneOptions): Lane {
  const log = opts.log ?? silentLogger;
  const random = opts.random ?? Math.random;
  const base = opts.backoffBaseMs ?? 500;
  const max = opts.backoffMaxMs ?? 30_000;
  const queue = new PQueue({ concurrency: opts.concurrency, intervalCap: opts.intervalCap, interval: opts.intervalMs });
  const stats: LaneStats = { calls: 0, retries: 0, throttled: 0, failures: 0, pausedUntil: 0 };
  const api = opts.name.split(' ')[0]!;

  const pauseUntil = (until: number) => {
    if (until <= stats.pausedUntil) return;
    stats.pausedUntil = until;
  };

  /** Wait out any pause (here or, when shared, in another worker); re-check: another call may have extended it. */
  const waitForPause = async () => {
    if (shared) pauseUntil(await shared.until(opts.name));
    for (let now = Date.now(); stats.pausedUntil > now; now = Date.now()) {
      await sleep(stats.pausedUntil - now);
      if (shared) pauseUntil(await shared.until(opts.name));
    }
  };

  const backoff = (attempt: number) => {
    const ceiling = Math.min(max, base * 2 ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  const attemptOnce = async <T>(call: (signal: AbortSignal) => Promise<T>, label: string): Promise<T> => {
    await waitForPause();
    // The cap across every worker (the local queue keeps this worker's own share under it too).
    if (shared) await shared.slot(opts.name, opts.intervalCap, opts.intervalMs);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The timer both aborts the call (a call that honours its signal stops at once) and settles the race (one
    // that does not is given up on); no abort listener per call — EventTarget listeners cost more than the rest.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TransportError(`${opts.name}: ${label} timed out after ${opts.timeoutMs} ms`, 'timeout');
        reject(err); // first, so the race reports the timeout rather than how the call took its abort
        controller.abort(err);
      }, opts.timeoutMs);
    });
    stats.calls++;
    try {
      return await Promise.race([call(controller.signal), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name: opts.name,
    async run<T>(call: (signal: AbortSignal) => Promise<T>, callOpts: CallOptions): Promise<T> {
      const label = callOpts.label ?? 'call';
      for (let attempt = 0; ; attempt++) {
        try {
          const result = (await queue.add(() => attemptOnce(call, label), { throwOnTimeout: true } as never)) as T;
          observer?.call(api, 'ok');
          return result;
        } catch (err) {
          observer?.call(api, statusLabel(err));
          const verdict = isRetryable(err, callOpts.idempotent);
          if (verdict === 'no' || attempt >= opts.maxRetries) {
            stats.failures++;
            throw err;
          }
          stats.retries++;
          if (verdict === 'throttle') {
            stats.throttled++;
            const after = (err as RateLimitedError).retryAfterSeconds;
            const waitMs = after !== undefined ? after * 1000 : backoff(attempt);
            pauseUntil(Date.now() + waitMs);
            // Published before this worker retries, so no other worker's call slips in meanwhile.
            await shared?.pause(opts.name, stats.pausedUntil).catch((e: unknown) => log.warn('shared lane pause not published', { lane: opts.name, error: (e as Error).message }));
            if (after !== undefined) observer?.retryAfter(api, after);
            log.warn('lane throttled', { lane: opts.name, call: label, waitMs, until: new Date(stats.pausedUntil).toISOString(), status: (err as RateLimitedError).status });
          } else {
            const waitMs = backoff(attempt);
            log.debug('lane retry', { lane: opts.name, call: label, waitMs, error: (err as Error).message });
            await sleep(waitMs);
          }
        }
      }
    },
    pauseFor(ms: number) {
      pauseUntil(Date.now() + ms);
    },
    stats: () => ({ ...stats }),
    onIdle: () => queue.onIdle(),
  };
}
