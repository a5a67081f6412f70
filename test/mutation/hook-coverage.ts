// Stryker's vitest runner credits a mutant to the test that is running when the mutated code executes. Code
// that runs outside a test — while the test file and its fixtures are imported, or in beforeAll/afterAll hooks
// (our engines, bootstrap, profiles, views applied once per file) — is recorded as "static", and Stryker then
// runs EVERY test for that mutant, with the vitest runner's slow whole-suite path. This setup file
// (vitest.mutation.config.ts, mutation runs only) makes both cases exact instead:
// - dry run: what runs outside a test is credited to every test of the file (they all depend on it);
// - mutant run: the mutant is active from before the test file is imported (each test file runs in a fresh
//   worker), not only from Stryker's file-level beforeAll, so module-level code and fixtures built at import
//   see it too.
// Outside a Stryker run (`inject('mode')` is not provided) it does nothing.
import { afterAll, inject } from 'vitest';

interface Coverage {
  static: Record<string, number>;
  perTest: Record<string, Record<string, number>>;
}
interface StrykerNamespace {
  currentTestId?: string;
  activeMutant?: string;
  mutantCoverage?: Coverage;
}

const OUTSIDE_TESTS = '#outside-tests';
// These keys exist only when Stryker's runner provides them (its own setup file runs before this one).
const provided = inject as unknown as (key: string) => unknown;
const mode = provided('mode');
const namespace = provided('globalNamespace') as string | undefined;
const ns = namespace ? (((globalThis as Record<string, unknown>)[namespace] ??= {}) as StrykerNamespace) : null;

if (ns && mode === 'mutant') {
  ns.activeMutant = provided('activeMutant') as string;
} else if (ns && mode === 'dry-run') {
  let current: string | undefined;
  const tests = new Set<string>();
  Object.defineProperty(ns, 'currentTestId', {
    configurable: true,
    get: () => current ?? OUTSIDE_TESTS,
    set: (id: string | undefined) => {
      current = id;
      if (id) tests.add(id);
    },
  });
  afterAll(() => {
    const cov = ns.mutantCoverage;
    const outside = cov?.perTest[OUTSIDE_TESTS];
    if (!cov || !outside) return;
    delete cov.perTest[OUTSIDE_TESTS];
    for (const id of tests) {
      const into = (cov.perTest[id] ??= {});
      for (const [mutant, hits] of Object.entries(outside)) into[mutant] = (into[mutant] ?? 0) + hits;
    }
  });
}
