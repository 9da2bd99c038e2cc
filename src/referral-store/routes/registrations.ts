/**
 * Deal registration as a sub-resource of the referral, in the style of the Referrals API:
 * `POST|GET …/referrals/{id}/registrations`, `GET …/registrations/{registrationId}`, and
 * `POST …/registrations/{registrationId}/responses` (the partner's answer when action is required).
 */
import type { FastifyInstance } from 'fastify';
import type { StoreContext } from '../context.js';
import { organizationOf } from '../route-guards.js';

type Params = { id: string; registrationId: string };

export function registrationRoutes(app: FastifyInstance, ctx: StoreContext): void {
  const { registrations } = ctx;
  const base = '/v1.0/engagements/referrals/:id/registrations';
  const location = (r: { referralId: string; id: string }) => `${ctx.base()}/referrals/${encodeURIComponent(r.referralId)}/registrations/${encodeURIComponent(r.id)}`;

  app.post<{ Params: Params }>(base, async (req, reply) => {
    const r = registrations.register(organizationOf(req), req.params.id, req.body);
    return reply.code(201).header('Location', location(r)).send(r);
  });
  app.get<{ Params: Params }>(base, async (req) => ({ value: registrations.list(organizationOf(req), req.params.id) }));
  app.get<{ Params: Params }>(`${base}/:registrationId`, async (req) => registrations.get(organizationOf(req), req.params.id, req.params.registrationId));
  app.post<{ Params: Params }>(`${base}/:registrationId/responses`, async (req) => registrations.respond(organizationOf(req), req.params.id, req.params.registrationId, req.body));
}
