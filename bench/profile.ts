/**
 * A CPU profile of B1 (the initial sync) alone: the servers run in their own process, the profiler records only
 * the cycle, and the top self-time functions are printed. The .cpuprofile opens in Chrome DevTools.
 *
 *   npm run build && node --max-semi-space-size=32 dist/bench/profile.js --scale 20000 --crm salesforce [--out b1.cpuprofile]
 *
 * `--no-profile` measures time and CPU only. `--floor` first runs the API floor on servers of its own and prints its time and CPU beside the sync's.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { openService } from '../src/cli/index.js';
import { loadConfig, silentLogger } from '../src/runtime/index.js';
import { apiFloor } from './floor.js';
import type { CrmKind } from './servers.js';
import { CONCURRENCY, measured, ROOT, setUp } from './setup.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const scale = Number(arg('scale', '20000'));
const kind = arg('crm', 'salesforce') as CrmKind;
const out = arg('out', `b1-${kind}-${scale}.cpuprofile`);
const top = Number(arg('top', '20'));

/** Self time per function (name + place), summed over the profile's nodes, largest first. */
function selfTimes(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): { what: string; ms: number }[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const where = f.url ? `${relative(ROOT, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    const what = `${f.functionName || '(anonymous)'} ${where}`.trim();
    ms.set(what, (ms.get(what) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...ms].map(([what, t]) => ({ what, ms: t })).sort((a, b) => b.ms - a.ms);
}

const perThousand = (cpuMs: number) => ((cpuMs / scale) * 1000).toFixed(0);
if (args.includes('--floor')) {
  const f = await setUp(kind, scale);
  try {
    const server = await f.serverCpuMs();
    const floor = await apiFloor(f, scale, CONCURRENCY);
    const serverMs = (await f.serverCpuMs()) - server;
    process.stdout.write(`floor ${kind} ${scale}: ${(floor.ms / 1000).toFixed(1)} s, CPU ${perThousand(floor.cpuMs)} ms per 1,000 records (servers ${perThousand(serverMs)})\n`);
  } finally {
    await f.close();
  }
}
const e = await setUp(kind, scale);
Object.assign(process.env, e.env);
const svc = await openService(loadConfig(e.config), silentLogger);
const profiling = !args.includes('--no-profile');
const session = new Session();
session.connect();
try {
  if (profiling) {
    await session.post('Profiler.enable');
    // 1 ms: the default; finer sampling costs the client CPU it measures.
    await session.post('Profiler.start');
  }
  const server = await e.serverCpuMs();
  const run = await measured(() => svc.connections[0]!.runCycle());
  const serverMs = (await e.serverCpuMs()) - server;
  process.stdout.write(
    `B1 ${kind} ${scale}: ${(run.ms / 1000).toFixed(1)} s, CPU ${perThousand(run.cpuMs)} ms per 1,000 records (servers ${perThousand(serverMs)}; ${run.value.counts.created} created)\n`,
  );
  if (profiling) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(out, JSON.stringify(profile));
    const times = selfTimes(profile as never);
    const total = times.reduce((s, t) => s + t.ms, 0);
    process.stdout.write(`self time, top ${top} (profile: ${out})\n`);
    for (const t of times.slice(0, top)) process.stdout.write(`${t.ms.toFixed(0).padStart(7)} ms ${((t.ms / total) * 100).toFixed(1).padStart(5)} %  ${t.what}\n`);
  }
} finally {
  session.disconnect();
  await svc.close();
  await e.close();
}
