// Mask cases the example-driven tests do not reach, asserted as real login roles on PGlite and a real
// PostgreSQL server (the cells each user sees): exact decimals rounded by a fractional bucket, and the other
// mask behaviours a mutation run of the compiler found unasserted (docs/testing.md, "Mutation testing").
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { HASH_KEY, bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import type { z } from 'zod';
import { PolicySchema, type MaskFunctionSchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

// id, amount numeric(10,2), small numeric(6,3), code varchar(8) (trailing spaces are part of a varchar value), day
type Row = [number, string | null, string | null, string | null, string | null];
const ROWS: Row[] = [
  [1, '1234.56', '1.234', 'AB12  ', '2024-03-17'],
  [2, '-987.65', '-0.875', 'XY9', '1999-12-31'],
  [3, '0.49', '0.250', null, null],
  [4, null, null, 'Q', '2000-02-29'],
  [5, '-0.24', '99.999', '12345678', '2024-01-01'],
];

const ledger = (database: string): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-ledger',
    name: 'ledger',
    version: 1,
    location: { database, schema: 'raw', table: 'ledger' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'amount', type: 'numeric(10,2)' },
      { name: 'small', type: 'numeric(6,3)' },
      { name: 'code', type: 'varchar(8)' },
      { name: 'day', type: 'date' },
    ],
  });

const policy = (
  id: string,
  body: Omit<PolicyInput, 'id' | 'version' | 'name' | 'createdAt'> & Partial<PolicyInput>,
): Policy => PolicySchema.parse({ id, version: 1, name: id, createdAt: '2024-01-01T00:00:00Z', ...body });
type Otherwise = z.input<typeof MaskFunctionSchema>;
const local = { kind: 'local', dataSourceId: 'ds-ledger' } as const;
const sha = (v: string | null): string | null =>
  v === null
    ? null
    : createHash('sha256')
        .update(HASH_KEY + v)
        .digest('hex');
const anyone = policy('sub-anyone', { scope: local, type: 'subscription', access: { kind: 'anyone' } });

describe.each(engines)('mask edges on $name', ({ create }) => {
  let engine: Engine;
  let layout: IntegrationConfig;
  let ds: DataSource;
  let ann: Session;

  const apply = async (policies: Policy[]): Promise<CompiledView> => {
    const compiled = compileView(ds, policies, layout, d, null);
    await transactionAs(engine.asAdmin, layout.systemUser, compiled.statements);
    return compiled;
  };
  /** One column as ann sees it, as text (NULL stays null), by id. */
  const column = async (name: string): Promise<(string | null)[]> =>
    (
      await ann.query<{ v: string | null }>(
        `SELECT CAST(${d.quoteIdent(name)} AS text) AS v FROM secure.ledger ORDER BY id`,
      )
    ).map((r) => r.v);

  beforeAll(async () => {
    engine = await create();
    ds = ledger(engine.database);
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.ledger (id int4, amount numeric(10,2), small numeric(6,3), code varchar(8), day date)'),
      ...ROWS.map(([id, amount, small, code, day]) =>
        stmt(
          'INSERT INTO raw.ledger VALUES (:id, CAST(:amount AS numeric), CAST(:small AS numeric), :code, ' +
            'CAST(:day AS date))',
          undefined,
          { id, amount, small, code, day },
        ),
      ),
    ]);
    layout = layoutConfig(engine, 'raw');
    await bootstrap(engine, layout);
    const role = await engine.createLoginRole('ann', 'ann-pw');
    ann = await engine.asUser(role, 'ann-pw');
    await transactionAs(engine.asAdmin, layout.systemUser, [
      planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1, groups: ['red'] }), d),
    ]);
  });
  afterAll(async () => {
    await ann?.close();
    await engine?.close();
  });

  describe('exact decimals rounded by a bucket: toward zero to a multiple of the bucket, the scale kept', () => {
    it(
      'a fractional bucket keeps the fraction that is a multiple ' +
        'of it (0.25: 1234.56 → 1234.50, -987.65 → -987.50)',
      async () => {
        const compiled = await apply([
          anyone,
          policy('round-amount', {
            scope: local,
            type: 'mask',
            target: { kind: 'column', name: 'amount' },
            mask: { kind: 'round', bucket: 0.25 },
          }),
        ]);
        expect(compiled.diagnostics).toEqual([]);
        expect(compiled.signature.columns.find((c) => c.name === 'amount')?.type).toBe('numeric(10,2)');
        expect(await column('amount')).toEqual(['1234.50', '-987.50', '0.25', null, '0.00']);
      },
    );

    it('a bucket finer than one: 0.125 on numeric(6,3) (1.234 → 1.125, -0.875 stays, 99.999 → 99.875)', async () => {
      await apply([
        anyone,
        policy('round-small', {
          scope: local,
          type: 'mask',
          target: { kind: 'column', name: 'small' },
          mask: { kind: 'round', bucket: 0.125 },
        }),
      ]);
      expect(await column('small')).toEqual(['1.125', '-0.875', '0.250', null, '99.875']);
    });
  });

  describe('a hash on a number column: the column becomes text, so every branch of its CASE shows text', () => {
    const hashAmount = (except: string) =>
      policy(`hash-amount-${except}`, {
        scope: local,
        type: 'mask',
        target: { kind: 'column', name: 'amount' },
        mask: { kind: 'hash' },
        condition: { kind: 'everyoneExcept', except: { groups: [except] } },
      });

    it('ann (red) is masked by "everyone except blue": the SHA-256 of key ‖ the value text', async () => {
      const compiled = await apply([anyone, hashAmount('blue')]);
      expect(compiled.signature.columns.find((c) => c.name === 'amount')?.type).toBe('varchar(64)');
      expect(await column('amount')).toEqual(ROWS.map((r) => sha(r[1])));
    });

    it('ann (red) is excepted by "everyone except red": the clear value, as text', async () => {
      await apply([anyone, hashAmount('red')]);
      expect(await column('amount')).toEqual(ROWS.map((r) => r[1]));
    });
  });

  // everyoneWho: ann (red) gets the mask when `who` is red, the `otherwise` mask when it is blue.
  const hashOr = (name: string, who: string, otherwise: Otherwise) =>
    policy(`hash-${name}-or-${otherwise.kind}-${who}`, {
      scope: local,
      type: 'mask',
      target: { kind: 'column', name },
      mask: { kind: 'hash' },
      condition: { kind: 'everyoneWho', who: { groups: [who] }, otherwise },
    });

  describe('a hash with another mask otherwise: that mask shows its value in the column type, as text', () => {
    it('a date rounded to the month: ann sees the date (2024-03-01), not the timestamp DATE_TRUNC gives', async () => {
      const otherwise: Otherwise = { kind: 'round', unit: 'month' };
      const compiled = await apply([anyone, hashOr('day', 'blue', otherwise)]);
      expect(compiled.diagnostics).toEqual([]);
      expect(compiled.signature.columns.find((c) => c.name === 'day')?.type).toBe('varchar(64)');
      expect(await column('day')).toEqual(['2024-03-01', '1999-12-01', null, '2000-02-01', '2024-01-01']);
      // The same policy with ann in `who`: the hash of the date's text.
      await apply([anyone, hashOr('day', 'red', otherwise)]);
      expect(await column('day')).toEqual(ROWS.map((r) => sha(r[4])));
    });

    it('a constant on a numeric(10,2) column is shown as that type shows it (5 → 5.00)', async () => {
      await apply([anyone, hashOr('amount', 'blue', { kind: 'constant', value: '5' })]);
      expect(await column('amount')).toEqual(ROWS.map(() => '5.00'));
    });

    it('a regex on a varchar(8) whose replacement is longer shows the whole replacement (never cut to 8)', async () => {
      const otherwise: Otherwise = { kind: 'regex', pattern: '[0-9]+', replacement: '<digits>' };
      const compiled = await apply([anyone, hashOr('code', 'blue', otherwise)]);
      expect(compiled.diagnostics).toEqual([]);
      expect(await column('code')).toEqual(['AB<digits>  ', 'XY<digits>', null, 'Q', '<digits>']);
    });
  });

  describe('a partial mask on a varchar counts its trailing spaces: they are data, not padding', () => {
    it('keeping the last 2 of "AB12  " shows the two spaces, not "12"', async () => {
      await apply([
        anyone,
        policy('partial-code', {
          scope: local,
          type: 'mask',
          target: { kind: 'column', name: 'code' },
          mask: { kind: 'partial', keep: 'last', count: 2, maskChar: '*' },
        }),
      ]);
      expect(await column('code')).toEqual(['****  ', '*Y9', null, '*', '******78']);
    });
  });
});

// Redshift counts bytes and no VARCHAR holds more than 65535 (docs/dialects.md "string lengths"): a mask whose
// text can grow past that becomes NULL for the masked users (VG313 warning), never a cut value. The partial
// mask's case is in test/compiler/string-lengths.test.ts; this is the regex's. Redshift is not reachable here:
// the text is asserted and linted (and the masked cast is a row of the conformance check, docs/deploy.md).
describe('a regex mask whose replacement can grow the text past what Redshift holds', () => {
  const wide = DataSourceSchema.parse({
    id: 'ds-wide',
    name: 'wide',
    version: 1,
    location: { database: 'sales', schema: 'raw', table: 'wide' },
    kind: 'table',
    columns: [{ name: 'big', type: 'varchar(65535)' }],
  });
  const grow = PolicySchema.parse({
    id: 'm-grow',
    version: 1,
    name: 'm-grow',
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'global' },
    type: 'mask',
    target: { kind: 'column', name: 'big' },
    mask: { kind: 'regex', pattern: '.', replacement: '••' },
  });
  const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };

  it(
    'Redshift: NULL for the masked users (VG313 warning), no REGEXP_REPLACE left to cut; PostgreSQL (text is ' +
      'unbounded): the regex',
    () => {
      const rs = compileView(wide, [grow], config, redshift);
      expect(rs.failedClosed).toBe(false);
      expect(rs.diagnostics.map((x) => [x.code, x.severity, x.path])).toEqual([['VG313', 'warning', ['mask']]]);
      // The whole message, as the operator reads it.
      expect(rs.diagnostics[0]!.summary).toBe(
        'mask "m-grow" on column "big" (varchar(65535)): the masked text can take 458751 bytes; a Redshift ' +
          'varchar(65535) holds 65535 bytes (lengths count bytes) and no redshift type holds it; the column shows ' +
          'NULL instead',
      );
      expect(rs.signature.columns.find((c) => c.name === 'big')?.type).toBe('varchar(65535)');
      const view = rs.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
      expect(view).toContain('CAST(NULL AS varchar(65535)) AS "big"');
      expect(view).not.toMatch(/REGEXP_REPLACE/i);
      for (const s of rs.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
      const pg = compileView(wide, [grow], config, d);
      expect(pg.diagnostics).toEqual([]);
      expect(pg.statements.find((s) => s.sql.startsWith('CREATE'))!.sql).toMatch(/regexp_replace/i);
    },
  );

  // Only the masks that grow text become NULL: the other branch of the same CASE (an `otherwise` constant or
  // hash, which fit) still shows its value to its users.
  it.each([
    ['a constant', { kind: 'constant', value: 'n/a' }, /'n\/a'/],
    ['a hash', { kind: 'hash' }, /SHA2\(/],
  ] as const)(
    'Redshift: the otherwise branch (%s) keeps its value; only the growing regex is NULL',
    (_l, otherwise, kept) => {
      const policy = PolicySchema.parse({
        ...grow,
        id: 'm-grow-or',
        condition: { kind: 'everyoneWho', who: { groups: ['red'] }, otherwise },
      });
      const rs = compileView(wide, [policy], config, redshift);
      expect(rs.failedClosed).toBe(false);
      expect(rs.diagnostics.map((x) => [x.code, x.severity, x.path])).toEqual([['VG313', 'warning', ['mask']]]);
      const view = rs.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
      const big = view.slice(view.lastIndexOf('CASE WHEN'), view.indexOf(' AS "big"'));
      expect(big).toMatch(/ THEN NULL ELSE /);
      expect(big.slice(big.indexOf(' ELSE '))).toMatch(kept);
      expect(view).not.toMatch(/REGEXP_REPLACE/i);
      for (const s of rs.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    },
  );

  it('Redshift: a growing regex in `otherwise` is NULL for the users it applies to, and reported there', () => {
    const policy = PolicySchema.parse({
      ...grow,
      id: 'm-grow-otherwise',
      mask: { kind: 'constant', value: 'n/a' },
      condition: {
        kind: 'everyoneWho',
        who: { groups: ['red'] },
        otherwise: { kind: 'regex', pattern: '.', replacement: '••' },
      },
    });
    const rs = compileView(wide, [policy], config, redshift);
    expect(rs.diagnostics.map((x) => [x.code, x.severity, x.path])).toEqual([
      ['VG313', 'warning', ['condition', 'otherwise']],
    ]);
    const view = rs.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
    const big = view.slice(view.lastIndexOf('CASE WHEN'), view.indexOf(' AS "big"'));
    expect(big).toMatch(/ THEN 'n\/a' ELSE NULL END/);
    for (const s of rs.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
  });
});
