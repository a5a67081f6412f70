// docs/policies.md "a value must fit the column's type" (mask constants, VG303; row-filter values, VG307),
// read as: a value the column could hold, written in the plain form below — so that a misfit is a
// compile-time diagnostic and never an error when the view is created or queried.
import { daysFromCivil, civilFromDays, type RefType } from './values.js';

const validDate = (y: number, m: number, d: number): boolean => {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const [yy, mm, dd] = civilFromDays(daysFromCivil(y, m, d));
  return yy === y && mm === m && dd === d;
};

const validClock = (h: number, mi: number, s: number): boolean => h <= 23 && mi <= 59 && s <= 59;

const ZONE = '(?:Z|[+-]\\d{2}(?::?\\d{2})?)';
const zoneOk = (z: string | undefined): boolean => {
  if (!z || z === 'Z') return true;
  const m = /^[+-](\d{2})(?::?(\d{2}))?$/.exec(z)!;
  return Number(m[1]) <= 15 && Number(m[2] ?? '0') <= 59;
};

export function fits(t: RefType, value: string): boolean {
  switch (t.kind) {
    case 'text':
      return true;
    case 'varchar':
    case 'char':
      return [...value].length <= t.n;
    case 'int': {
      if (!/^-?\d+$/.test(value)) return false;
      const n = BigInt(value);
      const half = 2n ** BigInt(t.bits - 1);
      return n >= -half && n < half;
    }
    case 'numeric': {
      const m = /^-?(\d+)(?:\.(\d+))?$/.exec(value);
      if (!m) return false;
      return m[1]!.replace(/^0+/, '').length <= t.p - t.s && (m[2] ?? '').length <= t.s;
    }
    case 'float': {
      if (!/^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value)) return false;
      const v = t.bits === 32 ? Math.fround(Number(value)) : Number(value);
      return Number.isFinite(v);
    }
    case 'boolean':
      return /^(true|false)$/i.test(value);
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
    }
    case 'timestamp':
    case 'timestamptz': {
      const m = new RegExp(
        `^(\\d{4})-(\\d{2})-(\\d{2})[ T](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,6})?)?(${ZONE})?$`,
      ).exec(value);
      return (
        m !== null &&
        validDate(Number(m[1]), Number(m[2]), Number(m[3])) &&
        validClock(Number(m[4]), Number(m[5]), Number(m[6] ?? '0')) &&
        zoneOk(m[7])
      );
    }
    case 'time':
    case 'timetz': {
      const m = new RegExp(`^(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,6})?)?([+-]\\d{2}(?::?\\d{2})?)?$`).exec(value);
      return m !== null && validClock(Number(m[1]), Number(m[2]), Number(m[3] ?? '0')) && zoneOk(m[4]);
    }
  }
}

/**
 * The same rule as the dialect counts strings (docs/dialects.md "string lengths"): Redshift's CHAR(n) and
 * VARCHAR(n) hold n UTF-8 bytes, CHAR single-byte characters only, TEXT is VARCHAR(256). A row-filter value on
 * a text column is compared as VARCHAR(65535) (`castTo: 'widest'`), a mask constant takes the column's type.
 */
export function fitsOn(
  dialect: 'postgres' | 'redshift',
  t: RefType,
  value: string,
  castTo: 'column' | 'widest' = 'column',
): boolean {
  if (!fits(t, value)) return false;
  if (dialect === 'postgres') return true;
  const bytes = Buffer.byteLength(value, 'utf8');
  switch (t.kind) {
    case 'char':
      return bytes === [...value].length && bytes <= t.n;
    case 'varchar':
      return bytes <= t.n;
    case 'text':
      return bytes <= (castTo === 'widest' ? 65535 : 256);
    default:
      return true;
  }
}
