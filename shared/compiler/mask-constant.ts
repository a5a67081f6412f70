// Whether a constant mask value is valid for a column type. Checked in TypeScript before any SQL is built,
// so a bad constant is a VG303 diagnostic at compile time instead of a cast error at query time (which would
// break every query on the view, and whose message could differ per engine).
import type { ColumnType } from '../policy/column-type.js';
import type { Dialect } from '../sql/dialect.js';
import { textOf } from '../sql/text-bound.js';

const integerRange: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

/** null when `value` fits `type`; otherwise why not. */
export function constantMismatch(type: ColumnType, value: string): string | null {
  switch (type.family) {
    case 'string':
      return type.textWidth !== null && [...value].length > type.textWidth
        ? `longer than ${type.textWidth} characters`
        : null;
    case 'integer': {
      if (!/^-?\d+$/.test(value)) return 'not an integer';
      const [lo, hi] = integerRange[type.sql]!;
      const n = BigInt(value);
      return n < lo || n > hi ? `out of range for ${type.sql}` : null;
    }
    case 'numeric': {
      const m = /^-?(\d+)(?:\.(\d+))?$/.exec(value);
      if (!m) return 'not a decimal number';
      const [, p, s] = /numeric\((\d+),(\d+)\)/.exec(type.sql)!.map(Number) as [number, number, number];
      // Leading zeros are not digits of the value: 0 and 0.5 fit numeric(1,1).
      const intDigits = m[1]!.replace(/^0+/, '').length;
      const fracDigits = (m[2] ?? '').length;
      return intDigits > p - s || fracDigits > s ? `does not fit ${type.sql}` : null;
    }
    case 'float': {
      if (!/^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value)) return 'not a number';
      // As the type stores it (float4: single precision): the engine refuses a value past the type's range and a
      // non-zero one that would round to 0 (`1e-400`; `1e-46` for a float4).
      const stored = type.sql === 'float4' ? Math.fround(Number(value)) : Number(value);
      if (!Number.isFinite(stored)) return `out of range for ${type.sql}`;
      return stored === 0 && /^[^e]*[1-9]/i.test(value) ? `too close to zero for ${type.sql}` : null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : 'not true or false';
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return m && calendarDate(m[1]!, m[2]!, m[3]!) ? null : 'not a date (YYYY-MM-DD)';
    }
    case 'timestamp': {
      const m =
        /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(value);
      return m && calendarDate(m[1]!, m[2]!, m[3]!) && clock(m[4]!, m[5]!, m[6]) && zone(m[7])
        ? null
        : 'not a timestamp (YYYY-MM-DD HH:MM:SS)';
    }
    case 'time': {
      const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?([+-]\d{2}(?::?\d{2})?)?$/.exec(value);
      return m && clock(m[1]!, m[2]!, m[3]) && zone(m[4]) ? null : 'not a time (HH:MM:SS)';
    }
  }
}

// A shape check alone let `2023-02-29`, `0000-01-01` or `25:00` through, and the engine then refused the view
// (or a query) instead of the policy getting its VG303/VG307 here.
function calendarDate(y: string, m: string, d: string): boolean {
  const [year, month, day] = [Number(y), Number(m), Number(d)];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && day >= 1 && day <= (days ?? 0);
}

const clock = (h: string, m: string, s: string | undefined): boolean =>
  Number(h) <= 23 && Number(m) <= 59 && Number(s ?? 0) <= 59;

/** A UTC offset PostgreSQL and Redshift read: at most 15:59. */
function zone(z: string | undefined): boolean {
  // As the value's pattern matched it: none, `Z` (UTC), or a sign, two digits of hours, then minutes or nothing
  // (Number('') is 0).
  const digits = (z ?? '').slice(1).replace(':', '');
  return Number(digits.slice(0, 2)) <= 15 && Number(digits.slice(2)) <= 59;
}

/**
 * null when `value` fits `type` on `dialect`; otherwise why not. On top of constantMismatch: the engine's own
 * string rule (Redshift counts bytes and its CHAR holds single-byte characters only) for the string type the
 * value is CAST to (`castTo`, default the column's), so a constant is never truncated by the CAST or refused by
 * the engine at query time.
 */
export function constantMisfit(
  dialect: Dialect,
  type: ColumnType,
  value: string,
  castTo: string = type.sql,
): string | null {
  return (
    constantMismatch(type, value) ?? (type.family === 'string' ? dialect.stringMisfit(castTo, textOf(value)) : null)
  );
}
