// Values for every column type: NULL, '', multi-byte / combining / right-to-left characters, quotes and
// separators, char(n) padding, the extremes of each number type, dates and timestamps at their edges, and
// times relative to the query time (materialized when the batch runs) so that time windows cut the rows.
import fc from 'fast-check';
import { renderNumeric, renderTimestamp, US_PER_DAY, type RefType } from '../support/reference/values.js';

/** A literal, NULL, or a time relative to the batch's clock (seconds before it). */
export type GenValue = string | null | { agoSeconds: number };

export const ALPHABET = [
  'a',
  'b',
  'E',
  'z',
  'A',
  '0',
  '9',
  ' ',
  '-',
  '.',
  '|',
  '%',
  '=',
  "'",
  '"',
  '\\',
  'é',
  'ß',
  '中',
  'ע',
  'ب',
  '\u0301',
  '—',
  '«',
  '\t',
  '\n',
  '😀',
  ',',
  '@',
];
export const WORDS = [
  'hr',
  'analysts',
  'a|b',
  '50%',
  'k=v',
  "o'neil",
  'Zoë',
  'US',
  'DE',
  "it's",
  'x|y',
  '100%',
  '=',
  '1',
  'true',
  'x.y',
  'abc',
  'ABC',
  'a\\b',
];

const stringArb = (max: number): fc.Arbitrary<string> =>
  fc.oneof(
    {
      arbitrary: fc.array(fc.constantFrom(...ALPHABET), { maxLength: Math.min(max, 12) }).map((cs) => cs.join('')),
      weight: 3,
    },
    { arbitrary: fc.constantFrom(...WORDS.filter((w) => [...w].length <= max), ''), weight: 2 },
    { arbitrary: fc.constant('x'.repeat(Math.min(max, 70))), weight: 1 },
  );

const bigIntIn = (lo: bigint, hi: bigint): fc.Arbitrary<bigint> =>
  fc.oneof(fc.constantFrom(lo, hi, 0n, 1n, -1n), fc.bigInt({ min: lo, max: hi }));

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const dateArb = fc
  .record({
    y: fc.integer({ min: 1, max: 9999 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`);
const clockArb = fc
  .record({
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    us: fc.constantFrom(0, 1, 500000, 999999, 123456),
  })
  .map(({ h, mi, s, us }) => `${pad(h)}:${pad(mi)}:${pad(s)}${us ? `.${pad(us, 6)}` : ''}`);
const offsetArb = fc.constantFrom('+00', '+05:30', '-03', '+14', '-12:45', 'Z');

/** Seconds before the query time: around minute, hour, day, week, month and year boundaries, and the future. */
const agoArb = fc
  .constantFrom(
    -3600,
    30,
    59 * 60,
    61 * 60,
    23 * 3600,
    25 * 3600,
    6 * 86400,
    8 * 86400,
    29 * 86400,
    32 * 86400,
    364 * 86400,
    367 * 86400,
    800 * 86400,
  )
  .map((agoSeconds) => ({ agoSeconds }));

export function valueArb(t: RefType): fc.Arbitrary<GenValue> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: nonNullArb(t), weight: 5 });
}

function nonNullArb(t: RefType): fc.Arbitrary<GenValue> {
  switch (t.kind) {
    case 'varchar':
    case 'char':
      return stringArb(t.n);
    case 'text':
      return stringArb(70);
    case 'int': {
      const half = 2n ** BigInt(t.bits - 1);
      return fc.oneof(bigIntIn(-half, half - 1n), fc.integer({ min: -100, max: 100 }).map(BigInt)).map(String);
    }
    case 'numeric': {
      const max = 10n ** BigInt(t.p) - 1n;
      return fc
        .oneof(
          bigIntIn(-max, max),
          fc
            .integer({ min: -2000, max: 2000 })
            .map(BigInt)
            .filter((u) => u <= max && u >= -max),
        )
        .map((u) => renderNumeric(u, t.s));
    }
    case 'float': {
      const edges =
        t.bits === 64
          ? [0, -0, 1.5, 0.1, 1e-5, 1e15, 123456789012345, 1.7976931348623157e308, 5e-324, -2.5, 1e300, 73000.25]
          : [0, -0, 1.5, 0.1, 1e-5, 1234567, 123456, 3.4028234663852886e38, 1e-30, -2.5, 73000.25];
      const any =
        t.bits === 64
          ? fc.double({ noNaN: true, noDefaultInfinity: true })
          : fc
              .float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-3e38), max: Math.fround(3e38) })
              .filter((v) => v === 0 || Math.abs(v) > 1e-37);
      return fc
        .oneof(fc.constantFrom(...edges), any)
        .map((v) => (Object.is(v, -0) ? '-0' : String(t.bits === 32 ? Math.fround(v) : v)));
    }
    case 'boolean':
      return fc.constantFrom('true', 'false');
    case 'date':
      return fc.oneof(
        fc.constantFrom('0001-01-01', '9999-12-31', '2024-02-29', '1970-01-01', '2000-03-01', '1999-12-31'),
        dateArb,
        agoArb,
      );
    case 'timestamp':
      return fc.oneof(
        fc.constantFrom(
          '0001-01-01 00:00:00',
          '9999-12-31 23:59:59.999999',
          '2024-02-29 12:34:56.5',
          '1970-01-01 00:00:00.000001',
        ),
        fc.tuple(dateArb, clockArb).map(([d, c]) => `${d} ${c}`),
        agoArb,
      );
    case 'timestamptz':
      return fc.oneof(
        fc.constantFrom('0001-01-02 00:00:00+00', '9999-12-30 23:59:59.999999-05', '2024-02-29 23:30:00-01'),
        fc.tuple(dateArb, clockArb, offsetArb).map(([d, c, o]) => `${d} ${c}${o}`),
        agoArb,
      );
    case 'time':
      return fc.oneof(fc.constantFrom('00:00:00', '23:59:59.999999', '12:00:00.5'), clockArb);
    case 'timetz':
      return fc.oneof(
        fc.constantFrom('00:00:00+00', '23:59:59.999999+14', '12:00:00.5-12:45'),
        fc
          .tuple(
            clockArb,
            offsetArb.filter((o) => o !== 'Z'),
          )
          .map(([c, o]) => `${c}${o}`),
      );
  }
}

/** The literal of a value for this batch (relative times become absolute, UTC). */
export function materialize(t: RefType, v: GenValue, nowUs: bigint): string | null {
  if (v === null || typeof v === 'string') return v;
  const at = nowUs - BigInt(v.agoSeconds) * 1_000_000n;
  if (t.kind === 'date') return renderTimestamp(at - (at % US_PER_DAY)).slice(0, 10);
  const text = renderTimestamp(at);
  return t.kind === 'timestamptz' ? `${text}+00` : text;
}
