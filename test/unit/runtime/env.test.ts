/** The environment schema (issue 16): every variable the service reads, parsed at boot with clear errors. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../../../src/runtime/index.js';

describe('parseEnv', () => {
  it('refuses a log level it does not know, naming the variable and the allowed values', () => {
    const err = (() => {
      try {
        parseEnv({ COSELL_LOG_LEVEL: 'loud' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/COSELL_LOG_LEVEL/);
    expect((err as Error).message).toMatch(/"error"\|"warn"\|"info"\|"debug"/);
  });

  it('names every bad variable at once', () => {
    expect(() => parseEnv({ COSELL_LOG_FORMAT: 'xml', COSELL_NOW: 'yesterday' })).toThrow(/COSELL_LOG_FORMAT.*; COSELL_NOW: expected a date\/time/);
  });

  it('passes good values through, treats empty as unset, and keeps every variable for the secrets a config names', () => {
    const env = parseEnv({ COSELL_LOG_LEVEL: 'debug', COSELL_STATE_PATH: '', SF_SECRET: 's3cret', HTTPS_PROXY: 'http://proxy:3128' });
    expect(env.COSELL_LOG_LEVEL).toBe('debug');
    expect(env.COSELL_STATE_PATH).toBeUndefined();
    expect(env.vars.SF_SECRET).toBe('s3cret');
    expect(env.proxied).toBe(true);
    expect(parseEnv({}).proxied).toBe(false);
  });
});

describe('fault settings from the environment', () => {
  it('are parsed against the fault schema at boot, not cast: a bad field is named with its variable', () => {
    expect(parseEnv({ SF_SANDBOX_FAULTS: '{"errorRate":0.5}' }).SF_SANDBOX_FAULTS).toMatchObject({ errorRate: 0.5, rate429: 0, seed: 1 });
    expect(parseEnv({ COSELL_STORE_FAULTS: '{"rate503":0.5}' }).COSELL_STORE_FAULTS).toMatchObject({ rate503: 0.5 });
    expect(() => parseEnv({ SF_SANDBOX_FAULTS: '{"errorRate":2}' })).toThrow(/SF_SANDBOX_FAULTS: errorRate/);
    expect(() => parseEnv({ COSELL_STORE_FAULTS: '{"rate42":0.1}' })).toThrow(/COSELL_STORE_FAULTS: .*rate42/);
    expect(() => parseEnv({ D365_SANDBOX_FAULTS: 'nope' })).toThrow(/D365_SANDBOX_FAULTS: must be a JSON object/);
    expect(parseEnv({}).SF_SANDBOX_FAULTS).toBeUndefined();
  });
});

describe('the CLI at boot', () => {
  it('stops on a bad variable with one line naming it (exit 2), before any command runs', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'status'], {
      encoding: 'utf8',
      env: { ...process.env, COSELL_LOG_LEVEL: 'loud' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toMatch(/^cosell-sync: .*COSELL_LOG_LEVEL: .*"error"\|"warn"\|"info"\|"debug"/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
