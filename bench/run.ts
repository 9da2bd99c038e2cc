/**
 * `npm run bench`: every figure as a ratio against a baseline measured in the same run, with the raw numbers
 * beside it. The CRM sandbox and the referral store run in a worker thread (bench/servers.ts), so the clients —
 * the sync's connection and the API floor, both on this thread — never share a CPU with the servers, as in a
 * real deployment. B4 and B6 (bench/memory.ts) run the real CLI as a child process and sample its peak RSS; they
 * also draw bench/results.svg.
 *
 *   B1 initial sync vs the API floor (the calls a perfect sync needs, same concurrency)
 *   B2 idle cycle: calls per side, and time vs one empty query round-trip
 *   B3 1 % changed vs the floor for those changes
 *   B4 peak RSS of `cosell-sync sync` at N/5, N and 2N records (N/5, N/2, N with --skip-2n), vs `status`
 *   B6 peak RSS of 20 connections × 5,000 records in one process
 *   B5 engine CPU: map + plan in process
 *   M  mapping: compiled mapping vs a hand-written one
 *   W, L, A  the HTTP surface (bench/surface.ts): webhook → CRM latency, CRM → referral lag, admin API lists
 *
 * Options: --scale N (default 100000), --skip-2n, --crm salesforce|dynamics365|both (default both), --skip-surface.
 */
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openService } from '../src/cli/index.js';
import { loadConfig, silentLogger } from '../src/runtime/index.js';
import { apiFloor, type FloorResult } from './floor.js';
import { engineCpu, mappingRatio } from './cpu.js';
import { measureMemory, writeResultsSvg } from './memory.js';
import { startServerThread, type CrmKind, type ServerInfo } from './servers.js';
import { measureSurface } from './surface.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const SCALE = Number(arg('scale', '100000'));
const CRMS: CrmKind[] = arg('crm', 'both') === 'both' ? ['salesforce', 'dynamics365'] : [arg('crm', 'salesforce') as CrmKind];
const SKIP_2N = args.includes('--skip-2n');
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CONCURRENCY = 16;

interface Row {
  id: string;
  what: string;
  ratio: string;
  target: string;
  raw: string;
}
const rows: Row[] = [];
const fmt = (n: number, d = 2) => n.toFixed(d);

export interface Env extends ServerInfo {
  kind: CrmKind;
  config: string;
  /** The mapping file the sync uses (the floor reads the same fields). */
  mapping: string;
  env: NodeJS.ProcessEnv;
  /** Change the amount of the first n opportunities in the CRM (untimed setup for B3). */
  touch(n: number): Promise<void>;
  close(): Promise<void>;
}

async function setUp(kind: CrmKind, n: number): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), `cosell-bench-${kind}-`));
  const servers = await startServerThread(kind, n, dir, join(ROOT, '.cosell', 'bench-certs'));
  const { store, sf, d365 } = servers.info;
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_STORE_KEY: store.apiKey, COSELL_LOG_LEVEL: 'warn' };
  let crmYaml: string;
  if (sf) {
    env.BENCH_SF_KEY = sf.credentials.privateKeyPem;
    crmYaml = `kind: salesforce\n      instanceUrl: ${sf.url}\n      loginUrl: ${sf.url}\n      auth: { method: jwt, clientId: ${sf.credentials.clientId}, username: ${sf.credentials.username}, privateKeyEnv: BENCH_SF_KEY }\n      rate: { concurrency: ${CONCURRENCY}, intervalCap: 1000000, intervalMs: 1000 }`;
  } else {
    const d = d365!;
    env.BENCH_D365_SECRET = d.credentials.clientSecret;
    crmYaml = `kind: dynamics365\n      url: ${d.url}\n      auth: { method: client-credentials, tenantId: ${d.credentials.tenantId}, authority: ${d.authority}, clientId: ${d.credentials.clientId}, clientSecretEnv: BENCH_D365_SECRET, caFile: ${d.caFile} }\n      rate: { concurrency: ${CONCURRENCY}, intervalCap: 1000000, intervalMs: 1000 }`;
  }
  const config = join(dir, 'config.yaml');
  const mapping = join(ROOT, 'mappings', `${kind}.yaml`);
  writeFileSync(
    config,
    `state: { path: ${join(dir, 'state.db')} }\nlog: { level: warn }\nreferrals:\n  target: store\n  baseUrl: ${store.url}\n  auth: { method: api-key, apiKeyEnv: BENCH_STORE_KEY }\n  rate: { concurrency: ${CONCURRENCY}, intervalCap: 1000000, intervalMs: 1000 }\n  incremental: { mode: filter, overlapSeconds: 0 }\nconnections:\n  - name: bench\n    crm:\n      ${crmYaml}\n    mapping: ${mapping}\n    pageSize: 1000\n`,
  );
  return { kind, ...servers.info, config, mapping, env, touch: servers.touch, close: servers.close };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Cycles run minutes apart in production; the Salesforce pull re-reads its lookback window (10 s) once. */
const LOOKBACK_MS = 11_000;

async function measureCrm(kind: Env['kind']): Promise<void> {
  const label = kind === 'salesforce' ? 'Salesforce' : 'Dynamics 365';
  // The floor gets its own identical CRM and store, so neither run sees the other's writes.
  const f = await setUp(kind, SCALE);
  const e = await setUp(kind, SCALE);
  Object.assign(process.env, e.env);
  const svc = await openService(loadConfig(e.config), silentLogger);
  try {
    const conn = svc.connections[0]!;
    const floor: FloorResult = await apiFloor(f, SCALE, CONCURRENCY);
    let t = performance.now();
    const b1 = await conn.runCycle();
    const b1ms = performance.now() - t;
    const b1calls = b1.counts.crmCalls + b1.counts.referralCalls;
    rows.push({
      id: 'B1',
      what: `initial sync, ${SCALE.toLocaleString('en')} ${label} opportunities → store`,
      ratio: `time ${fmt(b1ms / floor.ms)} · calls ${fmt(b1calls / floor.calls)}`,
      target: '≤ 1.25 · 1.00',
      raw: `sync ${fmt(b1ms / 1000, 1)} s, ${b1calls} calls (${b1.counts.created} created); floor ${fmt(floor.ms / 1000, 1)} s, ${floor.calls} calls`,
    });
    await conn.runCycle(); // the sync's own write-backs come back once
    await sleep(LOOKBACK_MS);
    await conn.runCycle();
    const nameField = kind === 'salesforce' ? 'Name' : 'name';
    // One empty query round-trip: the median of five, on a warm connection.
    const empties: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      await conn.crm.findBy(nameField, ['nothing-here'], [nameField]);
      empties.push(performance.now() - t);
    }
    const emptyMs = empties.sort((a, b) => a - b)[2]!;
    t = performance.now();
    const idle = await conn.runCycle();
    const idleMs = performance.now() - t;
    rows.push({
      id: 'B2',
      what: `idle cycle on ${SCALE.toLocaleString('en')} (${label})`,
      ratio: `time ${fmt(idleMs / emptyMs, 1)}× one empty query`,
      target: '≤ 3 calls per side',
      raw: `${idle.counts.crmCalls} CRM + ${idle.counts.referralCalls} referral calls; ${fmt(idleMs, 1)} ms vs ${fmt(emptyMs, 1)} ms`,
    });
    const changed = Math.max(1, Math.round(SCALE / 100));
    const changeFloor = await apiFloor(f, changed, CONCURRENCY, { changesOnly: true });
    await e.touch(changed);
    t = performance.now();
    const b3 = await conn.runCycle();
    const b3ms = performance.now() - t;
    const b3calls = b3.counts.crmCalls + b3.counts.referralCalls;
    rows.push({
      id: 'B3',
      what: `${changed.toLocaleString('en')} changed (1 %) of ${SCALE.toLocaleString('en')} (${label})`,
      ratio: `time ${fmt(b3ms / changeFloor.ms)} · calls ${fmt(b3calls / changeFloor.calls)}`,
      target: '≤ 1.25 · 1.00',
      raw: `sync ${fmt(b3ms / 1000, 1)} s, ${b3calls} calls (${b3.counts.updated} updated); floor ${fmt(changeFloor.ms / 1000, 1)} s, ${changeFloor.calls} calls`,
    });
  } finally {
    await svc.close();
    await e.close();
    await f.close();
  }
}

function table(): string {
  const head = ['', 'measure', 'ratio', 'target', 'raw'];
  const data = rows.map((r) => [r.id, r.what, r.ratio, r.target, r.raw]);
  const width = head.map((h, i) => Math.max(h.length, ...data.map((d) => d[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
  return [line(head), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...data.map(line)].join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm run bench does)');
  const cpu = engineCpu(SCALE);
  rows.push({
    id: 'B5',
    what: `map + plan, ${SCALE.toLocaleString('en')} records in process`,
    ratio: '—',
    target: '≥ 50,000 rec/s',
    raw: `${Math.round(cpu.recordsPerSecond).toLocaleString('en')} rec/s`,
  });
  const m = mappingRatio(SCALE);
  rows.push({
    id: 'M',
    what: 'compiled mapping vs hand-written, same fields',
    ratio: fmt(m.ratio),
    target: '≥ 0.5 · ≥ 100,000 rec/s',
    raw: `${Math.round(m.compiled).toLocaleString('en')} vs ${Math.round(m.handWritten).toLocaleString('en')} rec/s`,
  });
  for (const kind of CRMS) await measureCrm(kind);
  if (CRMS.includes('salesforce')) {
    const scales = SKIP_2N ? [SCALE / 5, SCALE / 2, SCALE] : [SCALE / 5, SCALE, SCALE * 2];
    const memory = await measureMemory({ scales, connections: 20, perConnection: 5000 });
    rows.push(...memory.rows);
    writeResultsSvg(memory.points, `cosell-sync, Salesforce → store: cost against records (${new Date().toISOString().slice(0, 10)})`);
  }
  if (!args.includes('--skip-surface')) rows.push(...(await measureSurface({ edits: 200, lagEdits: 40, records: SCALE })));
  const header = `cosell-sync benchmarks — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}, scale ${SCALE.toLocaleString('en')}`;
  const text = `${header}\n\n${table()}\n`;
  process.stdout.write(`${text}\n`);
  writeFileSync(
    join(ROOT, 'bench', 'RESULTS.md'),
    `# Benchmark results\n\n${text}\nRatios are against baselines measured in the same run (see bench/run.ts). The CRM sandbox and the referral store run in a worker thread, the sync and the API floor on the main thread, so clients and servers never share a CPU; the floor reads the same fields as the sync. B4 runs \`cosell-sync sync\` as its own process. The store's own throughput bench: \`node --import tsx bench/store.ts\`.\n`,
  );
}

await main();
