/**
 * Admin endpoints (admin key): organizations and their keys, the store clock, Microsoft's side (send a
 * referral, force a decision), the event outbox, fault injection and request stats.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HELP_TYPES, MICROSOFT_ORG_ID, memberSchema, type ReferralCreate } from '../../domain/index.js';
import { faultSettingsSchema } from '../../runtime/index.js';
import { generateKey, hashKey } from '../auth.js';
import { ApiError, invalidRequest, notFound, zodIssues } from '../errors.js';
import { eventPayload } from '../events.js';
import { render } from '../model.js';
import type { StoreContext } from '../context.js';

const organizationBody = z.strictObject({
  name: z.string().trim().min(1),
  solutionAssessmentVetted: z.boolean().default(false),
  /** Optional fixed id (e.g. the partner's MPN id); a UUID otherwise. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
});

const clockBody = z.strictObject({ advanceDays: z.number().min(0).max(3650) });

const customerBody = z.strictObject({
  name: z.string().min(1).optional(),
  country: z.string().length(2).optional(),
  city: z.string().optional(),
  contact: memberSchema.optional(),
});

/** What Microsoft's seller sends; every field has a sensible default. `value`/`closeDate` are accepted aliases. */
const microsoftReferralBody = z.strictObject({
  organizationId: z.string().optional(),
  name: z.string().min(1).optional(),
  customer: z
    .union([
      z
        .string()
        .min(1)
        .transform((name) => ({ name })),
      customerBody,
    ])
    .optional(),
  dealValue: z.number().positive().optional(),
  value: z.number().positive().optional(),
  currency: z.string().length(3).optional(),
  closingDateTime: z.iso.datetime({ offset: true }).optional(),
  closeDate: z.iso.date().optional(),
  notes: z.string().optional(),
  helpType: z.enum(HELP_TYPES).optional(),
  team: z.array(memberSchema).min(1).optional(),
  solutions: z
    .array(z.strictObject({ id: z.string(), name: z.string().optional() }))
    .min(1)
    .optional(),
});

const decisionBody = z
  .strictObject({
    referralId: z.string().optional(),
    engagementId: z.string().optional(),
    decision: z.enum(['accept', 'decline']),
    reason: z.string().optional(),
  })
  .refine((b) => b.referralId || b.engagementId, { error: 'referralId or engagementId is required', path: ['referralId'] });

const eventsQuery = z.looseObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Only the events one organization's webhook would receive. */
  organizationId: z.string().min(1).optional(),
});

export function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw invalidRequest(`invalid ${what}`, zodIssues(r.error.issues));
  return r.data;
}

export function adminRoutes(app: FastifyInstance, ctx: StoreContext, defaultOrgId: string): void {
  app.post('/_admin/organizations', async (req, reply) => {
    const b = parse(organizationBody, req.body, 'organization');
    const id = b.id ?? ctx.service.newOrganizationId();
    if (ctx.repo.getOrg(id)) throw new ApiError(409, 'conflict', `organization '${id}' already exists`, 'id');
    const apiKey = generateKey('cs');
    const now = ctx.clock.now().toISOString();
    ctx.repo.transaction(() => {
      ctx.repo.insertOrg({ id, name: b.name, solutionAssessmentVetted: b.solutionAssessmentVetted }, now);
      ctx.repo.addKey(hashKey(apiKey), id, 'admin', now);
    });
    return reply.code(201).send({ id, name: b.name, solutionAssessmentVetted: b.solutionAssessmentVetted, apiKey });
  });

  app.get('/_admin/organizations', async () => ({ value: ctx.repo.listOrgs() }));

  // A new API key for an organization, creating it on first use: lets a host process (cosell-sync start) give
  // each embedded connection its own organization across restarts without ever storing a key.
  app.post<{ Params: { id: string } }>('/_admin/organizations/:id/keys', async (req, reply) => {
    const b = parse(organizationBody.partial({ name: true }), req.body ?? {}, 'organization');
    const id = req.params.id;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id) || id === MICROSOFT_ORG_ID) throw invalidRequest('invalid organization id', [{ path: 'id', message: 'letters, digits, . _ - only' }]);
    const apiKey = generateKey('cs');
    const now = ctx.clock.now().toISOString();
    const existing = ctx.repo.getOrg(id);
    ctx.repo.transaction(() => {
      if (!existing) ctx.repo.insertOrg({ id, name: b.name ?? id, solutionAssessmentVetted: b.solutionAssessmentVetted ?? false }, now);
      ctx.repo.addKey(hashKey(apiKey), id, 'admin', now);
    });
    return reply.code(existing ? 200 : 201).send({ id, name: existing?.name ?? b.name ?? id, apiKey });
  });

  app.get('/_admin/clock', async () => ({ now: ctx.clock.now().toISOString() }));
  app.post('/_admin/clock', async (req) => {
    const b = parse(clockBody, req.body, 'clock change');
    await ctx.advanceDays(b.advanceDays);
    return { now: ctx.clock.now().toISOString() };
  });

  app.post('/_admin/tick', async () => ctx.tick());

  app.post('/_admin/microsoft/referrals', async (req, reply) => {
    const b = parse(microsoftReferralBody, req.body, 'Microsoft referral');
    const to = ctx.repo.getOrg(b.organizationId ?? defaultOrgId);
    if (!to || to.id === MICROSOFT_ORG_ID) throw invalidRequest('unknown organization', [{ path: 'organizationId', message: `no partner organization '${b.organizationId}'` }]);
    const close = b.closingDateTime ?? (b.closeDate ? `${b.closeDate}T00:00:00Z` : new Date(ctx.clock.now().getTime() + 60 * 86_400_000).toISOString());
    const customer: z.infer<typeof customerBody> = b.customer ?? {};
    const body: ReferralCreate = {
      name: b.name ?? `${customer.name ?? 'Adatum Corporation'} — Microsoft co-sell opportunity`,
      qualification: 'SalesQualified',
      type: 'Shared',
      customerProfile: {
        name: customer.name ?? 'Adatum Corporation',
        address: { country: customer.country ?? 'US', city: customer.city ?? 'Seattle' },
        team: [customer.contact ?? { firstName: 'Avery', lastName: 'Howard', phoneNumber: '+1 425 555 0101', email: 'avery.howard@adatum.example' }],
      },
      consent: { consentToShareInfoWithOthers: true, consentToContact: true, consentToShareReferralWithMicrosoftSellers: true },
      details: {
        notes: b.notes ?? 'Customer asked Microsoft for a partner to help with this project.',
        dealValue: b.dealValue ?? b.value ?? 75_000,
        currency: b.currency ?? 'USD',
        closingDateTime: close,
        requirements: { solutions: b.solutions ?? [{ id: 'SOL-MS-AZURE-MIGRATION', name: 'Azure migration' }] },
      },
      team: b.team ?? [{ firstName: 'Morgan', lastName: 'Lee', phoneNumber: '+1 425 555 0199', email: 'morgan.lee@microsoft.example' }],
      inviteContext: { notes: b.notes ?? null, assistanceRequestCode: b.helpType ?? 'GeneralOrOther' },
    };
    const s = ctx.service.sendFromMicrosoft(to, body);
    return reply.code(201).header('ETag', s.etag).type('application/json; charset=utf-8').send(render(s, ctx.base()));
  });

  app.post('/_admin/microsoft/decisions', async (req, reply) => {
    const b = parse(decisionBody, req.body, 'decision');
    // By engagement: Microsoft's invitation in it, preferring one still waiting for an answer.
    const invitations = b.referralId ? [] : ctx.repo.byEngagement(b.engagementId!).filter((s) => s.orgId === MICROSOFT_ORG_ID && s.inviterOrgId !== null);
    const target = b.referralId ? ctx.repo.get(b.referralId) : (invitations.find((s) => s.referral.status === 'New') ?? invitations[0]);
    if (!target)
      throw notFound(b.referralId ? `referral '${b.referralId}'` : `a Microsoft invitation in engagement '${b.engagementId}'`, b.referralId ? 'referralId' : 'engagementId');
    const s = ctx.service.decideForMicrosoft(target, b.decision, b.reason);
    return reply.type('application/json; charset=utf-8').send(render(s, ctx.base()));
  });

  app.get('/_admin/events', async (req) => {
    const q = parse(eventsQuery, req.query, 'query');
    const events = ctx.repo.eventsAfter(q.after, q.limit, q.organizationId);
    return { value: events.map((e) => eventPayload(e, ctx.base())), lastId: events.at(-1)?.id ?? q.after };
  });

  app.get('/_admin/faults', async () => ctx.faults.current());
  app.put('/_admin/faults', async (req) => {
    const r = faultSettingsSchema.safeParse(req.body ?? {});
    if (!r.success) throw invalidRequest('invalid fault settings', zodIssues(r.error.issues));
    return ctx.faults.configure(r.data);
  });
  app.delete('/_admin/faults', async (_req, reply) => {
    ctx.faults.reset();
    return reply.code(204).send();
  });
  // What the partner API saw: faults injected by kind, and the newest arrivals with what each got.
  app.get('/_admin/faults/arrivals', async () => ({ injected: ctx.faults.injected(), value: ctx.faults.arrivals() }));

  app.get('/_admin/stats', async () => ctx.stats);
}
