/** The access rule of a route group is one line, and a route without one stops the store from starting. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { accessFor, enforceAccess } from '../../../src/referral-store/access.js';
import type { StoreContext } from '../../../src/referral-store/context.js';

// Nothing in the context is read until a request needs a key.
const ctx = {} as StoreContext;

describe('route access rules', () => {
  it('a route registered without accessFor fails app.ready(), naming it', async () => {
    const app = Fastify();
    enforceAccess(app, ctx);
    void app.register(async (scope) => {
      accessFor(scope, 'public');
      scope.get('/fine', async () => 'ok');
    });
    app.post('/forgotten', async () => 'open');
    await expect(app.ready()).rejects.toThrow(/without an access rule.*POST \/forgotten/);
  });

  it('routes of a group carry its rule (listed by the route table) and a public one answers', async () => {
    const app = Fastify();
    const routes = enforceAccess(app, ctx);
    void app.register(async (scope) => {
      accessFor(scope, 'public');
      scope.get('/hello', async () => 'hi');
    });
    await app.ready();
    expect(routes().filter((r) => r.method === 'GET')).toEqual([{ method: 'GET', url: '/hello', access: 'public' }]);
    expect((await app.inject({ method: 'GET', url: '/%68ello' })).body).toBe('hi');
    await app.close();
  });
});
