#!/usr/bin/env node
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
