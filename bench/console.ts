/**
 * The console's speed: the admin API calls each page makes, on a state holding a run of N sync log lines
 * (default 100,000) and a few hundred runs, and the first render of every page in headless Chromium (navigation
 * start to the page's content painted). p95 of each; the issue's bar is 1 s. Run it on its own:
 *
 *   node --import tsx bench/console.ts [--scale 100000] [--rounds 20] [--write]
 *
 * `--write` puts the table into bench/RESULTS.md (its "Console" section); without it the table is only printed.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { openSqliteState } from '../src/state/index.js';
import { emptyCounts } from '../src/state/index.js';
import { openBrowser, startService } from '../test/browser/harness.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const scale = arg('scale', 100_000);
const rounds = arg('rounds', 20);
const OUTCOMES = ['created', 'updated', 'written back', 'blocked', 'issue'] as const;

/** One huge run (what a first sync of N records leaves) and 300 small ones, straight into the state file. */
async function fill(file: string): Promise<void> {
  const state = openSqliteState(file);
  await state.ensureConnection('sf', 'salesforce');
  for (let r = 0; r < 300; r++) await state.finishRun(await state.startRun('sf', randomUUID()), 'ok', { ...emptyCounts(), updated: r % 7 });
  const big = await state.startRun('sf', randomUUID());
  const at = new Date().toISOString();
  for (let i = 0; i < scale; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, scale - i) }, (_, k) => {
      const n = i + k;
      return {
        runId: big,
        connection: 'sf',
        at,
        crmId: `006B${String(n).padStart(14, '0')}`,
        referralId: randomUUID(),
        name: `Bench deal ${n}`,
        outcome: OUTCOMES[n % OUTCOMES.length]!,
        reason: n % 5 === 4 ? 'stage: not mapped' : null,
      };
    });
    await state.checkpoint('sf', { log: batch });
  }
  await state.finishRun(big, 'ok', { ...emptyCounts(), created: scale });
  await state.close();
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

async function main() {
  const t0 = performance.now();
  const svc = await startService({ seed: 200, prepareState: fill });
  await Promise.all([svc.runNow('sf'), svc.runNow('d365')]);
  const state = svc.service.state;
  const bigRun = (await state.runsPage({ connection: 'sf', limit: 500 })).items.find((r) => (r.counts.created ?? 0) === scale)!.id;
  const real = (await state.syncLog({ connection: 'sf', outcome: 'created', limit: 500 })).items.find((e) => !e.crmId!.startsWith('006B'))!;
  console.log(`state ready: ${scale.toLocaleString('en-US')} log lines in run ${bigRun} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const auth = { Authorization: `Bearer ${svc.tokens.admin}` };
  const calls: [string, string][] = [
    ['overview: connections', '/connections'],
    ['overview: runs', '/runs?limit=50'],
    ['sync log: runs page', '/runs?limit=25'],
    [`sync log: run of ${scale} lines, first page`, `/runs/${bigRun}/log?limit=50`],
    ['sync log: that run, outcome filter', `/runs/${bigRun}/log?limit=50&outcome=blocked`],
    ['sync log: that run, search by name', `/runs/${bigRun}/log?limit=50&search=${encodeURIComponent(`Bench deal ${scale - 3}`)}`],
    ['sync log: every run, search by CRM id', `/sync-log?limit=50&search=006B${String(Math.floor(scale / 2)).padStart(14, '0')}`],
    ['record: compare', `/connections/sf/records/${real.crmId}/compare`],
    ['record: history', `/connections/sf/records/${real.crmId}`],
    ['issues', '/issues?limit=200'],
    ['conflicts', '/conflicts?limit=200'],
    ['mappings: stage table', '/connections/sf/mapping/stages'],
    ['referrals: inbound', '/connections/sf/referrals?view=inbound&top=25'],
  ];
  const rows: string[] = [];
  for (const [label, path] of calls) {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const s = performance.now();
      const res = await fetch(`${svc.url}/api/v1${path}`, { headers: auth });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      times.push(performance.now() - s);
    }
    rows.push(`| API | ${label} | ${p95(times).toFixed(1)} |`);
  }

  const browser = await openBrowser();
  const pages: [string, string, string][] = [
    ['overview', 'overview', '.card'],
    ['sync log', 'log', 'table tbody tr'],
    [`run of ${scale} lines`, `log/${bigRun}`, 'table tbody tr'],
    ['record', `record/sf/${real.crmId}`, 'table.sides tbody tr'],
    ['issues and conflicts', 'issues', '#conflicts-h'],
    ['mappings', 'mappings/sf', 'tr[data-stage]'],
    ['referrals', 'referrals/sf/inbound', 'table, main p'],
  ];
  const page = await browser.context.newPage();
  await page.goto(`${svc.url}/`);
  await page.evaluate(`sessionStorage.setItem('cosell-sync.token', ${JSON.stringify(svc.tokens.admin)})`);
  for (const [label, hash, ready] of pages) {
    const times: number[] = [];
    for (let i = 0; i < Math.min(rounds, 10); i++) {
      // A full load each time (about:blank between), as when an admin opens the page from a link.
      await page.goto('about:blank');
      const s = performance.now();
      await page.goto(`${svc.url}/#/${hash}`);
      await page.locator(ready).first().waitFor();
      times.push(performance.now() - s);
    }
    rows.push(`| first render | ${label} | ${p95(times).toFixed(1)} |`);
  }
  await browser.close();
  await svc.stop();

  const table = [`Console (scale ${scale.toLocaleString('en-US')}, ${rounds} rounds; p95 in ms; bar: 1,000 ms)`, '', '| Kind | What | p95 ms |', '|---|---|---|', ...rows].join(
    '\n',
  );
  console.log(table);
  if (args.includes('--write')) {
    const file = 'bench/RESULTS.md';
    const text = readFileSync(file, 'utf8').replace(/\n## Console\n[\s\S]*?(?=\n## |$)/, '');
    writeFileSync(file, `${text.trimEnd()}\n\n## Console\n\n${table}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
