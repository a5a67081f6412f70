// The constant-mask check (mask-constant.ts) over generated values and types, against the engine's own CAST on
// both engines. The property: the compiler takes a constant exactly when the engine casts it to the column type
// without an error (strings: without cutting it), less the spellings it refuses on purpose — written here from
// the docs, not from the code: more fraction digits than the scale or than microseconds (the engine rounds),
// 24:00 and a leap second (the engine rolls them over), a timestamp without its time of day, a one-digit hour,
// and boolean spellings other than true/false. A constant the compiler took that the engine refuses fails every
// query of a masked user (or CREATE VIEW) instead of being a VG303 at compile time.
// Values come from a grammar near each rule's edges (ranges, digits, exponents at the float limits, calendar,
// clock, zones, lengths); the seed is fixed so a failure is reproducible (a campaign can change it:
// VG_CONSTANT_FIT_SEED, VG_CONSTANT_FIT_RUNS).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantMisfit } from '../../shared/compiler/mask-constant.js';
import { parseColumnType } from '../../shared/policy/column-type.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { engines, type Engine } from '../support/engines.js';

const SEED = Number(process.env.VG_CONSTANT_FIT_SEED ?? 20261203);
const RUNS = Number(process.env.VG_CONSTANT_FIT_RUNS ?? 150);

const pick = <T>(...xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: pick(...'0123456789'), minLength: min, maxLength: max });
const pad2 = (n: number): string => String(n).padStart(2, '0');
const sign = pick('', '-');

/** A value and why the compiler may refuse it although the engine takes it ('' = it must not). */
interface Case {
  type: string;
  value: string;
  stricter: string;
}
const exact = (type: string, value: string): Case => ({ type, value, stricter: '' });

// Integers at and around each type's range ends, with signs and leading zeros.
const integers = fc
  .tuple(
    pick('int2', 'int4', 'int8'),
    pick(0n, 1n, 2n ** 15n, 2n ** 31n, 2n ** 63n, 10n ** 18n),
    fc.integer({ min: -3, max: 3 }),
    sign,
    pick('', '0', '00'),
  )
  .map(([type, edge, delta, s, zeros]) => {
    const n = edge + BigInt(delta);
    return exact(type, `${s}${zeros}${n < 0n ? -n : n}`);
  });

// Decimals: the scale's and the precision's edges, leading zeros, a fraction longer than the scale.
const numerics = fc
  .tuple(fc.integer({ min: 1, max: 38 }), fc.nat(38), sign, fc.nat(3), digits(0, 40), digits(0, 40))
  .map(([p, sRaw, s, zeros, intPart, fracPart]) => {
    const scale = sRaw % (p + 1);
    const int = '0'.repeat(zeros) + (intPart.slice(0, p - scale + (intPart.length % 3)) || '0');
    const frac = fracPart.slice(0, scale + (fracPart.length % 3));
    const value = `${s}${int}${frac ? `.${frac}` : ''}`;
    return { type: `numeric(${p},${scale})`, value, stricter: frac.length > scale ? 'rounded to the scale' : '' };
  });

// Floats near each type's largest and smallest (subnormal) magnitudes, and zeros written with exponents.
const floats = fc
  .tuple(
    pick('float4', 'float8'),
    sign,
    digits(1, 3),
    digits(0, 12),
    fc.oneof(
      fc.integer({ min: -330, max: 330 }),
      pick(38, 39, -38, -39, -44, -45, -46, 308, 309, -307, -308, -323, -324, -325),
    ),
    pick('e', 'E', 'e+'),
    fc.boolean(),
  )
  .map(([type, s, int, frac, exp, e, dotFirst]) => {
    const mantissa = dotFirst && frac ? `.${frac}` : `${int}${frac ? `.${frac}` : ''}`;
    return exact(type, `${s}${mantissa}${exp === 0 ? '' : `${exp < 0 ? 'e' : e}${exp}`}`);
  });

const booleans = fc
  .tuple(pick('true', 'false', 't', 'f', 'yes', 'no', 'on', 'off', '1', '0', 'tru', 'maybe'), fc.boolean())
  .map(([word, upper]) => {
    const value = upper ? word.toUpperCase() : word;
    return { type: 'boolean', value, stricter: /^(true|false)$/i.test(value) ? '' : 'spelled other than true/false' };
  });

const ymd = fc
  .tuple(
    pick(0, 1, 1900, 2000, 2023, 2024, 2100, 9999),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
  )
  .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`);

/** A time of day near the clock's edges; the stricter reason when the engine would round or roll it over. */
const clock = fc
  .tuple(
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.option(fc.integer({ min: 0, max: 61 })),
    fc.option(digits(1, 8)),
    fc.boolean(),
  )
  .map(([h, m, sec, frac, oneDigitHour]) => {
    const hour = oneDigitHour && h < 10 ? String(h) : pad2(h);
    const fraction = sec !== null && frac !== null ? `.${frac}` : '';
    const text = `${hour}:${pad2(m)}${sec === null ? '' : `:${pad2(sec)}`}${fraction}`;
    const stricter =
      hour.length === 1
        ? 'a one-digit hour'
        : fraction.length > 7
          ? 'more fraction digits than microseconds'
          : h === 24
            ? '24:00'
            : sec === 60
              ? 'a leap second'
              : '';
    return { text, stricter };
  });

const zone = fc.oneof(
  pick('', 'Z'),
  fc
    .tuple(pick('+', '-'), fc.integer({ min: 0, max: 17 }), fc.option(fc.integer({ min: 0, max: 61 })), fc.boolean())
    .map(([s, h, m, colon]) => `${s}${pad2(h)}${m === null ? '' : `${colon ? ':' : ''}${pad2(m)}`}`),
);

const dates = ymd.map((value) => exact('date', value));
const timestamps = fc
  .tuple(pick('timestamp', 'timestamptz'), ymd, pick(' ', 'T'), fc.option(clock), zone)
  .map(([type, day, sep, time, z]) => ({
    type,
    value: time === null ? day : `${day}${sep}${time.text}${z}`,
    stricter: time === null ? 'a timestamp is written with its time of day' : time.stricter,
  }));
const times = fc
  .tuple(
    pick('time', 'timetz'),
    clock,
    zone.filter((z) => z !== 'Z'),
  )
  .map(([type, time, z]) => ({ type, value: `${time.text}${z}`, stricter: time.stricter }));

// Strings of every plane (no NUL: the literal quoting refuses it), around each bounded type's length.
const strings = fc
  .tuple(
    pick('varchar(1)', 'varchar(3)', 'char(1)', 'char(3)', 'text'),
    fc.string({ unit: 'grapheme-composite', maxLength: 5 }),
  )
  .map(([type, raw]) => {
    const value = raw.replace(/\u0000/g, '');
    const width = Number(/^char\((\d+)\)$/.exec(type)?.[1] ?? Infinity);
    const padding = [...value].length > width && [...value.replace(/ +$/, '')].length <= width;
    return { type, value, stricter: padding ? "spaces past a char(n)'s length (its padding)" : '' };
  });

const FAMILIES: [string, fc.Arbitrary<Case>][] = [
  ['integers', integers],
  ['decimals', numerics],
  ['floats', floats],
  ['booleans', booleans],
  ['dates', dates],
  ['timestamps', timestamps],
  ['times', times],
  ['strings', strings],
];

describe.each(engines)('generated constants against $name', ({ create }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(() => engine?.close());

  /** The engine casts the literal to the type without an error and (strings) without cutting it. */
  async function engineTakes(type: string, value: string): Promise<boolean> {
    try {
      const lit = postgres.quoteLiteral(value);
      const rows = await engine.query<{ v: string | null }>(`SELECT CAST(CAST(${lit} AS ${type}) AS text) AS v`);
      if (parseColumnType(type)!.family !== 'string') return true;
      // char(n) pads; the padding is not part of the value (a varchar's trailing spaces are).
      const unpadded = (v: string): string => (type.startsWith('char(') ? v.replace(/ +$/, '') : v);
      return unpadded(rows[0]!.v!) === unpadded(value);
    } catch {
      return false;
    }
  }

  it.each(FAMILIES)(
    '%s: the compiler takes exactly what the engine takes, less the stricter spellings',
    async (_, cases) => {
      await fc.assert(
        fc.asyncProperty(cases, async ({ type, value, stricter }) => {
          const compiler = constantMisfit(postgres, parseColumnType(type)!, value) === null;
          const engineOk = await engineTakes(type, value);
          const context = `${type} ${JSON.stringify(value)}`;
          if (compiler) expect(engineOk, `${context}: taken by the compiler, refused by the engine`).toBe(true);
          else if (engineOk) expect(stricter, `${context}: refused by the compiler, taken by the engine`).not.toBe('');
        }),
        { seed: SEED, numRuns: RUNS },
      );
    },
  );
});
