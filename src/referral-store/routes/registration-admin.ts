/**
 * Admin endpoints for deal registration (admin key): force Microsoft's review outcome (tests, demos) and
 * set a solution's incentive program in the store's catalogue.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { incentiveProgramSchema, REVIEW_STATUSES } from '../../domain/index.js';
import type { StoreContext } from '../context.js';
import { notFound } from '../errors.js';
import { parse } from './admin.js';

const outcomeBody = z
  .strictObject({
    registrationId: z.string().min(1).optional(),
    referralId: z.string().min(1).optional(),
    outcome: z.enum(REVIEW_STATUSES),
    reason: z.string().min(1).optional(),
  })
  .refine((b) => b.registrationId || b.referralId, { error: 'registrationId or referralId is required', path: ['registrationId'] });

const incentiveBody = z.strictObject({ incentiveProgram: incentiveProgramSchema.nullable() });

export function registrationAdminRoutes(app: FastifyInstance, ctx: StoreContext): void {
  const { registrations } = ctx;

  app.post('/_admin/microsoft/registrations', async (req) => {
    const b = parse(outcomeBody, req.body, 'registration outcome');
    const id = b.registrationId ?? registrations.registrationOf(b.referralId!)?.registration.id;
    if (!id) throw notFound(`a registration of referral '${b.referralId}'`, 'referralId');
    return registrations.decide(id, b.outcome, b.reason ?? null);
  });

  app.put<{ Params: { id: string } }>('/_admin/solutions/:id', async (req) => {
    const b = parse(incentiveBody, req.body, 'solution incentive');
    registrations.setIncentive(req.params.id, b.incentiveProgram);
    return { id: req.params.id, incentiveProgram: b.incentiveProgram };
  });
}
