// Problems a user caused (a bad webhook, a policy that cannot be compiled) are returned as diagnostics with a
// code, a summary and a JSON path — never thrown as bare errors. Exceptions are for bugs and infrastructure.
import type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  summary: string;
  /** JSON path of the offending input, e.g. ["data", "columns", 2, "name"]. Empty when not input-specific. */
  path: (string | number)[];
  detail?: string;
}

export function diagnostic(
  code: DiagnosticCode,
  summary: string,
  path: (string | number)[] = [],
  severity: Severity = 'error',
  detail?: string,
): Diagnostic {
  return detail === undefined ? { code, severity, summary, path } : { code, severity, summary, path, detail };
}

/** Thrown only where a caller cannot continue (e.g. an identifier that cannot be quoted safely). */
export class DiagnosticError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.summary}`).join('; '));
    this.name = 'DiagnosticError';
  }
}

/** JSON-path rendering used in messages: data.columns[2].name */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}
