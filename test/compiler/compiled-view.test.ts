// What compileView, compileFailClosedView, compileDenyAllView and dropView hand to the apply path besides the SQL:
// each statement's role, its name-resolution pin and the comment an operator reads when the warehouse refuses it
// ("statement 3: create the view"), the signature recorded for the next change, the typed columns the Redshift
// lint checks, and whether the view failed closed (the ViewsFailedClosed metric). What users then see is asserted
// on the engines in view-compiler, view-change-plan and fail-closed-plan tests.
import { describe, expect, it } from 'vitest';
import {
  compileDenyAllView,
  compileFailClosedView,
  compileView,
  compileViewQuery,
  dropView,
  type CompiledView,
} from '../../shared/compiler/view-compiler.js';
import { diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

const config = { mode: 'single', database: 'dev', viewSchema: 'secure' } as const;
const source = (extra: Partial<DataSource> = {}): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-1',
    name: 'orders',
    version: 1,
    location: { database: 'dev', schema: 'raw', table: 'orders' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'email', type: 'varchar(40)', tags: ['PII'] },
    ],
    ...extra,
  });
const anyone = PolicySchema.parse({
  id: 'sub',
  version: 1,
  name: 'sub',
  createdAt: '2024-01-01T00:00:00Z',
  type: 'subscription',
  scope: { kind: 'global' },
  access: { kind: 'anyone' },
});
const because = [diagnostic('VG308', 'data source "ds-1": the warehouse refused the compiled view: no')];
/** Role, pin and comment of each statement. */
const plan = (c: Pick<CompiledView, 'statements'>) =>
  c.statements.map((s) => ({ role: s.role, pinned: s.pinned, comment: s.comment }));
const SIGNATURE = {
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'email', type: 'varchar(40)' },
  ],
};
const TYPED = SIGNATURE.columns.map((c) => ({ ...c, branchTypes: [c.type] }));

describe('the statements of a view', () => {
  const DROP_CREATE_GRANT = (why: string) => [
    { role: 'drop', pinned: true, comment: why },
    { role: 'ddl', pinned: true, comment: 'create the view' },
    {
      role: 'grant',
      pinned: true,
      comment: 'analysts query the view; the view decides what each one sees',
    },
  ];

  it('no recorded signature: drop, create, grant — each pinned, each saying why', () => {
    for (const previous of [null, undefined]) {
      expect(plan(compileView(source(), [anyone], config, postgres, previous))).toEqual(
        DROP_CREATE_GRANT('no recorded signature'),
      );
    }
  });

  it('another signature: drop, create, grant; the same one: one CREATE OR REPLACE (grants kept)', () => {
    const other = { columns: [{ name: 'id', type: 'int8' }] };
    expect(plan(compileView(source(), [anyone], config, postgres, other))).toEqual(
      DROP_CREATE_GRANT('column names, types or binding changed'),
    );
    const same = compileView(source(), [anyone], config, postgres, SIGNATURE);
    expect(plan(same)).toEqual([
      { role: 'ddl', pinned: true, comment: 'same columns and types: replace in place (grants kept)' },
    ]);
    expect(same.statements[0]!.sql).toMatch(/^CREATE OR REPLACE VIEW "secure"\."orders" /);
  });

  it('a deleted data source: one pinned DROP VIEW IF EXISTS', () => {
    expect(dropView(source(), config, postgres)).toEqual([
      {
        role: 'drop',
        pinned: true,
        comment: 'data source deleted',
        sql: 'DROP VIEW IF EXISTS "secure"."orders"',
      },
    ]);
  });

  it('a compiled view: its signature and typed columns are the raw columns where no mask applies', () => {
    const c = compileView(source(), [anyone], config, postgres);
    expect(c).toMatchObject({ signature: SIGNATURE, columns: TYPED, failedClosed: false, diagnostics: [] });
    expect(c.statements[1]!.sql).toBe(
      'CREATE VIEW "secure"."orders" WITH (security_barrier) AS SELECT t."id" AS "id", t."email" AS "email" ' +
        'FROM "raw"."orders" t WHERE EXISTS (SELECT 1 FROM "immuta_system"."user_profile") AND TRUE',
    );
  });
});

describe('the view query for an operator tool', () => {
  it("is the SELECT the view wraps; with a profile source it reads those relations instead of the user's", () => {
    const hashEmail = PolicySchema.parse({
      ...anyone,
      id: 'mask',
      type: 'mask',
      target: { kind: 'tag', tag: 'PII' },
      mask: { kind: 'hash' },
      access: undefined,
    });
    const policies = [anyone, hashEmail];
    const q = compileViewQuery(source(), policies, config, postgres);
    const v = compileView(source(), policies, config, postgres);
    expect(v.statements[1]!.sql).toBe(`CREATE VIEW "secure"."orders" WITH (security_barrier) AS ${q.query}`);
    expect(q).toMatchObject({ signature: v.signature, columns: v.columns, failedClosed: false, diagnostics: [] });
    const forAnn = compileViewQuery(source(), policies, config, postgres, {
      profileSource: { profile: 'ann_profile', entitlements: 'ann_entitlements' },
    });
    expect(forAnn.query).toContain('FROM ann_profile');
    expect(forAnn.query).not.toContain('user_profile');
  });
});

describe('diagnostics', () => {
  it('what choosing the applicable policies found comes first, also when the view fails closed', () => {
    const second = PolicySchema.parse({ ...anyone, id: 'sub-2', access: { kind: 'approved' } });
    const open = compileView(source(), [anyone, second], config, postgres);
    expect(open.diagnostics.map((x) => x.code)).toEqual(['VG304']);
    const closed = compileView(source(), [anyone, second], config, postgres, null, { failClosedBecause: because });
    expect(closed.diagnostics.map((x) => x.code)).toEqual(['VG304', 'VG308', 'VG301']);
  });
});

describe('fail closed', () => {
  it('the fail-closed view: typed NULLs, no rows, no raw table; the reason, then VG301', () => {
    const c = compileFailClosedView(source(), config, postgres, because);
    expect(c.failedClosed).toBe(true);
    expect(c.signature).toEqual(SIGNATURE);
    expect(c.columns).toEqual(TYPED);
    expect(c.diagnostics.map((x) => x.code)).toEqual(['VG308', 'VG301']);
    expect(plan(c).map((s) => s.role)).toEqual(['drop', 'ddl', 'grant']);
    expect(c.statements[1]!.sql).toBe(
      'CREATE VIEW "secure"."orders" WITH (security_barrier) AS SELECT CAST(NULL AS int4) AS "id", ' +
        'CAST(NULL AS varchar(40)) AS "email" WHERE FALSE',
    );
  });

  it('an external table fails closed as an ordinary view (it reads no table), recorded without late binding', () => {
    const external = source({ kind: 'external' });
    expect(compileView(external, [anyone], config, redshift).signature.lateBinding).toBe(true);
    const c = compileFailClosedView(external, config, redshift, because);
    expect(c.signature).toEqual(SIGNATURE);
    expect(c.statements.map((s) => s.sql).join('\n')).not.toContain('NO SCHEMA BINDING');
  });

  it('multi-database mode: a table of another database is read late-binding, one of ours is not', () => {
    const multi = { ...config, mode: 'multi' } as const;
    const elsewhere = source({ location: { database: 'lake', schema: 'raw', table: 'orders' } });
    expect(compileView(elsewhere, [anyone], multi, redshift).signature.lateBinding).toBe(true);
    expect(compileView(source(), [anyone], multi, redshift).signature.lateBinding).toBeUndefined();
    // Single-database mode does not read another database at all (VG301): no late binding either.
    expect(compileView(elsewhere, [anyone], config, redshift).signature.lateBinding).toBeUndefined();
  });

  it('no column can be named: the fail-closed view has one int4 column "unavailable"', () => {
    const c = compileView(
      source({ columns: [{ name: 'x'.repeat(64), type: 'int4', tags: [] }] }),
      [anyone],
      config,
      postgres,
    );
    expect(c.failedClosed).toBe(true);
    expect(c.diagnostics.map((x) => x.code)).toEqual(['VG102', 'VG301']);
    expect(c.signature).toEqual({ columns: [{ name: 'unavailable', type: 'int4' }] });
    expect(c.statements[1]!.sql).toBe(
      'CREATE VIEW "secure"."orders" WITH (security_barrier) AS SELECT CAST(NULL AS int4) AS "unavailable" WHERE FALSE',
    );
  });

  it('a view name no view can carry: nothing to create or leave open, the name diagnostic', () => {
    const c = compileView(source({ name: 'x'.repeat(64) }), [anyone], config, postgres, SIGNATURE);
    expect(c.statements).toEqual([]);
    expect(c.failedClosed).toBe(true);
    expect(c.diagnostics.map((x) => x.code)).toEqual(['VG102']);
  });
});

describe('the deny-all view in place', () => {
  it('CREATE OR REPLACE with the recorded columns, typed NULLs, no rows, not late-binding on Redshift', () => {
    for (const dialect of [postgres, redshift]) {
      const c = compileDenyAllView(source(), { ...SIGNATURE, lateBinding: true }, config, dialect, because)!;
      expect(plan(c)).toEqual([{ role: 'ddl', pinned: true, comment: 'deny-all in place: the same columns, no rows' }]);
      expect(c.statements[0]!.sql).toMatch(/^CREATE OR REPLACE VIEW "secure"\."orders" /);
      expect(c.statements[0]!.sql).toMatch(
        / AS SELECT CAST\(NULL AS int4\) AS "id", CAST\(NULL AS varchar\(40\)\) AS "email" WHERE FALSE$/,
      );
      expect(c.statements[0]!.sql).not.toContain('NO SCHEMA BINDING');
      // What it records is what it created: the columns, no late binding.
      expect(c).toMatchObject({ signature: SIGNATURE, columns: TYPED, diagnostics: because, failedClosed: true });
    }
  });
});
