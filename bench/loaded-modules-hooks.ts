/** The loader hooks of loaded-modules.ts (they run on the loader's own thread): append each loaded URL. */
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data: { file: string }): void {
  file = data.file;
}

export async function load(url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  appendFileSync(file, `${url}\n`);
  return next(url, context);
}
