/**
 * Benchmarks of the HTTP surface, each beside a baseline measured in the same run (not part of `npm run bench`;
 * run it on its own: `node --import tsx bench/surface.ts [--edits 200] [--lag-edits 40] [--records 100000]`).
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
import type { SalesforceSandbox } from '../connectors/salesforce/index.js';
import { createSurface } from '../src/cli/surface.js';
import { openService, type Service } from '../src/cli/service.js';
import { emptyDealFields } from '../src/domain/index.js';
import { loadConfig, serverSchema, silentLogger, startScheduler } from '../src/runtime/index.js';
import { createHealth, createMetrics, startHttpServer } from '../src/server/index.js';
import { emptyCounts, openSqliteState, type Link } from '../src/state/index.js';
import { writeSurfaceConfig } from '../test/helpers/surface-config.js';
import { signedHeaders, startPki, type Pki } from '../test/helpers/webhook-pki.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EDITS = arg('edits', 200);
const LAG_EDITS = arg('lag-edits', 40);
const RECORDS = arg('records', 100_000);
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
  const file = writeSurfaceConfig(dir, { pki, mapping: join(process.cwd(), 'mappings/salesforce.yaml'), schedule, seed: 60, readEnv: 'BENCH_READ', adminEnv: 'BENCH_ADMIN' });
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
  return { sb, ids: sb.org.all('Opportunity').filter((o) => o.Referral_Id__c).map((o) => String(o.Id)) };
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

async function webhookToCrm(pki: Pki): Promise<{ webhook: number[]; syncNow: number[] }> {
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
          const body = JSON.stringify({ EventName: 'referral-updated', ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${referralId}`, ResourceName: 'referral', AuditUri: 'x', ResourceChangeUtcDate: new Date().toISOString() });
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

async function crmToReferral(pki: Pki): Promise<number[]> {
  const s = await stack(pki, '*/15 * * * * *');
  const { sb, ids } = opportunities(s);
  const lags: number[] = [];
  try {
    await Promise.all(
      Array.from({ length: LAG_EDITS }, async (_, i) => {
        await sleep(Math.random() * 60_000);
        const crmId = ids[i % ids.length]!;
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

async function apiLists(): Promise<{ routes: Record<string, number>; livez: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-bench-api-'));
  const state = openSqliteState(join(dir, 'state.db'));
  const base = emptyDealFields();
  for (let start = 0; start < RECORDS; start += 5000) {
    const n = Math.min(5000, RECORDS - start);
    const links: Link[] = Array.from({ length: n }, (_, j) => ({
      connection: 'bench', crmId: `006${start + j}`, referralId: `ref-${start + j}`, base: { ...base, name: `Deal ${start + j}` }, referralSnapshot: null,
      referralEtag: null, crmVersion: null, state: 'ok', message: null, written: {}, direction: 'Outgoing', updatedAt: new Date().toISOString(),
    }));
    const runId = await state.startRun('bench', `run-${start}`);
    await state.checkpoint('bench', {
      links,
      issues: links.filter((_, j) => j % 10 === 0).map((l) => ({ connection: 'bench', recordKey: `crm:${l.crmId}`, kind: 'validation', message: 'customer.country: required' })),
      conflicts: links.filter((_, j) => j % 50 === 0).map((l) => ({ connection: 'bench', crmId: l.crmId, referralId: l.referralId, field: 'notes', baseValue: 'a', crmValue: 'b', referralValue: 'c' })),
    });
    await state.appendSyncLog(links.map((l) => ({ runId, connection: 'bench', at: new Date().toISOString(), crmId: l.crmId, referralId: l.referralId, name: l.base.name, outcome: 'created', reason: null })));
    await state.finishRun(runId, 'ok', { ...emptyCounts(), pulledCrm: n, created: n });
  }
  const conn = { name: 'bench', kind: 'salesforce' as const } as never;
  const http = await startHttpServer({
    config: serverSchema.parse({ port: 0, tokens: { readEnv: 'BENCH_READ', adminEnv: 'BENCH_ADMIN' } }),
    ctx: {
      state, connections: [conn], log: silentLogger, health: createHealth(), runNow: async () => {}, syncReferral: async () => [],
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
  for (const path of ['/api/v1/connections', '/api/v1/runs', `/api/v1/runs/${lastRun}/log`, '/api/v1/sync-log', '/api/v1/sync-log?search=Deal%20777', '/api/v1/sync-log?search=0064242', '/api/v1/issues', '/api/v1/issues?offset=9000', '/api/v1/conflicts']) {
    routes[path] = await time(path);
  }
  const livez = await time('/livez', false);
  await http.close();
  await state.close();
  return { routes, livez };
}

async function main() {
  const pki = await startPki();
  const lines: string[] = ['| id | what | p50 | p95 | baseline | goal |', '|---|---|---|---|---|---|'];
  try {
    const w = await webhookToCrm(pki);
    lines.push(`| W | webhook → CRM field, ${EDITS} edits | ${pct(w.webhook, 50).toFixed(0)} ms | ${pct(w.webhook, 95).toFixed(0)} ms | sync now: p50 ${pct(w.syncNow, 50).toFixed(0)} ms, p95 ${pct(w.syncNow, 95).toFixed(0)} ms | p95 ≤ 2000 ms |`);
    const l = await crmToReferral(pki);
    lines.push(`| L | CRM → referral, 15 s schedule, ${LAG_EDITS} edits | ${(pct(l, 50) / 1000).toFixed(1)} s | ${(pct(l, 95) / 1000).toFixed(1)} s | schedule 15 s | p95 ≤ 20 s |`);
    const a = await apiLists();
    for (const [path, p95] of Object.entries(a.routes)) lines.push(`| A | GET ${path} on ${RECORDS} records | | ${p95.toFixed(1)} ms | /livez p95 ${a.livez.toFixed(1)} ms | p95 ≤ 100 ms |`);
  } finally {
    await pki.close();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
