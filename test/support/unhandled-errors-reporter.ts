// Vitest reporter: writes the run's unhandled errors (uncaught exceptions and unhandled rejections outside a
// test, which fail the run even when every test passed) to .vitest-unhandled.json at the end of every run (an
// empty list when there were none). vitest's JSON report does not carry them; .ci/run prints them at its end.
import { rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

export const UNHANDLED_ERRORS_FILE = '.vitest-unhandled.json';

export interface UnhandledErrorRecord {
  /** 'Unhandled Rejection', 'Uncaught Exception', 'Unhandled Error' … as vitest names it. */
  type: string;
  name: string;
  message: string;
  stack: string;
  /** The test file whose worker raised it, and the last test that ran there (vitest's attribution). */
  testFile: string | null;
  testName: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function unhandledErrorRecord(error: SerializedError, root: string): UnhandledErrorRecord {
  const file = text(error.VITEST_TEST_PATH);
  const cause = error.cause ? `\nCaused by: ${error.cause.stack ?? error.cause.message}` : '';
  return {
    type: text(error.type) ?? 'Unhandled Error',
    name: text(error.name) ?? 'Error',
    message: text(error.message) ?? String(error.message),
    stack: (text(error.stack) ?? '') + cause,
    testFile: file && relative(root, file),
    testName: text(error.VITEST_TEST_NAME),
  };
}

export default class UnhandledErrorsReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    // A stale file from an earlier run must never be read as this run's: no file = the run never reached its end.
    rmSync(resolve(this.root, UNHANDLED_ERRORS_FILE), { force: true });
  }

  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    errors: ReadonlyArray<SerializedError>,
    _reason: TestRunEndReason,
  ): void {
    const records = errors.map((e) => unhandledErrorRecord(e, this.root));
    writeFileSync(resolve(this.root, UNHANDLED_ERRORS_FILE), `${JSON.stringify(records, null, 2)}\n`);
  }
}
