/** The Partner Center Referrals REST contract (referrals-api.md), served under /v1.0/engagements/referrals. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalidRequest, zodIssues } from '../errors.js';
import { listQuerySchema, listReferrals, parseSelect, project, SINGLE_OPTIONS, unsupportedOptions } from '../listing.js';
import { render, renderJson } from '../model.js';
import type { Organization, Stored } from '../repository.js';
import type { StoreContext } from '../context.js';

const caller = (req: FastifyRequest): Organization => {
  if (!req.org) throw new ApiError(401, 'unauthenticated', 'missing or invalid API key', 'Authorization');
  return req.org;
};

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

const wantsRepresentation = (req: FastifyRequest) => /return\s*=\s*representation/i.test(header(req, 'prefer') ?? '');

export function referralRoutes(app: FastifyInstance, ctx: StoreContext): void {
  const prefix = '/v1.0/engagements/referrals';
  const send = (reply: FastifyReply, status: number, s: Stored, select: string[] | null = null) =>
    reply
      .code(status)
      .header('ETag', s.etag)
      .type('application/json; charset=utf-8')
      .send(project(render(s, ctx.base()), select));

  app.get(prefix, async (req, reply) => {
    const q = listQuerySchema.safeParse(req.query);
    if (!q.success) throw invalidRequest('invalid query', zodIssues(q.error.issues));
    const select = parseSelect(q.data.$select);
    const page = listReferrals(ctx.repo, caller(req), q.data);
    const base = ctx.base();
    // Assembled as text from the stored JSON (see renderJson): no parse/serialize round trip per item.
    const value = page.items.map((r) => project(renderJson(r.body, r.id, r.engagement_id, r.etag, base), select)).join(',');
    const count = page.count !== undefined ? `"@odata.count":${page.count},` : '';
    const next = page.next ? `,"@odata.nextLink":${JSON.stringify(`${base}/referrals?${page.next}`)}` : '';
    return reply.type('application/json; charset=utf-8').send(`{${count}"value":[${value}]${next}}`);
  });

  app.get<{ Params: { id: string } }>(`${prefix}/:id`, async (req, reply) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const options = unsupportedOptions(query, SINGLE_OPTIONS);
    if (options.length)
      throw invalidRequest(
        'query option not supported on a single referral',
        options.map((k) => ({ path: k, message: `${k} is not supported (supported: $select)` })),
      );
    const select = parseSelect(query.$select);
    return send(reply, 200, ctx.service.visible(caller(req), req.params.id), select);
  });

  app.post(prefix, async (req, reply) => {
    const { stored, created } = ctx.service.create(caller(req), req.body);
    reply.header('Location', `${ctx.base()}/referrals/${encodeURIComponent(stored.referral.id)}`);
    return send(reply, created ? 201 : 200, stored);
  });

  app.patch<{ Params: { id: string } }>(`${prefix}/:id`, async (req, reply) => {
    const s = ctx.service.patch(caller(req), req.params.id, req.body, header(req, 'if-match'));
    if (wantsRepresentation(req)) return send(reply, 200, s);
    return reply.code(204).header('ETag', s.etag).send();
  });

  app.put<{ Params: { id: string } }>(`${prefix}/:id`, async (req, reply) => send(reply, 200, ctx.service.put(caller(req), req.params.id, req.body, header(req, 'if-match'))));
}
