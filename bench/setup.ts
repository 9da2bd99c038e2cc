/** A bench environment: a server process (CRM sandbox + referral store) and the sync config that points at it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openService, type Service } from '../src/cli/index.js';
import { loadConfig, silentLogger } from '../src/runtime/index.js';
import { type CrmKind, type Latency, type ServerInfo, startServerProcess } from './servers.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The configured concurrency of both lanes; the floor uses the same. */
export const CONCURRENCY = 16;

export interface Env extends ServerInfo {
  kind: CrmKind;
  config: string;
  /** The mapping file the sync uses (the floor reads the same fields). */
  mapping: string;
  env: NodeJS.ProcessEnv;
  /** Change the amount of the first n opportunities in the CRM (untimed setup for B3). */
  touch(n: number): Promise<void>;
  /** Answer every request after a delay drawn from these ranges (null: at once); restarts the seeded draw. */
  latency(l: Latency | null): Promise<void>;
  /** CPU ms the servers spent so far. */
  serverCpuMs(): Promise<number>;
  close(): Promise<void>;
}

export async function setUp(kind: CrmKind, n: number): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), `cosell-bench-${kind}-`));
  const servers = await startServerProcess(kind, n, dir, join(ROOT, '.cosell', 'bench-certs'));
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
  return {
    kind,
    ...servers.info,
    config,
    mapping,
    env,
    touch: servers.touch,
    latency: servers.latency,
    serverCpuMs: async () => {
      const u = await servers.cpu();
      return (u.user + u.system) / 1000;
    },
    close: servers.close,
  };
}

/** Wall time and this process's CPU (user + system, every thread: the servers run in another process) of `fn`. */
export async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

/** The sync service of an environment, opened in this process (its secrets come from the environment). */
export async function openSync(e: Env): Promise<Service> {
  Object.assign(process.env, e.env);
  return openService(loadConfig(e.config), silentLogger);
}
