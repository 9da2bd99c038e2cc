/**
 * Every environment variable the service reads, parsed by one zod schema at boot: a bad value is an error
 * naming the variable and what it accepts, never silently ignored. Values go down as options; apart from the
 * CLI entry this is the only module that reads `process.env`. Secrets a config names (`clientSecretEnv: X`)
 * are read from `vars` by `readSecret`, where the config says.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { faultSettingsSchema } from './fault-decision.js';
import type { Env } from './secrets.js';

const text = z.string().min(1);
/** Fault settings (JSON), parsed against the fault injector's schema: a bad field stops the boot, named. */
const faultsJson = text
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"rate429":0.1,"seed":7}' });
      return z.NEVER;
    }
  })
  .pipe(faultSettingsSchema);

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'] as const;

export const envSchema = z.object({
  COSELL_CONFIG: text.optional(),
  COSELL_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).optional(),
  COSELL_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).optional(),
  COSELL_STATE_PATH: text.optional(),
  /** The store's clock for tests and demos (an ISO date-time). */
  COSELL_NOW: text.refine((v) => !Number.isNaN(Date.parse(v)), 'expected a date/time, e.g. 2026-03-01T09:00:00Z').optional(),
  COSELL_STORE_API_KEY: text.optional(),
  COSELL_STORE_ADMIN_KEY: text.optional(),
  COSELL_STORE_FAULTS: faultsJson.optional(),
  SF_SANDBOX_CLIENT_ID: text.optional(),
  SF_SANDBOX_CLIENT_SECRET: text.optional(),
  SF_SANDBOX_USERNAME: text.optional(),
  SF_SANDBOX_PASSWORD: text.optional(),
  SF_SANDBOX_FAULTS: faultsJson.optional(),
  D365_SANDBOX_TENANT_ID: text.optional(),
  D365_SANDBOX_CLIENT_ID: text.optional(),
  D365_SANDBOX_CLIENT_SECRET: text.optional(),
  D365_SANDBOX_FAULTS: faultsJson.optional(),
});

export interface Environment extends z.infer<typeof envSchema> {
  /** A proxy variable is set: axios then routes through it (it reads them per request). */
  proxied: boolean;
  /** Every variable as it was, for the secrets a config names by variable. */
  vars: Env;
}

/** Parse the given variables; an empty string counts as unset (as shells and compose files write it). */
export function parseEnv(vars: Env): Environment {
  const known = Object.fromEntries(Object.keys(envSchema.shape).flatMap((k) => (vars[k] ? [[k, vars[k]]] : [])));
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    // The variable, then the field inside it where the value is JSON (`SF_SANDBOX_FAULTS: errorRate: …`).
    const problems = parsed.error.issues.map((i) => [...i.path.map(String), i.message].join(': '));
    throw new ConfigError(`environment: ${problems.join('; ')}`, 'env');
  }
  return { ...parsed.data, proxied: PROXY_VARIABLES.some((v) => vars[v]), vars };
}

/**
 * The process's environment, parsed. The CLI calls this first, so a bad value stops the boot; it is parsed
 * again where read (a dozen keys, at start-up of a component), so what the process sets later is seen.
 */
export function processEnv(): Environment {
  return parseEnv(process.env);
}
