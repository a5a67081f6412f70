// The one way a zod validation failure is reported: each issue with its JSON path (symbols as text) and
// message — as diagnostics (a field path per problem), or as one line for an error message.
import type { z } from 'zod';
import type { DiagnosticCode } from './codes.js';
import { diagnostic, formatPath, type Diagnostic } from './diagnostic.js';

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** The issues of `error`, each path prefixed with `basePath` (e.g. ['data'] inside an event envelope). */
export function zodIssues(error: z.ZodError, basePath: readonly (string | number)[] = []): Issue[] {
  return error.issues.map((issue) => ({
    path: [...basePath, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
  }));
}

/**
 * One diagnostic per issue. The summary is `<what>: <message>`, or, without `what`, `<path>: <message>` where
 * an issue of the whole value is named `root`.
 */
export function issuesToDiagnostics(
  code: DiagnosticCode,
  error: z.ZodError,
  options: { what?: string; basePath?: readonly (string | number)[]; root?: string } = {},
): Diagnostic[] {
  return zodIssues(error, options.basePath).map(({ path, message }) =>
    diagnostic(code, `${options.what ?? (formatPath(path) || options.root || '(value)')}: ${message}`, path),
  );
}

/** The issues in one line: `a.b[2]: message; c: message`, an issue of the whole value named `root`. */
export function formatIssues(error: z.ZodError, root = '(value)'): string {
  return zodIssues(error)
    .map(({ path, message }) => `${formatPath(path) || root}: ${message}`)
    .join('; ');
}
