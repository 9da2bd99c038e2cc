/**
 * One throughput run of bench/distributed.ts (T), in a process of its own so each worker count starts from the
 * same fresh heap and the bench's other measures leave nothing behind: the Salesforce sandboxes and the referral
 * store run here, the workers are their own processes. Prints one JSON line: wall seconds, and the CPU seconds
 * this (servers) process and the worker processes used while the queue drained.
 * `node --import tsx bench/dist-throughput.ts WORKERS CONNECTIONS RECORDS`
 */
import { readFileSync } from 'node:fs';
import { startDistStack } from '../test/helpers/distributed-stack.js';

const [workers, connections, records] = process.argv.slice(2, 5).map(Number) as [number, number, number];
/** CPU seconds (user + system) of a live process, from /proc (clock ticks are 1/100 s on Linux). */
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const stack = await startDistStack({ connections, records });
try {
  const procs = await Promise.all(Array.from({ length: workers }, () => stack.startWorker({ DW_CONCURRENCY: '2', DW_PAGE_SIZE: '200' })));
  const pids = procs.map((w) => w.child.pid!);
  const before = { own: ownCpu(), workers: pids.map(cpuOf) };
  const t = performance.now();
  for (const c of stack.connections) await stack.queue.syncNow(c.name);
  await stack.drained(600_000);
  const seconds = (performance.now() - t) / 1000;
  const workerCpu = pids.map((p, i) => cpuOf(p) - before.workers[i]!);
  // What the drained queue left unsynced (say, calls that timed out on a loaded machine: reported, retried next cycle).
  let linked = 0;
  const issues: string[] = [];
  for (const c of stack.connections) {
    linked += (await stack.state.linkCounts(c.name)).ok;
    const page = await stack.state.issuesPage({ connection: c.name, offset: 0, limit: 1 });
    if (page.total > 0) issues.push(`${c.name}: ${page.total} (${page.items[0]!.message})`);
  }
  process.stdout.write(`${JSON.stringify({ workers, seconds, serversCpu: ownCpu() - before.own, workerCpu, linked, issues })}\n`);
} finally {
  await stack.close();
}
process.exit(0);
