/**
 * One way to declare an API route: its role, zod schemas for params, query, body and response, and a handler
 * that gets the parsed input. Input is validated with zod (a 400 names every bad field); the same schemas
 * build the OpenAPI document, so the document cannot drift from what the server accepts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from './auth.js';

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  role: Role;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Status of a successful answer (default 200). */
  status?: number;
  handler(input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> }): Promise<z.infer<R>>;
}

/** Keeps the spec's type parameters tied to its handler. */
export const defineRoute = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(spec: RouteSpec<P, Q, B, R>) => spec as unknown as RouteSpec;

export class InputError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(`invalid request: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new InputError(r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })));
}

export function registerRoutes(app: FastifyInstance, prefix: string, specs: RouteSpec[]): void {
  for (const spec of specs) {
    app.route({
      method: spec.method,
      url: `${prefix}${spec.url}`,
      config: { role: spec.role },
      handler: async (req, reply) => {
        const input = {
          params: parse(spec.params, req.params, 'params'),
          query: parse(spec.query, req.query, 'query'),
          body: parse(spec.body, req.body ?? {}, 'body'),
        };
        const out = await spec.handler(input as never);
        return reply.code(spec.status ?? 200).send(out);
      },
    });
  }
}

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;

/** The OpenAPI 3.1 document of these routes, from their zod schemas. */
export function openApiDocument(prefix: string, specs: RouteSpec[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of specs) {
    const path = `${prefix}${s.url}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters = [
      ...objectProps(s.params).map(([name, schema]) => ({ name, in: 'path', required: true, schema: jsonSchema(schema, 'input') })),
      ...objectProps(s.query).map(([name, schema]) => ({ name, in: 'query', required: !schema.safeParse(undefined).success, schema: jsonSchema(schema, 'input') })),
    ];
    (paths[path] ??= {})[s.method.toLowerCase()] = {
      summary: s.summary,
      tags: [s.tag],
      ...(s.role === 'none' ? { security: [] } : { security: [{ bearer: [] }], 'x-required-role': s.role }),
      ...(parameters.length ? { parameters } : {}),
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(s.body, 'input') } } } } : {}),
      responses: {
        [String(s.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(s.response, 'output') } } },
        400: { description: 'Invalid input: every bad field named', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ...(s.role === 'none' ? {} : { 401: { description: 'No or unknown bearer token' }, 403: { description: 'The read-only token on an admin route' } }),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The read-only token (GET routes) or the admin token (everything)' } },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'object' } } } } },
        },
      },
    },
  };
}

function objectProps(s: z.ZodType | undefined): [string, z.ZodType][] {
  return s instanceof z.ZodObject ? Object.entries(s.shape as Record<string, z.ZodType>) : [];
}
