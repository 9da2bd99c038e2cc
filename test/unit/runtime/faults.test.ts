/** The one fault injector (issue 16): the pure decision, the injector's tally and arrival log, the fastify adapter. */
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultInjector, type FaultDecision, type FaultInput, faultOutcome, faultSettingsSchema, faultState, installFaults, nextFault } from '../../../src/runtime/index.js';

const GET = { method: 'GET', path: '/things' };

/** `n` decisions from a seed, threading the generator's state through. */
function draws(input: FaultInput, n: number, request = GET): FaultDecision[] {
  const settings = faultSettingsSchema.parse(input);
  let state = faultState(settings.seed);
  return Array.from({ length: n }, () => {
    const r = nextFault(settings, state, request);
    state = r.state;
    return r.decision;
  });
}

/** Five rates that add up to at most 1. */
const rates = fc
  .tuple(...Array.from({ length: 6 }, () => fc.integer({ min: 0, max: 100 })))
  .map((w) => w.map((x) => x / w.reduce((a, b) => a + b, 0) || 0))
  .map(([dropRate, stallRate, rate429, rate503, errorRate]) => ({ dropRate: dropRate!, stallRate: stallRate!, rate429: rate429!, rate503: rate503!, errorRate: errorRate! }));

describe('nextFault', () => {
  it('gives the same decisions for the same seed and settings', () => {
    fc.assert(
      fc.property(rates, fc.integer(), (r, seed) => {
        expect(draws({ ...r, seed }, 50)).toEqual(draws({ ...r, seed }, 50));
      }),
    );
  });

  it('never gives a fault whose rate is 0, and gives each one at about its rate', () => {
    const n = 4000;
    fc.assert(
      fc.property(rates, fc.integer(), (r, seed) => {
        const counts = { reset: 0, stall: 0, '429': 0, '503': 0, '500': 0, pass: 0 };
        for (const d of draws({ ...r, seed, stallMs: 10 }, n)) counts[faultOutcome(d)]++;
        const expected = { reset: r.dropRate, stall: r.stallRate, '429': r.rate429, '503': r.rate503, '500': r.errorRate };
        for (const [kind, rate] of Object.entries(expected)) {
          const got = counts[kind as keyof typeof counts];
          if (rate === 0) expect(got, kind).toBe(0);
          // 5 standard deviations of a binomial share at n = 4000 is at most 0.04.
          else expect(Math.abs(got / n - rate), kind).toBeLessThan(0.04);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('carries the settings into the decision: Retry-After on 429 and 503 only, the stall time, the latency', () => {
    expect(draws({ rate429: 1, retryAfterSeconds: 3, latencyMs: 5 }, 1)).toEqual([{ kind: 'status', status: 429, retryAfterSeconds: 3, latencyMs: 5 }]);
    expect(draws({ rate503: 1, retryAfterSeconds: 2 }, 1)).toEqual([{ kind: 'status', status: 503, retryAfterSeconds: 2, latencyMs: 0 }]);
    expect(draws({ errorRate: 1 }, 1)).toEqual([{ kind: 'status', status: 500, latencyMs: 0 }]);
    expect(draws({ stallRate: 1, stallMs: 250 }, 1)).toEqual([{ kind: 'stall', stallMs: 250, latencyMs: 0 }]);
    expect(draws({ latencyMs: 40 }, 1)).toEqual([{ kind: 'pass', latencyMs: 40 }]);
  });

  it('leaves exempt paths and switched-off faults alone without drawing', () => {
    const settings = faultSettingsSchema.parse({ rate429: 1, exempt: ['/services/oauth2'] });
    const state = faultState(42);
    expect(nextFault(settings, state, { method: 'POST', path: '/services/oauth2/token' })).toEqual({ decision: { kind: 'pass', latencyMs: 0 }, state });
    expect(nextFault(faultSettingsSchema.parse({}), state, GET)).toEqual({ decision: { kind: 'pass', latencyMs: 0 }, state });
    expect(nextFault(settings, state, GET).state).not.toEqual(state);
  });

  it('draws a latency range from its own stream: within the range, and the same faults as without it', () => {
    fc.assert(
      fc.property(rates, fc.integer(), fc.nat(200), fc.nat(200), (r, seed, min, extra) => {
        const ranged = draws({ ...r, seed, latencyMs: min, latencyMaxMs: min + extra }, 50);
        expect(ranged.every((d) => d.latencyMs >= min && d.latencyMs <= min + extra)).toBe(true);
        expect(ranged.map(faultOutcome)).toEqual(draws({ ...r, seed, latencyMs: min }, 50).map(faultOutcome));
      }),
    );
    expect(new Set(draws({ latencyMs: 10, latencyMaxMs: 90 }, 50).map((d) => d.latencyMs)).size).toBeGreaterThan(10);
  });

  it('refuses rates above 1 or adding up to more than 1', () => {
    expect(faultSettingsSchema.safeParse({ rate429: 0.6, dropRate: 0.6 }).success).toBe(false);
    expect(faultSettingsSchema.safeParse({ errorRate: 1.5 }).success).toBe(false);
    expect(faultSettingsSchema.safeParse({ rate429: 0.5, dropRate: 0.5 }).success).toBe(true);
    expect(faultSettingsSchema.safeParse({ rate42: 0.1 }).success).toBe(false);
  });
});

describe('createFaultInjector', () => {
  const arrive = (f: ReturnType<typeof createFaultInjector>, n: number) => Array.from({ length: n }, (_, i) => faultOutcome(f.next({ ...GET, route: '/things' }, i)));

  it('reseeds on every configure, so a run replays; reset switches faults off', () => {
    const f = createFaultInjector({ rate429: 0.3, dropRate: 0.3, seed: 5 });
    const first = arrive(f, 40);
    expect(new Set(first)).toEqual(new Set(['pass', '429', 'reset']));
    f.configure({ rate429: 0.3, dropRate: 0.3, seed: 5 });
    expect(arrive(f, 40)).toEqual(first);
    f.reset();
    expect(f.current()).toEqual(faultSettingsSchema.parse({}));
    expect(new Set(arrive(f, 40))).toEqual(new Set(['pass']));
  });

  it('tallies the faults it injected (not the passes), kept across a reset', () => {
    const f = createFaultInjector({ rate429: 0.5, seed: 3 });
    const outcomes = arrive(f, 100);
    f.reset();
    arrive(f, 10);
    expect(f.injected()).toEqual({ '429': outcomes.filter((o) => o === '429').length });
  });

  it('keeps the newest arrivals, oldest first', () => {
    const f = createFaultInjector({}, { logSize: 3 });
    arrive(f, 2);
    expect(f.arrivals().map((a) => a.at)).toEqual([0, 1]);
    arrive(f, 5);
    expect(f.arrivals()).toEqual([2, 3, 4].map((at) => ({ at, method: 'GET', route: '/things', outcome: 'pass' })));
  });
});

describe('installFaults (the fastify adapter)', () => {
  let app: FastifyInstance;
  let handled = 0;
  afterEach(() => app?.close());

  async function serve(input: FaultInput) {
    const faults = createFaultInjector(input);
    app = Fastify();
    handled = 0;
    installFaults(app, faults, { errorBody: (status) => ({ oops: status }), applies: (req) => !req.url.startsWith('/health') });
    app.get('/things/:id', async () => ({ ok: ++handled }));
    app.get('/health', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { faults, url: `http://127.0.0.1:${port}` };
  }

  it('answers an injected status in the server error shape, with Retry-After, without running the handler', async () => {
    const { url } = await serve({ rate503: 1, retryAfterSeconds: 4 });
    const res = await fetch(`${url}/things/1`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('4');
    expect(await res.json()).toEqual({ oops: 503 });
    expect(handled).toBe(0);
  });

  it('resets the connection for a reset', async () => {
    const { url } = await serve({ dropRate: 1 });
    await expect(fetch(`${url}/things/1`)).rejects.toThrow();
    expect(handled).toBe(0);
  });

  it('holds a stalled request unanswered and resets it after stallMs; the app still closes at once', async () => {
    const { url } = await serve({ stallRate: 1, stallMs: 300 });
    const t0 = Date.now();
    await expect(fetch(`${url}/things/1`)).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(handled).toBe(0);
    const pending = fetch(`${url}/things/2`).catch(() => 'reset');
    await new Promise((r) => setTimeout(r, 50));
    const t1 = Date.now();
    await app.close();
    expect(await pending).toBe('reset');
    expect(Date.now() - t1).toBeLessThan(250);
  }, 10_000);

  it('delays a passed request by the latency and logs each arrival with its route and outcome; requests it does not apply to are not seen', async () => {
    const { url, faults } = await serve({ latencyMs: 120 });
    const t0 = Date.now();
    expect(await (await fetch(`${url}/things/7?x=1`)).json()).toEqual({ ok: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect(await (await fetch(`${url}/health`)).text()).toBe('ok');
    expect(faults.arrivals()).toEqual([{ at: expect.any(Number), method: 'GET', route: '/things/:id', outcome: 'pass' }]);
  });
});
