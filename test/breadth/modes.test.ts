// Both integration modes, bootstrapped, compiled and applied on real engines (docs/modes.md).
//
// Multi-database mode on PostgreSQL = raw tables in a second database of the server, reached through
// postgres_fdw (test/support/fdw-remote-database.ts): the dialect maps `database.schema.table` to the imported
// local schema foreignImportSchema(database, schema). PGlite has one database and no postgres_fdw, so the
// cross-database part runs on the server only; multi-database mode with the (re-created) external table in the
// views' own database runs on both. Redshift: text + lint of the same plans; an external table in another
// database is refused (VG204 in the config, VG305 + fail closed in the compiler).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerEngine, type Engine } from '../support/engines.js';
import { createCsvForeignTable, fileFdwEngines } from '../support/fdw-file-tables.js';
import { attachRemoteDatabase, type RemoteDatabase } from '../support/fdw-remote-database.js';
import { bootstrap, errorOf, HASH_KEY } from '../layout/layout-fixture.js';
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
import {
  parseIntegrationConfig,
  type IntegrationConfig,
  type IntegrationConfigInput,
} from '../../shared/layout/integration-config.js';
import {
  bootstrapScript,
  inspectStatement,
  parseInspection,
  planBootstrap,
} from '../../shared/layout/bootstrap-plan.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import type { ViewChange } from '../../shared/compiler/view-change-plan.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { foreignImportSchema, postgres as d } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

const RAW_ROWS: OrderRow[] = [
  { id: 1, region: 'eu', email: 'a@x' },
  { id: 2, region: 'us', email: 'b@x' },
  { id: 3, region: 'eu', email: null },
];
const CSV_ROWS: OrderRow[] = [
  { id: 201, region: 'us', email: 'csv-a@x' },
  { id: 202, region: 'eu', email: 'csv-b@x' },
];

const dataSource = (
  id: string,
  name: string,
  kind: 'table' | 'external',
  location: DataSource['location'],
): DataSource =>
  DataSourceSchema.parse({
    id,
    name,
    version: 1,
    location,
    kind,
    columns: ORDER_SOURCE_COLUMNS,
  });
const USERS = { eve: ['eu'], max: ['us', 'eu'] } as const;
const allowed = (user: keyof typeof USERS, rows: readonly OrderRow[]): OrderRow[] => allowedRows(USERS[user], rows);

const parseConfig = (input: IntegrationConfigInput): IntegrationConfig => {
  const r = parseIntegrationConfig(input);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
};

/** A bootstrapped warehouse with users eve/max (profiles) and zed (none), applying items like the apply loop. */
async function warehouse(
  engine: Engine,
  config: IntegrationConfig,
  afterBootstrap: () => Promise<void> = async () => undefined,
) {
  await bootstrap(engine, config);
  await afterBootstrap();
  const { sessions, roles } = await createReaders(engine, config, USERS);
  const run = (item: ViewChange) => applyViewItem(engine, config, item);
  for (const p of POLICIES)
    await run({ kind: 'policy', policyId: p.id, version: p.version, deleted: false, definition: p, dataSourceId: '-' });
  const publish = (ds: DataSource) =>
    run({ kind: 'datasource', dataSourceId: ds.id, version: ds.version, deleted: false, definition: ds });
  const see = (u: Reader, view: string) =>
    sessions[u].query(`SELECT id, region, email FROM secure.${d.quoteIdent(view)} ORDER BY id`);
  return {
    sessions,
    roles,
    publish,
    see,
    close: async () => Promise.all(Object.values(sessions).map((s) => s.close())),
  };
}

describe('multi-database mode through postgres_fdw (PostgreSQL server)', () => {
  let engine: Engine;
  let remote: RemoteDatabase;
  let config: IntegrationConfig;
  let w: Awaited<ReturnType<typeof warehouse>>;
  let importSchema: string;

  beforeAll(async () => {
    engine = await createServerEngine();
    remote = await attachRemoteDatabase(engine, [
      { schema: 'raw', table: 'orders', columns: ORDER_COLUMNS, rows: RAW_ROWS.map((r) => [r.id, r.region, r.email]) },
    ]);
    importSchema = foreignImportSchema(remote.name, 'raw');
    // The external table re-created in the views' database (the supported way to keep one in multi mode).
    await createCsvForeignTable(engine, {
      schema: 'ext',
      table: 'orders_archive',
      columns: ORDER_COLUMNS,
      rows: CSV_ROWS.map((r) => [r.id, r.region, r.email]),
    });
    config = parseConfig({
      mode: 'multi',
      database: engine.database,
      viewSchema: 'secure',
      systemUser: engine.roleName('immuta_system_user'),
      rawSources: [
        { database: remote.name, schema: 'raw' },
        { schema: 'ext', external: true },
      ],
    });
    w = await warehouse(engine, config, () => remote.mapRole(config.systemUser));
  });
  afterAll(async () => {
    await w?.close();
    await engine?.close();
    await remote?.drop();
  });

  it(
    'bootstrap: the raw grants land on the import schema in ' + 'the views database (no step for the raw database)',
    async () => {
      const steps = planBootstrap(config, d, parseInspection(await engine.query(inspectStatement(config, d))), {
        hashKey: HASH_KEY,
      });
      expect(steps.filter((s) => s.database !== undefined)).toEqual([]);
      expect(
        steps
          .filter((s) => s.statement.sql.includes(d.quoteIdent(importSchema)))
          .map((s) => s.statement.sql.replace(/ TO .*/, '')),
      ).toEqual([
        `GRANT USAGE ON SCHEMA ${d.quoteIdent(importSchema)}`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA ${d.quoteIdent(importSchema)}`,
        `ALTER DEFAULT PRIVILEGES IN SCHEMA ${d.quoteIdent(importSchema)} GRANT SELECT ON TABLES`,
      ]);
      const [p] = await engine.query<{ usage: boolean; sel: boolean }>(
        `SELECT has_schema_privilege($1, $2, 'USAGE') AS usage, has_table_privilege($1, $3, 'SELECT') AS sel`,
        [config.systemUser, importSchema, d.qualify(importSchema, 'orders')],
      );
      expect(p).toEqual({ usage: true, sel: true });
    },
  );

  it(
    'a view in the views database reads db.schema.table through ' + 'the import; users see exactly what policy allows',
    async () => {
      const plan = await w.publish(
        dataSource('ds-remote', 'orders', 'table', { database: remote.name, schema: 'raw', table: 'orders' }),
      );
      expect(plan.diagnostics).toEqual([]);
      expect(plan.statements.map((s) => s.sql).join('\n')).toContain(`FROM ${d.qualify(importSchema, 'orders')} t`);
      expect(await w.see('eve', 'orders')).toEqual(allowed('eve', RAW_ROWS));
      expect(await w.see('max', 'orders')).toEqual(allowed('max', RAW_ROWS));
      expect(await w.see('zed', 'orders')).toEqual([]);
      expect(allowed('eve', RAW_ROWS).map((r) => r.id)).toEqual([1, 3]);
      // a change in the raw database shows through at once (no copy)
      await remote.db.exec([{ sql: `INSERT INTO raw.orders VALUES (4, 'eu', 'late@x')` }]);
      expect((await w.see('eve', 'orders')).map((r) => r.id)).toEqual([1, 3, 4]);
      await remote.db.exec([{ sql: 'DELETE FROM raw.orders WHERE id = 4' }]);
    },
  );

  it('the external table re-created in the views database works in multi mode (late-binding on Redshift)', async () => {
    const plan = await w.publish(
      dataSource('ds-archive', 'archive', 'external', {
        database: engine.database,
        schema: 'ext',
        table: 'orders_archive',
      }),
    );
    expect(plan.diagnostics).toEqual([]);
    expect(plan.signature).toMatchObject({ lateBinding: true });
    expect(await w.see('eve', 'archive')).toEqual(allowed('eve', CSV_ROWS));
    expect(await w.see('max', 'archive')).toEqual(allowed('max', CSV_ROWS));
  });

  it('an external table in another database fails closed with VG305 (no rows, no reference to it)', async () => {
    const ds = dataSource('ds-remote-ext', 'remote_ext', 'external', {
      database: remote.name,
      schema: 'raw',
      table: 'orders',
    });
    const plan = await w.publish(ds);
    expect(plan.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`)).toEqual(['VG305 location.database', 'VG301 ']);
    expect(plan.diagnostics[0]!.summary).toMatch(/single-database mode/);
    expect(plan.diagnostics[0]!.summary).toMatch(/re-create the external table/);
    expect(plan.statements.map((s) => s.sql).join('\n')).not.toContain(importSchema);
    for (const u of ['eve', 'max', 'zed'] as const) expect(await w.see(u, 'remote_ext')).toEqual([]);
  });

  it('users cannot read the imported foreign tables, use the server, or see the user mapping', async () => {
    for (const u of ['eve', 'max', 'zed'] as const) {
      const s = w.sessions[u];
      expect(await errorOf(s.query(`SELECT * FROM ${d.qualify(importSchema, 'orders')}`))).toMatch(
        /permission denied for schema/,
      );
      expect(await errorOf(s.query('SELECT * FROM pg_catalog.pg_user_mapping'))).toMatch(/permission denied/);
      // pg_user_mappings lists mappings but hides their options from anyone but the mapped user/server owner.
      const visible = await s.query<{ usename: string; umoptions: string[] | null }>(
        'SELECT usename, umoptions FROM pg_catalog.pg_user_mappings',
      );
      expect(visible.find((m) => m.usename === config.systemUser)?.umoptions ?? null).toBeNull();
      expect(visible.every((m) => m.umoptions === null)).toBe(true);
      // no mapping of their own: USAGE on the foreign server is the admin's only
      expect(
        await errorOf(
          s.query(
            `CREATE USER MAPPING FOR CURRENT_USER SERVER ${d.quoteIdent(remote.server)} OPTIONS (user 'x', ` +
              `password 'y')`,
          ),
        ),
      ).toMatch(/permission denied for foreign server/);
      expect(
        await errorOf(
          s.query(
            `CREATE FOREIGN TABLE public.peek (id int4) SERVER ${d.quoteIdent(remote.server)} OPTIONS (schema_name ` +
              `'raw', table_name 'orders')`,
          ),
        ),
      ).toMatch(/permission denied/);
    }
    // and in the raw database itself a user has no grant on the raw schema
    const direct = await remote.db.connectAs(w.roles.eve, 'eve-pw');
    try {
      expect(await errorOf(direct.query('SELECT * FROM raw.orders'))).toMatch(/permission denied for schema raw/);
    } finally {
      await direct.end();
    }
  });
});

describe.each(fileFdwEngines)('multi-database mode with everything in the views database on $name', ({ create }) => {
  let engine: Engine;
  let w: Awaited<ReturnType<typeof warehouse>>;
  beforeAll(async () => {
    engine = await create();
    await createCsvForeignTable(engine, {
      schema: 'ext',
      table: 'orders_archive',
      columns: ORDER_COLUMNS,
      rows: CSV_ROWS.map((r) => [r.id, r.region, r.email]),
    });
    const config = parseConfig({
      mode: 'multi',
      database: engine.database,
      viewSchema: 'secure',
      systemUser: engine.roleName('immuta_system_user'),
      rawSources: [{ schema: 'ext', external: true }],
    });
    w = await warehouse(engine, config);
  });
  afterAll(async () => {
    await w?.close();
    await engine?.close();
  });

  it(
    'bootstraps, compiles a two-part reference (same database) ' + 'and applies; users see exactly what policy allows',
    async () => {
      const plan = await w.publish(
        dataSource('ds-archive', 'archive', 'external', {
          database: engine.database,
          schema: 'ext',
          table: 'orders_archive',
        }),
      );
      expect(plan.statements.map((s) => s.sql).join('\n')).toContain('FROM "ext"."orders_archive" t');
      expect(await w.see('eve', 'archive')).toEqual(allowed('eve', CSV_ROWS));
      expect(await w.see('max', 'archive')).toEqual(allowed('max', CSV_ROWS));
      expect(await w.see('zed', 'archive')).toEqual([]);
    },
  );
});

describe('modes on Redshift (text + lint) and config validation', () => {
  const multi = { mode: 'multi' as const, database: 'immuta', viewSchema: 'secure' };
  const at = (database: string, kind: 'table' | 'external') =>
    dataSource('ds', 'orders', kind, { database, schema: kind === 'table' ? 'public' : 'spectrum', table: 'orders' });

  it(
    'multi mode: a table in another database is ' +
      'database.schema.table; one in the views database is ' +
      'schema.table',
    () => {
      const cross = compileView(at('sales', 'table'), POLICIES, multi, redshift);
      expect(cross.statements.map((s) => s.sql).join('\n')).toContain('FROM "sales"."public"."orders" t');
      const local = compileView(at('immuta', 'external'), POLICIES, multi, redshift);
      const create = local.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
      expect(create).toContain('FROM "spectrum"."orders" t');
      expect(create).toMatch(/ WITH NO SCHEMA BINDING$/);
      for (const s of [...cross.statements, ...local.statements]) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    },
  );

  it('multi mode: an external table in another database is VG305 and a fail-closed view that does not name it', () => {
    const c = compileView(at('sales', 'external'), POLICIES, multi, redshift);
    expect(c.failedClosed).toBe(true);
    expect(c.diagnostics.map((x) => x.code)).toEqual(['VG305', 'VG301']);
    const sql = c.statements.map((s) => s.sql).join('\n');
    expect(sql).not.toMatch(/"sales"|"spectrum"/);
    expect(sql).toMatch(/WHERE FALSE/);
    expect(sql).not.toContain('NO SCHEMA BINDING');
    for (const s of c.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    // same data source in single-database mode of its own database: fine
    const single = compileView(
      at('sales', 'external'),
      POLICIES,
      { mode: 'single', database: 'sales', viewSchema: 'secure' },
      redshift,
    );
    expect(single.failedClosed).toBe(false);
  });

  it('config: an external raw schema in another database is rejected in multi mode (VG204 with the way out)', () => {
    const r = parseIntegrationConfig({
      mode: 'multi',
      viewSchema: 'secure',
      rawSources: [{ database: 'sales', schema: 'spectrum', external: true }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`)).toEqual(['VG204 rawSources.0.external']);
    expect(r.diagnostics[0]!.summary).toMatch(
      /single-database mode in sales or re-create the external schema in immuta/,
    );
    // in the views database (multi) or in single mode it is accepted and kept
    expect(
      parseConfig({ mode: 'multi', viewSchema: 'secure', rawSources: [{ schema: 'spectrum', external: true }] })
        .rawSources,
    ).toEqual([{ database: 'immuta', schema: 'spectrum', external: true }]);
    expect(
      parseConfig({
        mode: 'single',
        database: 'sales',
        viewSchema: 'secure',
        rawSources: [{ schema: 'spectrum', external: true }, { schema: 'public' }],
      }).rawSources,
    ).toEqual([
      { database: 'sales', schema: 'spectrum', external: true },
      { database: 'sales', schema: 'public' },
    ]);
  });

  it('bootstrap in multi mode: raw grants run connected to the raw database on Redshift, and lint', () => {
    const cfg = parseConfig({
      mode: 'multi',
      viewSchema: 'secure',
      rawSources: [
        { database: 'sales', schema: 'public' },
        { schema: 'spectrum', external: true },
      ],
    });
    const steps = planBootstrap(cfg, redshift, { systemRoleExists: false, schemaOwners: new Map() }, { hashKey: 'k' });
    expect(steps.filter((s) => s.database === 'sales').map((s) => s.statement.sql)).toEqual([
      'GRANT USAGE ON SCHEMA "public" TO "immuta_system_user"',
      'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "immuta_system_user"',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA "public" GRANT SELECT ON TABLES TO "immuta_system_user"',
    ]);
    expect(
      steps.filter((s) => s.statement.sql.includes('"spectrum"')).map((s) => [s.database, s.statement.sql]),
    ).toEqual([[undefined, 'GRANT USAGE ON SCHEMA "spectrum" TO "immuta_system_user"']]);
    const all = [...bootstrapScript(steps, cfg, redshift), ...bootstrapScript(steps, cfg, redshift, 'sales')];
    expect(all.length).toBeGreaterThan(steps.length);
    for (const s of all) expect(lintRedshift(s.sql), s.sql).toEqual([]);
  });

  it('the import schema name is injective (dots and percents escaped) and too long a name fails closed (VG102)', () => {
    expect(foreignImportSchema('sales', 'public')).toBe('sales.public');
    expect(foreignImportSchema('a.b', 'c')).not.toBe(foreignImportSchema('a', 'b.c'));
    expect(foreignImportSchema('a%2E', 'b')).not.toBe(foreignImportSchema('a.', 'b'));
    expect(foreignImportSchema('a.b', 'c')).toBe('a%2Eb.c');
    const long = compileView(
      dataSource('ds', 'orders', 'table', { database: 'd'.repeat(40), schema: 's'.repeat(30), table: 't' }),
      [],
      multi,
      d,
    );
    expect(long.failedClosed).toBe(true);
    expect(long.diagnostics.map((x) => x.code)).toEqual(['VG102', 'VG301']);
  });
});
