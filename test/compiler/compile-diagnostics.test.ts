// What an operator reads when a policy cannot be compiled as written: every compiler diagnostic with its code,
// severity, summary and JSON path into the policy (or data source) that caused it — the path is how the fix
// is found, so it must point at the offending field — exactly as compileView returns them (they reach the
// apply outcome, the logs and /status unchanged). Both dialects where they differ.
import { describe, expect, it } from 'vitest';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import type { Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

const config = { mode: 'single', database: 'sales', viewSchema: 'secure' } as const;
const ds: DataSource = DataSourceSchema.parse({
  id: 'ds-people',
  name: 'people',
  version: 1,
  location: { database: 'sales', schema: 'raw', table: 'people' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'name', type: 'varchar(20)' },
    { name: 'age', type: 'int2' },
    { name: 'born', type: 'date', tags: ['Time'] },
  ],
});
const head = {
  version: 1,
  name: 'x',
  createdAt: '2024-01-01T00:00:00Z',
  scope: { kind: 'local', dataSourceId: 'ds-people' },
};
const parse = (p: object): Policy => PolicySchema.parse({ ...head, ...p });
const anyone = parse({ id: 'sub', type: 'subscription', access: { kind: 'anyone' } });
const failClosed = (id = 'ds-people'): Diagnostic => ({
  code: 'VG301',
  severity: 'error',
  summary: `data source "${id}": the view fails closed (no rows) until the problem above is fixed`,
  path: [],
});
const compile = (
  policies: Policy[],
  dialect = postgres,
  source = ds,
  cfg: Parameters<typeof compileView>[2] = config,
): CompiledView => compileView(source, [anyone, ...policies], cfg, dialect);

describe('mask diagnostics', () => {
  it('a constant that does not fit: VG303 error at mask.value, the view fails closed', () => {
    const r = compile([
      parse({
        id: 'm-const',
        type: 'mask',
        target: { kind: 'column', name: 'age' },
        mask: { kind: 'constant', value: '99999' },
      }),
    ]);
    expect(r.failedClosed).toBe(true);
    expect(r.diagnostics).toEqual([
      {
        code: 'VG303',
        severity: 'error',
        summary: 'mask "m-const": constant "99999" out of range for int2 (column "age" is int2)',
        path: ['mask', 'value'],
      },
      failClosed(),
    ]);
  });

  it("the otherwise branch's constant is reported at condition.otherwise.value", () => {
    const r = compile([
      parse({
        id: 'm-other',
        type: 'mask',
        target: { kind: 'column', name: 'born' },
        mask: { kind: 'null' },
        condition: { kind: 'everyoneWho', who: { groups: ['g'] }, otherwise: { kind: 'constant', value: 'soon' } },
      }),
    ]);
    expect(r.diagnostics).toEqual([
      {
        code: 'VG303',
        severity: 'error',
        summary: 'mask "m-other": constant "soon" not a date (YYYY-MM-DD) (column "born" is date)',
        path: ['condition', 'otherwise', 'value'],
      },
      failClosed(),
    ]);
  });

  it('a mask that does not fit the type: VG303 warning at mask (or condition.otherwise), the view stays open', () => {
    const r = compile([
      parse({
        id: 'm-fit',
        type: 'mask',
        target: { kind: 'column', name: 'born' },
        mask: { kind: 'round', bucket: 10 },
        condition: {
          kind: 'everyoneWho',
          who: { groups: ['g'] },
          otherwise: { kind: 'partial', keep: 'first', count: 2 },
        },
      }),
    ]);
    expect(r.failedClosed).toBe(false);
    expect(r.diagnostics).toEqual([
      {
        code: 'VG303',
        severity: 'warning',
        summary:
          'mask "m-fit" on column "born" (date): rounding a date or timestamp needs a unit; the column shows NULL ' +
          'instead',
        path: ['mask'],
      },
      {
        code: 'VG303',
        severity: 'warning',
        summary:
          'mask "m-fit" on column "born" (date): partial masks need a string column; the column shows NULL instead',
        path: ['condition', 'otherwise'],
      },
    ]);
  });

  it('rounding text is refused by type name; a first-match-only regex fails closed on Redshift at mask.global', () => {
    expect(
      compile([
        parse({
          id: 'm-text',
          type: 'mask',
          target: { kind: 'column', name: 'name' },
          mask: { kind: 'round', unit: 'day' },
        }),
      ]).diagnostics,
    ).toEqual([
      {
        code: 'VG303',
        severity: 'warning',
        summary:
          'mask "m-text" on column "name" (varchar(20)): rounding does not apply to varchar(20); the column shows ' +
          'NULL instead',
        path: ['mask'],
      },
    ]);
    const regex = parse({
      id: 'm-re',
      type: 'mask',
      target: { kind: 'column', name: 'name' },
      mask: { kind: 'regex', pattern: 'a', replacement: 'b', global: false },
    });
    expect(compile([regex]).diagnostics).toEqual([]);
    expect(compile([regex], redshift).diagnostics).toEqual([
      {
        code: 'VG303',
        severity: 'error',
        summary: 'mask "m-re": a first-match-only regex replace (global: false) cannot be expressed in redshift',
        path: ['mask', 'global'],
      },
      failClosed(),
    ]);
  });

  it('a cell condition that is rejected: VG306 at where, with a caret under the position', () => {
    const r = compile([
      parse({
        id: 'm-where',
        type: 'mask',
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'null' },
        where: 'age > pg_sleep(1)',
      }),
    ]);
    expect(r.diagnostics).toEqual([
      {
        code: 'VG306',
        severity: 'error',
        summary: 'policy "m-where": custom WHERE clause rejected: function "pg_sleep" is not allowed (at character 7)',
        path: ['where'],
        detail: 'age > pg_sleep(1)\n      ^',
      },
      failClosed(),
    ]);
  });
});

describe('row filter diagnostics', () => {
  it('a missing column: VG302 at filter.column (by name and by tag)', () => {
    expect(
      compile([
        parse({
          id: 'rf-col',
          type: 'rowFilter',
          filter: { kind: 'groupMatch', column: { kind: 'column', name: 'team' } },
        }),
      ]).diagnostics,
    ).toEqual([
      {
        code: 'VG302',
        severity: 'error',
        summary: 'row filter "rf-col": no column "team" in data source "ds-people"',
        path: ['filter', 'column'],
      },
      failClosed(),
    ]);
    expect(
      compile([
        parse({
          id: 'rf-tag',
          type: 'rowFilter',
          filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo' }, attribute: 'c' },
        }),
      ]).diagnostics,
    ).toEqual([
      {
        code: 'VG302',
        severity: 'error',
        summary: 'row filter "rf-tag": no column tagged "Geo" in data source "ds-people"',
        path: ['filter', 'column'],
      },
      failClosed(),
    ]);
  });

  it('a value the column cannot hold: VG307 at filter.values[i]', () => {
    expect(
      compile([
        parse({
          id: 'rf-val',
          type: 'rowFilter',
          filter: { kind: 'values', column: { kind: 'column', name: 'age' }, values: ['1', '2', 'old'] },
        }),
      ]).diagnostics,
    ).toEqual([
      {
        code: 'VG307',
        severity: 'error',
        summary: 'row filter "rf-val": value "old" not an integer (column "age" is int2)',
        path: ['filter', 'values', 2],
      },
      failClosed(),
    ]);
  });

  it('a time window on a column that is not a date or timestamp: VG307 at filter.column', () => {
    expect(
      compile([
        parse({
          id: 'rf-time',
          type: 'rowFilter',
          filter: {
            kind: 'timeWindow',
            column: { kind: 'column', name: 'age' },
            direction: 'newer',
            amount: 1,
            unit: 'day',
          },
        }),
      ]).diagnostics,
    ).toEqual([
      {
        code: 'VG307',
        severity: 'error',
        summary: 'row filter "rf-time": a time window needs a date or timestamp column ("age" is int2)',
        path: ['filter', 'column'],
      },
      failClosed(),
    ]);
  });

  it('a rejected clause: VG306 at filter.clause, with the position in the user’s text', () => {
    const r = compile([
      parse({ id: 'rf-where', type: 'rowFilter', filter: { kind: 'where', clause: "name = 'a' OR secret = 1" } }),
    ]);
    expect(r.diagnostics).toEqual([
      {
        code: 'VG306',
        severity: 'error',
        summary:
          'policy "rf-where": custom WHERE clause rejected: no column "secret" in data source "ds-people" (at ' +
          'character 15)',
        path: ['filter', 'clause'],
        detail: "name = 'a' OR secret = 1\n              ^",
      },
      failClosed(),
    ]);
  });
});

describe('data source diagnostics', () => {
  it('single-database mode and a table of another database: VG301 at location.database', () => {
    const other = { ...ds, location: { ...ds.location, database: 'crm' } };
    expect(compileView(other, [anyone], config, postgres).diagnostics).toEqual([
      {
        code: 'VG301',
        severity: 'error',
        summary: 'data source "ds-people" is in database "crm"; single-database mode reads only "sales"',
        path: ['location', 'database'],
      },
      failClosed(),
    ]);
  });

  it('an external table of another database in multi-database mode: VG305 at location.database', () => {
    const external = { ...ds, kind: 'external' as const, location: { ...ds.location, database: 'lake' } };
    const r = compileView(external, [anyone], { ...config, mode: 'multi' }, redshift);
    expect(r.diagnostics.map((x) => [x.code, x.severity, x.path])).toEqual([
      ['VG305', 'error', ['location', 'database']],
      ['VG301', 'error', []],
    ]);
    expect(r.diagnostics[0]!.summary).toBe(
      'data source "ds-people" is an external table in database "lake"; cross-database queries cannot read ' +
        'external tables, so a view in "sales" cannot either. Use single-database mode in "lake", or re-create the ' +
        'external table (its external schema) in "sales"',
    );
  });

  it('a column name the dialect cannot keep: VG102, and the view keeps the columns it can name', () => {
    const long = { ...ds, columns: [...ds.columns, { name: 'x'.repeat(128), type: 'int4', tags: [] }] };
    const r = compileView(long, [anyone], config, redshift);
    expect(r.diagnostics.map((x) => x.code)).toEqual(['VG102', 'VG301']);
    expect(r.signature.columns.map((c) => c.name)).toEqual(['id', 'name', 'age', 'born']);
  });
});
