/**
 * A local Salesforce for the REST API subset cosell-sync and an admin's tools use: `npm start` runs with no
 * Salesforce org, and integration tests cross a real HTTP boundary with unmodified jsforce.
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector, type FaultInput, type Logger, processEnv, silentLogger } from '../../src/runtime/index.js';
import { jwtKeyPair, statsSnapshot } from '../shared/index.js';
import { Org, randomToken, type Row } from './org.js';
import { buildServer } from './server.js';
import { seedOrg, startActivity } from './seed.js';

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Opportunities to seed (with accounts and owners). */
  seed?: number;
  /** Simulated sales reps editing, advancing, winning, losing and deleting opportunities. */
  activity?: boolean | { intervalMs: number };
  randomSeed?: number;
  credentials?: Partial<{ clientId: string; clientSecret: string; username: string; password: string }>;
  dailyApiLimit?: number;
  tokenLifetimeSeconds?: number;
  /** Where the JWT bearer key pair and certificate are kept (created on first use). */
  certDir?: string;
  faults?: FaultInput;
  log?: Logger;
}

export interface SalesforceSandbox {
  /** Instance URL, e.g. http://127.0.0.1:PORT */
  url: string;
  credentials: {
    instanceUrl: string;
    loginUrl: string;
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    privateKeyPem: string;
    certificatePem: string;
    certFile: string;
  };
  org: {
    insert(object: string, fields: Row): string;
    update(object: string, id: string, fields: Row): void;
    remove(object: string, id: string): void;
    get(object: string, id: string): Row;
    all(object: string): Row[];
    count(object: string): number;
  };
  faults: FaultInjector;
  /** Calls by endpoint, API usage, and query records served (what a pull really cost). */
  stats(): { calls: number; byEndpoint: Record<string, number>; apiUsage: number; recordsServed: number };
  /** Invalidate every issued access token (tests the connector's re-authentication). */
  expireTokens(): void;
  /** Paste-ready config for this sandbox. */
  describe(): string;
  close(): Promise<void>;
}

export async function startSalesforceSandbox(opts: SandboxOptions = {}): Promise<SalesforceSandbox> {
  const log = opts.log ?? silentLogger;
  const env = processEnv();
  const org = new Org();
  const creds = {
    clientId: opts.credentials?.clientId ?? env.SF_SANDBOX_CLIENT_ID ?? '3MVG9sandbox.cosell.sync',
    clientSecret: opts.credentials?.clientSecret ?? env.SF_SANDBOX_CLIENT_SECRET ?? randomToken(),
    username: opts.credentials?.username ?? env.SF_SANDBOX_USERNAME ?? 'integration@cosell-sandbox.example',
    password: opts.credentials?.password ?? env.SF_SANDBOX_PASSWORD ?? randomToken(),
  };
  const keys = await jwtKeyPair(opts.certDir ?? join('.cosell', 'sandbox-certs', 'salesforce'), 'cosell-sync Salesforce sandbox (JWT bearer)');
  let base = '';
  const faults = createFaultInjector(opts.faults ?? env.SF_SANDBOX_FAULTS ?? {});
  const { app, sessions, stats } = buildServer({
    org,
    credentials: creds,
    certificatePem: keys.certificatePem,
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 7200,
    dailyApiLimit: opts.dailyApiLimit ?? 1_000_000,
    faults,
    baseUrl: () => base,
  });
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  const addr = app.server.address() as AddressInfo;
  base = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  if (opts.seed) seedOrg(org, opts.seed, opts.randomSeed ?? 7);
  const stopActivity = opts.activity ? startActivity(org, typeof opts.activity === 'object' ? opts.activity.intervalMs : 15_000, opts.randomSeed ?? 7, log) : () => undefined;
  log.info('salesforce sandbox listening', { url: base, opportunities: org.count('Opportunity') });

  const credentials = { instanceUrl: base, loginUrl: base, ...creds, privateKeyPem: keys.privateKeyPem, certificatePem: keys.certificatePem, certFile: keys.certFile };
  return {
    url: base,
    credentials,
    org: {
      insert: (o, f) => org.insert(o, f),
      update: (o, id, f) => org.update(o, id, f),
      remove: (o, id) => org.remove(o, id),
      get: (o, id) => org.get(o, id, true),
      all: (o) => org.all(o),
      count: (o) => org.count(o),
    },
    faults,
    stats: () => ({ ...statsSnapshot(stats), apiUsage: stats.used, recordsServed: stats.recordsServed }),
    expireTokens: () => sessions.clear(),
    describe: () =>
      [
        '# Salesforce sandbox — paste into a connection (secrets go in the environment, not the file)',
        'crm:',
        '  kind: salesforce',
        `  instanceUrl: ${base}`,
        `  loginUrl: ${base}`,
        '  auth:',
        '    method: jwt',
        `    clientId: ${creds.clientId}`,
        `    username: ${creds.username}`,
        `    privateKeyEnv: SF_PRIVATE_KEY   # export SF_PRIVATE_KEY_FILE=${keys.keyFile}`,
        `# certificate (JWT bearer): ${keys.certFile}`,
        `# client secret (client credentials / password flows): ${creds.clientSecret}`,
        `# password flow: username ${creds.username}, password ${creds.password}`,
      ].join('\n'),
    async close() {
      stopActivity();
      await app.close();
    },
  };
}

export { Org, DEFAULT_STAGES, SCHEMA } from './org.js';
export { verifyAssertion } from './server.js';
export { insertBulkOpportunities } from './seed.js';
