/**
 * The browser tests' bench: Debian's Chromium driven by playwright-core (found at /usr/bin/chromium or
 * $COSELL_CHROMIUM), a fresh profile per run, and the real service (`runService`, as `start` runs it) with both
 * CRM sandboxes and the embedded store on random ports. Without a Chromium the suites skip with one line —
 * unless CI or COSELL_REQUIRE_BROWSER=1 is set, when the missing browser is a failure.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { runService } from '../../src/cli/run-service.js';
import type { Service } from '../../src/cli/service.js';
import { createLogger, loadConfig } from '../../src/runtime/index.js';

export const CHROMIUM = process.env.COSELL_CHROMIUM ?? '/usr/bin/chromium';
const required = Boolean(process.env.CI) || process.env.COSELL_REQUIRE_BROWSER === '1';

/** Whether to run the browser suites; throws when a browser is required but missing. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const how = `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set COSELL_CHROMIUM`;
  if (required) throw new Error(`browser tests required (CI or COSELL_REQUIRE_BROWSER=1) but ${how}`);
  console.warn(`browser tests skipped: ${how}`);
  return false;
}

export const SHOTS = join('test-results', 'browser');

export async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'cosell-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
  });
  mkdirSync(SHOTS, { recursive: true });
  return { context, close: async () => (await context.close(), rmSync(profile, { recursive: true, force: true })) };
}

export const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

/** axe-core injected into the page (no @axe-core/playwright: it needs Node 22); the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  // A string, not a function: this file is type-checked without the DOM library.
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
}

export interface RunningService {
  url: string;
  service: Service;
  tokens: { read: string; admin: string };
  mappingFile: string;
  runNow(connection: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `start` with both sandboxes (Salesforce `sf`, Dynamics 365 `d365`) and the store, schedules a year apart so
 * every cycle is one the test caused. `editMapping` changes the Salesforce mapping before the service reads it;
 * `prepareState` fills the state file before the service opens it (the bench's large state).
 */
export async function startService(opts: { editMapping?: (yaml: string) => string; seed?: number; prepareState?: (file: string) => Promise<void> } = {}): Promise<RunningService> {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-console-'));
  const tokens = { read: 'console-read-token-0123456789', admin: 'console-admin-token-0123456789' };
  process.env.CONSOLE_READ = tokens.read;
  process.env.CONSOLE_ADMIN = tokens.admin;
  process.env.COSELL_STORE_API_KEY = 'console-store-key-123456';
  process.env.COSELL_STORE_ADMIN_KEY = 'console-store-admin-123456';
  const mappingFile = join(dir, 'salesforce.yaml');
  writeFileSync(mappingFile, (opts.editMapping ?? ((y) => y))(readFileSync('mappings/salesforce.yaml', 'utf8')));
  writeFileSync(join(dir, 'dynamics365.yaml'), readFileSync('mappings/dynamics365.yaml'));
  const seed = opts.seed ?? 20;
  writeFileSync(
    join(dir, 'config.yaml'),
    `
state: { path: state.db }
log: { level: warn, format: json }
referrals:
  target: store
  embedded: { port: 0, db: store.db, seed: false, microsoftActor: { enabled: false } }
  auth: { method: api-key, apiKeyEnv: COSELL_STORE_API_KEY }
  rate: { concurrency: 8, intervalCap: 1000, intervalMs: 1000 }
  incremental: { mode: filter, overlapSeconds: 5 }
connections:
  - name: sf
    crm: { kind: salesforce, sandbox: { port: 0, seed: ${seed}, activity: false } }
    mapping: salesforce.yaml
    schedule: "0 0 1 1 *"
  - name: d365
    crm: { kind: dynamics365, sandbox: { port: 0, seed: ${seed}, activity: false } }
    mapping: dynamics365.yaml
    schedule: "0 0 1 1 *"
server:
  port: 0
  tokens: { readEnv: CONSOLE_READ, adminEnv: CONSOLE_ADMIN }
  webhooks: { enabled: false }
`,
  );
  await opts.prepareState?.(join(dir, 'state.db'));
  const config = loadConfig(join(dir, 'config.yaml'));
  const log = createLogger({ level: 'warn', format: 'json' });
  const stop = new AbortController();
  let ready!: (r: Parameters<NonNullable<Parameters<typeof runService>[2]['onReady']>>[0]) => void;
  const up = new Promise<Parameters<typeof ready>[0]>((resolve) => (ready = resolve));
  const done = runService(config, log, { signal: stop.signal, onReady: ready, write: () => {} });
  const running = await Promise.race([up, done.then(() => Promise.reject(new Error('the service stopped before it was up')))]);
  return {
    url: running.http!.url,
    service: running.service,
    tokens,
    mappingFile,
    runNow: running.runNow,
    stop: async () => {
      stop.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
