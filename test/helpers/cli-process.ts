/**
 * `cosell-sync` commands run as their own processes against a distributed test stack (test/helpers/
 * distributed-stack.ts): the config file such a process reads (its connections are the stack's sandboxes, its
 * referrals the stack's store, every secret by environment variable name), the environment holding those secrets,
 * and the process with its output kept for the assertions and for the message of a timed-out wait.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DistStack } from './distributed-stack.js';
import { databaseUrl, redisUrl } from './services.js';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const READ_TOKEN = 'e2e-read-token-0123456789';

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** The CRM block of a config naming the stack's sandbox `i` (its key by environment variable name). */
export function sandboxCrm(stack: DistStack, i: number) {
  const sb = stack.connections[i]!.sb;
  return {
    kind: 'salesforce',
    instanceUrl: sb.url,
    loginUrl: sb.url,
    auth: { method: 'jwt', clientId: sb.credentials.clientId, username: sb.credentials.username, privateKeyEnv: `E2E_SF_KEY_${i}` },
  };
}

/** A config file in distributed mode on the stack's schema and prefix with the first `connections` of its sandboxes. */
export function writeDistributedConfig(stack: DistStack, o: { connections: number; pageSize?: number; runtime?: Record<string, unknown> }): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cosell-e2e-dist-')), 'config.yaml');
  const config = {
    state: { kind: 'postgres', schema: stack.schema },
    runtime: { prefix: stack.prefix, leaseSeconds: 10, concurrency: 2, ...o.runtime },
    log: { level: 'info', format: 'json' },
    referrals: {
      target: 'store',
      baseUrl: stack.store.url,
      auth: { method: 'api-key', apiKeyEnv: 'E2E_STORE_KEY_0' },
      rate: { concurrency: 8, intervalCap: 10_000, intervalMs: 1000 },
      incremental: { mode: 'filter', overlapSeconds: 5 },
    },
    connections: Array.from({ length: o.connections }, (_, i) => ({
      name: stack.connections[i]!.name,
      crm: sandboxCrm(stack, i),
      mapping: resolve('mappings/salesforce.yaml'),
      schedule: '*/5 * * * *',
      ...(o.pageSize ? { pageSize: o.pageSize } : {}),
      ...(i > 0 ? { referrals: { auth: { method: 'api-key', apiKeyEnv: `E2E_STORE_KEY_${i}` } } } : {}),
    })),
    server: { port: 0, tokens: { readEnv: 'E2E_READ', adminEnv: 'E2E_ADMIN' }, webhooks: { enabled: false } },
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** `cosell-sync -c CONFIG ...args` with the stack's servers and secrets in its environment. */
export function spawnCli(stack: DistStack, config: string, args: string[]): CliProcess {
  const secrets = Object.fromEntries(
    stack.connections.flatMap((c, i) => [
      [`E2E_STORE_KEY_${i}`, c.storeKey],
      [`E2E_SF_KEY_${i}`, c.sb.credentials.privateKeyPem],
    ]),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '-c', config, ...args], {
    env: { ...process.env, COSELL_DATABASE_URL: databaseUrl, COSELL_REDIS_URL: redisUrl, E2E_ADMIN: ADMIN_TOKEN, E2E_READ: READ_TOKEN, ...secrets },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
}

/** The HTTP surface's URL, from the process's "… running" log line. */
export const surfaceUrl = (p: CliProcess): string | undefined => /"http":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(p.output())?.[1];
