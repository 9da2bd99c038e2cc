#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-old-space-size=192 --max-semi-space-size=4
// The flags: a capped old space (V8 otherwise grows it lazily on a large machine) and a small young generation —
// each MB of semi-space is RSS the process keeps, and at 4 MB the sync's CPU per record is the same as at 8
// (bench/RESULTS.md, B4). One malloc arena: glibc otherwise gives the GC and libuv threads arenas of their own,
// each keeping freed memory resident; the JavaScript runs on one thread, so they barely contend (-12 MB peak
// RSS at 20,000 records, the same CPU; B4). `npm start` and the container set the same.
import { buildProgram } from './program.js';
import { describeError, ConfigError, processEnv, redactString } from '../runtime/index.js';

async function main(): Promise<void> {
  processEnv(); // a bad environment variable stops the boot with its name and what it accepts
  await buildProgram().parseAsync(process.argv);
}

main().catch((err: unknown) => {
  // Expected problems (bad config, bad environment, auth) print one clear line; nothing secret, no stack.
  process.stderr.write(`cosell-sync: ${redactString(describeError(err))}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
});
