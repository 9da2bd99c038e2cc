/**
 * Fault injection, the decision: for each request a server receives, pass it, answer an error status, reset the
 * connection, or stall it. A pure function of the settings, the generator's state and the request, so a run
 * with the same seed and the same request order gets the same faults (a failing reliability test replays).
 * Used by the referral store and both CRM sandboxes through one fastify adapter (fault-hook.ts).
 */
import { z } from 'zod';
import { mulberry32 } from './random.js';

const rate = z.number().min(0).max(1).default(0);

export const faultSettingsSchema = z
  .strictObject({
    /** Share of requests answered 429 with `Retry-After`. */
    rate429: rate,
    /** Share answered 503 with `Retry-After`. */
    rate503: rate,
    /** Share answered 500. */
    errorRate: rate,
    retryAfterSeconds: z.number().int().min(0).default(1),
    /** Share of requests whose connection is reset without an answer. */
    dropRate: rate,
    /** Share held for `stallMs` and then reset, never answered (a hung server: the client's timeout must fire). */
    stallRate: rate,
    stallMs: z.number().int().min(0).default(30_000),
    /** Added before every faultable request, answered or not (a slow server that does answer: latency, not a stall). */
    latencyMs: z.number().int().min(0).default(0),
    /** When above `latencyMs`: each request's latency is drawn uniformly in [latencyMs, latencyMaxMs] (answers vary). */
    latencyMaxMs: z.number().int().min(0).optional(),
    seed: z.number().int().default(1),
    /** Path prefixes never faulted nor delayed (e.g. a token endpoint, so a test can still sign in). */
    exempt: z.array(z.string().min(1)).default([]),
  })
  // The epsilon lets shares that add up to 1 in decimal (0.1 + 0.2 + 0.7) pass despite binary rounding.
  .refine((s) => s.rate429 + s.rate503 + s.errorRate + s.dropRate + s.stallRate <= 1 + 1e-9, {
    message: 'rate429 + rate503 + errorRate + dropRate + stallRate must not exceed 1',
  });
export type FaultSettings = z.infer<typeof faultSettingsSchema>;
export type FaultInput = z.input<typeof faultSettingsSchema>;

export type FaultStatus = 429 | 503 | 500;

export type FaultDecision =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'status'; latencyMs: number; status: FaultStatus; retryAfterSeconds?: number }
  | { kind: 'reset'; latencyMs: number }
  | { kind: 'stall'; latencyMs: number; stallMs: number };

/** What a request is, as far as faults care: `path` (no query) is matched against `exempt`. */
export interface FaultRequest {
  method: string;
  path: string;
}

/**
 * The generators' state: one stream for the fault rolls, one for latencies, so setting a latency range does not
 * shift which requests the faults hit.
 */
export interface FaultState {
  roll: number;
  latency: number;
}

export const faultState = (seed: number): FaultState => ({ roll: seed >>> 0, latency: (seed ^ 0x5bd1e995) >>> 0 });

const PASS: FaultDecision = { kind: 'pass', latencyMs: 0 };
const active = (s: FaultSettings) => s.latencyMs > 0 || (s.latencyMaxMs ?? 0) > 0 || s.rate429 + s.rate503 + s.errorRate + s.dropRate + s.stallRate > 0;

function drawLatency(s: FaultSettings, state: number): { latencyMs: number; state: number } {
  if (s.latencyMaxMs === undefined || s.latencyMaxMs <= s.latencyMs) return { latencyMs: s.latencyMs, state };
  const r = mulberry32(state);
  return { latencyMs: s.latencyMs + Math.round(r.value * (s.latencyMaxMs - s.latencyMs)), state: r.state };
}

/**
 * The next request's fate and the generators' next state. One roll per faultable request (none when faults are
 * off or the path is exempt), laid out on bands in a fixed order: reset, stall, 429, 503, 500, pass.
 */
export function nextFault(settings: FaultSettings, state: FaultState, request: FaultRequest): { decision: FaultDecision; state: FaultState } {
  if (!active(settings) || settings.exempt.some((p) => request.path.startsWith(p))) return { decision: PASS, state };
  const roll = mulberry32(state.roll);
  const { latencyMs, state: latency } = drawLatency(settings, state.latency);
  const after = { roll: roll.state, latency };
  const { retryAfterSeconds } = settings;
  const bands: [number, FaultDecision][] = [
    [settings.dropRate, { kind: 'reset', latencyMs }],
    [settings.stallRate, { kind: 'stall', latencyMs, stallMs: settings.stallMs }],
    [settings.rate429, { kind: 'status', latencyMs, status: 429, retryAfterSeconds }],
    [settings.rate503, { kind: 'status', latencyMs, status: 503, retryAfterSeconds }],
    [settings.errorRate, { kind: 'status', latencyMs, status: 500 }],
  ];
  let edge = 0;
  for (const [share, decision] of bands) {
    edge += share;
    if (roll.value < edge) return { decision, state: after };
  }
  return { decision: { kind: 'pass', latencyMs }, state: after };
}

/** A decision as one word, for tallies and the arrival log: `pass`, `429`, `503`, `500`, `reset` or `stall`. */
export type FaultOutcome = 'pass' | `${FaultStatus}` | 'reset' | 'stall';
export const faultOutcome = (d: FaultDecision): FaultOutcome => (d.kind === 'status' ? `${d.status}` : d.kind);
