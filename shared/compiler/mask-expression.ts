// One masked column: the mask function rendered for the column's type, wrapped in the policy's condition
// (who sees the clear value) and its optional cell condition (`where`: which rows are masked), then CAST to
// the column's output type so the view signature is exactly the one computed here.
//
// Type-aware fallback (docs/policies.md): a mask that does not fit the column's type — rounding on text,
// partial or regex on a number, a date unit on a number, a bucket on a date — becomes a typed NULL for the
// users it applies to, with a VG303 WARNING; never the clear value. A constant that does not fit stays a
// VG303 ERROR (the view fails closed), as in v1. A regex that the dialect cannot express (Redshift:
// first-match-only) is a VG303 error too.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ColumnType } from '../policy/column-type.js';
import type { Column, DataSource } from '../policy/data-source.js';
import type { MaskFunction, MaskPolicy } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';
import { compileCustomWhere } from './custom-where.js';
import { constantMisfit } from './mask-constant.js';
import {
  asciiText,
  EMPTY_TEXT,
  eitherText,
  replacedEach,
  replacedMatches,
  textOf,
  type TextBound,
} from '../sql/text-bound.js';
import { ProfileDecisions, criteriaSql } from './profile-decisions.js';
import { Uncompilable } from './uncompilable.js';

/** 2^53: from this many buckets up, a float8 has no digits finer than the bucket. */
const FLOAT_EXACT = 9007199254740992;

/** The hashed text is at least a SHA-256 hex digest wide. */
const HASH_WIDTH = 64;

export interface ColumnOutput {
  expr: string;
  type: string;
  /**
   * The SQL type of each result expression of the column's CASE (in the order they appear; 'unknown' for NULL
   * or an untyped literal, which take the other branches' type): the typed output the Redshift lint checks
   * (test/support/lint/view-types.ts, VG405) instead of guessing types from the SQL text. One entry when there is no
   * CASE.
   */
  branchTypes: string[];
}

type Rendered = MaskFunction | { kind: 'clear' };

/**
 * Why `fn` does not fit `type`, or null when it does (hash, null and clear fit every type; constants are checked
 * separately).
 */
function misfit(fn: Rendered, type: ColumnType): string | null {
  switch (fn.kind) {
    case 'regex':
    case 'partial':
      return type.family === 'string' ? null : `${fn.kind} masks need a string column`;
    case 'round':
      if (type.family === 'integer' || type.family === 'numeric' || type.family === 'float') {
        return fn.bucket === undefined ? 'rounding a number needs a bucket' : null;
      }
      if (type.family === 'date' || type.family === 'timestamp')
        return fn.unit === undefined ? 'rounding a date or timestamp needs a unit' : null;
      return `rounding does not apply to ${type.sql}`;
    default:
      return null;
  }
}

/** A first-match-only regex replace the dialect cannot write (Redshift: every match is replaced). */
const inexpressibleRegex = (dialect: Dialect, policy: MaskPolicy, path: string[]): Uncompilable =>
  new Uncompilable([
    diagnostic(
      'VG303',
      `mask ${JSON.stringify(policy.id)}: a first-match-only regex replace (global: false) cannot be ` +
        `expressed in ${dialect.name}`,
      [...path, 'global'],
    ),
  ]);

/**
 * docs/policies.md: such a regex on a string column fails the view closed (VG303 error) — checked before the
 * column's text is sized, so that a regex that could also outgrow every type (VG313, shown as NULL) still fails
 * the view rather than hiding the refusal behind the NULL. On another column the type-aware fallback applies.
 */
function refuseInexpressibleRegex(
  dialect: Dialect,
  type: ColumnType,
  policy: MaskPolicy,
  at: Map<Rendered, string[]>,
): void {
  if (type.family !== 'string') return;
  for (const [fn, path] of at)
    if (fn.kind === 'regex' && dialect.regexpReplace('x', "'x'", "'x'", fn) === null)
      throw inexpressibleRegex(dialect, policy, path);
}

export function maskedColumn(
  dialect: Dialect,
  ds: DataSource,
  column: Column,
  type: ColumnType,
  policy: MaskPolicy,
  p: ProfileDecisions,
  warnings: Diagnostic[],
): ColumnOutput {
  const ref = `t.${dialect.quoteIdent(column.name)}`;
  // Each mask function with where it sits in the policy: a diagnostic's path points at the one to fix.
  const at = new Map<Rendered, string[]>([[policy.mask, ['mask']]]);
  if (policy.condition.kind === 'everyoneWho') at.set(policy.condition.otherwise, ['condition', 'otherwise']);
  const fns = [...at.keys()];
  refuseMisfitConstants(dialect, column, type, policy, at);
  refuseInexpressibleRegex(dialect, type, policy, at);
  const hashes = fns.some((f) => f.kind === 'hash');
  // A hashed column becomes text wide enough for the digest and for the clear value of the other branch.
  const preferred = hashes
    ? dialect.textType(type.textWidth === null ? null : Math.max(HASH_WIDTH, type.textWidth))
    : type.sql;
  const { outType, branches } = fitOutput(
    dialect,
    type,
    preferred,
    hashes,
    fns.map((fn) => fallback(fn, type, policy, column, warnings, at.get(fn)!)),
    policy,
    column,
    warnings,
  );
  const [mask, otherwise] = branches as [Rendered, Rendered | undefined];
  const asText = dialect.textType(type.textWidth);
  const render = (fn: Rendered): string => renderMask({ dialect, ref, type, asText, policy, at }, fn);

  // A hash turns the column into text: every other branch of the CASE must be text too, or the engine refuses
  // the view ("CASE types text and date cannot be matched") and it fails closed for everyone. A non-string
  // value (the clear value, a typed constant, a rounded date) is shown as its text.
  const textual = hashes && type.family !== 'string';
  const branchTypes: string[] = [];
  const branch = (fn: Rendered): string => {
    const sql = render(fn);
    if (!textual || fn.kind === 'hash') {
      // Each branch cast to the output type gives what the outer CAST gives for it (castsEachCaseBranch): for
      // these types the CASE's common type in between changes no value.
      if (dialect.castsEachCaseBranch()) {
        branchTypes.push(outType);
        return `CAST(${sql} AS ${outType})`;
      }
      branchTypes.push(renderedType(fn, type, asText, dialect));
      return sql;
    }
    // The value first takes the column's type (a constant, a rounded number or date, NULL), then becomes text.
    branchTypes.push(outType);
    return `CAST(${fn.kind === 'clear' ? sql : `CAST(${sql} AS ${type.sql})`} AS ${outType})`;
  };
  const clear = (): string => branch({ kind: 'clear' });
  const c = policy.condition;
  // Which rows the mask applies to: where the cell condition is true or unknown (NULL masks: fail closed).
  const cell = policy.where
    ? `COALESCE(${compileCustomWhere(policy.where, { dialect, ds, p, policyId: policy.id, path: ['where'] })}, TRUE)`
    : null;
  const masked = (then: string, otherwise: string): string =>
    cell === null
      ? `CASE WHEN ${then} ELSE ${otherwise} END`
      : `CASE WHEN NOT ${cell} THEN ${clear()} WHEN ${then} ELSE ${otherwise} END`;
  let expr: string;
  if (c.kind === 'everyone')
    expr = cell === null ? branch(mask) : `CASE WHEN ${cell} THEN ${branch(mask)} ELSE ${clear()} END`;
  else if (c.kind === 'everyoneExcept')
    expr = masked(`${p.decision(criteriaSql(dialect, c.except))} THEN ${clear()}`, branch(mask));
  else expr = masked(`${p.decision(criteriaSql(dialect, c.who))} THEN ${branch(mask)}`, branch(otherwise!));
  // The outer CAST fixes the column type (and length) whatever the branches are, so the view's signature is
  // exactly the one we compute; CREATE OR REPLACE compares types including their length. Where each branch is
  // already cast to it, PostgreSQL drops it at CREATE VIEW (a no-op cast), so it costs nothing per row.
  return { expr: `CAST(${expr} AS ${outType})`, type: outType, branchTypes };
}

/** A constant that does not fit the column's type is an error (the view fails closed), unlike other misfits. */
function refuseMisfitConstants(
  dialect: Dialect,
  column: Column,
  type: ColumnType,
  policy: MaskPolicy,
  at: Map<Rendered, string[]>,
): void {
  for (const fn of at.keys()) {
    if (fn.kind !== 'constant') continue;
    const why = constantMisfit(dialect, type, fn.value);
    if (why) {
      throw new Uncompilable([
        diagnostic(
          'VG303',
          `mask ${JSON.stringify(policy.id)}: constant ${JSON.stringify(fn.value)} ${why} (column ` +
            `${JSON.stringify(column.name)} is ${type.sql})`,
          [...at.get(fn)!, 'value'],
        ),
      ]);
    }
  }
}

interface RenderContext {
  dialect: Dialect;
  /** The column as the view reads it (`t."name"`). */
  ref: string;
  type: ColumnType;
  /** The column's values as text (the type hashes and partial masks work on). */
  asText: string;
  policy: MaskPolicy;
  /** Where each mask function sits in the policy (a diagnostic's path). */
  at: Map<Rendered, string[]>;
}

/** One mask function as SQL over the column (before the CASE and the outer CAST). */
function renderMask({ dialect, ref, type, asText, policy, at }: RenderContext, fn: Rendered): string {
  switch (fn.kind) {
    case 'hash':
      return dialect.hashExpression(`${hashKeySql(dialect)} || CAST(${ref} AS ${asText})`);
    case 'null':
      return 'NULL';
    case 'constant':
      return dialect.quoteLiteral(fn.value);
    case 'clear':
      return ref;
    case 'regex': {
      const sql = dialect.regexpReplace(ref, dialect.quoteLiteral(fn.pattern), dialect.quoteLiteral(fn.replacement), {
        global: fn.global,
        caseInsensitive: fn.caseInsensitive,
      });
      if (sql === null) throw inexpressibleRegex(dialect, policy, at.get(fn)!);
      return sql;
    }
    case 'round':
      return roundSql(dialect, ref, type, fn);
    case 'partial':
      // A char(n) value's padding is not data: PostgreSQL drops it in the cast to varchar, Redshift keeps
      // it and LEN counts a VARCHAR's trailing spaces (https://docs.aws.amazon.com/redshift/latest/dg/r_LEN.html),
      // so RTRIM makes both engines mask the same characters.
      return partialSql(
        dialect,
        type.sql.startsWith('char(') ? `RTRIM(CAST(${ref} AS ${asText}))` : `CAST(${ref} AS ${asText})`,
        fn,
      );
  }
}

const NULL_MASK: Rendered = { kind: 'null' };

/** The SQL type of a rendered branch as emitted (before the column's outer CAST). */
function renderedType(fn: Rendered, type: ColumnType, asText: string, dialect: Dialect): string {
  switch (fn.kind) {
    case 'clear':
    case 'round':
      return type.sql;
    case 'hash':
      return dialect.textType(HASH_WIDTH);
    case 'partial':
    case 'regex':
      return asText;
    case 'constant':
    case 'null':
      return 'unknown';
  }
}

/** Type-aware fallback: a mask that does not fit the column's type is NULL for its users (VG303 warning). */
function fallback(
  fn: Rendered,
  type: ColumnType,
  policy: MaskPolicy,
  column: Column,
  warnings: Diagnostic[],
  path: string[],
): Rendered {
  const why = misfit(fn, type);
  if (!why) return fn;
  warnings.push(
    diagnostic(
      'VG303',
      `mask ${JSON.stringify(policy.id)} on column ${JSON.stringify(column.name)} (${type.sql}): ${why}; the ` +
        `column shows NULL instead`,
      path,
      'warning',
    ),
  );
  return NULL_MASK;
}

/** Whether a pattern can match the empty string (then a replace may insert at every position). */
function matchesEmpty(pattern: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test('');
  } catch {
    return true;
  }
}

/** The widest text a branch can produce (text-bound.ts), from the column's own values. */
function branchText(dialect: Dialect, type: ColumnType, fn: Rendered): TextBound {
  const column = dialect.columnText(type);
  switch (fn.kind) {
    case 'clear':
    case 'round':
      return column;
    case 'null':
      return EMPTY_TEXT;
    case 'constant':
      return textOf(fn.value);
    case 'hash':
      return asciiText(HASH_WIDTH);
    case 'partial':
      return replacedEach(column, fn.maskChar);
    case 'regex':
      return replacedMatches(column, fn.replacement, matchesEmpty(fn.pattern));
  }
}

/**
 * The output type of a string-valued column: the preferred type when the dialect says every branch fits it
 * (Redshift counts bytes; its CHAR holds single-byte characters only), else the narrowest varchar that holds
 * them. When none can (past Redshift's 65535 bytes), the masks that grow text become NULL (VG313 warning):
 * never a query-time error or a silently truncated value.
 */
function fitOutput(
  dialect: Dialect,
  type: ColumnType,
  preferred: string,
  hashes: boolean,
  branches: Rendered[],
  policy: MaskPolicy,
  column: Column,
  warnings: Diagnostic[],
): { outType: string; branches: Rendered[] } {
  if (!hashes && type.family !== 'string') return { outType: preferred, branches };
  const bound = eitherText(
    branchText(dialect, type, { kind: 'clear' }),
    ...branches.map((fn) => branchText(dialect, type, fn)),
  );
  const outType = dialect.stringType(preferred, bound);
  if (outType !== null) return { outType, branches };
  // Only partial and regex masks make text longer than the column's (the clear value always fits).
  const grows = (fn: Rendered): boolean => fn.kind === 'partial' || fn.kind === 'regex';
  warnings.push(
    diagnostic(
      'VG313',
      `mask ${JSON.stringify(policy.id)} on column ${JSON.stringify(column.name)} (${type.sql}): the masked text ` +
        `${dialect.stringMisfit(preferred, bound)} and no ${dialect.name} type holds it; the column shows NULL ` +
        `instead`,
      // branches[0] is the mask, branches[1] the `otherwise` one: the path names the first that grows.
      branches.findIndex(grows) === 1 ? ['condition', 'otherwise'] : ['mask'],
      'warning',
    ),
  );
  return {
    outType: preferred,
    branches: branches.map((fn) => (grows(fn) ? NULL_MASK : fn)),
  };
}

/**
 * Numbers: toward zero to a multiple of the bucket — |result| ≤ |value|, so it always fits the column type
 * (FLOOR could overflow at the type's minimum). Integer columns with a whole bucket use integer division,
 * which truncates toward zero on both engines; other exact numbers x − MOD(x, b)
 * (https://docs.aws.amazon.com/redshift/latest/dg/r_MOD.html), integer columns then truncated to an integer;
 * floats TRUNC (https://docs.aws.amazon.com/redshift/latest/dg/r_TRUNC.html).
 * Dates/timestamps: DATE_TRUNC to the unit (dialect hook; timestamptz in UTC). A date goes through timestamp
 * so PostgreSQL does not pick the session-time-zone timestamptz overload.
 */
function roundSql(
  dialect: Dialect,
  ref: string,
  type: ColumnType,
  fn: Extract<MaskFunction, { kind: 'round' }>,
): string {
  if (type.family === 'date') return dialect.dateTrunc(fn.unit!, `CAST(${ref} AS timestamp)`, false);
  if (type.family === 'timestamp') return dialect.dateTrunc(fn.unit!, ref, type.sql === 'timestamptz');
  const bucket = String(fn.bucket!);
  if (type.family === 'integer' && Number.isInteger(fn.bucket)) return `((${ref} / ${bucket}) * ${bucket})`;
  // Floats never divide where the quotient leaves the float range: PostgreSQL raises "value out of range" for
  // 2e-323 / 1000 (underflow) and -1.8e308 / 0.125 (overflow), failing every query. Smaller than the bucket
  // is 0; from 2^53 buckets up the float has no finer digits than the bucket and stays as it is.
  if (type.family === 'float') {
    // The limit is one literal: bucket * 2^53 in SQL would be an int8 product and overflow for large buckets.
    return (
      `(CASE WHEN ABS(${ref}) < ${bucket} THEN 0 WHEN ABS(${ref}) >= ${String(fn.bucket! * FLOAT_EXACT)} THEN ` +
      `${ref} ELSE TRUNC(${ref} / ${bucket}) * ${bucket} END)`
    );
  }
  // Exact decimals: x − MOD(x, b) is the multiple of b toward zero (MOD has the dividend's sign). TRUNC(x / b)
  // was not: the quotient of a 38-digit value is rounded to the division's scale first, so
  // -15442202348323702354336324159392715103 became …104 (away from zero) and 10^38 − 1 overflowed its type.
  const exact = `(${ref} - MOD(${ref}, ${bucket}))`;
  // A fractional bucket on an integer column: 7.5 would be ROUNDED by the cast to the integer type (to 8, the
  // clear value), so it is truncated toward zero again (to 7).
  return type.family === 'integer' ? `TRUNC${exact}` : exact;
}

/**
 * Keep the first/last `count` characters; the rest become maskChar (everything but spaces and
 * punctuation when preserveFormat). A value not longer than `count` is masked entirely: showing it whole would leak it.
 * LENGTH/LEFT/RIGHT/REPEAT count characters on both engines
 * (https://docs.aws.amazon.com/redshift/latest/dg/r_LEFT.html,
 * https://docs.aws.amazon.com/redshift/latest/dg/r_REPEAT.html).
 */
function partialSql(dialect: Dialect, text: string, fn: Extract<MaskFunction, { kind: 'partial' }>): string {
  const ch = dialect.quoteLiteral(fn.maskChar);
  const n = String(fn.count);
  const hide = (part: string, len: string): string =>
    fn.preserveFormat
      ? // Mask everything that is not a separator: Redshift's POSIX classes are ASCII-only
        // (https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html), so
        // [[:alnum:]] would leave non-ASCII letters (é, ß, 中) visible there; a negated class masks them on both
        // engines. Non-ASCII punctuation is kept by PostgreSQL and masked by Redshift — the safe direction.
        dialect.regexpReplace(part, dialect.quoteLiteral('[^[:space:][:punct:]]'), ch, {
          global: true,
          caseInsensitive: false,
        })!
      : `REPEAT(${ch}, ${len})`;
  const len = `LENGTH(${text})`;
  const kept = fn.keep === 'last' ? `RIGHT(${text}, ${n})` : `LEFT(${text}, ${n})`;
  const rest = fn.keep === 'last' ? `LEFT(${text}, ${len} - ${n})` : `RIGHT(${text}, ${len} - ${n})`;
  const masked =
    fn.keep === 'last' ? `${hide(rest, `${len} - ${n}`)} || ${kept}` : `${kept} || ${hide(rest, `${len} - ${n}`)}`;
  return `CASE WHEN ${len} > ${n} THEN ${masked} ELSE ${hide(text, len)} END`;
}

/** The newest hashing key as a scalar subquery (evaluated once per query; the key is never in a definition). */
function hashKeySql(dialect: Dialect): string {
  const keyTable = dialect.qualify(dialect.schemas.system, 'hash_key');
  const keyId = dialect.quoteIdent('key_id');
  return (
    `(SELECT ${dialect.quoteIdent('hash_key')} FROM ${keyTable} WHERE ${keyId} = (SELECT MAX(${keyId}) FROM ` +
    `${keyTable}))`
  );
}
