// The reference model of column types and values, written from the type table of docs/policies.md (not from
// shared/policy/column-type.ts): a declared type → its canonical form, and a value → its text as PostgreSQL
// renders it (the text a hash, a minimization key or a membership test reads; what `CAST(x AS text)` shows).
// Values travel as the literal the test inserts (`CAST('<literal>' AS <type>)`); `typed` reads it back.

export type RefType =
  | { kind: 'varchar'; n: number }
  | { kind: 'char'; n: number }
  | { kind: 'text' }
  | { kind: 'int'; bits: 16 | 32 | 64 }
  | { kind: 'numeric'; p: number; s: number }
  | { kind: 'float'; bits: 32 | 64 }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'timestamptz' }
  | { kind: 'time' }
  | { kind: 'timetz' };

export type Family = 'string' | 'integer' | 'numeric' | 'float' | 'boolean' | 'date' | 'timestamp' | 'time';

/** The docs' table, row by row. null = not a type the compiler knows (VG201). */
export function refType(declared: string): RefType | null {
  const t = declared
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1');
  const simple: Record<string, RefType> = {
    text: { kind: 'text' },
    smallint: { kind: 'int', bits: 16 },
    int2: { kind: 'int', bits: 16 },
    integer: { kind: 'int', bits: 32 },
    int: { kind: 'int', bits: 32 },
    int4: { kind: 'int', bits: 32 },
    bigint: { kind: 'int', bits: 64 },
    int8: { kind: 'int', bits: 64 },
    real: { kind: 'float', bits: 32 },
    float4: { kind: 'float', bits: 32 },
    'double precision': { kind: 'float', bits: 64 },
    float8: { kind: 'float', bits: 64 },
    float: { kind: 'float', bits: 64 },
    boolean: { kind: 'boolean' },
    bool: { kind: 'boolean' },
    date: { kind: 'date' },
    timestamp: { kind: 'timestamp' },
    'timestamp without time zone': { kind: 'timestamp' },
    timestamptz: { kind: 'timestamptz' },
    'timestamp with time zone': { kind: 'timestamptz' },
    time: { kind: 'time' },
    'time without time zone': { kind: 'time' },
    timetz: { kind: 'timetz' },
    'time with time zone': { kind: 'timetz' },
  };
  if (simple[t]) return simple[t];
  let m = /^(varchar|character varying|nvarchar)(?:\((\d+)\))?$/.exec(t);
  if (m) return m[2] === undefined ? { kind: 'varchar', n: 256 } : { kind: 'varchar', n: Number(m[2]) };
  m = /^(char|character|nchar|bpchar)(?:\((\d+)\))?$/.exec(t);
  if (m) return m[2] === undefined ? { kind: 'char', n: 1 } : { kind: 'char', n: Number(m[2]) };
  m = /^(numeric|decimal)(?:\((\d+)(?:,(\d+))?\))?$/.exec(t);
  if (m) {
    const p = m[2] === undefined ? 18 : Number(m[2]);
    const s = m[3] === undefined ? 0 : Number(m[3]);
    return p >= 1 && p <= 38 && s <= p ? { kind: 'numeric', p, s } : null;
  }
  return null;
}

export function familyOf(t: RefType): Family {
  switch (t.kind) {
    case 'varchar':
    case 'char':
    case 'text':
      return 'string';
    case 'int':
      return 'integer';
    case 'numeric':
      return 'numeric';
    case 'float':
      return 'float';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
    case 'timestamptz':
      return 'timestamp';
    case 'time':
    case 'timetz':
      return 'time';
  }
}

export function canonicalSql(t: RefType): string {
  switch (t.kind) {
    case 'varchar':
      return `varchar(${t.n})`;
    case 'char':
      return `char(${t.n})`;
    case 'int':
      return `int${t.bits / 8}`;
    case 'numeric':
      return `numeric(${t.p},${t.s})`;
    case 'float':
      return `float${t.bits / 8}`;
    default:
      return t.kind;
  }
}

// ------------------------------------------------------------------------------------------- typed values

/** A value read from its literal. Numbers stay exact (bigint); times are microseconds. */
export type Typed =
  | { kind: 'string'; v: string }
  | { kind: 'int'; v: bigint }
  | { kind: 'numeric'; units: bigint; s: number }
  | { kind: 'float'; v: number; bits: 32 | 64 }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'date'; days: number }
  | { kind: 'timestamp'; us: bigint; tz: boolean }
  | { kind: 'time'; us: bigint; offsetSec: number | null };

const US_PER_DAY = 86_400_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z0: number): [number, number, number] {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const timeUs = (h: string, mi: string, s: string | undefined, frac: string | undefined): bigint =>
  ((BigInt(h) * 60n + BigInt(mi)) * 60n + BigInt(s ?? '0')) * 1_000_000n +
  BigInt((frac ?? '').padEnd(6, '0').slice(0, 6) || '0');

const offsetSeconds = (sign: string, hh: string, mm: string | undefined): number =>
  (sign === '-' ? -1 : 1) * (Number(hh) * 3600 + Number(mm ?? '0') * 60);

/** Read a literal the generators produce (a subset of what PostgreSQL reads) into its typed value. */
export function typed(t: RefType, literal: string): Typed {
  switch (t.kind) {
    case 'varchar':
    case 'text':
      return { kind: 'string', v: literal };
    case 'char':
      return { kind: 'string', v: literal.replace(/ +$/, '') };
    case 'int':
      return { kind: 'int', v: BigInt(literal) };
    case 'numeric':
      return { kind: 'numeric', units: decimalUnits(literal, t.s), s: t.s };
    case 'float':
      return { kind: 'float', v: t.bits === 32 ? Math.fround(Number(literal)) : Number(literal), bits: t.bits };
    case 'boolean':
      return { kind: 'boolean', v: /^(t|true|1|yes|on)$/i.test(literal.trim()) };
    case 'date': {
      const [, y, m, d] = /^(\d{4})-(\d{2})-(\d{2})$/.exec(literal)!;
      return { kind: 'date', days: daysFromCivil(Number(y), Number(m), Number(d)) };
    }
    case 'timestamp':
    case 'timestamptz': {
      const [, y, mo, d, h, mi, s, frac, sign, oh, om] =
        /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([+-])(\d{2})(?::?(\d{2}))?|Z)?$/.exec(
          literal,
        )!;
      const local = BigInt(daysFromCivil(Number(y), Number(mo), Number(d))) * US_PER_DAY + timeUs(h!, mi!, s, frac);
      // A timestamp ignores a written offset; a timestamptz is the instant (no offset written = UTC, the session's
      // zone).
      const off = t.kind === 'timestamptz' && sign ? BigInt(offsetSeconds(sign, oh!, om)) * 1_000_000n : 0n;
      return { kind: 'timestamp', us: local - off, tz: t.kind === 'timestamptz' };
    }
    case 'time':
    case 'timetz': {
      const [, h, mi, s, frac, sign, oh, om] =
        /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([+-])(\d{2})(?::?(\d{2}))?)?$/.exec(literal)!;
      return {
        kind: 'time',
        us: timeUs(h!, mi!, s, frac),
        offsetSec: t.kind === 'timetz' ? (sign ? offsetSeconds(sign, oh!, om) : 0) : null,
      };
    }
  }
}

/** A decimal literal as an integer count of 10^-s units (the generators write at most s fraction digits). */
export function decimalUnits(literal: string, s: number): bigint {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(literal.trim())!;
  const frac = (m[3] ?? '').padEnd(s, '0');
  if (frac.length > s && /[1-9]/.test(frac.slice(s)))
    throw new Error(`reference: ${literal} has more than ${s} fraction digits`);
  const units = BigInt(`${m[2] || '0'}${frac.slice(0, s)}`);
  return m[1] === '-' ? -units : units;
}

// ------------------------------------------------------------------------------------------- text

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

export function renderDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function renderClock(us: bigint): string {
  const secs = us / 1_000_000n;
  const frac = us % 1_000_000n;
  const base = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`;
  return frac === 0n ? base : `${base}.${pad(frac, 6).replace(/0+$/, '')}`;
}

const floorDiv = (a: bigint, b: bigint): bigint => (a % b < 0n ? a / b - 1n : a / b);

export function renderTimestamp(us: bigint): string {
  const days = floorDiv(us, US_PER_DAY);
  return `${renderDate(Number(days))} ${renderClock(us - days * US_PER_DAY)}`;
}

function renderOffset(sec: number): string {
  const a = Math.abs(sec);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = Math.floor((a % 3600) / 60);
  return `${sec < 0 ? '-' : '+'}${hh}${mm ? `:${pad(mm, 2)}` : ''}`;
}

export function renderNumeric(units: bigint, s: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(s + 1, '0');
  const body = s === 0 ? digits : `${digits.slice(0, digits.length - s)}.${digits.slice(digits.length - s)}`;
  return neg ? `-${body}` : body;
}

const significant = (text: string): string =>
  text.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');

/** The float4 next to v (towards +∞ or −∞). */
function nextFloat4(v: number, up: boolean): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v);
  const bits = view.getInt32(0);
  view.setInt32(0, bits + (v >= 0 === up ? 1 : -1));
  return view.getFloat32(0);
}

/** The decimal reads back as v, and not merely by a tie: one exactly halfway to a neighbour is not taken. */
function readsBackAs(text: string, v: number): boolean {
  if (Math.fround(Number(text)) !== v) return false;
  const digits = significant(text);
  return [nextFloat4(v, true), nextFloat4(v, false)].every((n) => {
    const mid = (v + n) / 2; // exact in a double
    return !(Number(text) === mid && significant(mid.toPrecision(100)) === digits);
  });
}

/**
 * The fewest digits that read back as the same float4 (JavaScript's toExponential does this for float8): the
 * nearest such decimal, and in an exact tie the one with the even last digit (as PostgreSQL's Ryu output).
 */
function shortestFloat4(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const nearest = v.toExponential(p - 1); // ties round away from zero
    if (!readsBackAs(nearest, v)) continue;
    const exact = significant(v.toPrecision(100));
    const lastDigit = Number(nearest.replace(/e.*$/, '').slice(-1));
    if (exact.length === p + 1 && exact.endsWith('5') && lastDigit % 2 === 1) {
      const exp = Number(nearest.split('e')[1]);
      const other = (Math.abs(Number(nearest)) - 10 ** (exp - (p - 1))) * Math.sign(v);
      const text = other.toExponential(p - 1);
      if (readsBackAs(text, v)) return text;
    }
    return nearest;
  }
  return v.toExponential();
}

/** The exact value of a finite double as a fraction (numerator, power-of-two denominator). */
function exactDouble(v: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const [m, e] = biased === 0 ? [fraction, -1074] : [fraction | (1n << 52n), biased - 1075];
  const signed = v < 0 ? -m : m;
  return e >= 0 ? [signed << BigInt(e), 1n] : [signed, 1n << BigInt(-e)];
}

/** The exact value of a decimal text (`-3.057713663106367e+16`) as a fraction. */
function exactDecimal(text: string): [bigint, bigint] {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(text)!;
  const digits = BigInt(`${m[1]}${m[2]}${m[3] ?? ''}`);
  const exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  return exp >= 0 ? [digits * 10n ** BigInt(exp), 1n] : [digits, 10n ** BigInt(-exp)];
}

/** The float8 next to v (towards +∞ or −∞). */
function nextFloat8(v: number, up: boolean): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  view.setBigInt64(0, view.getBigInt64(0) + (v >= 0 === up ? 1n : -1n));
  return view.getFloat64(0);
}

/** The decimal lies exactly halfway between v and a neighbouring float8 (it reads back as v only by the tie). */
function tieFloat8(text: string, v: number): boolean {
  const [dn, dd] = exactDecimal(text);
  const [vn, vd] = exactDouble(v);
  return [nextFloat8(v, true), nextFloat8(v, false)].some((n) => {
    if (!Number.isFinite(n)) return false;
    const [nn, nd] = exactDouble(n);
    // (v + n) / 2 = (vn·nd + nn·vd) / (2·vd·nd)
    return dn * 2n * vd * nd === (vn * nd + nn * vd) * dd;
  });
}

/**
 * The fewest digits that read back as the same float8, never merely by a tie — PostgreSQL's Ryu output does not
 * take a decimal exactly halfway to a neighbour (`-30577136631063670` prints `-3.0577136631063672e+16` there,
 * where JavaScript's shortest form is `-3.057713663106367e+16`).
 */
function shortestFloat8(v: number): string {
  const shortest = v.toExponential();
  if (!tieFloat8(shortest, v)) return shortest;
  for (let p = significant(shortest).length + 1; p <= 17; p++) {
    const text = v.toExponential(p - 1);
    if (Number(text) === v && !tieFloat8(text, v)) return text;
  }
  return v.toExponential(16);
}

/** PostgreSQL's float output (shortest round-trip digits; exponent form below 1e-4 or from 1e15 / 1e6 for float4). */
export function renderFloat(v: number, bits: 32 | 64): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sci = bits === 32 ? shortestFloat4(v) : shortestFloat8(v);
  const [mant, expText] = sci.split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= (bits === 32 ? 6 : 15)) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${pad(Math.abs(exp), 2)}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** The value's text as PostgreSQL renders it (session TimeZone UTC; char(n) without its padding). */
export function renderText(v: Typed): string {
  switch (v.kind) {
    case 'string':
      return v.v;
    case 'int':
      return v.v.toString();
    case 'numeric':
      return renderNumeric(v.units, v.s);
    case 'float':
      return renderFloat(v.v, v.bits);
    case 'boolean':
      return v.v ? 'true' : 'false';
    case 'date':
      return renderDate(v.days);
    case 'timestamp':
      return `${renderTimestamp(v.us)}${v.tz ? '+00' : ''}`;
    case 'time':
      return `${renderClock(v.us)}${v.offsetSec === null ? '' : renderOffset(v.offsetSec)}`;
  }
}

export { US_PER_DAY };
