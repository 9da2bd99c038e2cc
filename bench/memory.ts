/**
 * Memory of the sync as users run it — the real CLI as its own process, peak RSS sampled from /proc — and the
 * picture of how cost grows with work. Rows of `npm run bench`, or on their own (after `npm run build`):
 * `node dist/bench/memory.js [--scales 20000,100000,200000] [--connections 20] [--per-connection 5000] [--concurrency N]` (`--scales none`
 * or `--connections 0` leaves that part out).
 *
 *   B4  `cosell-sync status` (the CLI's baseline), then `cosell-sync sync` at each scale: peak RSS, the ratio of
 *       the two largest scales, and the modules a sync loads (none of fastify, the sandboxes or the store).
 *   B6  --connections × --per-connection records synced by one process (`start --once`), vs one connection of
 *       the same size in the same run: peak RSS, the cost of each further connection and the time of the whole.
 *       B4 reads pages of 1,000 (as B1); B6 the default page size, as a platform's many small connections would,
 *       and the default `runtime.concurrency` (cycles at once) unless `--concurrency N` sets it.
 *   bench/results.svg: sync and API-floor time, and the sync's peak RSS, against the number of records.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiFloor } from './floor.js';
import { CONCURRENCY, type Env } from './setup.js';
import { serverModules } from './server-modules.js';
import { startServerProcess, type SalesforceInfo, type ServerProcess } from './servers.js';
import type { BenchRow } from './surface.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MODULE_LIST = join(ROOT, 'dist', 'bench', 'loaded-modules.js');
const MAPPING = join(ROOT, 'mappings', 'salesforce.yaml');
const PAGE_SIZE = 1000;
/** The `cosell-sync` bin's `env -S` shebang: its V8 flags and environment settings, so the bench measures what users run. */
const shebang = () => readFileSync(CLI, 'utf8').split('\n', 1)[0]!;
const heapFlags = () => shebang().match(/--max-[a-z-]+=\d+/g) ?? [];
const binEnv = () => Object.fromEntries([...shebang().matchAll(/ ([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));

export interface MemoryBenchOptions {
  scales: number[];
  connections: number;
  perConnection: number;
  /** B6's `runtime.concurrency`; the config's default when absent. */
  concurrency?: number;
}

/** One sync of a scale: its time, the floor's for the same work, its peak RSS. */
export interface ScalePoint {
  records: number;
  syncMs: number;
  floorMs: number;
  peakRssMb: number;
}

interface CliRun {
  ms: number;
  peakRssMb: number;
  out: string;
}

/** Run the CLI as a child process; sample its peak RSS (VmHWM, the kernel's high-water mark) while it runs. */
function runCli(args: string[], env: NodeJS.ProcessEnv, preload: string[] = []): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [...heapFlags(), ...preload, CLI, ...args], { env: { ...env, ...binEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peak = 0;
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        // the process has just ended
      }
    }, 25);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearInterval(sample);
      if (code !== 0) return reject(new Error(`cosell-sync ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      resolveRun({ ms: performance.now() - start, peakRssMb: peak / 1024, out });
    });
  });
}

interface Fixture {
  servers: ServerProcess;
  dir: string;
  config: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A store's API key for a partner organization of its own (each connection of B6 is another partner). */
async function organizationKey(store: ServerProcess['info']['store'], name: string): Promise<string> {
  const res = await fetch(`${new URL(store.url).origin}/_admin/organizations/${name}/keys`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${store.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { apiKey?: string };
  if (!body.apiKey) throw new Error(`bench: no key for organization ${name} (${res.status})`);
  return body.apiKey;
}

/**
 * A store and `connections` Salesforce orgs of `records` opportunities each, in a server thread, and a config
 * naming them: every connection its own org and its own store organization, as on a platform of many partners.
 */
async function fixture(connections: number, records: number, pageSize?: number, concurrency?: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-bench-memory-'));
  const certRoot = join(ROOT, '.cosell', 'bench-certs');
  const servers = await startServerProcess('salesforce', records, dir, certRoot);
  const { store } = servers.info;
  const orgs: SalesforceInfo[] = [servers.info.sf!];
  while (orgs.length < connections) orgs.push(await servers.addSalesforce(records));
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_STORE_KEY: store.apiKey, COSELL_LOG_LEVEL: 'warn' };
  const entries: string[] = [];
  for (const [i, sf] of orgs.entries()) {
    const name = `bench-${i}`;
    env[`BENCH_SF_KEY_${i}`] = sf.credentials.privateKeyPem;
    env[`BENCH_STORE_KEY_${i}`] = i === 0 ? store.apiKey : await organizationKey(store, name);
    const c = sf.credentials;
    entries.push(
      `  - name: ${name}\n    crm:\n      kind: salesforce\n      instanceUrl: ${sf.url}\n      loginUrl: ${sf.url}\n` +
        `      auth: { method: jwt, clientId: ${c.clientId}, username: ${c.username}, privateKeyEnv: BENCH_SF_KEY_${i} }\n` +
        `      rate: { concurrency: ${CONCURRENCY}, intervalCap: 1000000, intervalMs: 1000 }\n` +
        `    referrals: { auth: { method: api-key, apiKeyEnv: BENCH_STORE_KEY_${i} } }\n    mapping: ${MAPPING}\n` +
        (pageSize ? `    pageSize: ${pageSize}\n` : ''),
    );
  }
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `state: { path: ${join(dir, 'state.db')} }\nlog: { level: warn }\nserver: { enabled: false }\n` +
      (concurrency ? `runtime: { concurrency: ${concurrency} }\n` : '') +
      `referrals:\n  target: store\n  baseUrl: ${store.url}\n  auth: { method: api-key, apiKeyEnv: BENCH_STORE_KEY }\n` +
      `  rate: { concurrency: ${CONCURRENCY}, intervalCap: 1000000, intervalMs: 1000 }\n  incremental: { mode: filter, overlapSeconds: 0 }\n` +
      `connections:\n${entries.join('')}`,
  );
  return {
    servers,
    dir,
    config,
    env,
    close: async () => (await servers.close(), rmSync(dir, { recursive: true, force: true })),
  };
}

/** The API floor (bench/floor.ts) for `records` opportunities, on servers of its own. */
async function floorMs(records: number): Promise<number> {
  const f = await fixture(1, records, PAGE_SIZE);
  try {
    const env: Env = {
      kind: 'salesforce',
      ...f.servers.info,
      config: f.config,
      mapping: MAPPING,
      env: f.env,
      touch: f.servers.touch,
      latency: f.servers.latency,
      serverCpuMs: async () => 0,
      close: f.close,
    };
    return (await apiFloor(env, records, CONCURRENCY)).ms;
  } finally {
    await f.close();
  }
}

/** The modules `sync` loads, as the loaded-modules preload records them (its own two files left out). */
async function syncModules(): Promise<string[]> {
  const f = await fixture(1, 1000, PAGE_SIZE);
  const list = join(f.dir, 'modules.txt');
  try {
    await runCli(['-c', f.config, 'sync', '--connection', 'bench-0'], { ...f.env, COSELL_MODULE_LIST: list }, ['--import', MODULE_LIST]);
    return [...new Set(readFileSync(list, 'utf8').split('\n'))].filter((m) => m && !m.includes('/bench/loaded-modules'));
  } finally {
    await f.close();
  }
}

const fmt = (n: number, d = 0) => n.toFixed(d);
const thousands = (n: number) => n.toLocaleString('en');

export async function measureMemory(o: MemoryBenchOptions): Promise<{ rows: BenchRow[]; points: ScalePoint[] }> {
  const rows: BenchRow[] = [];
  const points: ScalePoint[] = [];
  let statusMb = 0;
  for (const records of o.scales) {
    const floor = await floorMs(records);
    const f = await fixture(1, records, PAGE_SIZE);
    try {
      const sync = await runCli(['-c', f.config, 'sync', '--connection', 'bench-0'], f.env);
      if (!/created \d+/.test(sync.out)) throw new Error(`sync printed no summary: ${sync.out}`);
      // `status` on the state the sync has just written: what the CLI costs before any sync code loads.
      if (statusMb === 0) statusMb = (await runCli(['-c', f.config, 'status'], f.env)).peakRssMb;
      points.push({ records, syncMs: sync.ms, floorMs: floor, peakRssMb: sync.peakRssMb });
      rows.push({
        id: 'B4',
        what: `peak RSS of \`cosell-sync sync\`, ${thousands(records)} opportunities, vs \`cosell-sync status\``,
        ratio: fmt(sync.peakRssMb / statusMb, 2),
        target: '≤ 150 MB',
        raw: `${fmt(sync.peakRssMb)} MB vs ${fmt(statusMb)} MB (sync ${fmt(sync.ms / 1000, 1)} s, floor ${fmt(floor / 1000, 1)} s)`,
      });
    } finally {
      await f.close();
    }
  }
  const [n, twoN] = points.slice(-2);
  if (n && twoN && points.length > 1)
    rows.push({
      id: 'B4',
      what: `peak RSS ${thousands(twoN.records)} / ${thousands(n.records)}`,
      ratio: fmt(twoN.peakRssMb / n.peakRssMb, 2),
      target: '≤ 1.1',
      raw: `${fmt(twoN.peakRssMb)} MB / ${fmt(n.peakRssMb)} MB`,
    });
  if (points.length === 0) return { rows: o.connections > 0 ? await perConnection(o.connections, o.perConnection, o.concurrency) : [], points };
  const modules = await syncModules();
  const server = serverModules(modules);
  rows.push({
    id: 'B4',
    what: 'modules loaded by `cosell-sync sync` (remote CRM and store)',
    ratio: '—',
    target: 'no server code',
    raw: `${modules.length} modules; server modules: ${server.length ? server.slice(0, 3).join(', ') : 'none'}`,
  });
  if (o.connections > 0) rows.push(...(await perConnection(o.connections, o.perConnection, o.concurrency)));
  return { rows, points };
}

/** B6: `start --once` over `connections` partners vs over one, same records per connection, in this run. */
async function perConnection(connections: number, records: number, concurrency?: number): Promise<BenchRow[]> {
  const peaks: number[] = [];
  let ms = 0;
  for (const count of [1, connections]) {
    const f = await fixture(count, records, undefined, concurrency);
    try {
      const r = await runCli(['-c', f.config, 'start', '--once'], f.env).catch((err: Error) => err);
      // Out of heap is a result to print, not a reason to lose the rows before it.
      if (r instanceof Error)
        return [
          {
            id: 'B6',
            what: `${count} connections × ${thousands(records)} records in one process`,
            ratio: '—',
            target: '',
            raw: /heap out of memory/.test(r.message) ? `JavaScript heap out of memory at the bin's cap (${heapFlags().join(' ')})` : r.message.slice(-300),
          },
        ];
      const synced = r.out.match(/created \d+/g) ?? [];
      if (synced.length !== count) throw new Error(`start --once: ${synced.length} of ${count} connections reported: ${r.out}`);
      peaks.push(r.peakRssMb);
      ms = r.ms;
    } finally {
      await f.close();
    }
  }
  const [one, many] = peaks as [number, number];
  const limit = 150 + 5 * connections;
  return [
    {
      id: 'B6',
      what: `peak RSS, ${connections} connections × ${thousands(records)} records in one process, vs 1 connection${concurrency ? ` (runtime.concurrency ${concurrency})` : ''}`,
      ratio: fmt(many / one, 2),
      target: `≤ ${limit} MB (150 + 5 per connection)`,
      raw: `${fmt(many)} MB vs ${fmt(one)} MB: ${fmt((many - one) / (connections - 1), 1)} MB per further connection; all ${connections} in ${fmt(ms / 1000, 1)} s`,
    },
  ];
}

/** bench/results.svg: two panels over the same record axis — time (sync, floor) and the sync's peak RSS. */
export function resultsSvg(points: ScalePoint[], title: string): string {
  const W = 760;
  const H = 300;
  const pad = { l: 64, r: 24, t: 48, b: 52 };
  const panelW = (W - pad.l - pad.r - 60) / 2;
  const plotH = H - pad.t - pad.b;
  const maxX = Math.max(...points.map((p) => p.records));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const panel = (x0: number, label: string, unit: string, series: { name: string; color: string; value: (p: ScalePoint) => number }[], goal?: number) => {
    // Four gridlines at a round step (1, 2, 2.5 or 5 × 10^k) above the largest value and the goal.
    const top = Math.max(goal ?? 0, ...series.flatMap((s) => points.map(s.value)));
    const magnitude = 10 ** Math.floor(Math.log10(top / 4));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((x) => x * 4 >= top * 1.05)!;
    const maxY = step * 4;
    const px = (r: number) => x0 + (r / maxX) * panelW;
    const py = (v: number) => pad.t + plotH - (v / maxY) * plotH;
    const ticks = [0, 1, 2, 3, 4].map((i) => i * step);
    const parts = [
      `<text x="${x0}" y="${pad.t - 12}" font-weight="bold">${esc(label)}</text>`,
      `<line x1="${x0}" y1="${pad.t + plotH}" x2="${x0 + panelW}" y2="${pad.t + plotH}" stroke="#333"/>`,
      `<line x1="${x0}" y1="${pad.t}" x2="${x0}" y2="${pad.t + plotH}" stroke="#333"/>`,
      ...ticks.map(
        (v) => `<line x1="${x0}" y1="${py(v)}" x2="${x0 + panelW}" y2="${py(v)}" stroke="#ddd"/><text x="${x0 - 6}" y="${py(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
      ),
      ...points.map((p) => `<text x="${px(p.records)}" y="${pad.t + plotH + 16}" text-anchor="middle">${thousands(p.records / 1000)}k</text>`),
      `<text x="${x0 + panelW / 2}" y="${pad.t + plotH + 34}" text-anchor="middle">records</text>`,
      `<text x="${x0 - 48}" y="${pad.t + plotH / 2}" transform="rotate(-90 ${x0 - 48} ${pad.t + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`,
    ];
    if (goal !== undefined)
      parts.push(
        `<line x1="${x0}" y1="${py(goal)}" x2="${x0 + panelW}" y2="${py(goal)}" stroke="#2ca02c" stroke-dasharray="5 4"/><text x="${x0 + panelW}" y="${py(goal) - 4}" text-anchor="end" fill="#2ca02c">goal ${fmt(goal)} ${esc(unit)}</text>`,
      );
    series.forEach((s, i) => {
      const xy = points.map((p) => `${fmt(px(p.records), 1)},${fmt(py(s.value(p)), 1)}`);
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${xy.join(' ')}"/>`);
      parts.push(...xy.map((c) => `<circle cx="${c.split(',')[0]}" cy="${c.split(',')[1]}" r="3" fill="${s.color}"/>`));
      parts.push(`<rect x="${x0 + 10}" y="${pad.t + 6 + i * 16}" width="10" height="10" fill="${s.color}"/><text x="${x0 + 24}" y="${pad.t + 15 + i * 16}">${esc(s.name)}</text>`);
    });
    return parts.join('\n');
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${pad.l - 40}" y="20" font-size="13" font-weight="bold">${esc(title)}</text>`,
    panel(pad.l, 'initial sync time', 'seconds', [
      { name: 'cosell-sync sync', color: '#1f77b4', value: (p) => p.syncMs / 1000 },
      { name: 'API floor', color: '#999', value: (p) => p.floorMs / 1000 },
    ]),
    panel(pad.l + panelW + 60, 'peak RSS of the sync process', 'MB', [{ name: 'cosell-sync sync', color: '#d62728', value: (p) => p.peakRssMb }], 150),
    '</svg>\n',
  ].join('\n');
}

export function writeResultsSvg(points: ScalePoint[], title: string): void {
  writeFileSync(join(ROOT, 'bench', 'results.svg'), resultsSvg(points, title));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const { rows, points } = await measureMemory({
    scales: arg('scales', '20000,100000,200000')
      .split(',')
      .map(Number)
      .filter((n) => n > 0),
    connections: Number(arg('connections', '20')),
    perConnection: Number(arg('per-connection', '5000')),
    ...(args.includes('--concurrency') ? { concurrency: Number(arg('concurrency', '')) } : {}),
  });
  if (points.length > 1) writeResultsSvg(points, `cosell-sync, Salesforce → store: cost against records (${new Date().toISOString().slice(0, 10)})`);
  process.stdout.write(`${rows.map((r) => `| ${r.id} | ${r.what} | ${r.ratio} | ${r.target} | ${r.raw} |`).join('\n')}\n`);
}
