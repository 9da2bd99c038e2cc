/**
 * Admin API routes the console needs beyond the CLI's: the stage table of a connection (the live CRM's stages
 * against the mapping), with the targets a stage can be mapped to.
 */
import { z } from 'zod';
import { compareSides, readRecord } from '../admin/index.js';
import { requireConnection } from '../admin/index.js';
import { stageTable } from '../mapping/index.js';
import type { SurfaceContext } from './context.js';
import type { Metrics } from './metrics.js';
import { defineRoute, type RouteSpec } from './route.js';

/** What the drop-down offers: the co-sell stages (as Partner Center names them) and the roles. */
export const STAGE_TARGETS = ['Qualified', 'Developed', 'Proposed', 'Negotiated', 'Won', 'Lost', 'initial', 'on-hold', 'declined', 'ignore'] as const;

/** The API's stage words and the seed's aliases, as the drop-down names them. */
const AS_TARGET: Record<string, (typeof STAGE_TARGETS)[number]> = {
  Qualify: 'Qualified',
  Develop: 'Developed',
  Propose: 'Proposed',
  Close: 'Negotiated',
  Created: 'initial',
  Accepted: 'initial',
};
const asTarget = (stage: string) => AS_TARGET[stage] ?? stage;

const stageRow = z.object({
  value: z.string(),
  label: z.string(),
  probability: z.number().nullable(),
  closed: z.boolean(),
  won: z.boolean(),
  mapped: z.string().nullable(),
  by: z.enum(['rule', 'map', 'probability']).nullable(),
  suggested: z.string(),
});

const field = z.object({ key: z.string(), crm: z.unknown(), referral: z.unknown(), agreed: z.unknown(), differs: z.boolean() });

/** Per remote API since the service started, from the Prometheus counters: calls, 429 answers, Retry-After seconds. */
async function apiPressure(metrics: Metrics) {
  const values = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const by = new Map<string, { api: string; calls: number; throttled: number; retryAfterSeconds: number }>();
  const of = (api: string) => by.get(api) ?? by.set(api, { api, calls: 0, throttled: 0, retryAfterSeconds: 0 }).get(api)!;
  for (const v of await values('cosell_sync_api_calls_total')) {
    const row = of(String(v.labels.api));
    row.calls += v.value;
    if (v.labels.status === '429') row.throttled += v.value;
  }
  for (const v of await values('cosell_sync_api_retry_after_seconds_total')) of(String(v.labels.api)).retryAfterSeconds += v.value;
  return { items: [...by.values()] };
}

export function consoleRoutes(ctx: SurfaceContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api-pressure',
      role: 'read',
      tag: 'connections',
      summary: 'Per remote API since the service started: calls, 429 answers and the seconds Retry-After asked to wait',
      response: z.object({ items: z.array(z.object({ api: z.string(), calls: z.number(), throttled: z.number(), retryAfterSeconds: z.number() })) }),
      handler: () => apiPressure(ctx.metrics),
    }),
    defineRoute({
      method: 'GET',
      url: '/schedule',
      role: 'read',
      tag: 'connections',
      summary: "When each connection's schedule runs it next",
      response: z.object({ items: z.array(z.object({ connection: z.string(), nextRun: z.string().nullable() })) }),
      handler: async () => ({ items: ctx.connections.map((c) => ({ connection: c.name, nextRun: ctx.nextRun?.(c.name)?.toISOString() ?? null })) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/links',
      role: 'read',
      tag: 'records',
      summary: 'The CRM record linked to each of these referrals (comma-separated ids, at most 100)',
      params: z.object({ name: z.string().min(1) }),
      query: z.object({
        referrals: z
          .string()
          .min(1)
          .transform((v) => v.split(','))
          .pipe(z.array(z.string().min(1)).max(100)),
      }),
      response: z.object({ items: z.array(z.object({ referralId: z.string(), crmId: z.string() })) }),
      handler: async ({ params, query }) => {
        const c = requireConnection(ctx.connections, params.name);
        const links = await ctx.state.getLinksByReferral(c.name, query.referrals);
        return { items: [...links.values()].map((l) => ({ referralId: l.referralId, crmId: l.crmId })) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/records/:crmId/compare',
      role: 'read',
      tag: 'records',
      summary: 'One deal side by side: every deal field on the CRM (through the mapping), on the referral and as last agreed; the status line',
      params: z.object({ name: z.string().min(1), crmId: z.string().min(1) }),
      response: z.object({
        crmId: z.string(),
        referralId: z.string().nullable(),
        name: z.string().nullable(),
        state: z.string().nullable(),
        statusLine: z.string().nullable(),
        referralLink: z.string().nullable(),
        fields: z.array(field),
        problems: z.array(z.string()),
      }),
      handler: async ({ params }) => {
        const c = requireConnection(ctx.connections, params.name);
        const sides = await readRecord(ctx.state, c, params.crmId);
        const { fields, problems } = compareSides(c.mapping(), sides);
        const link = typeof sides.link?.written.link === 'string' ? sides.link.written.link : null;
        return {
          crmId: params.crmId,
          referralId: sides.link?.referralId ?? null,
          name: sides.referral?.name ?? (fields.find((f) => f.key === 'name')?.crm as string | null) ?? null,
          state: sides.link?.state ?? null,
          statusLine: sides.link?.message ?? null,
          referralLink: link,
          fields,
          problems,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/mapping/stages',
      role: 'read',
      tag: 'mappings',
      summary: 'The stage table: every stage the live CRM has (with its probability) against what the mapping makes of it',
      params: z.object({ name: z.string().min(1) }),
      response: z.object({ field: z.string(), targets: z.array(z.string()), stages: z.array(stageRow) }),
      handler: async ({ params }) => {
        const c = requireConnection(ctx.connections, params.name);
        const mapping = c.mapping();
        const stages = stageTable(mapping, await c.crm.describeStages()).map((r) => ({ ...r, mapped: r.mapped && asTarget(r.mapped), suggested: asTarget(r.suggested) }));
        return { field: mapping.stages.field, targets: [...STAGE_TARGETS], stages };
      },
    }),
  ];
}
