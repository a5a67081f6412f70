// Functions and built-in expressions the Redshift lint accepts. Each entry names the AWS Redshift SQL
// reference page that documents it. `checked: true` means the page was looked up and read (search tool,
// corpus docs) when the entry was added; `false` means the URL follows the reference's naming pattern but was
// not opened — treat those as the first to re-check. Anything not listed is rejected (VG402): fail closed.
//
// Names are lower-case, as the PostgreSQL parser reports them. SQL-syntax forms are reported by the parser
// under their PostgreSQL function name (TRIM → btrim/ltrim/rtrim, POSITION → position, SUBSTRING → substring).

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
  sha1: fn('SHA1.html', false),
  func_sha1: fn('r_FUNC_SHA1.html', false),
  // string search and editing (profile membership, masks)
  position: fn('r_POSITION.html', true),
  strpos: fn('r_STRPOS.html', true),
  charindex: fn('r_CHARINDEX.html', false),
  replace: fn('r_REPLACE.html', true),
  regexp_replace: fn('REGEXP_REPLACE.html', true),
  regexp_substr: fn('REGEXP_SUBSTR.html', false),
  regexp_count: fn('REGEXP_COUNT.html', false),
  regexp_instr: fn('REGEXP_INSTR.html', false),
  translate: fn('r_TRANSLATE.html', false),
  left: fn('r_LEFT.html', true),
  right: fn('r_LEFT.html', true),
  substring: fn('r_SUBSTRING.html', false),
  len: fn('r_LEN.html', false),
  length: fn('r_LENGTH.html', true),
  char_length: fn('r_CHAR_LENGTH.html', false),
  octet_length: fn('r_OCTET_LENGTH.html', false),
  lower: fn('r_LOWER.html', false),
  upper: fn('r_UPPER.html', false),
  initcap: fn('r_INITCAP.html', false),
  btrim: fn('r_BTRIM.html', false),
  ltrim: fn('r_LTRIM.html', false),
  rtrim: fn('r_RTRIM.html', false),
  concat: fn('r_CONCAT.html', false),
  lpad: fn('r_LPAD.html', false),
  rpad: fn('r_LPAD.html', false),
  repeat: fn('r_REPEAT.html', true),
  reverse: fn('r_REVERSE.html', false),
  split_part: fn('SPLIT_PART.html', false),
  quote_ident: fn('r_QUOTE_IDENT.html', false),
  quote_literal: fn('r_QUOTE_LITERAL.html', false),
  // null handling (COALESCE/NULLIF/GREATEST/LEAST are expressions, see REDSHIFT_EXPRESSIONS)
  nvl: fn('r_NVL_function.html', true),
  nvl2: fn('r_NVL2.html', false),
  // date and time (GETDATE/SYSDATE run on compute nodes; NOW/CURRENT_TIMESTAMP are leader-node-only)
  getdate: fn('r_GETDATE.html', false),
  date_trunc: fn('r_DATE_TRUNC.html', true),
  date_part: fn('r_DATE_PART_function.html', false),
  dateadd: fn('r_DATEADD_function.html', true),
  datediff: fn('r_DATEDIFF_function.html', false),
  convert_timezone: fn('CONVERT_TIMEZONE.html', false),
  to_char: fn('r_TO_CHAR.html', true),
  to_date: fn('r_TO_DATE_function.html', false),
  to_number: fn('r_TO_NUMBER.html', false),
  to_timestamp: fn('r_TO_TIMESTAMP.html', false),
  extract: fn('r_EXTRACT_function.html', false),
  // math
  round: fn('r_ROUND.html', false),
  floor: fn('r_FLOOR.html', false),
  ceil: fn('r_CEILING_FLOOR.html', true),
  ceiling: fn('r_CEILING_FLOOR.html', true),
  abs: fn('r_ABS.html', false),
  mod: fn('r_MOD.html', false),
  trunc: fn('r_TRUNC.html', true),
  // minimization's hash bucket: hex → BIGINT (policy breadth)
  strtol: fn('r_STRTOL.html', true),
  sign: fn('r_SIGN.html', false),
  power: fn('r_POWER.html', false),
  // aggregates and window functions
  count: fn('r_COUNT.html', false, true),
  sum: fn('r_SUM.html', false, true),
  min: fn('r_MIN.html', false, true),
  max: fn('r_MAX.html', false, true),
  avg: fn('r_AVG.html', false, true),
  listagg: fn('r_LISTAGG.html', false, true),
  row_number: fn('r_WF_ROW_NUMBER.html', false, true),
  rank: fn('r_WF_RANK.html', false, true),
  dense_rank: fn('r_WF_DENSE_RANK.html', false, true),
};

/** Built-in expressions the parser does not report as function calls (node type → page). */
export const REDSHIFT_EXPRESSIONS: Readonly<Record<string, AllowedFunction>> = {
  CoalesceExpr: fn('r_NVL_function.html', true),
  NullIfExpr: fn('r_NULLIF_function.html', true),
  CaseExpr: fn('r_CASE_function.html', false),
  MinMaxExpr: fn('r_GREATEST_LEAST.html', false),
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
  SVFOP_SESSION_USER: fn('r_SESSION_USER.html', false),
  SVFOP_USER: fn('r_USER.html', false),
  SVFOP_CURRENT_DATE: fn('r_CURRENT_DATE_function.html', false),
};

/**
 * Data types (PostgreSQL parser names after alias resolution: INTEGER → int4, DOUBLE PRECISION → float8,
 * CHAR → bpchar). https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html
 * TEXT is accepted: Redshift converts it to VARCHAR(256) (documented on the character types page).
 */
export const REDSHIFT_TYPES: ReadonlySet<string> = new Set([
  'int2', 'int4', 'int8', 'smallint', 'integer', 'int', 'bigint',
  'numeric', 'decimal', 'float4', 'float8', 'real', 'float', 'double precision',
  'bool', 'boolean',
  'bpchar', 'char', 'character', 'nchar', 'varchar', 'character varying', 'nvarchar', 'text', 'bpchar',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz',
  'interval',
  'super', 'varbyte', 'varbinary', 'geometry', 'geography', 'hllsketch',
  // current_user and pg catalog names are NAME; casting to it is harmless and Redshift documents NAME results.
  'name',
]);

/** Operators (A_Expr names). PostgreSQL-only operators (jsonb ->, @>, array &&, …) are rejected. */
export const REDSHIFT_OPERATORS: ReadonlySet<string> = new Set([
  '=', '<>', '!=', '<', '>', '<=', '>=',
  '+', '-', '*', '/', '%', '^', '|/', '||/', '@', '&', '|', '#', '~', '<<', '>>',
  '||',
  // LIKE / ILIKE / SIMILAR TO and POSIX matching
  // (https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html)
  '~~', '!~~', '~~*', '!~~*', '~*', '!~', '!~*',
]);
