// External (Spectrum) tables, end to end on real engines: the PostgreSQL stand-in is a file_fdw foreign table
// over a CSV the test writes (test/support/fdw-file-tables.ts; PGlite loads its file_fdw bundle). The layout
// comes from the real bootstrap plan (the external raw schema marked `external`), views from the real
// view-change planner (read → plan → one transaction as the system role), users are login roles.
// Redshift: the same data sources compile to late-binding views, every statement passes the lint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Session } from '../support/engines.js';
import { createCsvForeignTable, fileFdwEngines } from '../support/fdw-file-tables.js';
import { bootstrap, errorOf } from '../layout/layout-fixture.js';
import {
  allowedRows,
  applyViewItem,
  createReaders,
  ORDER_COLUMNS,
  ORDER_SOURCE_COLUMNS,
  type OrderRow,
  POLICIES,
  type Reader,
} from './support/orders-fixture.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { bootstrapScript, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import type { ViewChange } from '../../shared/compiler/view-change-plan.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

// Different rows in the native table and in the CSV, so a test can tell which one a view reads.
const TABLE_ROWS: OrderRow[] = [
  { id: 1, region: 'eu', email: 'a@x' },
  { id: 2, region: 'us', email: 'b@x' },
];
const CSV_ROWS: OrderRow[] = [
  { id: 101, region: 'eu', email: 'old-a@x' },
  { id: 102, region: 'us', email: 'old-b@x' },
  { id: 103, region: 'eu', email: null },
  { id: 104, region: 'apac', email: 'o,d "quoted"\nline@x' },
];

const dataSource = (database: string, kind: 'table' | 'external', version: number): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-orders',
    name: 'orders',
    version,
    location:
      kind === 'table'
        ? { database, schema: 'raw', table: 'orders' }
        : { database, schema: 'ext', table: 'orders_archive' },
    kind,
    columns: ORDER_SOURCE_COLUMNS,
  });

const USERS = { eve: ['eu'], max: ['us', 'eu', 'apac'] } as const;
const allowed = (user: keyof typeof USERS, rows: readonly OrderRow[]): OrderRow[] => allowedRows(USERS[user], rows);

const singleConfig = (engine: Engine): IntegrationConfig => {
  const r = parseIntegrationConfig({
    mode: 'single',
    database: engine.database,
    viewSchema: 'secure',
    systemUser: engine.roleName('immuta_system_user'),
    rawSources: [{ schema: 'raw' }, { schema: 'ext', external: true }],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
};

describe.each(fileFdwEngines)('external tables (file_fdw) on $name, single-database mode', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  let sessions: Record<Reader, Session>;
  let roles: Record<Reader, string>;
  let version = 0;
  const read = async () => parseCatalog(await engine.query(catalogReadStatement(d)));
  const run = (item: ViewChange) => applyViewItem(engine, config, item);
  const publish = async (kind: 'table' | 'external') => {
    version += 1;
    return run({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version,
      deleted: false,
      definition: dataSource(engine.database, kind, version),
    });
  };
  const see = (u: Reader) => sessions[u].query('SELECT id, region, email FROM secure.orders ORDER BY id');
  const viewOid = async () =>
    Number((await engine.query<{ oid: string }>(`SELECT to_regclass('secure.orders')::oid::int8 AS oid`))[0]!.oid);

  beforeAll(async () => {
    engine = await create();
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt(`CREATE TABLE raw.orders (${ORDER_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')})`),
      ...TABLE_ROWS.map((r) => stmt('INSERT INTO raw.orders VALUES (:id, :region, :email)', undefined, r)),
    ]);
    await createCsvForeignTable(engine, {
      schema: 'ext',
      table: 'orders_archive',
      columns: ORDER_COLUMNS,
      rows: CSV_ROWS.map((r) => [r.id, r.region, r.email]),
    });
    config = singleConfig(engine);
    await bootstrap(engine, config);
    ({ sessions, roles } = await createReaders(engine, config, USERS));
    for (const p of POLICIES) {
      await run({
        kind: 'policy',
        policyId: p.id,
        version: p.version,
        deleted: false,
        definition: p,
        dataSourceId: 'ds-orders',
      });
    }
  });
  afterAll(async () => {
    for (const s of Object.values(sessions ?? {})) await s?.close();
    await engine?.close();
  });

  it('the CSV is really behind a foreign table (the admin reads it back exactly)', async () => {
    const rows = await engine.query(`SELECT c.relkind, t.id, t.region, t.email FROM ext.orders_archive t
      CROSS JOIN (SELECT relkind FROM pg_class WHERE oid = 'ext.orders_archive'::regclass) c ORDER BY t.id`);
    expect(rows.map((r) => r.relkind)).toEqual(CSV_ROWS.map(() => 'f'));
    expect(rows.map(({ id, region, email }) => ({ id, region, email }))).toEqual(CSV_ROWS);
  });

  it('bootstrap: the system role may read the external schema, users may not', async () => {
    const priv = async (role: string) =>
      (
        await engine.query<{ usage: boolean; sel: boolean }>(
          `SELECT has_schema_privilege($1, 'ext', 'USAGE') AS usage, has_table_privilege($1, 'ext.orders_archive', ` +
            `'SELECT') AS sel`,
          [role],
        )
      )[0];
    expect(await priv(config.systemUser)).toEqual({ usage: true, sel: true });
    for (const u of ['eve', 'max', 'zed'] as const) expect(await priv(roles[u])).toEqual({ usage: false, sel: false });
  });

  it('an external data source: each user sees exactly what policy allows of the CSV', async () => {
    const plan = await publish('external');
    expect(plan.diagnostics).toEqual([]);
    expect(plan.signature).toMatchObject({ lateBinding: true });
    expect(plan.statements.map((s) => s.sql).join('\n')).toContain('FROM "ext"."orders_archive" t');
    expect(await see('eve')).toEqual(allowed('eve', CSV_ROWS));
    expect(await see('max')).toEqual(allowed('max', CSV_ROWS));
    expect(await see('zed')).toEqual([]); // no profile row: nothing
    // the oracle is not vacuous: eve is filtered, max sees more, hashes are hashes
    expect(allowed('eve', CSV_ROWS).map((r) => r.id)).toEqual([101, 103]);
    expect((await see('max')).map((r) => r.id)).toEqual([101, 102, 103, 104]);
    expect((await see('max')).map((r) => r.email)).toEqual(
      CSV_ROWS.map((r) => (r.email === null ? null : expect.stringMatching(/^[0-9a-f]{64}$/))),
    );
  });

  it('users cannot read the foreign table, the raw table, or the file behind them directly', async () => {
    for (const u of ['eve', 'max', 'zed'] as const) {
      expect(await errorOf(sessions[u].query('SELECT * FROM ext.orders_archive'))).toMatch(
        /permission denied for schema ext/,
      );
      expect(await errorOf(sessions[u].query('SELECT * FROM raw.orders'))).toMatch(/permission denied for schema raw/);
    }
    if (engine.realLogin) {
      // A real login role cannot point a foreign table (or COPY) at the server's files.
      const path = (
        await engine.query<{ o: string[] }>(
          `SELECT ftoptions AS o FROM pg_foreign_table WHERE ftrelid = 'ext.orders_archive'::regclass`,
        )
      )[0]!.o
        .find((o) => o.startsWith('filename='))!
        .slice('filename='.length);
      expect(await errorOf(sessions.eve.query(`SELECT pg_read_file(${d.quoteLiteral(path)})`))).toMatch(
        /permission denied/,
      );
      expect(await errorOf(sessions.eve.query(`COPY (SELECT 1) TO ${d.quoteLiteral(path)}`))).toMatch(
        /permission denied|must be superuser|pg_write_server_files/,
      );
    }
  });

  it(
    'kind change table → external → table: DROP + CREATE each time (binding changes), OR REPLACE when unchanged; ' +
      'grants kept',
    async () => {
      const ddl = (plan: Awaited<ReturnType<typeof publish>>) =>
        plan.statements
          .filter((s) => /^(DROP VIEW|CREATE|GRANT)/.test(s.sql))
          .map((s) => s.sql.replace(/ AS SELECT .*/s, ''));
      const toTable = await publish('table');
      expect(ddl(toTable)).toEqual([
        'DROP VIEW IF EXISTS "secure"."orders"',
        'CREATE VIEW "secure"."orders" WITH (security_barrier)',
        'GRANT SELECT ON "secure"."orders" TO PUBLIC',
      ]);
      expect(toTable.signature).not.toHaveProperty('lateBinding');
      expect(await see('eve')).toEqual(allowed('eve', TABLE_ROWS));

      const before = await viewOid();
      const toExternal = await publish('external');
      expect(ddl(toExternal)).toEqual([
        'DROP VIEW IF EXISTS "secure"."orders"',
        'CREATE VIEW "secure"."orders" WITH (security_barrier)',
        'GRANT SELECT ON "secure"."orders" TO PUBLIC',
      ]);
      expect(await viewOid()).not.toBe(before);
      expect(await see('eve')).toEqual(allowed('eve', CSV_ROWS));
      expect(await see('max')).toEqual(allowed('max', CSV_ROWS));
      // stored signature records the binding, so the next compile knows what is there
      expect(JSON.parse((await read()).dataSources.get('ds-orders')!.viewSignature!)).toMatchObject({
        lateBinding: true,
      });

      const same = await publish('external');
      // Replaced in place: no GRANT (the view keeps its privileges), and eve still reads it.
      expect(ddl(same)).toEqual(['CREATE OR REPLACE VIEW "secure"."orders" WITH (security_barrier)']);
      expect(await see('eve')).toEqual(allowed('eve', CSV_ROWS));

      const back = await publish('table');
      expect(ddl(back)[0]).toBe('DROP VIEW IF EXISTS "secure"."orders"');
      expect(await see('eve')).toEqual(allowed('eve', TABLE_ROWS));
      expect(await see('zed')).toEqual([]);
    },
  );
});

describe('external tables on Redshift (text + lint)', () => {
  const config = { mode: 'single' as const, database: 'sales', viewSchema: 'secure' };
  const ds = (kind: 'table' | 'external') => dataSource('sales', kind, 1);
  /** The view DDL of a compile (other statements, e.g. session settings around it, are not the subject here). */
  const ddl = (c: ReturnType<typeof compileView>) =>
    c.statements.map((s) => s.sql).filter((sql) => /^(DROP VIEW|CREATE|GRANT)/.test(sql));

  it('late-binding CREATE VIEW … WITH NO SCHEMA BINDING; every relation and function schema-qualified', () => {
    const c = compileView(ds('external'), POLICIES, config, redshift);
    const create = c.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
    expect(create).toMatch(/^CREATE VIEW "secure"\."orders" AS SELECT .* WITH NO SCHEMA BINDING$/s);
    // A late-binding view must qualify every table with its schema (r_CREATE_VIEW.html): FROM/JOIN targets
    // and function calls are all "schema"."name".
    const relations = [...create.matchAll(/\b(?:FROM|JOIN)\s+(?!\()("[^"]+"(?:\."[^"]+")?)/g)].map((m) => m[1]);
    expect(relations.length).toBeGreaterThan(1);
    for (const r of relations) expect(r).toMatch(/^"[^"]+"\."[^"]+"$/);
    expect(create).toContain('FROM "ext"."orders_archive" t');
    for (const s of c.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
  });

  it('kind change either way is DROP + CREATE (never OR REPLACE across bindings); same kind replaces in place', () => {
    const t = compileView(ds('table'), POLICIES, config, redshift);
    const e = compileView(ds('external'), POLICIES, config, redshift, t.signature);
    expect(ddl(e).map((sql) => sql.slice(0, 20))).toEqual([
      'DROP VIEW IF EXISTS ',
      'CREATE VIEW "secure"',
      'GRANT SELECT ON "sec',
    ]);
    const back = compileView(ds('table'), POLICIES, config, redshift, e.signature);
    expect(ddl(back)[0]).toMatch(/^DROP VIEW IF EXISTS/);
    expect(ddl(back)[1]).not.toContain('NO SCHEMA BINDING');
    const again = compileView(ds('external'), POLICIES, config, redshift, e.signature);
    expect(ddl(again)[0]).toMatch(/^CREATE OR REPLACE VIEW .* WITH NO SCHEMA BINDING$/s);
    for (const s of [...e.statements, ...back.statements, ...again.statements])
      expect(lintRedshift(s.sql), s.sql).toEqual([]);
  });

  it('a stored signature from before the binding was recorded (external, no flag) is replaced by DROP + CREATE', () => {
    const e = compileView(ds('external'), POLICIES, config, redshift);
    const legacy = { columns: e.signature.columns };
    expect(ddl(compileView(ds('external'), POLICIES, config, redshift, legacy))[0]).toMatch(/^DROP VIEW IF EXISTS/);
  });

  it(
    'bootstrap: the external schema gets USAGE only (SELECT on Spectrum tables is refused), a table schema gets ' +
      'all three',
    () => {
      const cfg: IntegrationConfig = {
        mode: 'single',
        database: 'sales',
        viewSchema: 'secure',
        systemUser: 'immuta_system_user',
        rawSources: [
          { database: 'sales', schema: 'raw' },
          { database: 'sales', schema: 'spectrum', external: true },
        ],
      };
      const steps = planBootstrap(
        cfg,
        redshift,
        { systemRoleExists: false, schemaOwners: new Map() },
        { hashKey: 'k' },
      );
      const about = (schema: string) =>
        steps
          .filter(
            (s) =>
              s.statement.sql.includes(`SCHEMA "${schema}"`) &&
              s.statement.sql.includes('"immuta_system_user"') &&
              s.runAs === 'admin',
          )
          .map((s) => s.statement.sql);
      expect(about('spectrum')).toEqual(['GRANT USAGE ON SCHEMA "spectrum" TO "immuta_system_user"']);
      expect(about('raw')).toEqual([
        'GRANT USAGE ON SCHEMA "raw" TO "immuta_system_user"',
        'GRANT SELECT ON ALL TABLES IN SCHEMA "raw" TO "immuta_system_user"',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA "raw" GRANT SELECT ON TABLES TO "immuta_system_user"',
      ]);
      // Spectrum queries also need TEMP on the database (c-spectrum-external-tables.html): the system role has ALL.
      expect(steps.map((s) => s.statement.sql)).toContain(
        'GRANT ALL PRIVILEGES ON DATABASE "sales" TO "immuta_system_user"',
      );
      for (const s of bootstrapScript(steps, cfg, redshift)) expect(lintRedshift(s.sql), s.sql).toEqual([]);
      // PostgreSQL: foreign tables take SELECT like tables
      const pg = planBootstrap(cfg, d, { systemRoleExists: false, schemaOwners: new Map() }, { hashKey: 'k' });
      expect(pg.filter((s) => s.statement.sql.includes('SCHEMA "spectrum"') && s.runAs === 'admin')).toHaveLength(3);
    },
  );
});
