// Argument counts and kinds of every function on the Redshift allow-list (redshift-function-allow-list.ts),
// from each function's page there: a call with another number of arguments, or a non-constant where Redshift
// wants a constant (SHA2's bit length, DATE_TRUNC's date part, STRTOL's base, REGEXP_REPLACE's parameters) is
// VG406. Counts are as the PostgreSQL parser reports the call (POSITION(a IN b) has 2, EXTRACT(year FROM d) 2,
// x AT TIME ZONE 'UTC' is timezone('UTC', x), COUNT(*) has none). test/lint/redshift-lint.test.ts requires an
// entry here for every allow-listed function.

/** A constant argument: a string from a set, an integer from a set or range, or a bare date-part keyword. */
export type ConstantKind =
  | { kind: 'string'; oneOf?: readonly string[]; pattern?: RegExp }
  | { kind: 'integer'; oneOf?: readonly number[]; min?: number; max?: number }
  | { kind: 'datepart' };

export interface ArgumentSpec {
  min: number;
  /** null = any number. */
  max: number | null;
  /** Argument positions (0-based) that must be constants of this kind. */
  constants?: Readonly<Record<number, ConstantKind>>;
}

const n = (min: number, max: number | null = min, constants?: ArgumentSpec['constants']): ArgumentSpec =>
  constants ? { min, max, constants } : { min, max };

// https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html (plurals and the
// abbreviations the functions accept are a larger set; these are the ones the pages list for DATE_TRUNC).
const DATE_TRUNC_PARTS = [
  'microsecond',
  'microseconds',
  'millisecond',
  'milliseconds',
  'second',
  'seconds',
  'minute',
  'minutes',
  'hour',
  'hours',
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'quarter',
  'quarters',
  'year',
  'years',
  'decade',
  'decades',
  'century',
  'centuries',
  'millennium',
  'millennia',
];
const datepart: ConstantKind = { kind: 'datepart' };

export const REDSHIFT_ARGUMENTS: Readonly<Record<string, ArgumentSpec>> = {
  // SHA2(string, bits): bits 0, 224, 256, 384 or 512 (SHA2.html)
  sha2: n(2, 2, { 1: { kind: 'integer', oneOf: [0, 224, 256, 384, 512] } }),
  md5: n(1),
  sha1: n(1),
  func_sha1: n(1),
  position: n(2),
  strpos: n(2),
  charindex: n(2),
  replace: n(3),
  // REGEXP_REPLACE(source, pattern [, replace_string [, position [, parameters]]]): position ≥ 1, parameters c/i/p/e
  regexp_replace: n(2, 5, { 3: { kind: 'integer', min: 1 }, 4: { kind: 'string', pattern: /^[cipe]*$/ } }),
  regexp_substr: n(2, 5),
  regexp_count: n(2, 4),
  regexp_instr: n(2, 6),
  translate: n(3),
  left: n(2),
  right: n(2),
  substring: n(2, 3),
  len: n(1),
  length: n(1),
  char_length: n(1),
  octet_length: n(1),
  lower: n(1),
  upper: n(1),
  initcap: n(1),
  btrim: n(1, 2),
  ltrim: n(1, 2),
  rtrim: n(1, 2),
  // CONCAT takes exactly two arguments on Redshift (r_CONCAT.html); nest it or use || for more.
  concat: n(2),
  lpad: n(2, 3),
  rpad: n(2, 3),
  repeat: n(2),
  reverse: n(1),
  split_part: n(3),
  quote_ident: n(1),
  quote_literal: n(1),
  // NVL is COALESCE: two or more expressions (r_NVL_function.html)
  nvl: n(2, null),
  nvl2: n(3),
  getdate: n(0),
  date_trunc: n(2, 2, { 0: { kind: 'string', oneOf: DATE_TRUNC_PARTS } }),
  date_part: n(2),
  dateadd: n(3, 3, { 0: datepart }),
  datediff: n(3, 3, { 0: datepart }),
  convert_timezone: n(2, 3),
  // `x AT TIME ZONE 'zone'` / TIMEZONE('zone', x)
  timezone: n(2),
  to_char: n(2),
  to_date: n(2, 3),
  to_number: n(2),
  // No one-argument (epoch) form on Redshift (r_TO_TIMESTAMP.html)
  to_timestamp: n(2, 3),
  extract: n(2),
  round: n(1, 2),
  floor: n(1),
  ceil: n(1),
  ceiling: n(1),
  abs: n(1),
  mod: n(2),
  trunc: n(1, 2),
  // STRTOL(num_string, base): base 2..36 (r_STRTOL.html)
  strtol: n(2, 2, { 1: { kind: 'integer', min: 2, max: 36 } }),
  sign: n(1),
  power: n(2),
  count: n(0, 1),
  sum: n(1),
  min: n(1),
  max: n(1),
  avg: n(1),
  listagg: n(1, 2),
  // HAS_TABLE_PRIVILEGE / HAS_SCHEMA_PRIVILEGE([user,] object, privilege) (operator tools' audit)
  has_table_privilege: n(2, 3),
  has_schema_privilege: n(2, 3),
  row_number: n(0),
  rank: n(0),
  dense_rank: n(0),
};

type Json = Record<string, unknown>;

/** The constant value of an argument node, or undefined when it is not a constant (or a bare keyword). */
function constantOf(node: Json): { string?: string; integer?: number; keyword?: string } | undefined {
  const c = node.A_Const as Json | undefined;
  if (c) {
    if (c.sval) return { string: String((c.sval as Json).sval ?? '') };
    if (c.ival) return { integer: Number((c.ival as Json).ival ?? 0) };
    if ('ival' in c) return { integer: 0 };
    return undefined;
  }
  // DATEADD(day, …): the date part is a bare word, which the parser reads as a column name.
  const ref = node.ColumnRef as Json | undefined;
  const fields = (ref?.fields as Json[] | undefined) ?? [];
  if (fields.length === 1 && fields[0]!.String) return { keyword: String((fields[0]!.String as Json).sval) };
  return undefined;
}

function constantProblem(kind: ConstantKind, arg: Json): string | null {
  const c = constantOf(arg);
  switch (kind.kind) {
    case 'datepart':
      return c?.keyword !== undefined || c?.string !== undefined
        ? null
        : 'a date part (a word such as day or a string)';
    case 'string':
      if (c?.string === undefined) return 'a string constant';
      if (kind.oneOf && !kind.oneOf.includes(c.string.toLowerCase())) return `one of ${kind.oneOf.join(', ')}`;
      if (kind.pattern && !kind.pattern.test(c.string)) return `a string matching ${kind.pattern}`;
      return null;
    case 'integer':
      if (c?.integer === undefined) return 'an integer constant';
      if (kind.oneOf && !kind.oneOf.includes(c.integer)) return `one of ${kind.oneOf.join(', ')}`;
      if ((kind.min !== undefined && c.integer < kind.min) || (kind.max !== undefined && c.integer > kind.max)) {
        return `an integer from ${kind.min ?? '…'} to ${kind.max ?? '…'}`;
      }
      return null;
  }
}

/** What is wrong with the arguments of an allow-listed call (empty when nothing). */
export function argumentProblems(name: string, args: readonly Json[]): string[] {
  const spec = REDSHIFT_ARGUMENTS[name];
  if (!spec) return [`${name} has no argument specification`];
  const problems: string[] = [];
  if (args.length < spec.min || (spec.max !== null && args.length > spec.max)) {
    const expected =
      spec.max === null
        ? `at least ${spec.min}`
        : spec.min === spec.max
          ? String(spec.min)
          : `${spec.min} to ${spec.max}`;
    problems.push(`${name.toUpperCase()} takes ${expected} argument${expected === '1' ? '' : 's'}, not ${args.length}`);
  }
  for (const [position, kind] of Object.entries(spec.constants ?? {})) {
    const arg = args[Number(position)];
    if (!arg) continue;
    const want = constantProblem(kind, arg);
    if (want) problems.push(`argument ${Number(position) + 1} of ${name.toUpperCase()} must be ${want}`);
  }
  return problems;
}
