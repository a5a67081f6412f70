// The PostgreSQL and Redshift emitters differ only through dialect hooks (docs/dialects.md). Each difference
// is asserted here on the SQL text; every Redshift statement also passes the Redshift lint (libpg-query parse
// + AWS allow-list). The PostgreSQL text is executed for real in view-compiler.test.ts.
import { describe, expect, it } from 'vitest';
import { compileFailClosedView, compileView, type ViewCompileConfig } from '../../shared/compiler/view-compiler.js';
import { diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

const multi: ViewCompileConfig = { mode: 'multi', database: 'immuta', viewSchema: 'governed' };
const single: ViewCompileConfig = { mode: 'single', database: 'sales', viewSchema: 'governed' };

const source = (kind: 'table' | 'external', name = 'orders', column = 'email'): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-1',
    name,
    version: 1,
    location: { database: 'sales', schema: 'public', table: 'orders' },
    kind,
    columns: [
      { name: 'id', type: 'int8' },
      { name: column, type: 'varchar(120)', tags: ['PII.Email'] },
      { name: 'region', type: 'char(2)', tags: ['Geo'] },
      { name: 'amount', type: 'numeric(12,2)' },
      { name: 'note', type: 'text' },
    ],
  });

let n = 0;
/** Omit that keeps the union of policy types apart. */
type PolicyBody = PolicyInput extends infer T
  ? T extends unknown
    ? Omit<T, 'id' | 'version' | 'name' | 'createdAt'>
    : never
  : never;
const p = (x: PolicyBody): Policy =>
  PolicySchema.parse({ id: `p${++n}`, version: 1, name: `p${n}`, createdAt: '2024-01-01T00:00:00Z', ...x });

const everything: Policy[] = [
  p({
    type: 'subscription',
    scope: { kind: 'global' },
    access: { kind: 'usersWith', who: { groups: ['a'], attributes: { k: ['v'] }, match: 'all' } },
  }),
  p({
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'tag', tag: 'PII' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyoneExcept', except: { purposes: ['audit'] } },
  }),
  p({
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'column', name: 'amount' },
    mask: { kind: 'constant', value: '0' },
    condition: { kind: 'everyoneWho', who: { groups: ['x'] }, otherwise: { kind: 'null' } },
  }),
  p({
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'column', name: 'note' },
    mask: { kind: 'constant', value: "it's a \\ backslash" },
  }),
  p({ type: 'mask', scope: { kind: 'global' }, target: { kind: 'column', name: 'id' }, mask: { kind: 'hash' } }),
  p({
    type: 'rowFilter',
    scope: { kind: 'global' },
    filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo' }, attribute: 'region' },
    exception: { groups: ['admin'] },
  }),
  p({
    type: 'rowFilter',
    scope: { kind: 'global' },
    filter: { kind: 'groupMatch', column: { kind: 'column', name: 'region' } },
  }),
];

const sqlOf = (c: ReturnType<typeof compileView>) => c.statements.map((s) => s.sql);

describe('PostgreSQL vs Redshift emitters', () => {
  it('hash: encode(sha256(convert_to(…))) vs SHA2(…, 256)', () => {
    const pg = sqlOf(compileView(source('table'), everything, single, postgres)).join('\n');
    const rs = sqlOf(compileView(source('table'), everything, single, redshift)).join('\n');
    // The key is read by a scalar subquery (once per query), never written into the definition.
    const key =
      String.raw`\(SELECT "hash_key" FROM "immuta_system"\."hash_key" WHERE "key_id" = ` +
      String.raw`\(SELECT MAX\("key_id"\) FROM "immuta_system"\."hash_key"\)\)`;
    expect(pg).toMatch(
      new RegExp(
        String.raw`encode\(sha256\(convert_to\(${key} \|\| CAST\(t\."email" AS varchar\(120\)\), 'UTF8'\)\), 'hex'\)`,
      ),
    );
    expect(rs).toMatch(new RegExp(String.raw`SHA2\(${key} \|\| CAST\(t\."email" AS varchar\(120\)\), 256\)`));
    expect(rs).not.toMatch(/sha256|convert_to/);
  });

  it('security_barrier on every PostgreSQL CREATE (also OR REPLACE); never on Redshift', () => {
    for (const previous of [null, compileView(source('table'), everything, single, postgres).signature]) {
      const pg = compileView(source('table'), everything, single, postgres, previous).statements.filter((s) =>
        /^CREATE/.test(s.sql),
      );
      expect(pg.length).toBe(1);
      expect(pg[0]!.sql).toMatch(
        /^CREATE (OR REPLACE )?VIEW "governed"\."orders" WITH \(security_barrier\) AS SELECT /,
      );
      const rs = compileView(source('table'), everything, single, redshift, previous).statements.filter((s) =>
        /^CREATE/.test(s.sql),
      );
      expect(rs[0]!.sql).toMatch(/^CREATE (OR REPLACE )?VIEW "governed"\."orders" AS SELECT /);
      expect(rs[0]!.sql).not.toContain('security_barrier');
    }
  });

  it('external tables: late-binding on Redshift only', () => {
    const rs = sqlOf(compileView(source('external'), everything, single, redshift)).find((s) =>
      s.startsWith('CREATE'),
    )!;
    expect(rs.endsWith(' WITH NO SCHEMA BINDING')).toBe(true);
    const rsTable = sqlOf(compileView(source('table'), everything, single, redshift)).find((s) =>
      s.startsWith('CREATE'),
    )!;
    expect(rsTable).not.toContain('NO SCHEMA BINDING');
    const pg = sqlOf(compileView(source('external'), everything, single, postgres)).find((s) =>
      s.startsWith('CREATE'),
    )!;
    expect(pg).not.toContain('NO SCHEMA BINDING');
  });

  it('multi-database: db.schema.table on Redshift, the postgres_fdw import schema on PostgreSQL', () => {
    expect(sqlOf(compileView(source('table'), [], multi, redshift)).join('\n')).toContain(
      'FROM "sales"."public"."orders" t',
    );
    expect(sqlOf(compileView(source('table'), [], multi, postgres)).join('\n')).toContain(
      'FROM "sales.public"."orders" t',
    );
    expect(sqlOf(compileView(source('table'), [], single, redshift)).join('\n')).toContain('FROM "public"."orders" t');
  });

  it(
    'multi-database: a view over another database is late-binding on Redshift (cross-database_limitation.html); ' +
      'the binding is in the signature',
    () => {
      const create = (c: ReturnType<typeof compileView>) => sqlOf(c).find((s) => s.startsWith('CREATE'))!;
      const cross = compileView(source('table'), everything, multi, redshift);
      expect(create(cross)).toMatch(/FROM "sales"\."public"\."orders" t .* WITH NO SCHEMA BINDING$/);
      expect(cross.signature.lateBinding).toBe(true);
      expect(lintRedshift(create(cross))).toEqual([]);
      // Without the clause the lint refuses the same statement: Redshift would refuse the CREATE VIEW.
      expect(
        lintRedshift(create(cross).replace(/ WITH NO SCHEMA BINDING$/, ''))
          .map((d) => d.summary)
          .join(),
      ).toMatch(/must be late-binding/);
      // A table in the views' own database stays an ordinary (bound) view in multi mode.
      const local = compileView(
        { ...source('table'), location: { database: 'immuta', schema: 'public', table: 'orders' } },
        everything,
        multi,
        redshift,
      );
      expect(create(local)).not.toContain('NO SCHEMA BINDING');
      expect(local.signature.lateBinding).toBeUndefined();
      // The data source moves to another database (or back): the binding changes, so DROP + CREATE, never OR REPLACE.
      for (const [from, to] of [
        [local, source('table')],
        [cross, { ...source('table'), location: { database: 'immuta', schema: 'public', table: 'orders' } }],
      ] as const) {
        const moved = sqlOf(compileView(to, everything, multi, redshift, from.signature));
        expect(moved.filter((s) => /^(DROP|CREATE)/.test(s)).map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual([
          'DROP VIEW IF',
          'CREATE VIEW "governed"."orders"',
        ]);
      }
      // Same binding, same columns: replaced in place, late-binding kept.
      expect(create(compileView(source('table'), everything, multi, redshift, cross.signature))).toMatch(
        /^CREATE OR REPLACE VIEW .* WITH NO SCHEMA BINDING$/,
      );
      // Fail closed (no table referenced): an ordinary view.
      const closed = compileFailClosedView(source('table'), multi, redshift, [diagnostic('VG308', 'refused')]);
      expect(create(closed)).not.toContain('NO SCHEMA BINDING');
      expect(closed.signature.lateBinding).toBeUndefined();
      // PostgreSQL has no clause; the signature carries the same flag (a kind/database change is DROP + CREATE there
      // too).
      const pg = compileView(source('table'), everything, multi, postgres);
      expect(create(pg)).not.toContain('NO SCHEMA BINDING');
      expect(pg.signature.lateBinding).toBe(true);
    },
  );

  it('single-database mode refuses a table in another database (fail closed, VG301)', () => {
    const c = compileView(source('table'), [], { ...single, database: 'other' }, redshift);
    expect(c.failedClosed).toBe(true);
    expect(c.diagnostics.map((d) => `${d.code} ${d.path.join('.')}`)).toContain('VG301 location.database');
  });

  it('unbounded text: text on PostgreSQL, varchar(65535) on Redshift (a hashed text column)', () => {
    const hashNote = [
      p({ type: 'mask', scope: { kind: 'global' }, target: { kind: 'column', name: 'note' }, mask: { kind: 'hash' } }),
    ];
    expect(
      compileView(source('table'), hashNote, single, postgres).signature.columns.find((c) => c.name === 'note')!.type,
    ).toBe('text');
    expect(
      compileView(source('table'), hashNote, single, redshift).signature.columns.find((c) => c.name === 'note')!.type,
    ).toBe('varchar(65535)');
  });

  it(
    'a values row filter on an unbounded text column compares with varchar(65535) on Redshift, never TEXT (= ' +
      'VARCHAR(256), which would cut a longer value)',
    () => {
      // https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html: TEXT is converted to VARCHAR(256).
      const byNote = [
        p({
          type: 'rowFilter',
          scope: { kind: 'global' },
          filter: { kind: 'values', column: { kind: 'column', name: 'note' }, values: ['a'.repeat(300)] },
        }),
      ];
      const where = (dialect: typeof postgres) =>
        sqlOf(compileView(source('table'), byNote, single, dialect)).find((s) => s.startsWith('CREATE'))!;
      expect(where(postgres)).toContain(`t."note" IN (CAST('${'a'.repeat(300)}' AS text))`);
      expect(where(redshift)).toContain(`t."note" IN (CAST('${'a'.repeat(300)}' AS varchar(65535)))`);
      expect(where(redshift)).not.toMatch(/AS text\b/i);
    },
  );

  it("literals: E'' for a backslash on PostgreSQL, doubled backslash on Redshift", () => {
    expect(sqlOf(compileView(source('table'), everything, single, postgres)).join('\n')).toContain(
      "E'it''s a \\\\ backslash'",
    );
    expect(sqlOf(compileView(source('table'), everything, single, redshift)).join('\n')).toContain(
      "'it''s a \\\\ backslash'",
    );
  });

  it('identifier length: 63 bytes on PostgreSQL, 127 on Redshift; longer is VG102 (no view)', () => {
    const long = (len: number) => source('table', 'v'.repeat(len));
    expect(compileView(long(63), [], single, postgres).diagnostics).toEqual([]);
    expect(compileView(long(64), [], single, postgres).diagnostics.map((d) => d.code)).toEqual(['VG102']);
    expect(compileView(long(64), [], single, postgres).statements).toEqual([]);
    expect(compileView(long(127), [], single, redshift).diagnostics).toEqual([]);
    expect(compileView(long(128), [], single, redshift).diagnostics.map((d) => d.code)).toEqual(['VG102']);
    // a too-long column: the view fails closed without that column
    const col = compileView(source('table', 'orders', 'é'.repeat(64)), [], single, redshift);
    expect(col.failedClosed).toBe(true);
    expect(col.signature.columns.map((c) => c.name)).toEqual(['id', 'region', 'amount', 'note']);
  });

  it(
    'the profile subquery always has a select list: EXISTS (SELECT 1 …) when no per-user decision or profile list ' +
      'is read',
    () => {
      // PostgreSQL accepts `SELECT FROM t`; Redshift's SELECT list needs `*` or at least one expression
      // (https://docs.aws.amazon.com/redshift/latest/dg/r_SELECT_list.html), so the view would not be created there.
      const open = [p({ type: 'subscription', scope: { kind: 'global' }, access: { kind: 'anyone' } })];
      for (const dialect of [postgres, redshift]) {
        const create = sqlOf(compileView(source('table'), open, single, dialect)).find((s) => s.startsWith('CREATE'))!;
        expect(create).toMatch(/WHERE EXISTS \(SELECT 1 FROM "immuta_system"\."user_profile"\) AND TRUE$/);
      }
    },
  );

  it('every Redshift statement passes the Redshift lint (all policy kinds, both modes, fail-closed too)', () => {
    const bad = p({
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'column', name: 'amount' },
      mask: { kind: 'constant', value: 'NaN?' },
    });
    for (const config of [single, multi]) {
      for (const kind of ['table', 'external'] as const) {
        for (const policies of [[], everything, [...everything, bad]]) {
          const first = compileView(source(kind), policies, config, redshift);
          const again = compileView(source(kind), policies, config, redshift, first.signature);
          for (const s of [...first.statements, ...again.statements]) expect(lintRedshift(s.sql), s.sql).toEqual([]);
        }
      }
    }
  });
});
