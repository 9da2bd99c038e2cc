import { defineConfig } from 'vitest/config';

/** The CPU-bound fuzzers run after everything else, so they never slow the timing-sensitive reliability tests. */
const FUZZERS = ['test/security/*-fuzz.test.ts'];

export default defineConfig({
  test: {
    // Integration suites start real servers on loopback; two cores are shared, so keep forks modest.
    pool: 'forks',
    // The browser tests need the built console (see the file).
    globalSetup: ['test/browser/global-setup.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that makes no assertion fails: it could not have caught anything.
    expect: { requireAssertions: true },
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts', 'connectors/**/*.test.ts', 'src/**/*.test.ts'], exclude: FUZZERS, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'fuzz', include: FUZZERS, sequence: { groupOrder: 1 } } },
    ],
  },
});
