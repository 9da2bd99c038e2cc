/**
 * vitest globalSetup: build the admin console (dist/console) when it is missing or older than its sources, so
 * `npm test` on a fresh clone serves the same console `npm start` does. A vite build takes a few seconds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((t, e) => Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);

export default async function setup(): Promise<void> {
  const built = 'dist/console/index.html';
  if (existsSync(built) && statSync(built).mtimeMs >= newest('console')) return;
  await build({ configFile: 'console/vite.config.ts', logLevel: 'warn' });
}
