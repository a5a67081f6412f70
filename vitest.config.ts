import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // 2-core machines: keep the real PostgreSQL server and PGlite instances from fighting for CPU.
    maxWorkers: 2,
    // One real PostgreSQL server per run (or WAREHOUSE_URL); each test file creates its own database on it.
    globalSetup: ['test/support/pg-global-setup.ts'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
