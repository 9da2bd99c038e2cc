import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'connectors/**/*.test.ts', 'src/**/*.test.ts'],
    // Integration suites start real servers on loopback; two cores are shared, so keep forks modest.
    pool: 'forks',
    // The browser tests need the built console (see the file).
    globalSetup: ['test/browser/global-setup.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that makes no assertion fails: it could not have caught anything.
    expect: { requireAssertions: true },
  },
});
