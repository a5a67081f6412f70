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
  constructor(
    message: string,
    /** Which statement of a list (toDataApi), when known. */
    readonly statementIndex?: number,
  ) {
    super(message);
    this.name = 'ParameterMismatchError';
  }
}

/** Split SQL text into literal text and `:name` parameter references. */
export function lexNamedParameters(sql: string, options: LexOptions): SqlSegment[] {
  const out: SqlSegment[] = [];
  let textStart = 0;
  let i = 0;
  while (i < sql.length) {
    const skipped = skipNonParameter(sql, i, options);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const param = sql[i] === ':' ? parameterAt(sql, i) : null;
    if (!param) {
      i++;
      continue;
    }
    if (i > textStart) out.push({ kind: 'text', text: sql.slice(textStart, i) });
    out.push({ kind: 'param', name: param.name });
    i = textStart = param.end;
  }
  if (sql.length > textStart) out.push({ kind: 'text', text: sql.slice(textStart) });
  return out;
}

/**
 * Where a run that holds no parameter ends, when one starts at `i`: a string literal, a quoted identifier, a
 * comment, a dollar-quoted body, a `::` cast (or a lone `$`); otherwise `i` itself.
 */
function skipNonParameter(sql: string, i: number, options: LexOptions): number {
  const c = sql[i];
  const prev = i > 0 ? sql[i - 1] : undefined;
  if (c === "'") {
    // E'…' (also e'…') escapes with backslashes in every dialect; the E must start a token.
    const eString = (prev === 'E' || prev === 'e') && !isIdentChar(i > 1 ? sql[i - 2] : undefined);
    return skipQuoted(sql, i, "'", options.backslashEscapesInStrings || eString);
  }
  if (c === '"') return skipQuoted(sql, i, '"', false);
  if (c === '-' && sql[i + 1] === '-') {
    const nl = sql.indexOf('\n', i);
    return nl === -1 ? sql.length : nl + 1;
  }
  if (c === '/' && sql[i + 1] === '*') return skipBlockComment(sql, i);
  if (c === '$' && !isIdentChar(prev)) return skipDollarQuoted(sql, i);
  // A cast; `::int` is never a parameter.
  if (c === ':' && sql[i + 1] === ':') return i + 2;
  return i;
}

/**
 * Past a quoted run that starts at `i` (the opening quote) and ends with `quote`; a doubled quote is an escaped
 * quote; `backslash` says whether \x escapes x. An unterminated run extends to the end (the engine will report
 * the syntax error; we must only not invent parameters inside it).
 */
function skipQuoted(sql: string, i: number, quote: string, backslash: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslash && c === '\\') j += 2;
    else if (c === quote && sql[j + 1] === quote) j += 2;
    else if (c === quote) return j + 1;
    else j++;
  }
  return j;
}

/** Past a (nested) block comment that starts at `i`. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 1;
  let j = i + 2;
  while (j < sql.length && depth > 0) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
    } else j++;
  }
  return j;
}

/**
 * Past $tag$ … $tag$ that starts at `i` (tag optional, never starting with a digit: $1 is positional); else past the
 * `$`.
 */
function skipDollarQuoted(sql: string, i: number): number {
  const m = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i));
  if (!m) return i + 1;
  const close = sql.indexOf(m[0], i + m[0].length);
  return close === -1 ? sql.length : close + m[0].length;
}

/** The `:name` parameter at `i` (a colon), with where it ends; null when the colon starts none. */
function parameterAt(sql: string, i: number): { name: string; end: number } | null {
  if ((i > 0 && sql[i - 1] === ':') || !isIdentStart(sql[i + 1])) return null;
  let j = i + 1;
  while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
  // A name with non-ASCII letters is not a parameter name we generate; leave such text alone.
  if (j < sql.length && isIdentChar(sql[j])) return null;
  return { name: sql.slice(i + 1, j), end: j };
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
export function checkParameters(
  segments: readonly SqlSegment[],
  params: Record<string, SqlParamValue> | undefined,
): void {
  const given = params ?? {};
  for (const name of Object.keys(given)) {
    if (!PARAM_NAME.test(name))
      throw new ParameterMismatchError(`parameter name ${JSON.stringify(name)} is not [A-Za-z_][A-Za-z0-9_]*`);
  }
  const referenced = referencedParameters(segments);
  const missing = referenced.filter((name) => !Object.hasOwn(given, name));
  if (missing.length > 0)
    throw new ParameterMismatchError(`no value for parameter(s) ${missing.map((m) => `:${m}`).join(', ')}`);
  const used = new Set(referenced);
  const unused = Object.keys(given).filter((name) => !used.has(name));
  if (unused.length > 0)
    throw new ParameterMismatchError(
      `parameter(s) ${unused.map((m) => `:${m}`).join(', ')} not referenced by the statement`,
    );
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

/**
 * The Data API form of statements: in a batch (one Parameters list shared by every statement, each name used by
 * some statement) every `:name` of statement i becomes `:s<i>_<name>`, so two statements may bind one name to
 * different values. Values travel as strings: NULL is written as the keyword NULL and '' as '' in the text
 * (constants, never caller data). Throws ParameterMismatchError (with the statement index) before any call.
 */
export function toDataApi(
  statements: readonly { sql: string; params?: Record<string, SqlParamValue> }[],
  batch: boolean,
): { sql: string; parameters: { name: string; value: string }[] }[] {
  return statements.map((s, i) => {
    const segments = lexNamedParameters(s.sql, { backslashEscapesInStrings: true });
    try {
      checkParameters(segments, s.params);
    } catch (err) {
      throw new ParameterMismatchError(`${(err as Error).message} (statement ${i})`, i);
    }
    const params = s.params ?? {};
    const parameters: { name: string; value: string }[] = [];
    const named = new Set<string>();
    const sql = rewriteParameters(segments, (name) => {
      const value: SqlParamValue = params[name];
      if (value === null) return 'NULL';
      if (value === '') return "''";
      const apiName = batch ? `s${i}_${name}` : name;
      if (!named.has(apiName)) {
        named.add(apiName);
        parameters.push({ name: apiName, value: String(value) });
      }
      return `:${apiName}`;
    });
    return { sql, parameters };
  });
}
