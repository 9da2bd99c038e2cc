/**
 * The one fastify adapter for fault injection: an onRequest hook that asks the injector about each request and
 * carries the decision out — an error status in the server's own error shape (each server passes its body
 * maker), a reset connection, or a stall: the connection is held, never answered, and reset after `stallMs`.
 * Held connections are reset when the app closes, so a stall never keeps a test's server open.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultStatus } from './fault-decision.js';
import type { FaultInjector } from './fault-injector.js';

export interface FaultHookOptions {
  /** The server's error body for an injected status. */
  errorBody(status: FaultStatus): unknown;
  /** Which requests may be faulted (default: all); the others are neither faulted nor logged. */
  applies?(req: FastifyRequest): boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function installFaults(app: FastifyInstance, faults: FaultInjector, opts: FaultHookOptions): void {
  const held = new Set<Socket>();
  app.addHook('onRequest', async (req, reply) => {
    if (opts.applies && !opts.applies(req)) return;
    const path = req.url.split('?')[0]!;
    const d = faults.next({ method: req.method, path, route: req.routeOptions.url ?? path }, Date.now());
    if (d.latencyMs) await sleep(d.latencyMs);
    switch (d.kind) {
      case 'pass':
        return;
      case 'status':
        if (d.retryAfterSeconds !== undefined) reply.header('Retry-After', String(d.retryAfterSeconds));
        return reply.code(d.status).send(opts.errorBody(d.status));
      case 'reset':
        reply.hijack();
        req.raw.socket.destroy();
        return reply;
      case 'stall': {
        reply.hijack();
        const socket = req.raw.socket;
        held.add(socket);
        socket.once('close', () => held.delete(socket));
        setTimeout(() => socket.destroy(), d.stallMs).unref();
        return reply;
      }
    }
  });
  app.addHook('preClose', async () => {
    for (const s of held) s.destroy();
  });
}
