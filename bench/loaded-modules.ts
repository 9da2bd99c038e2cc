/**
 * `node --import <this file> …`: records every module the process loads into the file named by
 * COSELL_MODULE_LIST, one URL or path a line — ES modules as the loader hooks see them load, CommonJS ones from
 * the require cache at exit (a CommonJS package's own `require`s never pass the ES loader). The memory bench and
 * the module test read it to prove what a command does not load.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.COSELL_MODULE_LIST;
if (!file) throw new Error('loaded-modules: set COSELL_MODULE_LIST to the file to write');
register(new URL('./loaded-modules-hooks.js', import.meta.url), { data: { file } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(file, `${Object.keys(cache).join('\n')}\n`));
