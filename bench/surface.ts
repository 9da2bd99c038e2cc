/**
 * Benchmarks of the HTTP surface, each beside a baseline measured in the same run: rows W, L and A of
 * `npm run bench`, or on their own: `node --import tsx bench/surface.ts [--edits 200] [--lag-edits 40] [--records 100000]`.
 *
 *   W  webhook → CRM: a Partner Center-side edit in the store, announced by a signed event, until the CRM field
 *      holds it; p50/p95 over --edits edits (goal p95 ≤ 2 s). Baseline: the same edit carried by an admin
 *      "sync now" (the cycle without the webhook path).
 *   L  CRM → referral with a 15-second schedule: a CRM edit until the referral holds it; p50/p95 over
 *      --lag-edits edits at random moments (goal p95 ≤ 20 s). Baseline: the schedule interval.
 *   A  /api/v1 on a state of --records links, issues and sync-log lines: p95 of every list route (goal
 *      ≤ 100 ms). Baseline: p95 of GET /livez on the same server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSurface, openService, type Service } from '../src/cli/index.js';
import { emptyDealFields } from '../src/domain/index.js';
import { loadConfig, serverSchema, silentLogger, startScheduler } from '../src/runtime/index.js';
import { createHealth, createMetrics, startHttpServer } from '../src/server/index.js';
import { emptyCounts, openSqliteState, type Link } from '../src/state/index.js';
import { writeSurfaceConfig } from '../test/helpers/surface-config.js';
import { signedHeaders, startPki, type Pki } from '../test/helpers/webhook-pki.js';
import type { SalesforceSandbox } from '../sandboxes/index.js';

export interface SurfaceBenchOptions {
  edits: number;
  lagEdits: number;
  records: number;
}
const READ = 'bench-read-token-0123456789';
const ADMIN = 'bench-admin-token-0123456789';
const STORE_KEY = 'bench-store-key-0123456789';
process.env.COSELL_STORE_API_KEY = STORE_KEY;
process.env.COSELL_STORE_ADMIN_KEY = 'bench-store-admin-0123456789';
process.env.BENCH_READ = READ;
process.env.BENCH_ADMIN = ADMIN;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const until = async (probe: () => boolean | Promise<boolean>, limitMs: number) => {
  const t0 = performance.now();
  while (!(await probe())) {
    if (performance.now() - t0 > limitMs) throw new Error('timed out');
    await sleep(10);
  }
  return performance.now() - t0;
};

interface Stack {
  service: Service;
  api: string;
  referral(crmId: string): Promise<{ id: string; dealValue: number; etag: string }>;
  close(): Promise<void>;
}

async function stack(pki: Pki, schedule: string): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-bench-surface-'));
  const file = writeSurfaceConfig(dir, { pki, mapping: join(process.cwd(), 'mappings/salesforce.yaml'), schedule, seed: 160, readEnv: 'BENCH_READ', adminEnv: 'BENCH_ADMIN' });
  const config = loadConfig(file);
  const service = await openService(config, silentLogger);
  const surface = createSurface(service, config, silentLogger);
  const c = service.connections[0]!;
  const scheduler = startScheduler([{ name: c.name, schedule: c.schedule, run: async (signal) => void (await c.runCycle({ signal })) }], silentLogger);
  const http = await surface.listen((n) => scheduler.runNow(n));
  await scheduler.runNow(c.name);
  return {
    service,
    api: http.url,
    async referral(crmId) {
      const found = await c.referrals.findByExternalReference(crmId);
      if (!found) throw new Error(`no referral for ${crmId}`);
      return { id: found.referral.id, dealValue: found.referral.details?.dealValue ?? 0, etag: found.etag! };
    },
    async close() {
      await http.close();
      await scheduler.stop();
      await service.close();
    },
  };
}

const opportunities = (s: Stack) => {
  const sb = s.service.connections[0]!.sandbox as SalesforceSandbox;
  return {
    sb,
    ids: sb.org
      .all('Opportunity')
      .filter((o) => o.Referral_Id__c)
      .map((o) => String(o.Id)),
  };
};

async function editInStore(s: Stack, crmId: string, value: number) {
  const r = await s.referral(crmId);
  const res = await fetch(`${s.service.store!.url}/referrals/${r.id}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${STORE_KEY}`, 'Content-Type': 'application/json-patch+json', 'If-Match': r.etag },
    body: JSON.stringify([{ op: 'replace', path: '/details/dealValue', value }]),
  });
  if (!res.ok) throw new Error(`store PATCH ${res.status}`);
  return r.id;
}

async function webhookToCrm(pki: Pki, EDITS: number): Promise<{ webhook: number[]; syncNow: number[] }> {
  const s = await stack(pki, '0 0 1 1 *');
  const { sb, ids } = opportunities(s);
  const out = { webhook: [] as number[], syncNow: [] as number[] };
  try {
    for (let i = 0; i < EDITS; i++) {
      for (const via of ['webhook', 'syncNow'] as const) {
        const crmId = ids[i % ids.length]!;
        const value = 100_000 + i * 2 + (via === 'webhook' ? 0 : 1);
        const referralId = await editInStore(s, crmId, value);
        const t0 = performance.now();
        if (via === 'webhook') {
          const body = JSON.stringify({
            EventName: 'referral-updated',
            ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${referralId}`,
            ResourceName: 'referral',
            AuditUri: 'x',
            ResourceChangeUtcDate: new Date().toISOString(),
          });
          const res = await fetch(`${s.api}/webhooks/partner-center`, { method: 'POST', headers: signedHeaders(body, pki.keyOf('valid'), pki.certUrl('valid')), body });
          if (res.status !== 200) throw new Error(`webhook ${res.status}`);
        } else {
          await fetch(`${s.api}/api/v1/connections/sf/sync`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}` } });
        }
        await until(() => sb.org.get('Opportunity', crmId).Amount === value, 30_000);
        out[via].push(performance.now() - t0);
      }
    }
  } finally {
    await s.close();
  }
  return out;
}

async function crmToReferral(pki: Pki, LAG_EDITS: number): Promise<number[]> {
  const s = await stack(pki, '*/15 * * * * *');
  const { sb, ids } = opportunities(s);
  const lags: number[] = [];
  // Concurrent edits must each have their own record, or a later one overwrites the value an earlier one waits for.
  if (ids.length < LAG_EDITS) throw new Error(`only ${ids.length} synced opportunities for ${LAG_EDITS} concurrent edits`);
  try {
    await Promise.all(
      Array.from({ length: LAG_EDITS }, async (_, i) => {
        await sleep(Math.random() * 60_000);
        const crmId = ids[i]!;
        const value = 500_000 + i;
        sb.org.update('Opportunity', crmId, { Amount: value });
        lags.push(await until(async () => (await s.referral(crmId)).dealValue === value, 60_000));
      }),
    );
  } finally {
    await s.close();
  }
  return lags;
}

async function apiLists(RECORDS: number): Promise<{ routes: Record<string, number>; livez: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-bench-api-'));
  const state = openSqliteState(join(dir, 'state.db'));
  const base = emptyDealFields();
  for (let start = 0; start < RECORDS; start += 5000) {
    const n = Math.min(5000, RECORDS - start);
    const links: Link[] = Array.from({ length: n }, (_, j) => ({
      connection: 'bench',
      crmId: `006${start + j}`,
      referralId: `ref-${start + j}`,
      base: { ...base, name: `Deal ${start + j}` },
      referralSnapshot: null,
      referralEtag: null,
      crmVersion: null,
      state: 'ok',
      message: null,
      written: {},
      crmEcho: {},
      direction: 'Outgoing',
      updatedAt: new Date().toISOString(),
    }));
    const runId = await state.startRun('bench', `run-${start}`);
    await state.checkpoint('bench', {
      links,
      issues: links.filter((_, j) => j % 10 === 0).map((l) => ({ connection: 'bench', recordKey: `crm:${l.crmId}`, kind: 'validation', message: 'customer.country: required' })),
      conflicts: links
        .filter((_, j) => j % 50 === 0)
        .map((l) => ({ connection: 'bench', crmId: l.crmId, referralId: l.referralId, field: 'notes', baseValue: 'a', crmValue: 'b', referralValue: 'c' })),
      log: links.map((l) => ({
        runId,
        connection: 'bench',
        at: new Date().toISOString(),
        crmId: l.crmId,
        referralId: l.referralId,
        name: l.base.name,
        outcome: 'created',
        reason: null,
      })),
    });
    await state.finishRun(runId, 'ok', { ...emptyCounts(), pulledCrm: n, created: n });
  }
  const conn = { name: 'bench', kind: 'salesforce' as const } as never;
  const http = await startHttpServer({
    config: serverSchema.parse({ port: 0, tokens: { readEnv: 'BENCH_READ', adminEnv: 'BENCH_ADMIN' } }),
    ctx: {
      state,
      connections: [conn],
      log: silentLogger,
      health: createHealth(),
      runNow: async () => {},
      syncReferral: async () => [],
      metrics: createMetrics({ connections: () => [], lagSeconds: async () => null, budgetRatio: () => null, recordIssues: async () => 0, conflictsOpen: async () => 0 }),
    },
  });
  const time = async (path: string, auth = true) => {
    const xs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const res = await fetch(`${http.url}${path}`, { headers: auth ? { Authorization: `Bearer ${READ}` } : {} });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      xs.push(performance.now() - t0);
    }
    return pct(xs, 95);
  };
  const lastRun = (await state.runsPage({ limit: 1 })).items[0]!.id;
  const routes: Record<string, number> = {};
  for (const path of [
    '/api/v1/connections',
    '/api/v1/runs',
    `/api/v1/runs/${lastRun}/log`,
    '/api/v1/sync-log',
    '/api/v1/sync-log?search=Deal%20777',
    '/api/v1/sync-log?search=0064242',
    '/api/v1/issues',
    '/api/v1/issues?offset=9000',
    '/api/v1/conflicts',
  ]) {
    routes[path] = await time(path);
  }
  const livez = await time('/livez', false);
  await http.close();
  await state.close();
  return { routes, livez };
}

export interface BenchRow {
  id: string;
  what: string;
  ratio: string;
  target: string;
  raw: string;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function measureSurface(o: SurfaceBenchOptions): Promise<BenchRow[]> {
  const pki = await startPki();
  const rows: BenchRow[] = [];
  try {
    // `--edits 0` or `--lag-edits 0` leaves that part out (e.g. to re-measure only the API lists).
    if (o.edits > 0) {
      const w = await webhookToCrm(pki, o.edits);
      const [w50, w95, s95] = [pct(w.webhook, 50), pct(w.webhook, 95), pct(w.syncNow, 95)];
      rows.push({
        id: 'W',
        what: `webhook → CRM field, p95 vs "sync now" p95, ${o.edits} edits`,
        ratio: (w95 / s95).toFixed(2),
        target: 'p95 ≤ 2 s',
        raw: `p50 ${ms(w50)}, p95 ${ms(w95)} vs ${ms(s95)}`,
      });
    }
    if (o.lagEdits > 0) {
      const l = await crmToReferral(pki, o.lagEdits);
      const [l50, l95] = [pct(l, 50) / 1000, pct(l, 95) / 1000];
      rows.push({
        id: 'L',
        what: `CRM → referral on a 15 s schedule, p95 vs the interval, ${o.lagEdits} edits`,
        ratio: (l95 / 15).toFixed(2),
        target: 'p95 ≤ 20 s',
        raw: `p50 ${l50.toFixed(1)} s, p95 ${l95.toFixed(1)} s`,
      });
    }
    const a = await apiLists(o.records);
    for (const [path, p95] of Object.entries(a.routes)) {
      rows.push({
        id: 'A',
        what: `GET ${path}, ${o.records.toLocaleString('en')} records, p95 vs /livez`,
        ratio: (p95 / a.livez).toFixed(1),
        target: 'p95 ≤ 100 ms',
        raw: `${p95.toFixed(1)} ms vs ${a.livez.toFixed(1)} ms`,
      });
    }
  } finally {
    await pki.close();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const rows = await measureSurface({ edits: arg('edits', 200), lagEdits: arg('lag-edits', 40), records: arg('records', 100_000) });
  process.stdout.write(`${rows.map((r) => `| ${r.id} | ${r.what} | ${r.ratio} | ${r.target} | ${r.raw} |`).join('\n')}\n`);
}
