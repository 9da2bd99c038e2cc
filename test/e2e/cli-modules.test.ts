/**
 * The sync process loads no server code it does not run (issue 21): the real CLI, `cosell-sync sync`, against a
 * Salesforce sandbox and a referral store in this process, with every module it loads recorded by
 * bench/loaded-modules.ts. No fastify, sandbox, store, HTTP-surface or distributed-mode module may be among
 * them; with a config that embeds the store and a sandbox, they are (so the check sees what it judges).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serverModules } from '../../bench/server-modules.js';
import type { ReferralStoreHandle } from '../../src/referral-store/index.js';
import type { SalesforceSandbox } from '../../sandboxes/index.js';
import { startBulkPair } from '../helpers/bulk-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'cosell-modules-'));
const MAPPING = resolve('mappings/salesforce.yaml');
let sb: SalesforceSandbox;
let store: ReferralStoreHandle;

beforeAll(async () => {
  ({ sb, store } = await startBulkPair(dir, 'modules', 20));
}, 60_000);
afterAll(async () => {
  await sb?.close();
  await store?.close();
});

/** Run the CLI with the module recorder (not spawnSync: the servers it calls live on this event loop). */
async function cli(name: string, config: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; modules: string[] }> {
  const list = join(dir, `${name}.modules`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './bench/loaded-modules.ts', 'src/cli/main.ts', '-c', config, ...args], {
    env: { ...process.env, ...env, COSELL_MODULE_LIST: list, COSELL_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  expect(code, stderr).toBe(0);
  return { stdout, modules: readFileSync(list, 'utf8').split('\n').filter(Boolean) };
}

it('`sync` against a remote CRM and store loads no fastify, sandbox, store, surface or queue module', async () => {
  const c = sb.credentials;
  const config = join(dir, 'remote.yaml');
  writeFileSync(
    config,
    `state: { path: ${join(dir, 'state.db')} }\nreferrals:\n  target: store\n  baseUrl: ${store.url}\n  auth: { method: api-key, apiKeyEnv: MODULES_STORE_KEY }\n` +
      `connections:\n  - name: remote\n    crm:\n      kind: salesforce\n      instanceUrl: ${sb.url}\n      loginUrl: ${sb.url}\n` +
      `      auth: { method: jwt, clientId: ${c.clientId}, username: ${c.username}, privateKeyEnv: MODULES_SF_KEY }\n    mapping: ${MAPPING}\n`,
  );
  const run = await cli('remote', config, ['sync', '--connection', 'remote'], { MODULES_STORE_KEY: store.apiKey, MODULES_SF_KEY: c.privateKeyPem });
  expect(run.stdout).toMatch(/^remote: created 20,/);
  // The list holds what the sync ran: its engine, the Salesforce connector and jsforce (a CommonJS package).
  expect(run.modules.some((m) => m.includes('/src/sync/engine.'))).toBe(true);
  expect(run.modules.some((m) => m.includes('/node_modules/jsforce/'))).toBe(true);
  expect(serverModules(run.modules)).toEqual([]);
  // Nor the other CRM's client library, or an Entra sign-in a store API key does not use.
  expect(run.modules.filter((m) => m.includes('/node_modules/@azure/msal-node/'))).toEqual([]);
  // Nor jsforce's APIs the connector never calls (bulk, metadata, SOAP, streaming…), nor country names in
  // languages no mapping reads: each was megabytes of RSS in every sync process (bench/RESULTS.md, goal 3).
  expect(run.modules.filter((m) => m.includes('/node_modules/jsforce/lib/api/'))).toEqual([]);
  expect(run.modules.filter((m) => m.includes('/node_modules/i18n-iso-countries/langs/')).map((m) => m.replace(/.*\/langs\//, ''))).toEqual(['en.json']);
  // undici's Agent sends the referral calls; its main entry (fetch, WebSocket, caches, mocks) is not loaded.
  expect(run.modules.some((m) => m.includes('/node_modules/undici/lib/dispatcher/agent.js'))).toBe(true);
  expect(run.modules.filter((m) => m.endsWith('/node_modules/undici/index.js') || m.includes('/node_modules/undici/lib/web/'))).toEqual([]);
}, 120_000);

it('with a config that embeds the store and a CRM sandbox, `sync` loads them', async () => {
  const config = join(dir, 'embedded.yaml');
  writeFileSync(
    config,
    `state: { path: ${join(dir, 'embedded-state.db')} }\nreferrals:\n  target: store\n  embedded: { port: 0, db: ${join(dir, 'embedded-store.db')} }\n` +
      `  auth: { method: api-key, apiKeyEnv: COSELL_STORE_API_KEY }\n` +
      `connections:\n  - name: demo\n    crm:\n      kind: salesforce\n      sandbox: { port: 0, seed: 5, activity: false }\n    mapping: ${MAPPING}\n`,
  );
  const run = await cli('embedded', config, ['sync', '--connection', 'demo'], { COSELL_STORE_API_KEY: 'modules-embedded-key-1' });
  expect(run.stdout).toMatch(/^demo: created \d+/);
  const server = serverModules(run.modules);
  expect(server.some((m) => m.includes('/sandboxes/salesforce/'))).toBe(true);
  expect(server.some((m) => m.includes('/src/referral-store/'))).toBe(true);
  expect(server.some((m) => m.includes('/node_modules/fastify/'))).toBe(true);
}, 120_000);
