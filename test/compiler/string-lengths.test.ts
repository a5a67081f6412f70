// String lengths per engine (docs/dialects.md "string lengths"): PostgreSQL counts characters, Redshift counts
// bytes and its CHAR holds single-byte characters only, VARCHAR at most 65535 bytes, TEXT is VARCHAR(256)
// (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html). A constant, a partial-mask
// character, a regex replacement or a hash must fit the output type, or the compiler widens it (masks) or
// refuses it at compile time (constants, row-filter values) — never a query-time error or a truncated value.
// The PostgreSQL side runs on PGlite and the server as real login roles; the Redshift side is the text (and
// the lint) and row "mask casts" of the conformance check (docs/deploy.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { engines } from '../support/engines.js';
import { createBreadthWorld, type BreadthWorld } from './breadth-harness.js';
import { anyoneSubscription, rawRows } from '../breadth/policy-doc-examples.js';

const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };
const ds: DataSource = DataSourceSchema.parse({
  id: 'ds-s',
  name: 's',
  version: 1,
  location: { database: 'sales', schema: 'raw', table: 's' },
  kind: 'table',
  columns: [
    { name: 'code', type: 'char(2)' },
    { name: 'ssn', type: 'char(11)' },
    { name: 'short', type: 'varchar(5)' },
    { name: 'note', type: 'text' },
    { name: 'big', type: 'varchar(65535)' },
    { name: 'n', type: 'int4' },
  ],
});

let k = 0;
type Body = Omit<Extract<PolicyInput, { type: 'mask' }>, 'id' | 'version' | 'name' | 'createdAt' | 'scope' | 'type'>;
const mask = (column: string, m: Body['mask'], rest: Partial<Body> = {}): Policy =>
  PolicySchema.parse({
    id: `m${++k}`,
    version: 1,
    name: `m${k}`,
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'global' },
    type: 'mask',
    target: { kind: 'column', name: column },
    mask: m,
    ...rest,
  });
const values = (column: string, vs: string[]): Policy =>
  PolicySchema.parse({
    id: `v${++k}`,
    version: 1,
    name: `v${k}`,
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'global' },
    type: 'rowFilter',
    filter: { kind: 'values', column: { kind: 'column', name: column }, values: vs },
  });

const compile = (policies: Policy[], dialect: Dialect): CompiledView => compileView(ds, policies, config, dialect);
const typeOf = (c: CompiledView, column: string): string | undefined =>
  c.signature.columns.find((x) => x.name === column)?.type;
const codes = (c: CompiledView): string[] =>
  c.diagnostics.map((d) => `${d.code}${d.severity === 'warning' ? ' (warning)' : ''}`);
const lintClean = (c: CompiledView): void => {
  for (const s of c.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
};

describe(
  'constants and row-filter values must fit the declared type ' + 'as the engine counts it (refused at compile time)',
  () => {
    it.each([
      [
        'a non-ASCII constant in a char(2): Redshift CHAR holds single-byte characters only',
        'code',
        'é',
        /single-byte characters only/,
      ],
      [
        '6 bytes in a varchar(5) (5 characters)',
        'short',
        'héllo',
        /can take 6 bytes; a Redshift varchar\(5\) holds 5 bytes/,
      ],
      ['300 bytes in a text column (Redshift TEXT is VARCHAR(256))', 'note', 'x'.repeat(300), /holds 256 bytes/],
    ])('%s: VG303 on Redshift, accepted on PostgreSQL', (_what, column, value, message) => {
      const policies = [mask(column, { kind: 'constant', value })];
      const rs = compile(policies, redshift);
      expect(rs.failedClosed).toBe(true);
      expect(codes(rs)).toEqual(['VG303', 'VG301']);
      expect(rs.diagnostics[0]!.summary).toMatch(message);
      const pg = compile(policies, postgres);
      expect(pg.failedClosed).toBe(false);
      expect(typeOf(pg, column)).toBe(ds.columns.find((c) => c.name === column)!.type);
    });

    it('a constant that fits the bytes keeps the column type on both engines', () => {
      for (const d of [postgres, redshift]) {
        const c = compile([mask('short', { kind: 'constant', value: 'hé' })], d);
        expect(codes(c)).toEqual([]);
        expect(typeOf(c, 'short')).toBe('varchar(5)');
      }
    });

    it(
      'a row-filter value the column can never hold on Redshift is VG307, not a CAST that truncates it into ' +
        'another value',
      () => {
        // CAST('abé' AS varchar(3)) could only truncate (to 'ab', matching other rows) or fail at query time.
        for (const [column, value] of [
          ['short', 'abcdé'],
          ['code', 'é'],
        ] as const) {
          const rs = compile([values(column, [value])], redshift);
          expect(codes(rs)).toEqual(['VG307', 'VG301']);
          expect(compile([values(column, [value])], postgres).failedClosed).toBe(false);
        }
      },
    );

    it(
      'a row-filter value on a text column compares as VARCHAR(65535) on Redshift: a 300-byte value is neither cut ' +
        'nor refused',
      () => {
        const rs = compile([values('note', ['é'.repeat(150)])], redshift);
        expect(codes(rs)).toEqual([]);
        expect(rs.statements.map((s) => s.sql).join('\n')).toContain(
          `IN (CAST('${'é'.repeat(150)}' AS varchar(65535)))`,
        );
        // 65,536 bytes exceed even that: refused, never cut.
        expect(codes(compile([values('note', ['x'.repeat(65536)])], redshift))).toEqual(['VG307', 'VG301']);
      },
    );
  },
);

describe('masks that grow text widen the output type (never truncated, never refused at query time)', () => {
  it(
    'a partial mask with a multi-byte mask character: char(11) ' + '→ varchar(33) on Redshift, char(11) on PostgreSQL',
    () => {
      const policies = [mask('ssn', { kind: 'partial', keep: 'last', count: 4, maskChar: '•' })];
      const rs = compile(policies, redshift);
      expect(codes(rs)).toEqual([]);
      expect(typeOf(rs, 'ssn')).toBe('varchar(33)');
      expect(rs.statements.map((s) => s.sql).join('\n')).toMatch(/AS varchar\(33\)\) AS "ssn"/);
      lintClean(rs);
      expect(typeOf(compile(policies, postgres), 'ssn')).toBe('char(11)');
      // A single-byte mask character keeps the CHAR on both.
      for (const d of [postgres, redshift])
        expect(typeOf(compile([mask('ssn', { kind: 'partial', keep: 'last', count: 4 })], d), 'ssn')).toBe('char(11)');
    },
  );

  it('a partial mask on Redshift TEXT (VARCHAR(256)) with a 3-byte character becomes varchar(768)', () => {
    const rs = compile([mask('note', { kind: 'partial', keep: 'first', count: 1, maskChar: '•' })], redshift);
    expect(typeOf(rs, 'note')).toBe('varchar(768)');
    expect(
      typeOf(compile([mask('note', { kind: 'partial', keep: 'first', count: 1, maskChar: '•' })], postgres), 'note'),
    ).toBe('text');
  });

  it(
    'past 65535 bytes nothing holds it on Redshift: the masked ' + 'users see NULL (VG313 warning), never a cut value',
    () => {
      const policies = [mask('big', { kind: 'partial', keep: 'first', count: 1, maskChar: '•' })];
      const rs = compile(policies, redshift);
      expect(rs.failedClosed).toBe(false);
      expect(codes(rs)).toEqual(['VG313 (warning)']);
      expect(rs.diagnostics[0]!.summary).toMatch(/196605 bytes/);
      expect(typeOf(rs, 'big')).toBe('varchar(65535)');
      const sql = rs.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
      expect(sql).toContain('CAST(NULL AS varchar(65535)) AS "big"');
      expect(sql).not.toContain('REPEAT');
      lintClean(rs);
      expect(codes(compile(policies, postgres))).toEqual([]);
    },
  );

  it(
    'a regex replacement longer than the match widens the column on both engines (PostgreSQL cut it to the ' +
      'declared length)',
    () => {
      const policies = [mask('short', { kind: 'regex', pattern: '[0-9]+', replacement: 'REDACTED' })];
      // 5 characters hold at most 6 matches: 5 + 6·8 = 53.
      for (const d of [postgres, redshift]) expect(typeOf(compile(policies, d), 'short')).toBe('varchar(53)');
      // A one-character replacement of a pattern that cannot match empty keeps the length (characters; bytes on
      // Redshift).
      const one = [mask('short', { kind: 'regex', pattern: '[0-9]', replacement: '#' })];
      for (const d of [postgres, redshift]) expect(typeOf(compile(one, d), 'short')).toBe('varchar(5)');
      expect(
        typeOf(compile([mask('short', { kind: 'regex', pattern: '[0-9]', replacement: '€' })], redshift), 'short'),
      ).toBe('varchar(15)');
      // A pattern that matches the empty string can insert at every position.
      expect(
        typeOf(compile([mask('short', { kind: 'regex', pattern: 'x*', replacement: '#' })], postgres), 'short'),
      ).toBe('varchar(11)');
    },
  );

  it('a hash keeps its output type (64 ASCII characters fit every engine)', () => {
    for (const d of [postgres, redshift]) {
      expect(typeOf(compile([mask('code', { kind: 'hash' })], d), 'code')).toBe('varchar(64)');
      expect(typeOf(compile([mask('n', { kind: 'hash' })], d), 'n')).toBe('varchar(64)');
    }
  });
});

describe.each(engines)('on $name as real login roles', ({ create }) => {
  let w: BreadthWorld;
  beforeAll(async () => {
    w = await createBreadthWorld(await create());
  });
  afterAll(() => w?.close());

  it(
    'a regex mask whose replacement is longer than the ' + 'column shows the whole replacement, not a cut one',
    async () => {
      // phone is varchar(20); every digit run becomes a 12-character word.
      const compiled = await w.apply([
        PolicySchema.parse(anyoneSubscription),
        PolicySchema.parse({
          id: 'm-long',
          version: 1,
          name: 'long',
          createdAt: '2024-01-01T00:00:00Z',
          scope: { kind: 'local', dataSourceId: 'ds-customers' },
          type: 'mask',
          target: { kind: 'column', name: 'phone' },
          mask: { kind: 'regex', pattern: '[0-9]+', replacement: '<redacted-0>' },
        }),
      ]);
      expect(compiled.diagnostics).toEqual([]);
      const expected = rawRows.map((r) => [
        String(r.id),
        r.phone === null ? null : r.phone.replace(/[0-9]+/g, '<redacted-0>'),
      ]);
      expect(expected[0]![1]!.length).toBeGreaterThan(20);
      expect(await w.see('alice', ['id', 'phone'])).toEqual(expected);
    },
  );

  it('a partial mask with a multi-byte character keeps every character (char(11) ssn)', async () => {
    await w.apply([
      PolicySchema.parse(anyoneSubscription),
      PolicySchema.parse({
        id: 'm-dot',
        version: 1,
        name: 'dot',
        createdAt: '2024-01-01T00:00:00Z',
        scope: { kind: 'local', dataSourceId: 'ds-customers' },
        type: 'mask',
        target: { kind: 'column', name: 'ssn' },
        mask: { kind: 'partial', keep: 'last', count: 4, maskChar: '•' },
      }),
    ]);
    expect(await w.see('bob', ['id', 'ssn'])).toEqual(
      rawRows.map((r) => [String(r.id), `${'•'.repeat(7)}${r.ssn.slice(-4)}`]),
    );
  });
});
