/**
 * Admin API routes the console needs beyond the CLI's: the stage table of a connection (the live CRM's stages
 * against the mapping), with the targets a stage can be mapped to.
 */
import { z } from 'zod';
import { requireConnection } from '../admin/index.js';
import { stageTable } from '../mapping/index.js';
import type { SurfaceContext } from './context.js';
import { defineRoute, type RouteSpec } from './route.js';

/** What the drop-down offers: the co-sell stages (as Partner Center names them) and the roles. */
export const STAGE_TARGETS = ['Qualified', 'Developed', 'Proposed', 'Negotiated', 'Won', 'Lost', 'initial', 'on-hold', 'declined', 'ignore'] as const;

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

export function consoleRoutes(ctx: SurfaceContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET', url: '/connections/:name/mapping/stages', role: 'read', tag: 'mappings',
      summary: "The stage table: every stage the live CRM has (with its probability) against what the mapping makes of it",
      params: z.object({ name: z.string().min(1) }),
      response: z.object({ field: z.string(), targets: z.array(z.string()), stages: z.array(stageRow) }),
      handler: async ({ params }) => {
        const c = requireConnection(ctx.connections, params.name);
        const mapping = c.mapping();
        return { field: mapping.stages.field, targets: [...STAGE_TARGETS], stages: stageTable(mapping, await c.crm.describeStages()) };
      },
    }),
  ];
}
