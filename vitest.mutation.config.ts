// The vitest configuration Stryker runs (stryker.config.mjs; docs/testing.md "Mutation testing"): the test
// folders that exercise the compiler, the policy model, the profile encoding and the custom-WHERE parser
// (and the compiler's named regression tests),
// without the doc-comparison test (it fails on any text change of the generated examples, so it would
// "kill" every mutant that changes SQL text without telling whether any user sees something else), and
// with the setup file that credits coverage taken in beforeAll/afterAll hooks to the file's tests.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // The generative folder's named regression worlds are deterministic compiler tests (each on PGlite, the
    // server and the Redshift shim); its random campaigns are not a per-mutant test.
    include: [
      'test/{compiler,breadth,policy,security,layout,sql}/**/*.test.ts',
      'test/generative/{compiler-regressions,regressions}.test.ts',
      // The Redshift lint's CASE type check reads the compiler's typed output (branchTypes), which no user sees.
      'test/lint/view-types.test.ts',
      // The user-name rules (shared/policy/user-name.ts) are read where users meet them: the webhook's answer.
      'test/events/user-name-warnings.test.ts',
    ],
    exclude: ['test/policy/policy-doc.test.ts', '**/node_modules/**'],
    setupFiles: ['test/mutation/hook-coverage.ts'],
    reporters: ['default'],
  },
});
