// The types of custom WHERE clause expressions, as far as the compiler must know them to refuse what the
// engine would reject when the view is created (an error there closes the view at apply time instead of a
// VG306 with the position in the clause). The rules follow PostgreSQL's operator and cast catalogs for the
// column types we know; Redshift's are not wider for these (its lint checks the emitted SQL separately).
import { parseColumnType, type ColumnType } from '../policy/column-type.js';

/** What an expression is; 'unknown' = an untyped string literal or NULL; 'time' = a time of day (no date). */
export type Kind = 'bool' | 'string' | 'number' | 'datetime' | 'time' | 'unknown';

export function kindOf(type: ColumnType): Kind {
  switch (type.family) {
    case 'string':
      return 'string';
    case 'integer':
    case 'numeric':
    case 'float':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'time':
      return 'time';
    default:
      // A date and a timestamp compare with each other; neither compares with a time of day.
      return 'datetime';
  }
}

const known = (sql: string): ColumnType => parseColumnType(sql)!;
export const INT4 = known('int4');
export const BOOLEAN = known('boolean');
/** An unconstrained numeric (a decimal literal, numeric arithmetic): any decimal number is one of its values. */
export const NUMERIC_ANY: ColumnType = { sql: 'numeric', family: 'numeric', textWidth: null };

/** The type of a number literal as the engine reads it: int4, then int8, then numeric. */
export function numberLiteralType(text: string): ColumnType {
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    if (n >= -2147483648n && n <= 2147483647n) return INT4;
    if (n >= -9223372036854775808n && n <= 9223372036854775807n) return known('int8');
  }
  return NUMERIC_ANY;
}

/**
 * A decimal literal the engine can hold and compare with any number column: `1e200000` overflows numeric
 * and `1e400` a float8 column's comparison, both at CREATE VIEW. Null when it is fine, else why not.
 */
export function numberLiteralProblem(text: string): string | null {
  const v = Number(text);
  if (!Number.isFinite(v)) return 'number out of range';
  // Zero written as zero (`0e-400`) is fine; a non-zero digit before the exponent is a value that underflowed.
  if (v === 0 && /^[^e]*[1-9]/i.test(text)) return 'number too close to zero';
  return null;
}

const INTEGER_RANK = ['int2', 'int4', 'int8'];

/** The result type of `+ - * /`, as PostgreSQL resolves the operator. */
export function promoteNumbers(a: ColumnType, b: ColumnType): ColumnType {
  if (a.family === 'float' || b.family === 'float')
    return a.sql === 'float4' && b.sql === 'float4' ? a : known('float8');
  if (a.family === 'numeric' || b.family === 'numeric') return NUMERIC_ANY;
  return INTEGER_RANK.indexOf(a.sql) >= INTEGER_RANK.indexOf(b.sql) ? a : b;
}

/** Whether an argument of a function taking an integer (left/right) is one: int2 and int4 only (no int8). */
export const isInt4Compatible = (type: ColumnType | undefined): boolean => type?.sql === 'int2' || type?.sql === 'int4';

// Casts between non-string families that exist (pg_cast); a string casts to and from anything.
const CASTS: Record<string, (target: ColumnType) => boolean> = {
  integer: (t) => t.family === 'integer' || t.family === 'numeric' || t.family === 'float',
  numeric: (t) => t.family === 'integer' || t.family === 'numeric' || t.family === 'float',
  float: (t) => t.family === 'integer' || t.family === 'numeric' || t.family === 'float',
  boolean: (t) => t.family === 'boolean' || t.sql === 'int4',
  date: (t) => t.family === 'date' || t.family === 'timestamp',
  timestamp: (t) => t.family === 'date' || t.family === 'timestamp' || t.sql === 'time',
  time: (t) => t.family === 'time',
};

/** Whether the engine has a cast from `source` to `target` (a value of unknown type: the literal checks decide). */
export function castExists(source: ColumnType | undefined, target: ColumnType): boolean {
  if (source === undefined || source.family === 'string' || target.family === 'string') return true;
  if (source.sql === 'int4' && target.family === 'boolean') return true;
  if (source.sql === 'timestamptz' && target.sql === 'timetz') return true;
  return CASTS[source.family]!(target);
}

// Implicit casts between number types only widen along this order (pg_cast): float8 is the category's preferred type.
const UNION_RANK = ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'];

/**
 * The type numbers of several types meet in where no operator decides (COALESCE, an IN list): the one every other
 * converts to implicitly. Unlike arithmetic, a float4 stays a float4 next to an integer or a numeric.
 */
export function commonNumbers(a: ColumnType, b: ColumnType): ColumnType {
  const rank = (t: ColumnType): number => UNION_RANK.indexOf(t.family === 'numeric' ? 'numeric' : t.sql);
  const wide = rank(a) >= rank(b) ? a : b;
  return wide.family === 'numeric' ? NUMERIC_ANY : wide;
}
