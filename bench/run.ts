/**
 * `npm run bench`: every figure as a ratio against a baseline measured in the same run, with the raw numbers
 * beside it. The CRM sandbox and the referral store run in a process of their own (bench/servers.ts), so the
 * clients — the sync's connection and the API floor, both in this process — never share a CPU with them, as in a
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
 *   B1′, B3′ B1 and B3 with the servers answering after a Partner Center-like latency (smaller scale, see below)
 *
 * Options: --scale N (default 100000), --skip-2n, --crm salesforce|dynamics365|both (default both), --skip-surface,
 * --skip-latency.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { apiFloor, type FloorResult } from './floor.js';
import { withBenchSection } from './results-file.js';
import { engineCpu, mappingRatio } from './cpu.js';
import type { Service } from '../src/cli/index.js';
import { measureMemory, writeResultsSvg } from './memory.js';
import type { CrmKind, Latency } from './servers.js';
import { CONCURRENCY, type Env, measured, openSync, ROOT, setUp } from './setup.js';
import { measureSurface } from './surface.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const SCALE = Number(arg('scale', '100000'));
const CRMS: CrmKind[] = arg('crm', 'both') === 'both' ? ['salesforce', 'dynamics365'] : [arg('crm', 'salesforce') as CrmKind];
const SKIP_2N = args.includes('--skip-2n');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

interface Row {
  id: string;
  what: string;
  ratio: string;
  target: string;
  raw: string;
}
const rows: Row[] = [];
const fmt = (n: number, d = 2) => n.toFixed(d);

/** B1c: client CPU (this process, user + system: the servers run in their own) per 1,000 records, sync vs floor. */
function cpuRow(label: string, n: number, syncCpuMs: number, floorCpuMs: number): Row {
  const per = (ms: number) => (ms / n) * 1000;
  return {
    id: 'B1c',
    what: `client CPU per 1,000 records, initial sync (${label})`,
    ratio: fmt(syncCpuMs / floorCpuMs),
    target: '≤ 250 ms',
    raw: `sync ${fmt(per(syncCpuMs), 0)} ms, floor ${fmt(per(floorCpuMs), 0)} ms per 1,000 (process.cpuUsage)`,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Cycles run minutes apart in production; the Salesforce pull re-reads its lookback window (10 s) once. */
const LOOKBACK_MS = 11_000;

async function measureCrm(kind: Env['kind']): Promise<void> {
  const label = kind === 'salesforce' ? 'Salesforce' : 'Dynamics 365';
  // The floor gets its own identical CRM and store, so neither run sees the other's writes.
  await withEnvs(kind, SCALE, async (f, e, conn) => {
    const floor: FloorResult = await apiFloor(f, SCALE, CONCURRENCY);
    const { value: b1, ms: b1ms, cpuMs: b1cpu } = await measured(() => conn.runCycle());
    const b1calls = b1.counts.crmCalls + b1.counts.referralCalls;
    rows.push({
      id: 'B1',
      what: `initial sync, ${SCALE.toLocaleString('en')} ${label} opportunities → store`,
      ratio: `time ${fmt(b1ms / floor.ms)} · calls ${fmt(b1calls / floor.calls)}`,
      target: '≤ 1.15 · 1.00',
      raw: `sync ${fmt(b1ms / 1000, 1)} s, ${b1calls} calls (${b1.counts.created} created); floor ${fmt(floor.ms / 1000, 1)} s, ${floor.calls} calls`,
    });
    rows.push(cpuRow(label, SCALE, b1cpu, floor.cpuMs));
    await conn.runCycle(); // the sync's own write-backs come back once
    await sleep(LOOKBACK_MS);
    await conn.runCycle();
    const nameField = kind === 'salesforce' ? 'Name' : 'name';
    // One empty query round-trip: the median of five, on a warm connection.
    const empties: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await conn.crm.findBy(nameField, ['nothing-here'], [nameField]);
      empties.push(performance.now() - t);
    }
    const emptyMs = empties.sort((a, b) => a - b)[2]!;
    const { value: idle, ms: idleMs } = await measured(() => conn.runCycle());
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
    const { value: b3, ms: b3ms } = await measured(() => conn.runCycle());
    const b3calls = b3.counts.crmCalls + b3.counts.referralCalls;
    rows.push({
      id: 'B3',
      what: `${changed.toLocaleString('en')} changed (1 %) of ${SCALE.toLocaleString('en')} (${label})`,
      ratio: `time ${fmt(b3ms / changeFloor.ms)} · calls ${fmt(b3calls / changeFloor.calls)}`,
      target: '≤ 1.15 · 1.00',
      raw: `sync ${fmt(b3ms / 1000, 1)} s, ${b3calls} calls (${b3.counts.updated} updated); floor ${fmt(changeFloor.ms / 1000, 1)} s, ${changeFloor.calls} calls`,
    });
  });
}

/**
 * A Partner Center-like answer time: every referral call waits 80–250 ms, every CRM call 40–150 ms (uniform, a
 * timer in the server process). The floor and the sync each start the same seeded draw.
 */
const LATENCY: Latency = { referrals: [80, 250], crm: [40, 150], seed: 21 };

/**
 * B1′ and B3′: B1 and B3 with that latency, same concurrency. At ~165 ms a call and 16 in flight a create costs
 * ~10 ms of wall time, so the scale is smaller than B1's: 5,000 records (five pages of 1,000, about a minute per
 * run) and 1,000 changed of 10,000 (a B3 of 10 s, long against one page read). The B3′ base is synced untimed
 * without latency.
 */
async function measureLatency(kind: CrmKind): Promise<void> {
  const label = kind === 'salesforce' ? 'Salesforce' : 'Dynamics 365';
  const n = Math.min(SCALE, 5_000);
  const latency = `${LATENCY.referrals.join('–')} ms referrals, ${LATENCY.crm.join('–')} ms CRM`;
  await withEnvs(kind, n, async (f, e, conn) => {
    await f.latency(LATENCY);
    const floor = await apiFloor(f, n, CONCURRENCY);
    await e.latency(LATENCY);
    const { value: b1, ms } = await measured(() => conn.runCycle());
    rows.push({
      id: 'B1′',
      what: `initial sync, ${n.toLocaleString('en')} ${label} opportunities, ${latency}`,
      ratio: `time ${fmt(ms / floor.ms)}`,
      target: '≤ 1.05',
      raw: `sync ${fmt(ms / 1000, 1)} s (${b1.counts.created} created); floor ${fmt(floor.ms / 1000, 1)} s`,
    });
  });
  const base = n * 2;
  const changed = base / 10;
  await withEnvs(kind, base, async (f, e, conn) => {
    await apiFloor(f, base, CONCURRENCY);
    await conn.runCycle();
    await conn.runCycle(); // the write-backs come back once, then the lookback window once (as in B3)
    await sleep(LOOKBACK_MS);
    await conn.runCycle();
    await f.latency(LATENCY);
    const floor = await apiFloor(f, changed, CONCURRENCY, { changesOnly: true });
    await e.latency(LATENCY);
    await e.touch(changed);
    const { value: b3, ms } = await measured(() => conn.runCycle());
    rows.push({
      id: 'B3′',
      what: `${changed.toLocaleString('en')} changed of ${base.toLocaleString('en')} (${label}), ${latency}`,
      ratio: `time ${fmt(ms / floor.ms)}`,
      target: '≤ 1.05',
      raw: `sync ${fmt(ms / 1000, 1)} s (${b3.counts.updated} updated); floor ${fmt(floor.ms / 1000, 1)} s`,
    });
  });
}

/** A floor environment and a sync environment of n records each (the floor's own, so neither sees the other's writes), with the sync's connection open; closed after. */
async function withEnvs(kind: CrmKind, n: number, fn: (floor: Env, sync: Env, conn: Service['connections'][number]) => Promise<void>): Promise<void> {
  const f = await setUp(kind, n);
  const e = await setUp(kind, n);
  const svc = await openSync(e);
  try {
    await fn(f, e, svc.connections[0]!);
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
  if (!args.includes('--skip-latency')) for (const kind of CRMS) await measureLatency(kind);
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
  const file = join(ROOT, 'bench', 'RESULTS.md');
  const note =
    "Ratios are against baselines measured in the same run (see bench/run.ts). The CRM sandbox and the referral store run in a process of their own, the sync and the API floor in the bench's, so clients and servers never share a CPU and `process.cpuUsage()` of the bench (B1c) is the client's alone; the floor reads the same fields as the sync, over bare keep-alive `http(s).request`. B1′/B3′ add a per-request latency drawn in the servers (a timer, no CPU). B4 runs `cosell-sync sync` as its own process. A CPU profile of B1: `node dist/bench/profile.js --scale 20000 --crm salesforce --floor`. The store's own throughput bench: `node --import tsx bench/store.ts`.";
  writeFileSync(file, withBenchSection(existsSync(file) ? readFileSync(file, 'utf8') : null, `${text}\n${note}`));
}

await main();
