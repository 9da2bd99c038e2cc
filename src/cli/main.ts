#!/usr/bin/env node
import { buildProgram } from './program.js';
import { describeError, ConfigError, redactString } from '../runtime/index.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    // Expected problems (bad config, auth) print one clear line; nothing secret, no stack.
    process.stderr.write(`cosell-sync: ${redactString(describeError(err))}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  });
