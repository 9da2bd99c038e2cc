/**
 * Secrets come only from the environment: a config names an environment variable (`clientSecretEnv: SF_SECRET`)
 * and the value is read from `SF_SECRET`, or from the file named by `SF_SECRET_FILE` (Docker/Kubernetes style).
 * Values are never logged; errors name the variable, not its content.
 */
import { readFileSync } from 'node:fs';
import { processEnv } from './env.js';
import { ConfigError } from './errors.js';
import { registerSecret } from './redact.js';

export type Env = Record<string, string | undefined>;

export function readSecret(name: string, env: Env = processEnv().vars, what = 'secret'): string {
  const direct = env[name];
  if (direct !== undefined && direct !== '') return remember(direct);
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return remember(readFileSync(file, 'utf8').trim());
    } catch (err) {
      throw new ConfigError(`${what}: cannot read the file named by ${name}_FILE (${(err as NodeJS.ErrnoException).code ?? 'error'})`, `env:${name}_FILE`);
    }
  }
  throw new ConfigError(`${what}: environment variable ${name} (or ${name}_FILE) is not set`, `env:${name}`);
}

export function readOptionalSecret(name: string | undefined, env: Env = processEnv().vars): string | undefined {
  if (!name) return undefined;
  const direct = env[name];
  if (direct) return remember(direct);
  const file = env[`${name}_FILE`];
  return file ? remember(readFileSync(file, 'utf8').trim()) : undefined;
}

function remember(value: string): string {
  registerSecret(value);
  return value;
}
