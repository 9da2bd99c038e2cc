/**
 * The service serves the built console on the API's origin: `/` and its hashed assets without a token (with a
 * strict Content-Security-Policy), nothing outside the assets folder, /api/v1/session tells a token's role, and
 * the console's routes did not open a way around authorization (unknown paths still need the admin token).
 */
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../browser/harness.js';

let svc: RunningService;

beforeAll(async () => {
  svc = await startService({ seed: 3 });
}, 60_000);
afterAll(() => svc?.stop());

/** The path sent byte for byte (fetch would normalize dot segments). */
const raw = (path: string, token?: string) =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(svc.url);
    const req = request({ host: u.hostname, port: u.port, path, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });

describe('the console on the service', () => {
  it('serves the page and its bundled assets without a token, under a strict CSP', async () => {
    const page = await fetch(`${svc.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const s of scripts) {
      const res = await fetch(`${svc.url}${s}`);
      expect(res.status, s).toBe(200);
      expect(res.headers.get('cache-control'), s).toContain('immutable');
    }
    // Nothing from elsewhere: every asset is bundled.
    for (const f of readdirSync('dist/console/assets')) expect(f).not.toMatch(/^https?:/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves nothing outside the assets folder and no unknown asset', async () => {
    for (const path of [
      '/assets/../index.html',
      '/assets/..%2F..%2F..%2Fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/nope.js',
      '/assets/index.html',
      '/package.json',
    ]) {
      expect([401, 404], path).toContain(await raw(path));
    }
  });

  it('/api/v1/session names the role of the token; unknown API paths still need the admin token', async () => {
    const role = async (t?: string) => {
      const res = await fetch(`${svc.url}/api/v1/session`, t ? { headers: { Authorization: `Bearer ${t}` } } : {});
      return res.status === 200 ? ((await res.json()) as { role: string }).role : res.status;
    };
    expect(await role(svc.tokens.read)).toBe('read');
    expect(await role(svc.tokens.admin)).toBe('admin');
    expect(await role()).toBe(401);
    expect(await raw('/api/v1/nope')).toBe(401);
    expect(await raw('/api/v1/nope', svc.tokens.read)).toBe(403);
    expect(await raw('/index.html')).toBe(401);
  });
});
