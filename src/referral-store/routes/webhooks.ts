/**
 * Partner Center's webhook registration API (`/webhooks/v1/registration…`, organization key: the group's
 * rule), the signing certificate behind X-MS-Certificate-Url (public, as Microsoft's is), and the admin view of
 * the delivery queue (parked deliveries and their retry) — each of those two names its own access rule.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { StoreContext } from '../context.js';
import { ApiError, invalidRequest, notFound, zodIssues } from '../errors.js';
import { organizationOf } from '../route-guards.js';
import { CERTIFICATE_PATH } from '../webhooks/certificate.js';
import type { WebhookRepository } from '../webhooks/repository.js';
import { WEBHOOK_EVENTS, type WebhookSubscriptions } from '../webhooks/subscriptions.js';

const deliveriesQuery = z.looseObject({
  state: z.enum(['pending', 'delivered', 'parked']).default('parked'),
  organizationId: z.string().min(1).optional(),
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export interface WebhookRouteDeps {
  subscriptions: WebhookSubscriptions;
  hooks: WebhookRepository;
  certificateDer: Buffer;
}

export function webhookRoutes(app: FastifyInstance, ctx: StoreContext): void {
  const deps = ctx.webhooks;
  const reg = '/webhooks/v1/registration';
  const { subscriptions } = deps;

  // Partner Center answers a created registration with 200, not 201.
  app.post(reg, async (req) => subscriptions.create(organizationOf(req), req.body));
  app.get(reg, async (req) => subscriptions.get(organizationOf(req)));
  app.put(reg, async (req) => subscriptions.replace(organizationOf(req), req.body));
  app.delete(reg, async (req, reply) => {
    subscriptions.remove(organizationOf(req));
    return reply.code(204).send();
  });
  app.get(`${reg}/events`, async () => WEBHOOK_EVENTS);
  app.post(`${reg}/validationEvents`, async (req) => subscriptions.validate(organizationOf(req)));
  app.get<{ Params: { correlationId: string } }>(`${reg}/validationEvents/:correlationId`, async (req) => subscriptions.validation(organizationOf(req), req.params.correlationId));

  app.get(CERTIFICATE_PATH, { config: { access: 'public' } }, async (_req, reply) => reply.type('application/pkix-cert').send(deps.certificateDer));

  app.get('/_admin/webhooks/deliveries', { config: { access: 'admin' } }, async (req) => {
    const q = deliveriesQuery.safeParse(req.query);
    if (!q.success) throw invalidRequest('invalid query', zodIssues(q.error.issues));
    const rows = deps.hooks.byState(q.data.state, q.data.after, q.data.limit, q.data.organizationId);
    return {
      value: rows.map((d) => ({
        id: d.id,
        organizationId: d.orgId,
        stream: d.stream,
        state: d.state,
        attempts: d.attempts,
        lastError: d.lastError,
        created: d.created,
        event: JSON.parse(d.payload) as unknown,
      })),
      lastId: rows.at(-1)?.id ?? q.data.after,
    };
  });
  app.post<{ Params: { id: string } }>('/_admin/webhooks/deliveries/:id/retry', { config: { access: 'admin' } }, async (req, reply) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id) || id < 1) throw invalidRequest('invalid delivery id', [{ path: 'id', message: 'a positive integer' }]);
    if (!deps.hooks.get(id)) throw notFound(`delivery ${id}`);
    const ok = ctx.repo.transaction(() => deps.hooks.requeue(id, Date.now()));
    if (!ok) throw new ApiError(409, 'invalidTransition', `delivery ${id} is not parked`, 'id');
    return reply.code(202).send({ id, state: 'pending' });
  });
}
