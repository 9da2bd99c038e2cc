/**
 * `runtime.concurrency` bounds the cycles one `start` process runs at once (issue 21, goal 4): the real service
 * (`runService`, as `start --once` runs it) with four Salesforce sandboxes and the referral store embedded, each
 * connection its own org and partner organization. The runs the state records (start and end of each) never
 * overlap more than the limit, and do reach it; with the limit at four they overlap more than two, so the check
 * sees what it judges.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runService } from '../../src/cli/run-service.js';
import { loadConfig, silentLogger } from '../../src/runtime/index.js';
import { openSqliteState, type Run } from '../../src/state/index.js';

const CONNECTIONS = 4;
const SEED = 40;

/** `start --once` over four connections with the given limit; the runs it recorded. */
async function runOnce(concurrency: number): Promise<Run[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-cycle-limit-'));
  process.env.COSELL_STORE_API_KEY = 'cycle-limit-store-key-1';
  const connections = Array.from(
    { length: CONNECTIONS },
    (_, i) =>
      `  - name: sf-${i}\n    crm: { kind: salesforce, sandbox: { port: 0, seed: ${SEED}, activity: false } }\n` +
      `    mapping: ${resolve('mappings/salesforce.yaml')}\n    schedule: "0 0 1 1 *"\n`,
  );
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `state: { path: state.db }\nlog: { level: warn }\nruntime: { concurrency: ${concurrency} }\n` +
      'referrals:\n  target: store\n  embedded: { port: 0, db: store.db, seed: false, microsoftActor: { enabled: false } }\n' +
      '  auth: { method: api-key, apiKeyEnv: COSELL_STORE_API_KEY }\n' +
      `connections:\n${connections.join('')}server: { enabled: false }\n`,
  );
  try {
    const lines: string[] = [];
    const code = await runService(loadConfig(file), silentLogger, { once: true, signal: new AbortController().signal, write: (l) => lines.push(l) });
    expect(code, lines.join('')).toBe(0);
    expect(lines.filter((l) => /^sf-\d: created \d+/.test(l))).toHaveLength(CONNECTIONS);
    const state = openSqliteState(join(dir, 'state.db'));
    try {
      const runs = await state.lastRuns(undefined, 100);
      expect(runs.map((r) => r.status)).toEqual(Array(CONNECTIONS).fill('ok'));
      return runs;
    } finally {
      await state.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The most runs in progress at one instant (a run that ends when another starts does not overlap it). */
function mostAtOnce(runs: Run[]): number {
  const events = runs.flatMap((r) => [
    { at: Date.parse(r.startedAt), step: 1 },
    { at: Date.parse(r.endedAt!), step: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.step));
  return most;
}

it('with runtime.concurrency 2, four connections never sync more than two at once, and two do run together', async () => {
  expect(mostAtOnce(await runOnce(2))).toBe(2);
}, 120_000);

it('with runtime.concurrency 4, the four cycles overlap', async () => {
  expect(mostAtOnce(await runOnce(4))).toBeGreaterThan(2);
}, 120_000);
