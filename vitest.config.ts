import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the bundled CLI (dist/) when it is missing or stale, for the tests that spawn bin/tide.js.
    globalSetup: ['test/global-setup.ts'],
    // Every connection past loopback fails the test that makes it (see the file).
    // croner handed to core (core/cron.ts), as every program does at start.
    setupFiles: ['test/support/network-guard-setup.ts', 'test/support/cron-setup.ts'],
    // Redis-backed suites start their own redis-server; keep files in separate workers but bounded for 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" line that any CI reader understands.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    hookTimeout: 30_000,
  },
});
