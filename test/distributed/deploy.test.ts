/**
 * deploy/: docker can't run here, so the compose file's shape is checked: the services the issue names, each
 * role a command the CLI has (cli-e2e.test.ts runs them), the worker replicas, health-gated start order, probes on routes the server has, loopback-only ports, secrets from
 * an env file, and the image's config loading as distributed mode on PostgreSQL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/index.js';
import { loadConfig } from '../../src/runtime/index.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  ports?: string[];
  env_file?: unknown;
}
const compose = parse(readFileSync('deploy/docker-compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const s = compose.services;

describe('deploy/docker-compose.yaml', () => {
  it('runs PostgreSQL, Redis, a migration, a scheduler, three workers and the console of one image', () => {
    expect(Object.keys(s).sort()).toEqual(['console', 'migrate', 'postgres', 'redis', 'scheduler', 'worker']);
    expect(s.postgres!.image).toMatch(/^postgres:\d+/);
    expect(s.redis!.image).toMatch(/^redis:\d+/);
    expect(s.redis!.command).toContain('noeviction');
    expect([s.migrate!.command, s.scheduler!.command, s.worker!.command, s.console!.command]).toEqual([['migrate'], ['scheduler'], ['worker'], ['console']]);
    const commands = buildProgram().commands.map((c) => c.name());
    for (const name of ['migrate', 'scheduler', 'worker', 'console']) expect(commands, name).toContain(s[name]!.command![0]);
    expect(s.worker!.deploy?.replicas).toBe(3);
    for (const name of ['migrate', 'scheduler', 'worker', 'console']) {
      expect(s[name]!.image, name).toBe('cosell-sync:latest');
      expect(s[name]!.environment, name).toMatchObject({ COSELL_DATABASE_URL: expect.stringMatching(/^postgres:\/\/.+@postgres:5432\//), COSELL_REDIS_URL: 'redis://redis:6379' });
    }
  });

  it('starts in order on health, probes routes the server has, and publishes on loopback only', () => {
    for (const name of ['scheduler', 'worker', 'console']) {
      expect(s[name]!.depends_on, name).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    const probes = readFileSync('src/server/probes.ts', 'utf8');
    for (const [name, route] of [
      ['scheduler', '/readyz'],
      ['worker', '/livez'],
      ['console', '/readyz'],
    ] as const) {
      expect(s[name]!.healthcheck!.test.join(' '), name).toContain(route);
      expect(probes).toContain(`'${route}'`);
    }
    for (const svc of Object.values(s)) for (const p of svc.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
    // People and webhooks reach the console; the other roles' surfaces are for the health checks only.
    const published = Object.entries(s).filter(([, svc]) => svc.ports?.length);
    expect(published.map(([name, svc]) => [name, svc.ports])).toEqual([['console', ['127.0.0.1:4710:4710']]]);
  });

  it('builds from files that exist, with a config that loads as distributed mode on PostgreSQL', () => {
    const dockerfile = readFileSync('deploy/Dockerfile', 'utf8');
    for (const [, src] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) expect(existsSync(src!), src).toBe(true);
    expect(existsSync('deploy/cosell.env.example')).toBe(true);
    const config = loadConfig('deploy/config.distributed.yaml');
    expect([config.state.kind, config.runtime.mode, config.server.host]).toEqual(['postgres', 'distributed', '0.0.0.0']);
  });
});
