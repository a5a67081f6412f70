// Whether a constant mask value is valid for a column type. Checked in TypeScript before any SQL is built,
// so a bad constant is a VG303 diagnostic at compile time instead of a cast error at query time (which would
// break every query on the view, and whose message could differ per engine).
import type { ColumnType } from '../policy/column-type.js';

const integerRange: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};

/** null when `value` fits `type`; otherwise why not. */
export function constantMismatch(type: ColumnType, value: string): string | null {
  switch (type.family) {
    case 'string':
      return type.textWidth !== null && [...value].length > type.textWidth ? `longer than ${type.textWidth} characters` : null;
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
      const intDigits = m[1]!.replace(/^0+(?=\d)/, '').length;
      const fracDigits = (m[2] ?? '').length;
      return intDigits > p - s || fracDigits > s ? `does not fit ${type.sql}` : null;
    }
    case 'float':
      return /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value) && Number.isFinite(Number(value)) ? null : 'not a finite number';
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : 'not true or false';
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? null : 'not a date (YYYY-MM-DD)';
    case 'timestamp':
      return /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(value) &&
        !Number.isNaN(Date.parse(value.replace(' ', 'T')))
        ? null
        : 'not a timestamp (YYYY-MM-DD HH:MM:SS)';
    case 'time':
      return /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([+-]\d{2}(:?\d{2})?)?$/.test(value) ? null : 'not a time (HH:MM:SS)';
  }
}
