// The vitest configuration Stryker runs (stryker.config.mjs; docs/testing.md "Mutation testing"): the test
// folders that exercise the compiler, the policy model, the profile encoding and the custom-WHERE parser,
// without the doc-comparison test (it fails on any text change of the generated examples, so it would
// "kill" every mutant that changes SQL text without telling whether any user sees something else), and
// with the setup file that credits coverage taken in beforeAll/afterAll hooks to the file's tests.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/{compiler,breadth,policy,security,layout}/**/*.test.ts'],
    exclude: ['test/policy/policy-doc.test.ts', '**/node_modules/**'],
    setupFiles: ['test/mutation/hook-coverage.ts'],
    reporters: ['default'],
  },
});
