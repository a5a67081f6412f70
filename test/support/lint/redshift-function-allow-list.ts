// Functions and built-in expressions the Redshift lint accepts. Each entry names the AWS Redshift SQL
// reference page that documents it FOR REDSHIFT. `checked: true` means that page was opened and read (search
// tool, corpus docs, and the page's source in awsdocs/amazon-redshift-developer-guide) and documents the
// function for Amazon Redshift; `false` would mean a URL guessed from the reference's naming pattern and
// never opened. test/lint/generated-sql-citations.test.ts fails if SQL the project generates relies on an
// entry that is not `checked: true`. Anything not listed is rejected (VG402): fail closed.
//
// Re-verified 2026-11-27 (task L1): every entry below, against the reference's index pages
//   String functions   https://docs.aws.amazon.com/redshift/latest/dg/String_functions_header.html
//   Hash functions     https://docs.aws.amazon.com/redshift/latest/dg/hash-functions.html
//   Math functions     https://docs.aws.amazon.com/redshift/latest/dg/Math_functions.html
//   Date and time      https://docs.aws.amazon.com/redshift/latest/dg/Date_functions_header.html
//   Type formatting    https://docs.aws.amazon.com/redshift/latest/dg/r_Data_type_formatting.html
//   Conditional expr.  https://docs.aws.amazon.com/redshift/latest/dg/c_conditional_expressions.html
//   Aggregates         https://docs.aws.amazon.com/redshift/latest/dg/c_Aggregate_Functions.html
//   Window functions   https://docs.aws.amazon.com/redshift/latest/dg/c_Window_functions.html
//   System information https://docs.aws.amazon.com/redshift/latest/dg/r_System_information_functions.html
// and the individual page of each function generated SQL uses. None is on the "Unsupported PostgreSQL
// functions" page (https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html)
// or the leader-node-only list (https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions_leader_node_only.html).
// One URL was wrong: FUNC_SHA1 is documented at FUNC_SHA1.html (not r_FUNC_SHA1.html).
//
// The lint checks names, not argument shapes: the pages below are also where a function's Redshift-only
// argument forms are (e.g. CONCAT takes exactly two arguments; TO_TIMESTAMP has no one-argument epoch form).
//
// Names are lower-case, as the PostgreSQL parser reports them. SQL-syntax forms are reported by the parser
// under their PostgreSQL function name (TRIM → btrim/ltrim/rtrim, POSITION → position, SUBSTRING → substring,
// EXTRACT → extract); Redshift documents TRIM itself at r_TRIM.html and each of BTRIM/LTRIM/RTRIM on its own page.

const DG = 'https://docs.aws.amazon.com/redshift/latest/dg/';

export interface AllowedFunction {
  url: string;
  checked: boolean;
  /** Aggregate or window-capable: `OVER (...)`/`WITHIN GROUP` are accepted on it. */
  aggregate?: boolean;
}

const fn = (page: string, checked: boolean, aggregate = false): AllowedFunction =>
  aggregate ? { url: DG + page, checked, aggregate } : { url: DG + page, checked };

export const REDSHIFT_FUNCTIONS: Readonly<Record<string, AllowedFunction>> = {
  // hashing (the compiler's hash mask)
  sha2: fn('SHA2.html', true),
  md5: fn('r_MD5.html', true),
  sha1: fn('SHA1.html', true),
  func_sha1: fn('FUNC_SHA1.html', true),
  // string search and editing (profile membership, masks)
  position: fn('r_POSITION.html', true),
  strpos: fn('r_STRPOS.html', true),
  charindex: fn('r_CHARINDEX.html', true),
  replace: fn('r_REPLACE.html', true),
  regexp_replace: fn('REGEXP_REPLACE.html', true),
  regexp_substr: fn('REGEXP_SUBSTR.html', true),
  regexp_count: fn('REGEXP_COUNT.html', true),
  regexp_instr: fn('REGEXP_INSTR.html', true),
  translate: fn('r_TRANSLATE.html', true),
  left: fn('r_LEFT.html', true),
  right: fn('r_LEFT.html', true), // "LEFT and RIGHT functions"
  substring: fn('r_SUBSTRING.html', true),
  len: fn('r_LEN.html', true),
  length: fn('r_LENGTH.html', true),
  char_length: fn('r_CHAR_LENGTH.html', true),
  octet_length: fn('r_OCTET_LENGTH.html', true),
  lower: fn('r_LOWER.html', true),
  upper: fn('r_UPPER.html', true),
  initcap: fn('r_INITCAP.html', true),
  btrim: fn('r_BTRIM.html', true),
  ltrim: fn('r_LTRIM.html', true),
  rtrim: fn('r_RTRIM.html', true),
  concat: fn('r_CONCAT.html', true),
  lpad: fn('r_LPAD.html', true),
  rpad: fn('r_LPAD.html', true), // "LPAD and RPAD functions"
  repeat: fn('r_REPEAT.html', true),
  reverse: fn('r_REVERSE.html', true),
  split_part: fn('SPLIT_PART.html', true),
  quote_ident: fn('r_QUOTE_IDENT.html', true),
  quote_literal: fn('r_QUOTE_LITERAL.html', true),
  // null handling (COALESCE/NULLIF/GREATEST/LEAST are expressions, see REDSHIFT_EXPRESSIONS)
  nvl: fn('r_NVL_function.html', true),
  nvl2: fn('r_NVL2.html', true),
  // date and time (GETDATE/SYSDATE run on compute nodes; NOW/CURRENT_TIMESTAMP are leader-node-only)
  getdate: fn('r_GETDATE.html', true),
  date_trunc: fn('r_DATE_TRUNC.html', true),
  date_part: fn('r_DATE_PART_function.html', true),
  dateadd: fn('r_DATEADD_function.html', true),
  datediff: fn('r_DATEDIFF_function.html', true),
  convert_timezone: fn('CONVERT_TIMEZONE.html', true),
  // `x AT TIME ZONE 'UTC'` (the parser reports it as timezone('UTC', x)); TIMEZONE(zone, x) is the same function.
  timezone: fn('r_AT_TIME_ZONE.html', true),
  to_char: fn('r_TO_CHAR.html', true),
  to_date: fn('r_TO_DATE_function.html', true),
  to_number: fn('r_TO_NUMBER.html', true),
  to_timestamp: fn('r_TO_TIMESTAMP.html', true),
  extract: fn('r_EXTRACT_function.html', true),
  // math
  round: fn('r_ROUND.html', true),
  floor: fn('r_FLOOR.html', true),
  ceil: fn('r_CEILING_FLOOR.html', true),
  ceiling: fn('r_CEILING_FLOOR.html', true),
  abs: fn('r_ABS.html', true),
  mod: fn('r_MOD.html', true),
  trunc: fn('r_TRUNC.html', true),
  // minimization's hash bucket: hex → BIGINT (policy breadth)
  strtol: fn('r_STRTOL.html', true),
  sign: fn('r_SIGN.html', true),
  power: fn('r_POWER.html', true),
  // system information functions for the operator tools' privilege audit (shared/operations/audit-facts.ts).
  // Leader-node functions: those queries read only the catalog (PG_TABLES, PG_NAMESPACE, PG_USER), as the
  // pages' own examples do. has_schema_privilege returns text there, so it is selected, never filtered on.
  has_table_privilege: fn('r_HAS_TABLE_PRIVILEGE.html', true),
  has_schema_privilege: fn('r_HAS_SCHEMA_PRIVILEGE.html', true),
  // aggregates and window functions (the OVER forms of COUNT/SUM/MIN/MAX/AVG/LISTAGG are documented as
  // r_WF_COUNT.html etc.; https://docs.aws.amazon.com/redshift/latest/dg/c_Window_functions.html)
  count: fn('r_COUNT.html', true, true),
  sum: fn('r_SUM.html', true, true),
  min: fn('r_MIN.html', true, true),
  max: fn('r_MAX.html', true, true),
  avg: fn('r_AVG.html', true, true),
  listagg: fn('r_LISTAGG.html', true, true),
  row_number: fn('r_WF_ROW_NUMBER.html', true, true),
  rank: fn('r_WF_RANK.html', true, true),
  dense_rank: fn('r_WF_DENSE_RANK.html', true, true),
};

/** Built-in expressions the parser does not report as function calls (node type → page). */
export const REDSHIFT_EXPRESSIONS: Readonly<Record<string, AllowedFunction>> = {
  // The reference documents COALESCE on the "NVL and COALESCE functions" page.
  CoalesceExpr: fn('r_NVL_function.html', true),
  NullIfExpr: fn('r_NULLIF_function.html', true),
  CaseExpr: fn('r_CASE_function.html', true),
  MinMaxExpr: fn('r_GREATEST_LEAST.html', true),
  TypeCast: fn('r_CAST_function.html', true),
};

/**
 * SQL value functions (no parentheses). Only those that run on compute nodes: CURRENT_TIMESTAMP,
 * CURRENT_TIME, LOCALTIME(STAMP) are deprecated leader-node-only functions and CURRENT_SCHEMA is
 * leader-node-only (https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions_leader_node_only.html),
 * so a view over a user table that used them would fail at query time.
 */
export const REDSHIFT_VALUE_FUNCTIONS: Readonly<Record<string, AllowedFunction>> = {
  SVFOP_CURRENT_USER: fn('r_CURRENT_USER.html', true),
  SVFOP_SESSION_USER: fn('r_SESSION_USER.html', true),
  SVFOP_USER: fn('r_USER.html', true),
  SVFOP_CURRENT_DATE: fn('r_CURRENT_DATE_function.html', true),
};

/**
 * Data types (PostgreSQL parser names after alias resolution: INTEGER → int4, DOUBLE PRECISION → float8,
 * CHAR → bpchar). https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html
 * TEXT and BPCHAR are accepted: Redshift converts TEXT to VARCHAR(256) and BPCHAR to CHAR(256)
 * (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html, "TEXT and BPCHAR types"). Generated
 * SQL casts to TEXT only for a NULL in a fail-closed view of a column declared `text` (same type either way);
 * masks cast text columns to an explicit VARCHAR(n) (redshift-dialect.ts textType), never to TEXT.
 * INTERVAL: https://docs.aws.amazon.com/redshift/latest/dg/r_interval_data_types.html.
 * VARBINARY is VARBYTE's synonym: https://docs.aws.amazon.com/redshift/latest/dg/r_VARBYTE_type.html.
 * NAME is not accepted: it is no Redshift data type on those pages (the previous list had it, unverified).
 */
export const REDSHIFT_TYPES: ReadonlySet<string> = new Set([
  'int2',
  'int4',
  'int8',
  'smallint',
  'integer',
  'int',
  'bigint',
  'numeric',
  'decimal',
  'float4',
  'float8',
  'real',
  'float',
  'double precision',
  'bool',
  'boolean',
  'bpchar',
  'char',
  'character',
  'nchar',
  'varchar',
  'character varying',
  'nvarchar',
  'text',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'super',
  'varbyte',
  'varbinary',
  'geometry',
  'geography',
  'hllsketch',
]);

/**
 * Binary operators (A_Expr names). PostgreSQL-only operators (jsonb ->, @>, array &&, …) are rejected.
 *   Comparison: https://docs.aws.amazon.com/redshift/latest/dg/r_comparison_condition.html
 *   Arithmetic: https://docs.aws.amazon.com/redshift/latest/dg/r_OPERATOR_SYMBOLS.html lists + - * / % ^ |/ ||/ @
 *     << >> & — not |, # or prefix ~ (PostgreSQL's bitwise OR/XOR/NOT), so those are rejected.
 *   Concatenation: https://docs.aws.amazon.com/redshift/latest/dg/r_concat_op.html
 *   LIKE / ILIKE (~~, ~~*, and their negations):
 *     https://docs.aws.amazon.com/redshift/latest/dg/r_patternmatching_condition_like.html
 *   POSIX: `expression [ ! ] ~ pattern` only, case-sensitive
 *     (https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html): ~ and !~; the
 *     case-insensitive ~* / !~* are not documented and are rejected.
 * Prefix operators (no left operand) are checked against REDSHIFT_PREFIX_OPERATORS instead.
 */
export const REDSHIFT_OPERATORS: ReadonlySet<string> = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '|/',
  '||/',
  '@',
  '&',
  '<<',
  '>>',
  '||',
  '~~',
  '!~~',
  '~~*',
  '!~~*',
  '~',
  '!~',
]);

/** Prefix operators: sign, square root, cube root, absolute value (r_OPERATOR_SYMBOLS.html). */
export const REDSHIFT_PREFIX_OPERATORS: ReadonlySet<string> = new Set(['-', '+', '|/', '||/', '@']);
