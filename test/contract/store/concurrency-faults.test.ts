/** Optimistic concurrency (no lost update) and the fault-injection knobs the reliability tests use. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deal, replace, startTestStore, type TestStore } from './store-harness.js';

let t: TestStore;
beforeAll(async () => {
  t = await startTestStore();
});
afterAll(async () => t.close());

describe('concurrent PATCHes with one ETag', () => {
  it('10 concurrent PATCHes with the same If-Match → exactly 1 × 2xx, 9 × 412, and the winner is what is stored', async () => {
    const created = (await t.api.post('/referrals', deal())).body;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.api.patch(`/referrals/${created.id}`, [replace('/details/notes', `writer ${i}`)], { 'If-Match': created.eTag })),
    );
    const ok = results.filter((r) => r.status === 204);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(9);
    const winner = results.indexOf(ok[0]!);
    const now = (await t.api.get(`/referrals/${created.id}`)).body;
    expect(now.details.notes).toBe(`writer ${winner}`);
    expect(now.eTag).toBe(ok[0]!.headers.get('etag'));
  });

  it('no update is lost: 20 concurrent read-modify-write loops adding one team member each all land', async () => {
    const created = (await t.api.post('/referrals', deal())).body;
    const addMember = async (i: number) => {
      for (;;) {
        const cur = await t.api.get(`/referrals/${created.id}`);
        const r = await t.api.patch(
          `/referrals/${created.id}`,
          [{ op: 'add', path: '/team/-', value: { firstName: `W${i}`, lastName: 'X', phoneNumber: '+1 555 0100 11', email: `w${i}@p.example` } }],
          { 'If-Match': cur.headers.get('etag')! },
        );
        if (r.status === 204) return;
        expect(r.status).toBe(412);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => addMember(i)));
    const team = (await t.api.get(`/referrals/${created.id}`)).body.team;
    expect(team).toHaveLength(21);
  });
});

describe('fault injection (off by default, deterministic with a seed)', () => {
  const statuses = async (n: number) => {
    const out: (number | string)[] = [];
    for (let i = 0; i < n; i++) {
      try {
        out.push((await t.api.get('/referrals?$top=1')).status);
      } catch {
        out.push('dropped');
      }
    }
    return out;
  };

  it('is off by default', async () => {
    expect(t.store.faults.current()).toMatchObject({ errorRate: 0, rate429: 0, rate503: 0, dropRate: 0, stallRate: 0, latencyMs: 0 });
    expect(new Set(await statuses(10))).toEqual(new Set([200]));
  });

  it('429 with Retry-After and the documented error body', async () => {
    t.store.faults.configure({ rate429: 1, retryAfterSeconds: 3 });
    const r = await t.api.get('/referrals');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.body.error.code).toBe('tooManyRequests');
    t.store.faults.reset();
  });

  it('503, 500 and dropped connections; the same seed gives the same sequence', async () => {
    const mix = { rate503: 0.2, errorRate: 0.2, dropRate: 0.2, seed: 11 };
    t.store.faults.configure(mix);
    const a = await statuses(25);
    t.store.faults.configure(mix);
    const b = await statuses(25);
    t.store.faults.reset();
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(500);
    expect(a).toContain('dropped');
    expect(a).toContain(200);
  });

  it('shows over the admin API what each partner request got (admin requests are neither faulted nor logged)', async () => {
    t.store.faults.configure({ rate503: 0.3, dropRate: 0.3, seed: 3 });
    const seen = await statuses(20);
    t.store.faults.reset();
    const log = await t.admin.get('/_admin/faults/arrivals');
    expect(log.status).toBe(200);
    const outcome = (s: number | string) => (s === 'dropped' ? 'reset' : s === 200 ? 'pass' : String(s));
    expect(log.body.value.slice(-20).map((a: { outcome: string }) => a.outcome)).toEqual(seen.map(outcome));
    expect(log.body.value.at(-1)).toMatchObject({ method: 'GET', route: '/v1.0/engagements/referrals', at: expect.any(Number) });
    expect(seen).toContain('dropped');
    expect(log.body.injected.reset).toBeGreaterThanOrEqual(seen.filter((s) => s === 'dropped').length);
  });

  it('latency and stall (held, then dropped) — set over the admin API too', async () => {
    const put = await t.admin.req('PUT', '/_admin/faults', { latencyMs: 120 });
    expect(put.status).toBe(200);
    const t0 = Date.now();
    expect((await t.api.get('/referrals?$top=1')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    await t.admin.req('PUT', '/_admin/faults', { stallRate: 1, stallMs: 300 });
    const t1 = Date.now();
    await expect(t.api.get('/referrals?$top=1')).rejects.toThrow();
    expect(Date.now() - t1).toBeGreaterThanOrEqual(280);
    expect((await t.admin.req('DELETE', '/_admin/faults')).status).toBe(204);
    expect((await t.api.get('/referrals?$top=1')).status).toBe(200);
  });

  it('stats count requests by route', async () => {
    const before = t.store.stats().byRoute['GET /v1.0/engagements/referrals'] ?? 0;
    await t.api.get('/referrals?$top=1');
    expect(t.store.stats().byRoute['GET /v1.0/engagements/referrals']).toBe(before + 1);
  });
});
