// Thrown inside the compiler for a policy that cannot be compiled; compileView turns it into a fail-closed
// view (typed NULLs WHERE FALSE) plus VG301. Never escapes the compiler.
import { DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';

export class Uncompilable extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join('; '));
  }
}

/** Quote or collect the identifier diagnostic (VG101-VG104) as a compile failure. */
export function safely<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DiagnosticError) throw new Uncompilable(e.diagnostics);
    throw e;
  }
}
