/**
 * Multi-tenant configuration through the admin API: connections stored in PostgreSQL (distributed mode),
 * validated by the same zod schema as a `connections:` entry of the config file.
 */
import { z } from 'zod';
import { ConfigError, connectionSchema, NotFoundError } from '../runtime/index.js';
import type { StoredConnections, SurfaceContext } from './context.js';
import { defineRoute, type RouteSpec } from './route.js';

const stored = (ctx: SurfaceContext): StoredConnections => {
  if (!ctx.connectionConfigs)
    throw new ConfigError(
      'connections are stored in PostgreSQL: this needs state.kind postgres and runtime.mode distributed (the embedded default reads them from the config file)',
      'server',
    );
  return ctx.connectionConfigs;
};

export function connectionConfigRoutes(ctx: SurfaceContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/connections',
      role: 'admin',
      tag: 'connections',
      summary: 'Add or replace a stored connection (the config file schema); it is scheduled at once',
      body: connectionSchema,
      response: z.object({ name: z.string(), created: z.boolean() }),
      handler: async ({ body }) => {
        if (ctx.connections.some((c) => c.name === body.name) && !(await stored(ctx).list()).some((c) => c.name === body.name)) {
          throw new ConfigError(`connection '${body.name}' is defined in the config file; stored connections need another name`, 'body.name');
        }
        const { created } = await stored(ctx).put(body);
        ctx.log.info('connection stored', { connection: body.name, created });
        return { name: body.name, created };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/connection-configs',
      role: 'read',
      tag: 'connections',
      summary: 'The stored connections as configured (credentials are environment variable or file names)',
      response: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      handler: async () => ({ items: await stored(ctx).list() }),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/connections/:name',
      role: 'admin',
      tag: 'connections',
      summary: 'Remove a stored connection and its schedule (its sync state stays)',
      params: z.object({ name: z.string().min(1) }),
      response: z.object({ name: z.string(), removed: z.literal(true) }),
      handler: async ({ params }) => {
        if (!(await stored(ctx).remove(params.name))) throw new NotFoundError(`no stored connection named '${params.name}'`);
        ctx.log.info('connection removed', { connection: params.name });
        return { name: params.name, removed: true as const };
      },
    }),
  ];
}
