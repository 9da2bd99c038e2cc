/**
 * Probes for the orchestrator. /livez: the process answers and its event loop is not stalled (p99 delay over
 * the last interval under a threshold). /readyz: the state database answers, every connection's credentials
 * were accepted on their last attempt, the referrals API was reachable; the body names what is not ready.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { SurfaceContext } from './context.js';

const STALLED_MS = 2_000;

export function registerProbes(app: FastifyInstance, ctx: SurfaceContext): void {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  app.addHook('onClose', async () => loop.disable());
  const resetEvery = setInterval(() => loop.reset(), 10_000).unref();
  app.addHook('onClose', async () => clearInterval(resetEvery));

  app.get('/livez', { config: { role: 'none' } }, async (_req, reply) => {
    const p99Ms = Math.round(loop.percentile(99) / 1e6);
    const ok = p99Ms < STALLED_MS;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'stalled', eventLoopDelayP99Ms: p99Ms });
  });

  app.get('/readyz', { config: { role: 'none' } }, async (_req, reply) => {
    const r = await ctx.health.readiness(
      ctx.state,
      ctx.connections.map((c) => c.name),
    );
    const notReady = r.checks.filter((c) => !c.ok);
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not ready', notReady, checks: r.checks });
  });

  app.get('/metrics', { config: { role: 'none' } }, async (_req, reply) => {
    return reply.header('Content-Type', ctx.metrics.registry.contentType).send(await ctx.metrics.text());
  });
}
