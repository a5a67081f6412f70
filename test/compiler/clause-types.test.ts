// The types the custom-WHERE check relies on (clause-types.ts), each against the engine itself on both engines:
// which casts exist, which types compare, the result type of arithmetic and COALESCE over numbers, the type of
// a number literal, which literals a number column can be compared with, and which arguments LEFT/RIGHT take.
// A clause the compiler accepts but the engine refuses would fail CREATE VIEW (the view closes at apply time,
// VG308, without the clause's position) instead of getting its VG306 at compile time.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  castExists,
  commonNumbers,
  isInt4Compatible,
  kindOf,
  numberLiteralProblem,
  numberLiteralType,
  promoteNumbers,
} from '../../shared/compiler/clause-types.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { parseColumnType, type ColumnType } from '../../shared/policy/column-type.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { engines, type Engine } from '../support/engines.js';

const TYPES = [
  'int2',
  'int4',
  'int8',
  'numeric(10,2)',
  'float4',
  'float8',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'time',
  'timetz',
  'varchar(10)',
  'char(3)',
  'text',
];
const NUMBERS = TYPES.slice(0, 6);
const type = (sql: string): ColumnType => parseColumnType(sql)!;
const nullOf = (sql: string): string => `CAST(NULL AS ${sql})`;
/** PostgreSQL's name of a type (pg_typeof) as the compiler spells it. */
const canonical = (name: string): string =>
  ({ smallint: 'int2', integer: 'int4', bigint: 'int8', real: 'float4', 'double precision': 'float8' })[name] ?? name;

describe.each(engines)('clause types against $name', ({ create }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
  });
  afterAll(() => engine?.close());

  /** Whether the engine accepts the expression (parse analysis included: types, casts, constant folding). */
  const accepts = async (expr: string): Promise<boolean> => {
    try {
      await engine.query(`SELECT ${expr} AS v`);
      return true;
    } catch {
      return false;
    }
  };
  const typeOf = async (expr: string): Promise<string> =>
    canonical((await engine.query<{ t: string }>(`SELECT CAST(pg_typeof(${expr}) AS text) AS t`))[0]!.t);

  it('castExists: a cast the compiler allows between column types is one the engine has, and no other', async () => {
    const differ: string[] = [];
    for (const a of TYPES) {
      for (const b of TYPES) {
        const engineHas = await accepts(`CAST(${nullOf(a)} AS ${b})`);
        if (castExists(type(a), type(b)) !== engineHas) differ.push(`${a} → ${b}: engine ${engineHas}`);
      }
    }
    expect(differ).toEqual([]);
    // A value of unknown type (NULL, a string literal: the literal checks decide) casts to anything.
    for (const b of TYPES) expect(castExists(undefined, type(b))).toBe(true);
  });

  it('kindOf: two types compare (=, <) exactly when they are of one kind', async () => {
    const differ: string[] = [];
    for (const a of TYPES) {
      for (const b of TYPES) {
        const engineCompares =
          (await accepts(`${nullOf(a)} = ${nullOf(b)}`)) && (await accepts(`${nullOf(a)} < ${nullOf(b)}`));
        if ((kindOf(type(a)) === kindOf(type(b))) !== engineCompares)
          differ.push(`${a} vs ${b}: engine ${engineCompares}`);
      }
    }
    expect(differ).toEqual([]);
    // The kinds by name: the function signatures and the refusal messages use them.
    expect(TYPES.map((t) => kindOf(type(t)))).toEqual([
      ...['number', 'number', 'number', 'number', 'number', 'number'],
      'bool',
      ...['datetime', 'datetime', 'datetime'],
      ...['time', 'time'],
      ...['string', 'string', 'string'],
    ]);
  });

  it('promoteNumbers: the type of a + b and a * b over every pair of number types', async () => {
    const differ: string[] = [];
    for (const a of NUMBERS) {
      for (const b of NUMBERS) {
        const mine = promoteNumbers(type(a), type(b)).sql;
        for (const op of ['+', '*']) {
          const engineType = await typeOf(`${nullOf(a)} ${op} ${nullOf(b)}`);
          if (engineType !== mine) differ.push(`${a} ${op} ${b}: compiler ${mine}, engine ${engineType}`);
        }
      }
    }
    expect(differ).toEqual([]);
  });

  it('commonNumbers: the type of COALESCE(a, b), where a float4 stays a float4 next to an integer', async () => {
    const differ: string[] = [];
    for (const a of NUMBERS) {
      for (const b of NUMBERS) {
        const mine = commonNumbers(type(a), type(b)).sql;
        const engineType = await typeOf(`COALESCE(${nullOf(a)}, ${nullOf(b)})`);
        // pg_typeof leaves out a typmod (a literal compared with a numeric is read as a plain numeric).
        if (engineType !== mine.replace(/\(.*\)$/, ''))
          differ.push(`COALESCE(${a}, ${b}): compiler ${mine}, engine ${engineType}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it('numberLiteralType: int4, then int8, then numeric, as the engine reads the literal', async () => {
    const differ: string[] = [];
    for (const text of [
      '0',
      '7',
      '2147483647',
      '2147483648',
      '-2147483648',
      '-2147483649',
      '9223372036854775807',
      '9223372036854775808',
      '-9223372036854775808',
      '-9223372036854775809',
      '1.5',
      '1e3',
      '.5',
      '5.',
    ]) {
      const mine = numberLiteralType(text).sql;
      const engineType = await typeOf(text);
      if (engineType !== mine) differ.push(`${text}: compiler ${mine}, engine ${engineType}`);
    }
    expect(differ).toEqual([]);
  });

  it('numberLiteralProblem: a literal is fine exactly when every number column compares with it', async () => {
    const differ: string[] = [];
    for (const text of [
      '1.5',
      '1e308',
      '1.7e308',
      '1e309',
      '1e400',
      '-1e400',
      '1e200000',
      '5e-324',
      '1e-320',
      '1e-400',
      '-1e-400',
      '0.0',
      '0e-400',
      '0.000e-500',
      '000.5e-400',
      '0E-500',
      '1E-400',
    ]) {
      let engineOk = true;
      for (const t of NUMBERS) engineOk &&= await accepts(`${nullOf(t)} = ${text}`);
      if ((numberLiteralProblem(text) === null) !== engineOk)
        differ.push(`${text}: compiler ${numberLiteralProblem(text)}, engine ${engineOk}`);
    }
    expect(differ).toEqual([]);
    expect([numberLiteralProblem('1e400'), numberLiteralProblem('1e-400')]).toEqual([
      'number out of range',
      'number too close to zero',
    ]);
  });

  // Number literals near the int4/int8 edges and the float8 limits, generated (a fixed seed: reproducible; a
  // campaign can change it: VG_CLAUSE_TYPES_SEED, VG_CLAUSE_TYPES_RUNS).
  const literal = fc
    .tuple(
      fc.constantFrom('', '-'),
      fc.oneof(
        fc
          .constantFrom(2n ** 31n, 2n ** 63n, 0n)
          .chain((edge) =>
            fc.integer({ min: -2, max: 2 }).map((d) => String(edge + BigInt(d) < 0n ? 0n : edge + BigInt(d))),
          ),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 22 }),
      ),
      fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 3 })),
      fc.option(fc.oneof(fc.integer({ min: -400, max: 400 }), fc.constantFrom(308, 309, -323, -324, -325))),
      fc.constantFrom('e', 'E'),
    )
    .map(
      ([sign, int, frac, exp, e]) =>
        `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `${e}${exp}`}`,
    );

  it('numberLiteralType and numberLiteralProblem over generated literals, as the engine reads them', async () => {
    await fc.assert(
      fc.asyncProperty(literal, async (text) => {
        let engineOk = true;
        for (const t of NUMBERS) engineOk &&= await accepts(`${nullOf(t)} = ${text}`);
        expect(numberLiteralProblem(text) === null, `${text}: every number column compares with it`).toBe(engineOk);
        if (engineOk) expect(numberLiteralType(text).sql, text).toBe(await typeOf(text));
      }),
      {
        seed: Number(process.env.VG_CLAUSE_TYPES_SEED ?? 20261203),
        numRuns: Number(process.env.VG_CLAUSE_TYPES_RUNS ?? 150),
      },
    );
  });

  it('isInt4Compatible: LEFT and RIGHT take an int2 or int4 count, not an int8 or another number', async () => {
    for (const t of NUMBERS) {
      const engineOk = (await accepts(`LEFT('abc', ${nullOf(t)})`)) && (await accepts(`RIGHT('abc', ${nullOf(t)})`));
      expect(isInt4Compatible(type(t)), t).toBe(engineOk);
    }
    expect(isInt4Compatible(undefined)).toBe(false);
  });
});

// A regression: the compiler read COALESCE(float4, int4) and an IN list over them as float8 (the arithmetic
// rule), so a string literal only a float8 holds passed and the view failed at CREATE VIEW ("out of range for
// type real"), closed for everyone without the clause's position.
describe('a literal next to a float4 and another number is read as a float4, as the engine reads it', () => {
  const ds = DataSourceSchema.parse({
    id: 'ds-n',
    name: 'n',
    version: 1,
    location: { database: 'sales', schema: 'raw', table: 'n' },
    kind: 'table',
    columns: [
      { name: 'f4', type: 'float4' },
      { name: 'i4', type: 'int4' },
      { name: 'n', type: 'numeric(10,2)' },
    ],
  });
  const where = (clause: string) =>
    PolicySchema.parse({
      id: 'w',
      version: 1,
      name: 'w',
      createdAt: '2024-06-01T00:00:00Z',
      scope: { kind: 'global' },
      type: 'rowFilter',
      filter: { kind: 'where', clause },
    });
  const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };
  const refusals = (clause: string): string[] =>
    compileView(ds, [where(clause)], config, postgres)
      .diagnostics.filter((x) => x.code === 'VG306')
      .map((x) => x.summary);

  it.each(["COALESCE(f4, i4) = '1e39'", "f4 IN (i4, '1e39')", "COALESCE(i4, f4, '3.5e38') > 0"])('%s: VG306', (c) => {
    expect(refusals(c)).toEqual([expect.stringMatching(/not a value of type float4: out of range for float4/)]);
  });
  // Where users read it: the VG306 at filter.clause names the type the literal was read as.
  const refused = (clause: string) =>
    compileView(ds, [where(clause)], config, postgres)
      .diagnostics.filter((x) => x.code === 'VG306')
      .map((x) => [x.path, x.summary]);
  it.each([
    ["COALESCE(n, i4) = 'abc'", '"abc" is not a value of type numeric: not a decimal number (at character 17)'],
    ["1.5 = '1e3'", '"1e3" is not a value of type numeric: not a decimal number (at character 5)'],
    ['CAST(i4 > 0 AS date) IS NULL', 'no cast from boolean to date (at character 1)'],
    ['CAST(f4 < 1 AS float8) IS NULL', 'no cast from boolean to float8 (at character 1)'],
  ])('%s: VG306 at filter.clause with the type', (clause, why) => {
    expect(refused(clause)).toEqual([[['filter', 'clause'], `policy "w": custom WHERE clause rejected: ${why}`]]);
  });
  it.each([
    "COALESCE(f4, i4) = '1e38'",
    "f4 IN (i4, '-3.4e38')",
    "COALESCE(n, i4) = '123456789.5'",
    'CAST(i4 > 0 AS int4) = 1',
    "1.5 = '1.25'",
    // A decimal literal is an unconstrained numeric: it casts to an integer, and i4 + 1.5 is a numeric.
    'CAST(1.5 AS int4) = 1',
    "i4 + 1.5 = '2.5'",
  ])('%s: accepted', (c) => {
    expect(refusals(c)).toEqual([]);
  });
});
