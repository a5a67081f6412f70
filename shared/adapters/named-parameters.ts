// Named parameters (`:name`) in SqlStatement text, found by a small lexer that knows where a colon is NOT a
// parameter: `::` casts, string literals ('…', E'…'), quoted identifiers ("…"), dollar-quoted bodies ($$…$$,
// $tag$…$tag$) and comments (-- …, nested /* … */). Values are never spliced into text: PostgreSQL gets $n
// placeholders, the Data API gets the `:name` form back (possibly renamed). A `:name` inside an array slice
// (`a[1:n]`) is read as a parameter, as the Data API itself would; generated SQL writes `a[1 : n]` if ever needed.
import type { SqlParamValue } from '../sql/statement.js';

export type SqlSegment = { kind: 'text'; text: string } | { kind: 'param'; name: string };

export interface LexOptions {
  /**
   * Whether a backslash escapes the next character inside a plain '…' literal. PostgreSQL (with
   * standard_conforming_strings on, the default since 9.1): no — only E'…' does. Redshift: yes
   * (https://docs.aws.amazon.com/redshift/latest/dg/r_QUOTE_LITERAL.html doubles backslashes).
   */
  backslashEscapesInStrings: boolean;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_\u0080-\uffff]/.test(c);
const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/** Thrown for a statement whose parameters do not match its text (a bug in the caller, not user input). */
export class ParameterMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterMismatchError';
  }
}

/** Split SQL text into literal text and `:name` parameter references. */
export function lexNamedParameters(sql: string, options: LexOptions): SqlSegment[] {
  const out: SqlSegment[] = [];
  let textStart = 0;
  let i = 0;
  const n = sql.length;
  const flushText = (end: number) => {
    if (end > textStart) out.push({ kind: 'text', text: sql.slice(textStart, end) });
  };
  // Skip a quoted run that starts at i (the opening quote) and ends with `quote`; a doubled quote is an
  // escaped quote; `backslash` says whether \x escapes x. Unterminated runs extend to the end (the engine
  // will report the syntax error; we must only not invent parameters inside them).
  const skipQuoted = (quote: string, backslash: boolean) => {
    i++;
    while (i < n) {
      const c = sql[i];
      if (backslash && c === '\\') {
        i += 2;
        continue;
      }
      if (c === quote) {
        if (sql[i + 1] === quote) {
          i += 2;
          continue;
        }
        i++;
        return;
      }
      i++;
    }
  };
  while (i < n) {
    const c = sql[i];
    const prev = i > 0 ? sql[i - 1] : undefined;
    if (c === "'") {
      // E'…' (also e'…') escapes with backslashes in every dialect; the E must start a token.
      const eString = (prev === 'E' || prev === 'e') && !isIdentChar(i > 1 ? sql[i - 2] : undefined);
      skipQuoted("'", options.backslashEscapesInStrings || eString);
      continue;
    }
    if (c === '"') {
      skipQuoted('"', false);
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (c === '$' && !isIdentChar(prev)) {
      // $tag$ … $tag$ (tag optional, never starting with a digit: $1 is a positional parameter).
      const m = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close === -1 ? n : close + m[0].length;
        continue;
      }
      i++;
      continue;
    }
    if (c === ':') {
      if (sql[i + 1] === ':') {
        i += 2; // a cast; `::int` is never a parameter
        continue;
      }
      if (prev !== ':' && isIdentStart(sql[i + 1])) {
        let j = i + 1;
        while (j < n && /[A-Za-z0-9_]/.test(sql[j])) j++;
        // A name with non-ASCII letters is not a parameter name we generate; leave such text alone.
        if (j === n || !isIdentChar(sql[j])) {
          flushText(i);
          out.push({ kind: 'param', name: sql.slice(i + 1, j) });
          i = j;
          textStart = i;
          continue;
        }
      }
      i++;
      continue;
    }
    i++;
  }
  flushText(n);
  return out;
}

/** The parameter names a statement references, in first-use order. */
export function referencedParameters(segments: readonly SqlSegment[]): string[] {
  const seen = new Set<string>();
  for (const s of segments) if (s.kind === 'param') seen.add(s.name);
  return [...seen];
}

/**
 * Check that the text's references and the given parameters match exactly: a missing value would be an
 * engine error at best and a wrong binding at worst; an unused one is rejected by the Data API and usually
 * means a typo. Messages name parameters, never their values.
 */
export function checkParameters(segments: readonly SqlSegment[], params: Record<string, SqlParamValue> | undefined): void {
  const given = params ?? {};
  for (const name of Object.keys(given)) {
    if (!PARAM_NAME.test(name)) throw new ParameterMismatchError(`parameter name ${JSON.stringify(name)} is not [A-Za-z_][A-Za-z0-9_]*`);
  }
  const referenced = referencedParameters(segments);
  const missing = referenced.filter((name) => !Object.hasOwn(given, name));
  if (missing.length > 0) throw new ParameterMismatchError(`no value for parameter(s) ${missing.map((m) => `:${m}`).join(', ')}`);
  const used = new Set(referenced);
  const unused = Object.keys(given).filter((name) => !used.has(name));
  if (unused.length > 0) throw new ParameterMismatchError(`parameter(s) ${unused.map((m) => `:${m}`).join(', ')} not referenced by the statement`);
}

/** PostgreSQL form: `:name` → `$n` (one number per distinct name) and the values in that order. */
export function toPositional(
  sql: string,
  params: Record<string, SqlParamValue> | undefined,
  options: LexOptions = { backslashEscapesInStrings: false },
): { text: string; values: SqlParamValue[] } {
  const segments = lexNamedParameters(sql, options);
  checkParameters(segments, params);
  const index = new Map<string, number>();
  const values: SqlParamValue[] = [];
  const text = segments
    .map((s) => {
      if (s.kind === 'text') return s.text;
      let k = index.get(s.name);
      if (k === undefined) {
        values.push(params![s.name]);
        k = values.length;
        index.set(s.name, k);
      }
      return `$${k}`;
    })
    .join('');
  return { text, values };
}

/** Re-emit the text with every `:name` replaced by `replace(name)` (used to rename or to write NULL). */
export function rewriteParameters(segments: readonly SqlSegment[], replace: (name: string) => string): string {
  return segments.map((s) => (s.kind === 'text' ? s.text : replace(s.name))).join('');
}
