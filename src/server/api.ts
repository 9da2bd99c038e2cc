/**
 * The admin API under /api/v1. Every route calls the same service functions as the CLI (src/admin/); reads
 * need the read-only token, changes the admin token. Lists are paged in SQL.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  checkAgainstCrm,
  connectionStatus,
  fullResync,
  inspectRecord,
  parseMapping,
  plannedChanges,
  previewCrmRecord,
  REFERRAL_VIEWS,
  referralView,
  setFavorite,
  type ReferralView,
  requireConnection,
  resolveConflict,
  retryIssues,
  saveMapping,
  setPaused,
  suggestFromCrm,
  validateMapping,
} from '../admin/index.js';
import { referralSchema } from '../domain/index.js';
import { compileMapping } from '../mapping/index.js';
import { CosellError } from '../runtime/index.js';
import type { SurfaceContext } from './context.js';
import { defineRoute, type RouteSpec } from './route.js';

const name = z.object({ name: z.string().min(1) });
/** A Salesforce id, a Dataverse GUID or a referral id: checked here so a stray character never reaches a remote query. */
const recordId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: 'expected a record id (letters, digits and dashes)' });
const limit = z.coerce.number().int().min(1).max(500).default(50);
const offset = z.coerce.number().int().min(0).default(0);
const before = z.coerce.number().int().positive().optional();

const statusSchema = z.object({
  connection: z.string(),
  crm: z.string(),
  paused: z.boolean(),
  lastRun: z.object({ id: z.number(), status: z.string(), startedAt: z.string(), endedAt: z.string().nullable() }).nullable(),
  lagSeconds: z.number().nullable(),
  counts: z.object({ created: z.number(), updated: z.number(), writtenBack: z.number(), createdInCrm: z.number() }),
  linked: z.number(),
  blocked: z.number(),
  conflicts: z.number(),
  issues: z.number(),
  apiCalls: z.object({ crm: z.number(), referrals: z.number() }).nullable(),
  crmBudget: z.string().nullable(),
});
const runSchema = z.object({
  id: z.number(),
  connection: z.string(),
  correlationId: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  status: z.enum(['running', 'ok', 'failed', 'interrupted']),
  counts: z
    .object({
      pulledCrm: z.number(),
      pulledReferrals: z.number(),
      created: z.number(),
      updated: z.number(),
      writtenBack: z.number(),
      createdInCrm: z.number(),
      blocked: z.number(),
      conflicts: z.number(),
      issues: z.number(),
      unchanged: z.number(),
      crmCalls: z.number(),
      referralCalls: z.number(),
      crmBudget: z.string().nullable(),
    })
    .partial(),
  error: z.string().nullable(),
});
const OUTCOMES = ['created', 'updated', 'written back', 'created in CRM', 'blocked', 'conflict', 'issue'] as const;
const outcome = z.enum(OUTCOMES).optional();
const logEntrySchema = z.object({
  id: z.number(),
  runId: z.number(),
  connection: z.string(),
  at: z.string(),
  crmId: z.string().nullable(),
  referralId: z.string().nullable(),
  name: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  reason: z.string().nullable(),
});
const issueSchema = z.object({
  connection: z.string(),
  recordKey: z.string(),
  kind: z.string(),
  message: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  attempts: z.number(),
  retry: z.boolean(),
});
const conflictSchema = z.object({
  id: z.number(),
  connection: z.string(),
  crmId: z.string(),
  referralId: z.string(),
  field: z.string(),
  baseValue: z.unknown(),
  crmValue: z.unknown(),
  referralValue: z.unknown(),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolution: z.enum(['crm', 'referral']).nullable(),
});
const problemSchema = z.object({ file: z.string(), line: z.number(), column: z.number(), path: z.string(), message: z.string(), hint: z.string().optional() });
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.number().nullable() });
const counted = <T extends z.ZodType>(item: T) => page(item).extend({ total: z.number() });
const accepted = z.object({ connection: z.string(), message: z.string() });
const mappingText = z.object({ text: z.string().min(1).max(1_000_000) });

export function apiRoutes(ctx: SurfaceContext): RouteSpec[] {
  const conn = (n: string) => requireConnection(ctx.connections, n);
  /** Trigger a cycle without waiting for it; its outcome is in /runs. */
  const kick = (n: string) => void ctx.runNow(n).catch((err: unknown) => ctx.log.error('triggered cycle failed', { connection: n, error: (err as Error).message }));
  const notPaused = async (n: string) => {
    if ((await ctx.state.pausedConnections()).includes(n)) throw new CosellError('paused', `connection ${n} is paused; resume it first`);
  };

  const pauseRoute = (paused: boolean) =>
    defineRoute({
      method: 'POST',
      url: `/connections/:name/${paused ? 'pause' : 'resume'}`,
      role: 'admin',
      tag: 'connections',
      summary: paused ? 'Pause scheduled, triggered and webhook syncs of a connection' : 'Resume a paused connection',
      params: name,
      response: statusSchema,
      handler: async ({ params }) => {
        const c = conn(params.name);
        await setPaused(ctx.state, c.name, paused);
        return connectionStatus(ctx.state, c);
      },
    });

  return [
    defineRoute({
      method: 'GET',
      url: '/connections',
      role: 'read',
      tag: 'connections',
      summary: 'Every connection: status, lag, counts, budget',
      response: z.object({ items: z.array(statusSchema) }),
      handler: async () => ({ items: await Promise.all(ctx.connections.map((c) => connectionStatus(ctx.state, c))) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name',
      role: 'read',
      tag: 'connections',
      summary: 'One connection: status, lag, counts, budget',
      params: name,
      response: statusSchema,
      handler: async ({ params }) => connectionStatus(ctx.state, conn(params.name)),
    }),
    pauseRoute(true),
    pauseRoute(false),
    defineRoute({
      method: 'POST',
      url: '/connections/:name/sync',
      role: 'admin',
      tag: 'connections',
      summary: 'Run a cycle now (or right after the running one)',
      params: name,
      response: accepted,
      status: 202,
      handler: async ({ params }) => {
        const c = conn(params.name);
        await notPaused(c.name);
        kick(c.name);
        return { connection: c.name, message: 'a cycle was started; its outcome will be in /runs' };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/connections/:name/resync',
      role: 'admin',
      tag: 'connections',
      summary: 'Forget the cursors and run a full, reconciled resync (no duplicates)',
      params: name,
      response: accepted,
      status: 202,
      handler: async ({ params }) => {
        const c = conn(params.name);
        await notPaused(c.name);
        await fullResync(ctx.state, c.name);
        kick(c.name);
        return { connection: c.name, message: 'cursors cleared; a full resync was started' };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/plan',
      role: 'read',
      tag: 'connections',
      summary: 'Dry run: what a cycle would do now (reads both sides, writes nothing)',
      params: name,
      query: z.object({ full: z.enum(['true', 'false']).default('false') }),
      response: z.object({
        items: z.array(
          z.object({
            crmId: z.string().nullable(),
            referralId: z.string().nullable(),
            actions: z.array(z.string()),
            blocked: z.array(z.string()),
            conflicts: z.array(z.string()),
            problems: z.array(z.string()),
          }),
        ),
      }),
      handler: async ({ params, query }) => ({ items: plannedChanges(await conn(params.name).dryRun({ full: query.full === 'true' })) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/runs',
      role: 'read',
      tag: 'runs',
      summary: 'Runs, newest first (page with `before`)',
      query: z.object({ connection: z.string().optional(), before, limit }),
      response: page(runSchema),
      handler: async ({ query }) => ctx.state.runsPage(query),
    }),
    defineRoute({
      method: 'GET',
      url: '/runs/:id/log',
      role: 'read',
      tag: 'runs',
      summary: "A run's sync log: what it did to each record, and why",
      params: z.object({ id: z.coerce.number().int().positive() }),
      query: z.object({ search: z.string().min(1).optional(), outcome, before, limit }),
      response: page(logEntrySchema),
      handler: async ({ params, query }) => ctx.state.syncLog({ runId: params.id, ...query }),
    }),
    defineRoute({
      method: 'GET',
      url: '/sync-log',
      role: 'read',
      tag: 'runs',
      summary: 'The sync log across runs, searchable by CRM id, referral id or name',
      query: z.object({ connection: z.string().optional(), search: z.string().min(1).optional(), outcome, before, limit }),
      response: page(logEntrySchema),
      handler: async ({ query }) => ctx.state.syncLog(query),
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/records/:crmId',
      role: 'read',
      tag: 'records',
      summary: 'One record: the CRM side, the referral side, the agreed base, the plan the next sync would make (dry run) and its history',
      params: z.object({ name: z.string().min(1), crmId: recordId }),
      response: z.object({
        crm: z.unknown(),
        referral: z.unknown(),
        link: z.unknown(),
        nextPlan: z.object({
          actions: z.array(z.string()),
          blocked: z.array(z.object({ reason: z.string(), fields: z.array(z.string()) })),
          conflicts: z.array(z.object({ field: z.string(), crm: z.unknown(), referral: z.unknown() })),
          problems: z.array(z.object({ path: z.string(), message: z.string() })),
        }),
        history: z.array(logEntrySchema),
      }),
      handler: async ({ params }) => {
        const c = conn(params.name);
        return inspectRecord({ state: ctx.state, connection: c.name, crm: c.crm, referrals: c.referrals, mapping: compileMapping(c.mapping()) }, params.crmId);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/issues',
      role: 'read',
      tag: 'issues',
      summary: 'Records that did not sync, and why',
      query: z.object({ connection: z.string().optional(), offset, limit }),
      response: counted(issueSchema),
      handler: async ({ query }) => ctx.state.issuesPage(query),
    }),
    defineRoute({
      method: 'POST',
      url: '/issues/retry',
      role: 'admin',
      tag: 'issues',
      summary: 'Queue records (default: every one with an issue) for the next cycle',
      body: z.object({ connection: z.string().min(1), records: z.array(z.string().min(1)).optional() }),
      response: z.object({ connection: z.string(), queued: z.number() }),
      handler: async ({ body }) => ({ connection: body.connection, queued: await retryIssues(ctx.state, conn(body.connection).name, body.records) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/conflicts',
      role: 'read',
      tag: 'conflicts',
      summary: 'Fields changed on both sides under a manual policy',
      query: z.object({ connection: z.string().optional(), all: z.enum(['true', 'false']).default('false'), offset, limit }),
      response: counted(conflictSchema),
      handler: async ({ query }) => ctx.state.conflictsPage({ ...query, includeResolved: query.all === 'true' }),
    }),
    defineRoute({
      method: 'POST',
      url: '/conflicts/:id/resolve',
      role: 'admin',
      tag: 'conflicts',
      summary: "Settle one field's conflict: take the CRM's or the referral's value",
      params: z.object({ id: z.coerce.number().int().positive() }),
      body: z.object({ take: z.enum(['crm', 'referral']) }),
      response: conflictSchema,
      handler: async ({ params, body }) => resolveConflict(ctx.state, params.id, body.take),
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/referrals',
      role: 'read',
      tag: 'referrals',
      summary: 'A view of the referrals (inbound, outbound, favorites, closed), newest first, paged',
      params: name,
      query: z.object({
        view: z.enum(Object.keys(REFERRAL_VIEWS) as [ReferralView, ...ReferralView[]]),
        top: z.coerce.number().int().min(1).max(100).default(25),
        next: z.string().min(1).optional(),
      }),
      response: z.object({ items: z.array(referralSchema), next: z.string().nullable() }),
      handler: async ({ params, query }) => referralView(conn(params.name).referrals, query.view, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/connections/:name/referrals/:id/favorite',
      role: 'admin',
      tag: 'referrals',
      summary: 'Mark or unmark a referral as a favorite',
      params: z.object({ name: z.string().min(1), id: recordId }),
      body: z.object({ favorite: z.boolean() }),
      response: referralSchema,
      handler: async ({ params, body }) => setFavorite(conn(params.name).referrals, params.id, body.favorite),
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/mapping',
      role: 'read',
      tag: 'mappings',
      summary: "The connection's mapping file",
      params: name,
      response: z.object({ file: z.string(), text: z.string() }),
      handler: async ({ params }) => {
        const c = conn(params.name);
        return { file: c.mappingFile, text: readFileSync(c.mappingFile, 'utf8') };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/mappings/validate',
      role: 'read',
      tag: 'mappings',
      summary: 'Validate a mapping text: every problem with file:line:col',
      body: mappingText.extend({ file: z.string().default('mapping.yaml') }),
      response: z.object({ ok: z.boolean(), problems: z.array(problemSchema) }),
      handler: async ({ body }) => {
        const r = validateMapping(body.text, body.file);
        return { ok: r.ok, problems: r.ok ? [] : r.problems };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/connections/:name/mapping/preview',
      role: 'read',
      tag: 'mappings',
      summary: 'What one CRM record maps to (with the saved mapping, or a text)',
      params: name,
      body: z.object({ record: recordId, text: z.string().min(1).optional() }),
      response: z.object({
        dealType: z.string(),
        stage: z.string(),
        percent: z.number().nullable(),
        fields: z.array(z.object({ key: z.string(), source: z.string(), value: z.unknown() })),
        problems: z.array(z.object({ path: z.string(), message: z.string() })),
      }),
      handler: async ({ params, body }) => {
        const c = conn(params.name);
        const mapping = body.text ? parseMapping(body.text, c.mappingFile) : c.mapping();
        const p = await previewCrmRecord(c.crm, mapping, body.record, c.name);
        return { dealType: p.dealType, stage: p.stage, percent: p.percent, fields: p.fields, problems: p.problems.map((x) => ({ path: x.path, message: x.message })) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/mapping/check',
      role: 'read',
      tag: 'mappings',
      summary: 'The mapping against the live CRM: unmapped stages, missing or mistyped fields',
      params: name,
      response: z.object({ findings: z.array(z.object({ level: z.enum(['error', 'warning']), message: z.string(), hint: z.string().optional() })) }),
      handler: async ({ params }) => {
        const c = conn(params.name);
        return { findings: await checkAgainstCrm(c.crm, c.mapping()) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connections/:name/mapping/suggest',
      role: 'read',
      tag: 'mappings',
      summary: "Stage rules from the live CRM's stages, as YAML",
      params: name,
      response: z.object({ yaml: z.string() }),
      handler: async ({ params }) => {
        const c = conn(params.name);
        return { yaml: await suggestFromCrm(c.crm, c.mapping()) };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/connections/:name/mapping',
      role: 'admin',
      tag: 'mappings',
      summary: 'Save a mapping (validated, atomic, previous file kept as .bak); the service uses it from the next cycle on',
      params: name,
      body: mappingText,
      response: z.object({ file: z.string(), backup: z.string().nullable() }),
      handler: async ({ params, body }) => {
        const c = conn(params.name);
        const { mapping, backup } = saveMapping(c.mappingFile, body.text);
        c.reloadMapping(mapping);
        // Records that did not sync (an unmapped stage, say) are read again with the new mapping: their CRM side did not change, so no cursor would bring them back.
        const retried = await retryIssues(ctx.state, c.name);
        ctx.log.info('mapping saved and reloaded', { connection: c.name, file: c.mappingFile, backup, retried });
        return { file: c.mappingFile, backup };
      },
    }),
  ];
}
