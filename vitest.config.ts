import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not speed limits (speed is the bench's job): on a 2-core machine shared with other runs, a
    // test that creates PGlite instances took 48 s at load 22, too close to a 60 s limit. The same goes for
    // closing (workers, then the server's shutdown), which vitest otherwise cuts after 10 s.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    // 2-core machines: keep the real PostgreSQL server and PGlite instances from fighting for CPU.
    maxWorkers: 2,
    // One real PostgreSQL server per run (or WAREHOUSE_URL); each test file creates its own database on it.
    globalSetup: ['test/support/pg-global-setup.ts'],
    // The JSON report and the unhandled errors (which fail a run whose tests all passed, and which the JSON
    // report does not carry) let .ci/run print plain closing lines: counts, failures, each error's stack.
    reporters: [
      'default',
      ['json', { outputFile: '.vitest-report.json' }],
      './test/support/unhandled-errors-reporter.ts',
    ],
  },
});
