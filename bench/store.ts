/**
 * Referral store throughput at concurrency 16 — create, patch, list — as a ratio against a bare fastify route
 * doing the same SQLite work in the same run (target ≥ 0.6), plus the raw numbers.
 * Run: node --import tsx bench/store.ts [--n 2000] [--scale 100000]
 * `--scale N` also fills a store with N referrals (over HTTP, so it takes a while) and prints list latencies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReferralStore } from '../src/referral-store/index.js';
import { startBaseline } from './store-baseline.js';

const CONCURRENCY = 16;
const argN = process.argv.indexOf('--n');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 2000;
const argScale = process.argv.indexOf('--scale');
const SCALE = argScale > 0 ? Number(process.argv[argScale + 1]) : 0;

const body = (i: number) => ({
  name: `Bench deal ${i}`,
  externalReferenceId: `BENCH-${i}`,
  type: 'Independent',
  customerProfile: {
    name: 'Contoso',
    address: { country: 'US', city: 'Redmond' },
    team: [{ firstName: 'Sue', lastName: 'Smith', phoneNumber: '1234567890', email: 'sue@contoso.example' }],
  },
  consent: { consentToShareInfoWithOthers: true, consentToContact: true, consentToShareReferralWithMicrosoftSellers: false },
  details: { notes: 'bench', dealValue: 1000 + i, currency: 'USD', closingDateTime: '2026-12-31T00:00:00Z', requirements: { solutions: [{ id: 'SOL-1' }] } },
  team: [{ firstName: 'John', lastName: 'Doe', phoneNumber: '1231231234', email: 'john@partner.example' }],
});

async function run(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** The client does as little as it can (it shares the process): it parses a body only when it needs a value. */
async function call(url: string, init: RequestInit, expected: number, parse = false): Promise<any> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${text.slice(0, 300)}`);
  return parse ? JSON.parse(text) : null;
}

interface Target {
  base: string;
  headers: Record<string, string>;
}

async function measure(t: Target, n = N) {
  const ids: string[] = [];
  const h = { ...t.headers, 'content-type': 'application/json' };
  const create = await run(n, async (i) => {
    const r = await call(`${t.base}/referrals`, { method: 'POST', headers: h, body: JSON.stringify(body(i)) }, 201, true);
    ids[i] = r.id;
  });
  const patch = await run(n, async (i) => {
    await call(`${t.base}/referrals/${ids[i]}`, { method: 'PATCH', headers: h, body: JSON.stringify([{ op: 'replace', path: '/name', value: `Renamed ${i}` }]) }, 204);
  });
  const list = await run(Math.ceil(n / 4), async () => {
    await call(`${t.base}/referrals`, { headers: t.headers }, 200);
  });
  return { create, patch, list };
}

const dir = mkdtempSync(join(tmpdir(), 'cosell-bench-'));
try {
  const store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    apiKey: 'bench-key-000001',
    microsoftActor: { enabled: false, acceptRate: 0, decisionDays: 2, seed: 1 },
  });
  const baseline = await startBaseline(join(dir, 'baseline.db'));
  const storeTarget = { base: store.url, headers: { authorization: `Bearer ${store.apiKey}` } };
  const baseTarget = { base: baseline.url, headers: {} };
  // Warm up both the same way (JIT, connection pool), then measure both in the same run.
  await measure(baseTarget, N / 2);
  await measure(storeTarget, N / 2);
  const base = await measure(baseTarget);
  const st = await measure(storeTarget);
  await store.close();
  await baseline.close();

  const rows = (['create', 'patch', 'list'] as const).map((op) => ({
    op,
    store: st[op],
    baseline: base[op],
    ratio: st[op] / base[op],
  }));
  process.stdout.write(`referral store throughput, concurrency ${CONCURRENCY}, n=${N} (list n=${Math.ceil(N / 4)}, 100 items/page)\n`);
  process.stdout.write('op       store req/s   baseline req/s   ratio (target ≥ 0.6)\n');
  for (const r of rows) {
    process.stdout.write(
      `${r.op.padEnd(8)} ${r.store.toFixed(0).padStart(11)}   ${r.baseline.toFixed(0).padStart(14)}   ${r.ratio.toFixed(2)}${r.ratio >= 0.6 ? '' : '  below target'}\n`,
    );
  }
  if (SCALE > 0) await listLatencies(join(dir, 'scale.db'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** List latency with SCALE referrals in one organization: the queries the sync and the views use. */
async function listLatencies(dbFile: string): Promise<void> {
  const store = await startReferralStore({ dbFile, apiKey: 'bench-key-000001', microsoftActor: { enabled: false, acceptRate: 0, decisionDays: 2, seed: 1 } });
  const h = { authorization: `Bearer ${store.apiKey}`, 'content-type': 'application/json' };
  await run(SCALE, async (i) => {
    await call(`${store.url}/referrals`, { method: 'POST', headers: h, body: JSON.stringify(body(i)) }, 201);
  });
  await store.tick(); // lets the store refresh its planner statistics, as its timer would
  const f = (expr: string) => `$filter=${encodeURIComponent(expr)}`;
  const since = new Date(Date.now() - 5_000).toISOString();
  const queries: [string, string][] = [
    ['first page (default order)', ''],
    ['$count=true', '$count=true'],
    ['updatedDateTime desc', '$orderby=updatedDateTime desc'],
    ['updatedDateTime ge (incremental pull)', `${f(`updatedDateTime ge ${since}`)}&$orderby=updatedDateTime desc`],
    ['externalReferenceId eq (idempotency)', f(`externalReferenceId eq 'BENCH-${Math.floor(SCALE / 2)}'`)],
    ['nested path + status', f("customerProfile/address/country eq 'US' and status eq 'Active'")],
    ['team/any(...)', f("team/any(t:t/email eq 'john@partner.example')")],
  ];
  process.stdout.write(`\nlist latency with ${SCALE} referrals (median of 5)\n`);
  for (const [label, q] of queries) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await call(`${store.url}/referrals?${q}`, { headers: h }, 200);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${label.padEnd(40)} ${times[2]!.toFixed(1).padStart(8)} ms\n`);
  }
  await store.close();
}
