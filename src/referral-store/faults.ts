/**
 * Fault injection for the reliability tests: error rate (500), 429 with Retry-After, 503, added latency,
 * dropped connections and stalls. Off by default; set programmatically or with `COSELL_STORE_FAULTS` (JSON of
 * the same shape). A seeded PRNG makes a run repeatable: the same seed and request order give the same faults.
 */
import { z } from 'zod';
import { latencyDraw, parseJsonSetting, seededRandom } from '../runtime/index.js';

export const faultConfigSchema = z.strictObject({
  /** Share of requests answered 500 `internalError`. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Share answered 429 with `Retry-After: retryAfterSeconds`. */
  rate429: z.number().min(0).max(1).default(0),
  /** Share answered 503 with `Retry-After`. */
  rate503: z.number().min(0).max(1).default(0),
  retryAfterSeconds: z.number().int().min(0).default(1),
  /** Added to every API request, in milliseconds. */
  latencyMs: z.number().int().min(0).default(0),
  /** When above `latencyMs`: each request's latency is drawn uniformly in [latencyMs, latencyMaxMs]. */
  latencyMaxMs: z.number().int().min(0).optional(),
  /** Share of requests whose connection is destroyed without an answer. */
  dropRate: z.number().min(0).max(1).default(0),
  /** Share of requests held for `stallMs` and then dropped (a hung server). */
  stallRate: z.number().min(0).max(1).default(0),
  stallMs: z.number().int().min(0).default(30_000),
  seed: z.number().int().default(1),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultInput = z.input<typeof faultConfigSchema>;

export type FaultAction = { kind: 'none' } | { kind: 'error'; status: number; code: string; retryAfter?: number } | { kind: 'drop' } | { kind: 'stall'; ms: number };

export interface Faults {
  configure(input: FaultInput): FaultConfig;
  reset(): void;
  current(): FaultConfig;
  /** What to do with the next API request. */
  next(): { latencyMs: number; action: FaultAction };
}

const NONE = { latencyMs: 0, action: { kind: 'none' } } as const;
const active = (c: FaultConfig) => c.latencyMs > 0 || c.errorRate + c.rate429 + c.rate503 + c.dropRate + c.stallRate > 0;

export function createFaults(initial: FaultInput = {}): Faults {
  let config = faultConfigSchema.parse(initial);
  let random = seededRandom(config.seed);
  let latency = latencyDraw(config.latencyMs, config.latencyMaxMs, config.seed);
  const set = (c: FaultConfig) => {
    config = c;
    random = seededRandom(c.seed);
    latency = latencyDraw(c.latencyMs, c.latencyMaxMs, c.seed);
    return c;
  };
  return {
    configure: (input) => set(faultConfigSchema.parse(input)),
    reset() {
      set(faultConfigSchema.parse({}));
    },
    current: () => config,
    next() {
      const c = config;
      if (!active(c)) return NONE;
      const roll = random();
      let edge = 0;
      const hit = (rate: number) => rate > 0 && roll < (edge += rate);
      let action: FaultAction = { kind: 'none' };
      if (hit(c.dropRate)) action = { kind: 'drop' };
      else if (hit(c.stallRate)) action = { kind: 'stall', ms: c.stallMs };
      else if (hit(c.rate429)) action = { kind: 'error', status: 429, code: 'tooManyRequests', retryAfter: c.retryAfterSeconds };
      else if (hit(c.rate503)) action = { kind: 'error', status: 503, code: 'serviceUnavailable', retryAfter: c.retryAfterSeconds };
      else if (hit(c.errorRate)) action = { kind: 'error', status: 500, code: 'internalError' };
      return { latencyMs: latency(), action };
    },
  };
}

export function faultsFromEnv(value: string | undefined): FaultInput {
  return parseJsonSetting('COSELL_STORE_FAULTS', value, faultConfigSchema, '{"rate429":0.1,"seed":7}') ?? {};
}
