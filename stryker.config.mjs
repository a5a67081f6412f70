// Mutation testing (`npm run mutation`, docs/testing.md): Stryker with the vitest runner over the compiler,
// the policy model, the layout's profile encoding and the custom-WHERE parser. A measurement, not part of
// `npm test`. Run it through `npm run mutation` (test/mutation/run.ts): that starts the one PostgreSQL server
// the tests share, outside Stryker's runner processes, so a runner Stryker kills leaves no server behind.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: {
    // Only the compiler/policy/security/layout test folders, without the doc-comparison tests (they fail on
    // any text change, which is not evidence of behaviour); plus the beforeAll coverage setup file.
    configFile: 'vitest.mutation.config.ts',
    // Each mutant runs only the test files that import the mutated file.
    related: true,
  },
  mutate: ['shared/compiler/*.ts', 'shared/policy/*.ts', 'shared/layout/profile-encoding.ts'],
  coverageAnalysis: 'perTest',
  // The dry run is the whole selected suite with coverage (~5 min on a loaded 2-core machine).
  dryRunTimeoutMinutes: 30,
  // Two runners on a 2-core machine; each runs its test files one at a time.
  concurrency: 2,
  // A mutant's tests include beforeAll work (engines, bootstrap) that the per-test times do not show.
  timeoutMS: 60_000,
  timeoutFactor: 2,
  reporters: ['html', 'json', 'clear-text', 'progress-append-only'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  incremental: false,
  thresholds: { high: 95, low: 90, break: null },
};
