// A view's signature decides between replacing the view in place (its grants kept) and dropping and creating it:
// Redshift replaces a view only with "the identical set of columns, using the same column names and data types"
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html), while PostgreSQL also accepts columns added
// at the end, so an engine run alone would not notice a wrong "same". Asserted on the plan the compiler makes, and on
// how a stored signature is read back (anything not exactly ours is unknown: the view is dropped and created).
import { describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import {
  parseSignature,
  sameSignature,
  serializeSignature,
  type ViewSignature,
} from '../../shared/compiler/view-signature.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';

const config = { mode: 'single', database: 'dev', viewSchema: 'secure' } as const;
const ds = (columns: [string, string][], kind: 'table' | 'external' = 'table') =>
  DataSourceSchema.parse({
    id: 'ds-1',
    name: 'orders',
    version: 1,
    location: { database: 'dev', schema: 'raw', table: 'orders' },
    kind,
    columns: columns.map(([name, type]) => ({ name, type })),
  });
const anyone = PolicySchema.parse({
  id: 'p',
  version: 1,
  name: 'p',
  createdAt: '2024-01-01T00:00:00Z',
  type: 'subscription',
  scope: { kind: 'global' },
  access: { kind: 'anyone' },
});
const sig = (columns: [string, string][], lateBinding = false): ViewSignature => ({
  columns: columns.map(([name, type]) => ({ name, type })),
  ...(lateBinding ? { lateBinding: true as const } : {}),
});
/** The roles of the statements the compiler plans for `now` over a view recorded as `previous`. */
const roles = (now: ReturnType<typeof ds>, previous: ViewSignature | null) =>
  compileView(now, [anyone], config, d, previous).statements.map((s) => s.role);

const TWO: [string, string][] = [
  ['id', 'int4'],
  ['name', 'varchar(10)'],
];

describe('sameSignature', () => {
  it('the same names and types in the same order (bound, or both late-binding) are the same', () => {
    expect(sameSignature(sig(TWO), sig(TWO))).toBe(true);
    expect(sameSignature(sig(TWO, true), sig(TWO, true))).toBe(true);
    expect(sameSignature(sig([]), sig([]))).toBe(true);
  });

  it.each([
    ['a column added at the end', sig(TWO), sig([...TWO, ['x', 'int4']])],
    ['a column removed at the end', sig([...TWO, ['x', 'int4']]), sig(TWO)],
    [
      'a name changed',
      sig(TWO),
      sig([
        ['id', 'int4'],
        ['nom', 'varchar(10)'],
      ]),
    ],
    [
      'a type changed',
      sig(TWO),
      sig([
        ['id', 'int4'],
        ['name', 'varchar(11)'],
      ]),
    ],
    ['the order changed', sig(TWO), sig([TWO[1]!, TWO[0]!])],
    ['bound → late-binding', sig(TWO), sig(TWO, true)],
    ['late-binding → bound', sig(TWO, true), sig(TWO)],
  ])('%s is a different signature (both ways round)', (_, a, b) => {
    expect(sameSignature(a, b)).toBe(false);
    expect(sameSignature(b, a)).toBe(false);
  });

  it('the compiler replaces in place only over the same signature; otherwise drops, creates and grants', () => {
    const now = ds(TWO);
    expect(roles(now, sig(TWO))).toEqual(['ddl']);
    expect(roles(now, null)).toEqual(['drop', 'ddl', 'grant']);
    // A column added at the end: PostgreSQL would replace it, Redshift refuses.
    expect(roles(ds([...TWO, ['x', 'int4']]), sig(TWO))).toEqual(['drop', 'ddl', 'grant']);
    expect(roles(ds(TWO), sig([...TWO, ['x', 'int4']]))).toEqual(['drop', 'ddl', 'grant']);
    // An external table's view is late-binding: over the same columns recorded as bound, it is created again.
    expect(roles(ds(TWO, 'external'), sig(TWO))).toEqual(['drop', 'ddl', 'grant']);
    expect(roles(ds(TWO, 'external'), sig(TWO, true))).toEqual(['ddl']);
  });
});

describe('parseSignature', () => {
  it('reads back what serializeSignature stored, late-binding or not', () => {
    for (const s of [sig(TWO), sig(TWO, true), sig([])]) {
      expect(parseSignature(serializeSignature(s))).toEqual(s);
    }
  });

  it('keeps only the names and types of the columns, and lateBinding only when it is true', () => {
    expect(
      parseSignature(JSON.stringify({ columns: [{ name: 'id', type: 'int4', extra: 1 }], lateBinding: 'yes' })),
    ).toEqual({ columns: [{ name: 'id', type: 'int4' }] });
    expect(parseSignature(JSON.stringify({ columns: [], lateBinding: false }))).toEqual({ columns: [] });
  });

  it.each([
    ['absent (NULL)', null],
    ['absent', undefined],
    ['empty', ''],
    ['not JSON', '{columns'],
    ['JSON null', 'null'],
    ['a number', '5'],
    ['a string', '"columns"'],
    ['no columns', '{}'],
    ['columns not a list', '{"columns": {"0": {"name": "id", "type": "int4"}}}'],
    ['a column that is null', '{"columns": [null]}'],
    ['a column that is a string', '{"columns": ["id"]}'],
    ['a column without a type', '{"columns": [{"name": "id"}]}'],
    ['a column without a name', '{"columns": [{"type": "int4"}]}'],
    ['a name that is not text', '{"columns": [{"name": 1, "type": "int4"}]}'],
    ['a type that is not text', '{"columns": [{"name": "id", "type": 4}]}'],
    ['one bad column after a good one', '{"columns": [{"name": "id", "type": "int4"}, {"name": "x"}]}'],
  ])('%s is unknown (null)', (_, text) => {
    expect(parseSignature(text)).toBeNull();
  });
});
