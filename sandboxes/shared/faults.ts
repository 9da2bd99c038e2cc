/**
 * Fault injection for the sandboxes (off by default): a share of requests answered 429/503/500 with
 * Retry-After, dropped connections, stalls past a client's timeout, added latency. Deterministic with a seed,
 * so a reliability test that fails can be replayed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { latencyDraw, parseJsonSetting, seededRandom } from '../../src/runtime/index.js';

export const faultConfigSchema = z.strictObject({
  /** Share of requests that get an error status. */
  errorRate: z.number().min(0).max(1).default(0),
  /** The error statuses to pick from. */
  statuses: z.array(z.union([z.literal(429), z.literal(503), z.literal(500)])).default([429, 503]),
  retryAfterSeconds: z.number().min(0).default(1),
  /** Share of requests whose connection is dropped without an answer. */
  dropRate: z.number().min(0).max(1).default(0),
  /** Share of requests that stall for `stallMs` before being answered. */
  stallRate: z.number().min(0).max(1).default(0),
  stallMs: z.number().int().min(0).default(0),
  latencyMs: z.number().int().min(0).default(0),
  /** When above `latencyMs`: each request's latency is drawn uniformly in [latencyMs, latencyMaxMs]. */
  latencyMaxMs: z.number().int().min(0).optional(),
  seed: z.number().int().default(1),
  /** Paths never faulted (e.g. the token endpoint, so a test can still log in). */
  exempt: z.array(z.string()).default([]),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultInput = z.input<typeof faultConfigSchema>;

export interface Faults {
  configure(input: FaultInput): FaultConfig;
  reset(): void;
  current(): FaultConfig;
  /** Count of injected faults by kind. */
  injected(): Record<string, number>;
  apply(req: FastifyRequest, reply: FastifyReply): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fault settings from an environment variable (JSON), checked against the schema: an error names the variable. */
export function faultsFromEnv(variable: string, value: string | undefined): FaultInput {
  return parseJsonSetting(variable, value, faultConfigSchema, '{"errorRate":0.1,"seed":7}') ?? {};
}

export function createFaults(initial: FaultInput = {}, errorBody: (status: number) => unknown = (s) => ({ error: { code: String(s), message: 'injected fault' } })): Faults {
  let config = faultConfigSchema.parse(initial);
  let random = seededRandom(config.seed);
  let latency = latencyDraw(config.latencyMs, config.latencyMaxMs, config.seed);
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const active = () => config.errorRate + config.dropRate + config.stallRate > 0 || config.latencyMs > 0;
  return {
    configure(input) {
      config = faultConfigSchema.parse(input);
      random = seededRandom(config.seed);
      latency = latencyDraw(config.latencyMs, config.latencyMaxMs, config.seed);
      return config;
    },
    reset() {
      config = faultConfigSchema.parse({});
      latency = latencyDraw(config.latencyMs, config.latencyMaxMs, config.seed);
    },
    current: () => config,
    injected: () => ({ ...counts }),
    async apply(req, reply) {
      if (!active() || config.exempt.some((p) => req.url.startsWith(p))) return;
      if (config.latencyMs) await sleep(latency());
      const roll = random();
      if (roll < config.dropRate) {
        bump('drop');
        req.raw.socket.destroy();
        return reply.hijack();
      }
      if (roll < config.dropRate + config.stallRate) {
        bump('stall');
        await sleep(config.stallMs);
        return;
      }
      if (roll < config.dropRate + config.stallRate + config.errorRate) {
        const status = config.statuses[Math.floor(random() * config.statuses.length)] ?? 503;
        bump(String(status));
        reply.header('Retry-After', String(config.retryAfterSeconds));
        return reply.code(status).send(errorBody(status));
      }
    },
  };
}
