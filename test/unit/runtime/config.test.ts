import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig, parseConfig, parseEnv } from '../../../src/runtime/index.js';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cosell-config-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

const valid = `
referrals:
  target: store
  embedded: {}
  auth: { method: api-key }
connections:
  - name: sf
    crm: { kind: salesforce, sandbox: {} }
    mapping: m.yaml
`;

function problemsOf(text: string) {
  try {
    loadConfig(write(text));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('config loading', () => {
  it('accepts the shipped default config', () => {
    const c = loadConfig('config/default.yaml');
    expect(c.connections.map((x) => x.name)).toEqual(['salesforce-demo', 'dynamics-demo']);
    expect(c.referrals.rate.concurrency).toBe(16);
  });

  it('fills defaults and resolves the file location', () => {
    const c = loadConfig(write(valid));
    expect(c.state.path).toBe('.cosell/state.db');
    expect(c.connections[0]?.schedule).toBe('*/5 * * * *');
  });

  it('rejects an unknown key naming its path and position', () => {
    const err = problemsOf(valid.replace('mapping: m.yaml', 'mapping: m.yaml\n    schedul: "* * * * *"'));
    expect(err.message).toMatch(/connections\.0: unknown key 'schedul'/);
    expect(err.message).toMatch(/config\.yaml:10:5/);
  });

  it('rejects a wrong type naming the key path and what was expected', () => {
    const err = problemsOf(valid.replace('crm: { kind: salesforce, sandbox: {} }', 'crm: { kind: salesforce, sandbox: { seed: many } }'));
    expect(err.problems[0]?.path).toBe('connections.0.crm.sandbox.seed');
    expect(err.message).toMatch(/expected number/);
  });

  it('refuses a secret written as a value instead of an environment variable name', () => {
    const err = problemsOf(valid.replace('auth: { method: api-key }', 'auth: { method: api-key, apiKeyEnv: "s3cr3t-value!" }'));
    expect(err.message).toMatch(/referrals\.auth\.apiKeyEnv: expected the NAME of an environment variable/);
  });

  it('reports every problem at once', () => {
    const err = problemsOf(`referrals: { target: nowhere, auth: { method: api-key } }\nconnections: []\nextra: 1\n`);
    expect(err.problems.map((p) => p.path).sort()).toEqual(['', 'connections', 'referrals.target'].sort());
  });

  it('refuses a store target that says neither where the store is nor to embed it, naming the key', () => {
    const err = problemsOf(valid.replace('  embedded: {}\n', ''));
    expect(err.problems.map((p) => p.path)).toEqual(['referrals.baseUrl']);
    expect(err.message).toMatch(/referrals\.baseUrl: target store needs `baseUrl` \(a store run with `cosell-sync store serve`/);
    const both = problemsOf(valid.replace('  embedded: {}\n', '  embedded: {}\n  baseUrl: http://127.0.0.1:4700/v1.0/engagements\n'));
    expect(both.problems.map((p) => p.path)).toEqual(['referrals.embedded']);
  });

  it('accepts the shipped standalone-store example', () => {
    const c = loadConfig('config/store.example.yaml');
    expect(c.referrals).toMatchObject({ target: 'store', baseUrl: 'http://127.0.0.1:4700/v1.0/engagements', auth: { method: 'api-key', apiKeyEnv: 'COSELL_STORE_API_KEY' } });
    expect(c.referrals.embedded).toBeUndefined();
  });

  it('reports YAML syntax errors with a position', () => {
    const err = problemsOf('referrals: [unclosed\n');
    expect(err.message).toMatch(/config\.yaml:\d+:\d+ .*YAML syntax/);
  });

  it('a config given as a value (the test stacks) goes through the same schema and resolves paths against its file', () => {
    const c = parseConfig(parse(valid), '/srv/cosell/config.yaml', parseEnv({}));
    expect(c.baseDir).toBe('/srv/cosell');
    expect(c.connections[0]?.crm.rate.concurrency).toBe(4);
    const err = (() => {
      try {
        parseConfig({ ...parse(valid), connections: [{ name: 'sf', crm: { kind: 'salesforce', sandbox: {}, lookbackSeconds: -1 }, mapping: 'm.yaml' }] }, '/srv/x.yaml');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^config \/srv\/x\.yaml is invalid:\n {2}connections\.0\.crm\.lookbackSeconds: /);
  });
});
