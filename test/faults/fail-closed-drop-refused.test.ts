// Fail closed when the view cannot be dropped. A change that alters the view's columns (a hash mask turns an
// int4 column into text; a data source version drops a column) needs DROP VIEW + CREATE VIEW, and DROP VIEW
// without CASCADE is refused while a user's own view depends on ours. The old view must not keep serving the
// old policy: the apply loop replaces it IN PLACE with a deny-all view of its current columns (CREATE OR
// REPLACE, WHERE FALSE; VG321), reports it (failedClosed → ViewsFailedClosed) and fails the item. Checked on
// PGlite and on a PostgreSQL server with analysts logged in as themselves, reading our view and the user's view.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { ApplyFailure } from '../../shared/apply/apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import type { DataSourceWorkItem, PolicyWorkItem, UserWorkItem, WorkItem } from '../../shared/routing/work-item.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

class CollectingQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

/** One engine as the tests use it: the pipeline's warehouse, and analysts who log in as themselves. */
interface Stand {
  wh: LocalWarehouse;
  config: IntegrationConfig;
  /** A login role; returns its real name. */
  login(base: string): Promise<string>;
  /** Run SQL as that role (its own session). */
  as(role: string, sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const RAW = [
  stmt('CREATE SCHEMA raw'),
  stmt('CREATE TABLE raw.orders (id int4, region varchar(8), email varchar(32))'),
  stmt("INSERT INTO raw.orders VALUES (1, 'eu', 'a@x'), (2, 'us', 'b@x'), (3, 'eu', NULL)"),
];

async function pgliteStand(): Promise<Stand> {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'postgres',
    viewSchema: 'secure',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  const wh = await openLocalWarehouse(parsed.value, 'drop-refused-key', { prepare: (admin) => admin(RAW) });
  return {
    wh,
    config: parsed.value,
    async login(base) {
      await wh.admin([stmt(`CREATE ROLE ${d.quoteIdent(base)} LOGIN`)]);
      return base;
    },
    as: (role, sql) => wh.queryAs!(role, stmt(sql)),
    close: () => wh.close(),
  };
}

async function serverStand(): Promise<Stand> {
  const db: ServerDatabase = await createServerDatabase();
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: db.name,
    viewSchema: 'secure',
    systemUser: db.roleName('immuta_system_user'),
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  const url = new URL(inject('warehouseUrl'));
  url.pathname = `/${db.name}`;
  const wh = await openLocalWarehouse(parsed.value, 'drop-refused-key', {
    url: url.toString(),
    prepare: (admin) => admin(RAW),
  });
  const passwords = new Map<string, string>();
  return {
    wh,
    config: parsed.value,
    async login(base) {
      const role = await db.createLoginRole(base, `${base}-pw`);
      passwords.set(role, `${base}-pw`);
      return role;
    },
    async as(role, sql) {
      const client: pg.Client = await db.connectAs(role, passwords.get(role)!);
      try {
        return (await client.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async close() {
      await wh.close();
      await db.drop();
    },
  };
}

describe.each([
  { name: 'PGlite', open: pgliteStand },
  { name: 'a PostgreSQL server', open: serverStand },
])('a view that cannot be dropped fails closed in place on $name', ({ open }) => {
  let s: Stand;
  let deps: ApplyDeps;
  let ann: string;
  let dora: string;
  let seq = 0;
  const origin = () => ({ eventId: `e-${++seq}`, eventTime: new Date().toISOString() });
  const ds = (version: number, columns = ['id int4', 'region varchar(8)', 'email varchar(32)']): DataSourceWorkItem => {
    const definition: DataSource = DataSourceSchema.parse({
      id: 'ds-orders',
      name: 'orders',
      version,
      location: { database: s.config.database, schema: 'raw', table: 'orders' },
      kind: 'table',
      columns: columns.map((c) => ({ name: c.split(' ')[0], type: c.split(' ')[1] })),
    });
    return { kind: 'datasource', ...origin(), dataSourceId: 'ds-orders', version, deleted: false, definition };
  };
  const policy = (p: Record<string, unknown>): Policy =>
    PolicySchema.parse({ name: String(p.id), createdAt: '2026-01-01T00:00:00Z', ...p });
  const policyItem = (p: Policy): PolicyWorkItem => ({
    kind: 'policy',
    ...origin(),
    policyId: p.id,
    version: p.version,
    deleted: false,
    definition: p,
    dataSourceId: 'ds-orders',
    fanOutDigest: 'f'.repeat(64),
  });
  const user = (userId: string): UserWorkItem => ({
    kind: 'user',
    ...origin(),
    userId,
    version: 1,
    deleted: false,
    profile: {
      userId,
      version: 1,
      groups: [],
      attributes: {},
      projects: [],
      currentProject: null,
      purposes: [],
      dataSources: [],
    },
  });
  const hashId = (version: number) =>
    policy({
      id: 'mask-id',
      version,
      type: 'mask',
      scope: { kind: 'local', dataSourceId: 'ds-orders' },
      target: { kind: 'column', name: 'id' },
      mask: { kind: 'hash' },
    });
  const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id);
  const refused = async (item: WorkItem): Promise<ApplyFailure> => {
    const err = await applyWorkItem(item, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplyFailure);
    return err as ApplyFailure;
  };
  const columnsOf = async () =>
    (
      await s.wh.system.query(
        stmt(
          'SELECT attname FROM ' +
            'pg_attribute WHERE attrelid = ' +
            "'secure.orders'::regclass AND attnum > " +
            '0 AND NOT attisdropped ORDER ' +
            'BY attnum',
        ),
      )
    ).map((r) => r.attname);
  const definition = async () =>
    String((await s.wh.system.query(stmt("SELECT pg_get_viewdef('secure.orders'::regclass) AS d")))[0]!.d);
  const storedVersion = async (table: 'datasource_state' | 'policy_state', key: string, id: string) =>
    (
      await s.wh.system.query(stmt(`SELECT version FROM immuta_system.${table} WHERE ${key} = :id`, undefined, { id }))
    ).map((r) => Number(r.version));

  beforeAll(async () => {
    s = await open();
    deps = { warehouse: s.wh.system, queue: new CollectingQueue(), dialect: d, config: s.config };
    ann = await s.login('ann');
    dora = await s.login('dora');
    const anyone = policy({
      id: 'sub',
      version: 1,
      type: 'subscription',
      scope: { kind: 'global' },
      access: { kind: 'anyone' },
    });
    for (const item of [ds(1), user(ann), user(dora), policyItem(anyone)])
      expect((await applyWorkItem(item, deps)).status).toBe('applied');
    // Dora builds her own view on ours (she may: she reads it and owns a schema), and shares it with Ann.
    await s.wh.admin([stmt(`CREATE SCHEMA dora_s AUTHORIZATION ${d.quoteIdent(dora)}`)]);
    await s.as(dora, 'CREATE VIEW dora_s.mine AS SELECT id, region FROM secure.orders');
    await s.as(dora, `GRANT USAGE ON SCHEMA dora_s TO ${d.quoteIdent(ann)}`);
    await s.as(dora, `GRANT SELECT ON dora_s.mine TO ${d.quoteIdent(ann)}`);
  }, 180_000);
  afterAll(() => s?.close());

  it('premise: the analyst reads every row through our view and through the user’s view on it', async () => {
    expect(ids(await s.as(ann, 'SELECT id FROM secure.orders ORDER BY id'))).toEqual([1, 2, 3]);
    expect(ids(await s.as(ann, 'SELECT id FROM dora_s.mine ORDER BY id'))).toEqual([1, 2, 3]);
  });

  it(
    'a mask that changes a column type: DROP refused → deny-all of the OLD columns in place, reported, nobody sees ' +
      'rows',
    async () => {
      const err = await refused(policyItem(hashId(1)));
      expect(err.failureKind).toBe('permanent');
      expect(err.outcome.reason).toMatch(/depend/);
      expect(err.outcome.reason).toMatch(/now fails closed \(VG321\)/);
      expect(err.outcome.failedClosed).toBe(true);
      expect(err.outcome.diagnostics.map((x) => x.code)).toEqual(['VG321']);
      expect(await s.as(ann, 'SELECT id FROM secure.orders')).toEqual([]);
      expect(await s.as(ann, 'SELECT id FROM dora_s.mine')).toEqual([]);
      expect(await s.as(dora, 'SELECT id FROM dora_s.mine')).toEqual([]);
      // Replaced in place: the same columns (Dora's view still stands), no rows, no reference to the raw table.
      expect(await columnsOf()).toEqual(['id', 'region', 'email']);
      expect(await definition()).toMatch(/WHERE false/i);
      expect(await definition()).not.toContain('raw.orders');
      expect(await storedVersion('policy_state', 'policy_id', 'mask-id')).toEqual([1]);
      // The redelivery is refused and closed the same way (a policy item reaches the DLQ with that reason).
      const again = await refused(policyItem(hashId(1)));
      expect(again.outcome).toMatchObject({ failedClosed: true });
      expect(await s.as(ann, 'SELECT id FROM secure.orders')).toEqual([]);
    },
  );

  it(
    'a data source version that drops a column: the same; its ' + 'version is recorded, so its redelivery is skipped',
    async () => {
      const v2 = ds(2, ['id int4', 'region varchar(8)']);
      const err = await refused(v2);
      expect(err.outcome).toMatchObject({ failedClosed: true, status: 'failed' });
      expect(err.outcome.diagnostics.map((x) => x.code)).toContain('VG321');
      expect(await s.as(ann, 'SELECT id FROM dora_s.mine')).toEqual([]);
      expect(await columnsOf()).toEqual(['id', 'region', 'email']);
      expect(await storedVersion('datasource_state', 'datasource_id', 'ds-orders')).toEqual([2]);
      expect((await applyWorkItem(v2, deps)).status).toBe('skipped');
    },
  );

  it('once the user drops their view, the next change rebuilds ours as the policies say', async () => {
    await s.as(dora, 'DROP VIEW dora_s.mine');
    const out = await applyWorkItem(policyItem(hashId(2)), deps);
    expect(out).toMatchObject({ status: 'applied', failedClosed: false });
    expect(await columnsOf()).toEqual(['id', 'region']);
    const rows = await s.as(ann, 'SELECT id, region FROM secure.orders ORDER BY region, id');
    expect(rows.map((r) => r.region)).toEqual(['eu', 'eu', 'us']);
    expect(rows.every((r) => typeof r.id === 'string' && /^[0-9a-f]{64}$/.test(r.id as string))).toBe(true);
  });
});
