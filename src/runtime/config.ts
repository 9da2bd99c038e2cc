/**
 * The whole runtime configuration as one zod schema. A bad file fails at start with every bad key's path,
 * position and what was expected. Secrets are never values here: only names of environment variables.
 */
import { resolve, dirname, isAbsolute } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { loadYamlFile, pathToString } from './yaml-file.js';
import { processEnv, type Environment } from './env.js';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the NAME of an environment variable (secrets are never written in config)' });

export const rateSchema = z.strictObject({
  /** Requests in flight at once on this lane. */
  concurrency: z.number().int().positive().default(10),
  /** At most `intervalCap` calls started per `intervalMs`. */
  intervalCap: z.number().int().positive().default(60),
  intervalMs: z.number().int().positive().default(10_000),
  /** Per-call timeout. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Retries of an idempotent call after 429/503/network errors. */
  maxRetries: z.number().int().min(0).max(20).default(6),
});
export type RateConfig = z.infer<typeof rateSchema>;

const port = z.number().int().min(0).max(65_535);

const storeEmbeddedSchema = z.strictObject({
  port: port.default(4700),
  host: z.string().default('127.0.0.1'),
  db: z.string().default('.cosell/store.db'),
  /** Fill an empty store with demo referrals on first start. */
  seed: z.boolean().default(true),
  microsoftActor: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Share of co-sell invitations Microsoft's sellers accept (the rest are declined). */
      acceptRate: z.number().min(0).max(1).default(0.7),
      /** Days (store clock) sellers take to decide, within the 14-day window. */
      decisionDays: z.number().min(0).max(14).default(2),
      seed: z.number().int().default(42),
    })
    .prefault({}),
});

const referralsAuthSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('api-key'), apiKeyEnv: envName.default('COSELL_STORE_API_KEY') }),
  z.strictObject({
    method: z.literal('refresh-token'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    authority: z.url().optional(),
    /** Where the rotated refresh token lives (written back atomically, mode 0600). */
    refreshTokenFile: z.string().optional(),
    /** Or the initial refresh token from the environment. */
    refreshTokenEnv: envName.optional(),
    /** The service account, named in errors so an admin knows whom to re-authenticate. */
    account: z.string().optional(),
  }),
  z.strictObject({
    method: z.literal('device-code'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    authority: z.url().optional(),
    refreshTokenFile: z.string().default('.cosell/partner-center.token'),
    account: z.string().optional(),
  }),
  z.strictObject({
    method: z.literal('password'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    authority: z.url().optional(),
    usernameEnv: envName,
    passwordEnv: envName,
  }),
  z.strictObject({ method: z.literal('none') }),
]);

export const referralsSchema = z
  .strictObject({
    target: z.enum(['store', 'partner-center']),
    /** Base of the engagements API, e.g. https://api.partner.microsoft.com/v1.0/engagements. */
    baseUrl: z.url().optional(),
    /** When set (target store), `cosell-sync start` runs the store in this process. */
    embedded: storeEmbeddedSchema.optional(),
    auth: referralsAuthSchema,
    rate: rateSchema.prefault({}),
    incremental: z
      .strictObject({
        /** `filter`: `updatedDateTime ge`; `orderby`: walk newest-first to the high-water mark; `auto`: detect. */
        mode: z.enum(['auto', 'filter', 'orderby']).default('auto'),
        overlapSeconds: z.number().int().min(0).default(300),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    // Where the referrals live must be said, never guessed: a store key sent to Partner Center's default URL
    // fails late and names neither the URL nor the key.
    if (r.target === 'store' && !r.baseUrl && !r.embedded) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseUrl'],
        message:
          'target store needs `baseUrl` (a store run with `cosell-sync store serve`, e.g. http://127.0.0.1:4700/v1.0/engagements) or an `embedded:` block to run the store in this process',
      });
    }
    if (r.target === 'store' && r.baseUrl && r.embedded) {
      ctx.addIssue({ code: 'custom', path: ['embedded'], message: 'expected either `baseUrl` (a store of its own) or `embedded:` (a store in this process), not both' });
    }
    if (r.target === 'partner-center' && r.embedded) {
      ctx.addIssue({ code: 'custom', path: ['embedded'], message: '`embedded:` runs the referral store; it needs target: store' });
    }
  });

const sandboxSchema = z.strictObject({
  port: port.default(0),
  /** Demo opportunities to seed on an empty sandbox. */
  seed: z.number().int().min(0).default(200),
  /** Light ongoing edits by simulated sales reps. */
  activity: z.boolean().default(true),
  db: z.string().optional(),
  /** Where the sandbox keeps its self-signed certificate and keys (default: ../.cosell/sandbox-certs/<connection>). */
  certDir: z.string().optional(),
});

const budgetSchema = z.strictObject({
  warnAt: z.number().min(0).max(1).default(0.8),
  pauseAt: z.number().min(0).max(1).default(0.95),
});

export const salesforceCrmSchema = z.strictObject({
  kind: z.literal('salesforce'),
  /** The org's My Domain URL. */
  instanceUrl: z.url().optional(),
  loginUrl: z.url().optional(),
  apiVersion: z
    .string()
    .regex(/^\d+\.\d$/)
    .default('62.0'),
  auth: z
    .discriminatedUnion('method', [
      z.strictObject({
        method: z.literal('jwt'),
        clientId: z.string().min(1),
        username: z.string().min(1),
        privateKeyEnv: envName,
      }),
      z.strictObject({ method: z.literal('client-credentials'), clientId: z.string().min(1), clientSecretEnv: envName }),
      z.strictObject({
        method: z.literal('refresh-token'),
        clientId: z.string().min(1),
        clientSecretEnv: envName.optional(),
        refreshTokenEnv: envName,
      }),
      z.strictObject({
        method: z.literal('password'),
        clientId: z.string().min(1),
        clientSecretEnv: envName,
        username: z.string().min(1),
        passwordEnv: envName,
      }),
    ])
    .optional(),
  /** Run the local Salesforce sandbox in this process and connect to it (the embedded default). */
  sandbox: sandboxSchema.optional(),
  rate: rateSchema.prefault({ concurrency: 4, intervalCap: 100, intervalMs: 1000 }),
  budget: budgetSchema.prefault({}),
  /** Seconds each incremental pull reaches back before the SystemModstamp cursor (the connector's default when unset). */
  lookbackSeconds: z.number().int().min(0).optional(),
});

export const dynamicsCrmSchema = z.strictObject({
  kind: z.literal('dynamics365'),
  /** Organization URL, e.g. https://contoso.crm.dynamics.com */
  url: z.url().optional(),
  apiVersion: z.string().default('9.2'),
  auth: z
    .strictObject({
      method: z.literal('client-credentials'),
      tenantId: z.string().min(1),
      authority: z.url().optional(),
      clientId: z.string().min(1),
      clientSecretEnv: envName,
      /** Extra CA certificate (PEM) to trust, e.g. a local sandbox's. */
      caFile: z.string().optional(),
    })
    .optional(),
  sandbox: sandboxSchema.optional(),
  rate: rateSchema.prefault({ concurrency: 8, intervalCap: 100, intervalMs: 1000 }),
});

export const connectionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a lower-case name like "salesforce-main"' }),
    enabled: z.boolean().default(true),
    crm: z.discriminatedUnion('kind', [salesforceCrmSchema, dynamicsCrmSchema]),
    /** Mapping file, relative to the config file. */
    mapping: z.string().min(1),
    /** node-cron expression. */
    schedule: z.string().default('*/5 * * * *'),
    /** Records per page the engine plans and checkpoints at once. */
    pageSize: z.number().int().min(1).max(2000).default(200),
    /**
     * This partner's own referrals API credentials (a platform syncing many partners), by environment variable
     * or file name like every secret; default: the top-level `referrals.auth`.
     */
    referrals: z.strictObject({ auth: referralsAuthSchema }).optional(),
  })
  .superRefine((c, ctx) => {
    const crm = c.crm;
    const hasTarget = crm.kind === 'salesforce' ? crm.instanceUrl || crm.loginUrl : crm.url;
    if (!crm.sandbox && !hasTarget) {
      ctx.addIssue({ code: 'custom', path: ['crm'], message: 'expected either a URL of the CRM or a `sandbox:` block' });
    }
    if (!crm.sandbox && !crm.auth) {
      ctx.addIssue({ code: 'custom', path: ['crm', 'auth'], message: 'expected an `auth:` block for a real CRM' });
    }
  });

/** The service's HTTP surface: probes, metrics, the Partner Center webhook receiver and the admin API. */
export const serverSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('127.0.0.1'),
  port: port.default(4710),
  /** TLS when set: each names an environment variable holding the path of a PEM file. */
  tls: z.strictObject({ certFileEnv: envName, keyFileEnv: envName }).optional(),
  /** Bearer tokens of the admin API (`/api/v1`): a read-only one and an admin one. */
  tokens: z.strictObject({ readEnv: envName.default('COSELL_API_READ_TOKEN'), adminEnv: envName.default('COSELL_API_ADMIN_TOKEN') }).prefault({}),
  webhooks: z
    .strictObject({
      enabled: z.boolean().default(true),
      /**
       * With the embedded store: subscribe every connection to its referral events at start, so a Partner
       * Center-side edit reaches the CRM in seconds (its certificate is pinned, not fetched).
       */
      subscribeEmbeddedStore: z.boolean().default(true),
      /** Hosts the signing certificate may be fetched from (HTTPS only). */
      allowedCertificateHosts: z.array(z.string().min(1)).default(['3psostorageacct.blob.core.windows.net']),
      /** PEM file of the CA(s) the certificate chain must end at; default: Node's public roots. */
      trustAnchorFile: z.string().optional(),
      /** The certificate subject's O= must be this. */
      organization: z.string().default('Microsoft Corporation'),
      /** How long an accepted event's (ResourceUri, ResourceChangeUtcDate) is remembered to drop replays. */
      dedupeSeconds: z.number().int().positive().default(86_400),
    })
    .prefault({}),
  /** Days the sync log (per-record outcomes of each run) is kept. */
  syncLogDays: z.number().int().min(1).default(30),
});
export type ServerConfig = z.infer<typeof serverSchema>;

/** Where the sync state lives: a SQLite file (the default) or PostgreSQL (distributed mode; URL from env). */
export const stateSchema = z.strictObject({
  kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
  /** SQLite file, relative to the config file. */
  path: z.string().default('.cosell/state.db'),
  /** PostgreSQL: the environment variable holding the connection URL (it may carry a password). */
  urlEnv: envName.default('COSELL_DATABASE_URL'),
  /** PostgreSQL schema of the tables. */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'expected a lower-case SQL identifier' })
    .default('public'),
  poolSize: z.number().int().min(1).max(100).default(5),
});
export type StateConfig = z.infer<typeof stateSchema>;

/** Embedded: the in-process scheduler. Distributed: BullMQ jobs on Redis, run by `cosell-sync worker` processes. */
export const runtimeSchema = z.strictObject({
  mode: z.enum(['embedded', 'distributed']).default('embedded'),
  redisUrlEnv: envName.default('COSELL_REDIS_URL'),
  /** Redis key prefix of the queue (one per deployment sharing a Redis). */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/)
    .default('cosell'),
  /** A connection's lease in PostgreSQL; renewed every third of it while its sync runs. */
  leaseSeconds: z.number().int().min(5).max(3600).default(60),
  /**
   * Connections one process syncs at once: the embedded scheduler's cycles (`start`, `start --once`) or a
   * worker's jobs. Each running cycle holds its pages, requests and sockets, so a process with many connections
   * runs a few at a time and the others wait their turn.
   */
  concurrency: z.number().int().min(1).max(64).default(2),
  /**
   * Fairness: a cycle yields its worker after this long (at a page boundary, checkpointed) and its connection is
   * queued again behind the others, so one partner's backlog never holds a worker while others wait.
   */
  sliceSeconds: z.number().min(0.1).max(3600).default(60),
  /**
   * How often a process looks for connections stored in PostgreSQL by another (a console's admin API, the CLI) to
   * serve them; its own admin API's additions are served at once, and a worker opens one on its first job anyway.
   */
  connectionsRefreshSeconds: z.number().min(0.5).max(3600).default(30),
});
export type RuntimeConfig = z.infer<typeof runtimeSchema>;

export const configSchema = z
  .strictObject({
    state: stateSchema.prefault({}),
    runtime: runtimeSchema.prefault({}),
    log: z
      .strictObject({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .prefault({}),
    referrals: referralsSchema,
    /** At least one, except in distributed mode, where connections may all be stored in PostgreSQL. */
    connections: z.array(connectionSchema).default([]),
    server: serverSchema.prefault({}),
  })
  // Checked even when other keys are wrong (`when`), so every problem is reported at once.
  .refine((c) => c.connections?.length !== 0 || c.runtime?.mode === 'distributed', {
    path: ['connections'],
    message: 'expected at least one connection (only distributed mode can keep them all in PostgreSQL)',
    when: () => true,
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.connections.forEach((conn, i) => {
      if (seen.has(conn.name)) {
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `duplicate connection name '${conn.name}'` });
      }
      seen.add(conn.name);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConnectionConfig = Config['connections'][number];
export type ReferralsConfig = z.infer<typeof referralsSchema>;
export type SalesforceCrmConfig = z.infer<typeof salesforceCrmSchema>;
export type DynamicsCrmConfig = z.infer<typeof dynamicsCrmSchema>;

export interface LoadedConfig extends Config {
  /** Absolute path of the file the config came from; relative paths in it resolve against its folder. */
  file: string;
  baseDir: string;
}

/** Environment overrides that are not secrets (already checked by the env schema): ops without editing the file. */
function applyEnv(config: Config, env: Environment): Config {
  return {
    ...config,
    state: { ...config.state, path: env.COSELL_STATE_PATH ?? config.state.path },
    log: { level: env.COSELL_LOG_LEVEL ?? config.log.level, format: env.COSELL_LOG_FORMAT ?? config.log.format },
  };
}

export function loadConfig(file: string, env: Environment = processEnv()): LoadedConfig {
  const abs = resolve(file);
  return loaded(loadYamlFile(abs, configSchema, 'config'), abs, env);
}

/**
 * A config given as a value rather than a file (the test stacks build theirs this way): the same schema and
 * environment overrides; `file` names it in errors and its folder is where relative paths resolve.
 */
export function parseConfig(value: unknown, file: string, env: Environment = processEnv()): LoadedConfig {
  const abs = resolve(file);
  const result = configSchema.safeParse(value);
  if (result.success) return loaded(result.data, abs, env);
  const problems = result.error.issues.map((i) => ({ path: pathToString(i.path), message: i.message }));
  throw new ConfigError(`config ${abs} is invalid:\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`, abs, problems);
}

function loaded(config: Config, file: string, env: Environment): LoadedConfig {
  return { ...applyEnv(config, env), file, baseDir: dirname(file) };
}

/** Resolve a path written in the config relative to the config file's folder. */
export function resolveFromConfig(config: Pick<LoadedConfig, 'baseDir'>, p: string): string {
  return isAbsolute(p) ? p : resolve(config.baseDir, p);
}
