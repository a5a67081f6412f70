// Which constant mask values the compiler accepts for a column type (mask-constant.ts), checked against the
// engine itself: a constant the compiler accepts must be one the engine casts to the column type without an
// error and without changing it (a string cut to the column's length is a changed value), or every query on the
// view would fail (or show another value) instead of the policy getting its VG303 at compile time. The compiler
// refuses some values the engine would take (listed with why: it keeps to spellings both PostgreSQL and
// Redshift read the same way); it never accepts one the engine refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantMisfit } from '../../shared/compiler/mask-constant.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { parseColumnType } from '../../shared/policy/column-type.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { engines, type Engine } from '../support/engines.js';

/** Values per column type: the edges of each rule (ranges, digits, calendar, clock, zone, length). */
const CASES: Record<string, string[]> = {
  int2: ['32767', '32768', '-32768', '-32769', '0', '-0', '007', '1.5', '1e3', 'abc', '', '--1'],
  int4: ['2147483647', '2147483648', '-2147483648', '-2147483649', '12', '1.0'],
  int8: ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809'],
  'numeric(5,2)': [
    '123.45',
    '-123.45',
    '1234.5',
    '999.99',
    '0.1',
    '0.12',
    '0.123',
    '00012.5',
    '-0.5',
    '1',
    'x1',
    '1000',
    '100.5',
  ],
  'numeric(1,1)': ['0', '0.5', '-0.9', '1', '0.55'],
  'numeric(18,0)': ['999999999999999999', '1000000000000000000', '1.0', '-5'],
  float8: [
    '.25',
    '12.5',
    '0E-500',
    '1.5x',
    'x1',
    '1.5',
    '-1.5',
    '.5',
    '5.',
    '1e308',
    '-1.7e308',
    '1e309',
    '1E-5',
    '2.5e+3',
    '1e-400',
    '-1e-400',
    '0e-400',
    '0.000e9',
    '5e-324',
    'abc',
    '1e',
    '1.2.3',
    '-',
  ],
  float4: [
    ...['1.5', '3.4e38', '-3.4e38', '3.4028234e38', '3.5e38', '-1e39', '1e-40', '1e-46', '-1e-46', '0.0e-50'],
    // A hair under the largest value's and half the smallest's rounding edges, and just past them.
    ...['3.40282356779733661e38', '3.4028235677973367e38', '7.00649232162408535461864791645e-46'],
    ...['7.0064923216240862e-46', '7.00649232162408e-46'],
  ],
  boolean: ['true', 'false', 'TRUE', 'False', 'maybe', 'truex', 'xtrue'],
  date: [
    '2024-02-29',
    '2023-02-29',
    '1900-02-29',
    '2000-02-29',
    '2100-02-29',
    '2024-04-30',
    '2024-04-31',
    '2024-12-31',
    '2024-13-01',
    '2024-00-10',
    '2024-01-00',
    '2024-01-32',
    '0001-01-01',
    '0000-01-01',
    '9999-12-31',
    '2024-01-01x',
    'x2024-01-01',
  ],
  timestamp: [
    '2024-01-01 23:59:59',
    '2024-01-01T00:00',
    '2024-01-01 12:34:56.123456',
    '2024-01-01 23:60:00',
    '2024-01-01 24:00:00',
    '2024-01-01 23:59:60',
    '2024-01-01 00:00:00Z',
    '2024-01-01 00:00:00+05',
    '2024-01-01 00:00:00-0530',
    '2024-02-30 00:00:00',
    '2024-01-01',
    'x2024-01-01 00:00',
    '2024-01-01 00:00x',
  ],
  timestamptz: [
    '2024-06-01 12:00:00+15:59',
    '2024-06-01 12:00:00-15:59',
    '2024-06-01 12:00:00+16:00',
    '2024-06-01 12:00:00+05:60',
    '2024-06-01 12:00:00Z',
    '2024-06-01 12:00:00+00:30',
  ],
  time: [
    'x12:00',
    '12:00x',
    '24:00:00',
    '23:59:60',
    '23:59:59',
    '00:00',
    '12:34:56.5',
    '23:60',
    '12:00:00+05',
    '1:00',
    '12:00:00.1234567',
  ],
  timetz: ['12:00:00+15:59', '12:00:00+16:00', '12:00:00-03:30', '12:00+05:60'],
  'varchar(3)': ['abc', 'abcd', 'ééé', 'éééé', '', '中文字', "a'b", '𝄞𝄞𝄞', '𝄞𝄞𝄞𝄞'],
  'char(2)': ['ab', 'abc', 'é', 'éé'],
  text: ['anything at all', ''],
};

/** Values the engine takes that the compiler refuses, and why it does. */
const STRICTER: Record<string, string> = {
  'numeric(5,2) 0.123':
    'more fraction digits than the scale: the engine rounds them, the view would not show the value',
  'numeric(1,1) 0.55': 'more fraction digits than the scale',
  'numeric(18,0) 1.0': 'a fraction digit on a scale-0 type',
  'timestamp 2024-01-01': 'a timestamp is written with its time of day',
  'timestamp 2024-01-01 24:00:00': 'the engine rolls 24:00 over to the next day: another value than written',
  'timestamp 2024-01-01 23:59:60': 'a leap second: the engine rolls it over to the next minute',
  'time 24:00:00': 'hours ≤ 23: one spelling of midnight',
  'time 23:59:60': 'a leap second',
  'time 1:00': 'hours are two digits (HH:MM)',
  'time 12:00:00.1234567': 'more than six fraction digits: the engine rounds to microseconds',
  // The compiler reads a float4 as JavaScript's float8 rounded to single precision: rounded twice, a value
  // within a float8's precision of the edge lands on it, and the tie rounds away (17+ significant digits only).
  'float4 3.40282356779733661e38': 'rounded twice: read as past the largest float4',
  'float4 7.00649232162408535461864791645e-46': 'rounded twice: read as rounding to 0',
};

describe.each(engines)('constant mask values against $name', ({ create }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(() => engine?.close());

  /** The engine casts the literal to the type without an error and (strings) without cutting it. */
  async function engineTakes(type: string, value: string): Promise<boolean> {
    const lit = postgres.quoteLiteral(value);
    try {
      const rows = await engine.query<{ v: string | null }>(`SELECT CAST(CAST(${lit} AS ${type}) AS text) AS v`);
      if (parseColumnType(type)!.family !== 'string') return true;
      // char(n) pads; the padding is not part of the value.
      return rows[0]!.v!.replace(/ +$/, '') === value.replace(/ +$/, '');
    } catch {
      return false;
    }
  }

  it.each(Object.entries(CASES))(
    '%s: the compiler takes what the engine takes (less the stricter spellings)',
    async (type, values) => {
      const columnType = parseColumnType(type)!;
      const verdict = (ok: boolean): string => (ok ? 'takes' : 'refuses');
      const seen: string[] = [];
      const expected: string[] = [];
      for (const value of values) {
        const engineOk = await engineTakes(type, value);
        seen.push(`${JSON.stringify(value)}: ${verdict(constantMisfit(postgres, columnType, value) === null)}`);
        expected.push(`${JSON.stringify(value)}: ${verdict(engineOk && !(`${type} ${value}` in STRICTER))}`);
        if (`${type} ${value}` in STRICTER) expect(engineOk, `${type} ${value} is listed as stricter`).toBe(true);
      }
      expect(seen).toEqual(expected);
    },
  );
});

describe('why a constant does not fit, as the VG303 message says it', () => {
  it.each([
    ['varchar(3)', 'abcd', 'longer than 3 characters'],
    ['int2', '1.5', 'not an integer'],
    ['int2', '32768', 'out of range for int2'],
    ['numeric(5,2)', '1.2.3', 'not a decimal number'],
    ['numeric(5,2)', '1234', 'does not fit numeric(5,2)'],
    ['float8', '1.5x', 'not a number'],
    ['float8', 'x1', 'not a number'],
    ['boolean', 'yes', 'not true or false'],
    ['date', '2023-02-29', 'not a date (YYYY-MM-DD)'],
    ['timestamp', '2024-01-01 25:00', 'not a timestamp (YYYY-MM-DD HH:MM:SS)'],
    ['time', '25:00', 'not a time (HH:MM:SS)'],
  ])('%s %s: %s', (type, value, why) => {
    expect(constantMisfit(postgres, parseColumnType(type)!, value)).toBe(why);
  });
});

describe('a constant the type cannot store is a VG303 error at compile time (the view fails closed)', () => {
  const ds = DataSourceSchema.parse({
    id: 'ds-f',
    name: 'f',
    version: 1,
    location: { database: 'sales', schema: 'raw', table: 'f' },
    kind: 'table',
    columns: [
      { name: 'r', type: 'float4' },
      { name: 'd', type: 'float8' },
    ],
  });
  const constant = (column: string, value: string) =>
    PolicySchema.parse({
      id: `c-${column}`,
      version: 1,
      name: 'c',
      createdAt: '2024-01-01T00:00:00Z',
      scope: { kind: 'global' },
      type: 'mask',
      target: { kind: 'column', name: column },
      mask: { kind: 'constant', value },
    });
  const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };

  it.each([
    ['r', '1e39', /out of range for float4/],
    ['r', '1e-46', /too close to zero for float4/],
    ['d', '1e-400', /too close to zero for float8/],
    ['d', '1e309', /out of range for float8/],
  ])('%s = %s', (column, value, why) => {
    for (const dialect of [postgres, redshift]) {
      const compiled = compileView(ds, [constant(column, value)], config, dialect);
      expect(compiled.failedClosed).toBe(true);
      const vg303 = compiled.diagnostics.filter((x) => x.code === 'VG303');
      expect(vg303.map((x) => [x.code, x.severity, x.path])).toEqual([['VG303', 'error', ['mask', 'value']]]);
      expect(vg303[0]!.summary).toMatch(why);
    }
  });
});

// On top of the type's own rule, the dialect's string rule for the type the constant is cast to: Redshift
// counts bytes, and its CHAR holds single-byte characters only (no engine here; the dialect's rule is tested in
// string-lengths.test.ts, this is where the constant check must apply it).
describe("a string constant keeps to the dialect's rule for the type it is cast to", () => {
  it.each([
    ['varchar(3)', 'ééé', undefined, 'can take 6 bytes; a Redshift varchar(3) holds 3 bytes (lengths count bytes)'],
    [
      'char(3)',
      'é',
      undefined,
      'has characters of more than one byte; a Redshift char(3) holds single-byte characters only',
    ],
    [
      'varchar(10)',
      'abcd',
      'varchar(3)',
      'can take 4 bytes; a Redshift varchar(3) holds 3 bytes (lengths count bytes)',
    ],
    ['varchar(3)', 'abc', undefined, null],
    ['varchar(3)', 'abcd', undefined, 'longer than 3 characters'],
  ])('%s %s (cast to %s) on Redshift: %s', (type, value, castTo, why) => {
    expect(constantMisfit(redshift, parseColumnType(type)!, value, castTo)).toBe(why);
  });
  it('the same constants on PostgreSQL (characters, not bytes)', () => {
    expect(constantMisfit(postgres, parseColumnType('varchar(3)')!, 'ééé')).toBeNull();
    expect(constantMisfit(postgres, parseColumnType('char(3)')!, 'é')).toBeNull();
    expect(constantMisfit(postgres, parseColumnType('varchar(10)')!, 'abcd', 'varchar(3)')).toBe(
      'can be 4 characters long; varchar(3) holds 3',
    );
  });
  it('as the operator reads it: VG303 at mask.value on Redshift, the same policy compiles on PostgreSQL', () => {
    const ds = DataSourceSchema.parse({
      id: 'ds-s',
      name: 's',
      version: 1,
      location: { database: 'sales', schema: 'raw', table: 's' },
      kind: 'table',
      columns: [{ name: 'v', type: 'varchar(3)' }],
    });
    const policy = PolicySchema.parse({
      id: 'c-v',
      version: 1,
      name: 'c',
      createdAt: '2024-01-01T00:00:00Z',
      scope: { kind: 'global' },
      type: 'mask',
      target: { kind: 'column', name: 'v' },
      mask: { kind: 'constant', value: 'ééé' },
    });
    const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };
    const rs = compileView(ds, [policy], config, redshift);
    expect(rs.failedClosed).toBe(true);
    expect(rs.diagnostics.filter((x) => x.code === 'VG303').map((x) => [x.severity, x.path])).toEqual([
      ['error', ['mask', 'value']],
    ]);
    expect(rs.diagnostics.find((x) => x.code === 'VG303')!.summary).toMatch(/a Redshift varchar\(3\) holds 3 bytes/);
    const pg = compileView(ds, [policy], config, postgres);
    expect([pg.failedClosed, pg.diagnostics.map((x) => x.code)]).toEqual([false, []]);
  });
});
