/**
 * The admin console: the built single-page app (dist/console, made by `npm run build`) served at `/` on the
 * same origin as the API, and `/api/v1/session`, which tells the console which role its token has. The app
 * routes with the URL hash, so only `/` and the flat `/assets/` folder are served: no catch-all route that
 * could shadow an unknown API path (those still need the admin token, see auth.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
/** Vite's hashed asset names: one flat folder, no path separators or dot segments to resolve. */
const ASSET = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
const SECURITY = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** dist/console next to the package.json this module belongs to (from src/ under tsx or dist/src/ when built). */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

export function registerConsole(app: FastifyInstance, consoleDir: string): void {
  const index = join(consoleDir, 'index.html');
  app.get('/', { config: { role: 'none' } }, async (_req, reply) => {
    reply.headers({ ...SECURITY, 'cache-control': 'no-cache' });
    if (!existsSync(index)) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The admin console is not built: run `npm run build` (the API under /api/v1 works without it).\n');
    }
    return reply.type('text/html; charset=utf-8').send(readFileSync(index));
  });
  app.get('/assets/:file', { config: { role: 'none' } }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const type = TYPES[extname(file)];
    if (!ASSET.test(file) || !type) return reply.code(404).send({ error: { code: 'notFound', message: `no asset ${file}` } });
    const body = await readFile(join(consoleDir, 'assets', file)).catch(() => null);
    if (!body) return reply.code(404).send({ error: { code: 'notFound', message: `no asset ${file}` } });
    // Names carry a content hash, so a browser may keep them forever.
    return reply
      .headers({ ...SECURITY, 'cache-control': 'public, max-age=31536000, immutable' })
      .type(type)
      .send(body);
  });
  app.get('/api/v1/session', { config: { role: 'read' } }, async (req) => ({ role: req.role }));
}
