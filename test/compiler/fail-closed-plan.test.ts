// The fail-closed planner (shared/compiler/fail-closed-plan.ts) against the real layout: a view change the
// warehouse refused (VG308) or the apply path did not send (VG320) is planned as a fail-closed view of the desired
// state, then as a deny-all view replaced in place (VG321); each plan is applied as ONE transaction acting as the
// system role, and real login roles read the view. Asserted: the plans, their statements and order, the
// diagnostics, the catalog state the guard CALL stores, and that nobody sees a row. Each test starts from an empty
// catalog (`given`), so any one runs alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { bootstrap, errorOf, layoutConfig, packed, transactionAs } from '../layout/layout-fixture.js';
import { kindOfMessage } from '../../shared/adapters/postgres-error-classifier.js';
import { planFailClosed, type FailClosedPlan, type Refusal } from '../../shared/compiler/fail-closed-plan.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../../shared/layout/catalog-reader.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import {
  planViewChange,
  type DataSourceChange,
  type PolicyChange,
  type ViewChange,
  type ViewChangePlan,
} from '../../shared/compiler/view-change-plan.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import type { PlannedStatement } from '../../shared/sql/statement.js';
import { stmt } from '../../shared/sql/statement.js';

const COLUMNS = [
  { name: 'id', type: 'int4' },
  { name: 'region', type: 'varchar(10)' },
  { name: 'email', type: 'varchar(80)', tags: ['PII.Email'] },
];
const makeDs = (database: string, version: number, name = 'orders', columns = COLUMNS): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-orders',
    name,
    version,
    location: { database, schema: 'raw', table: 'orders' },
    kind: 'table',
    columns,
  });

const pol = (p: Omit<PolicyInput, 'name' | 'createdAt'> & Partial<PolicyInput>): Policy =>
  PolicySchema.parse({ name: String(p.id), createdAt: '2024-01-01T00:00:00Z', ...p });

const anyone = pol({
  id: 'sub-any',
  version: 1,
  type: 'subscription',
  scope: { kind: 'global' },
  access: { kind: 'anyone' },
});
const hashPii = pol({
  id: 'mask-pii',
  version: 1,
  type: 'mask',
  scope: { kind: 'global' },
  target: { kind: 'tag', tag: 'PII' },
  mask: { kind: 'hash' },
});

const policyItem = (p: Policy, dataSourceId: string | null = 'ds-orders'): PolicyChange => ({
  kind: 'policy',
  policyId: p.id,
  version: p.version,
  deleted: false,
  definition: p,
  dataSourceId,
});

/** The first statement of a plan with this role (what the apply path reports as refused). */
const refusal = (plan: ViewChangePlan, role: PlannedStatement['role'], code: Refusal['code'] = 'VG308'): Refusal => ({
  statement: plan.statements.find((s) => s.role === role)!,
  reason: 'relation "nope" does not exist',
  code,
});

/** Role and each statement up to its first qualified name: what a plan sends, in order. */
const shape = (p: FailClosedPlan) => p.statements.map((s) => `${s.role} ${/^.*?"[^"]*"\."[^"]*"/s.exec(s.sql)?.[0]}`);

describe.each(engines)('fail-closed plans on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  let eve: Session;
  const read = async (): Promise<CatalogSnapshot> => parseCatalog(await engine.query(catalogReadStatement(d)));
  const asSystem = (statements: readonly PlannedStatement[]) =>
    transactionAs(engine.asAdmin, config.systemUser, packed(statements));
  const dsItem = (version: number, name = 'orders', columns = COLUMNS): DataSourceChange => ({
    kind: 'datasource',
    dataSourceId: 'ds-orders',
    version,
    deleted: false,
    definition: makeDs(engine.database, version, name, columns),
  });
  async function given(...items: ViewChange[]) {
    await engine.exec([
      stmt('DELETE FROM immuta_system.datasource_state'),
      stmt('DELETE FROM immuta_system.policy_state'),
      stmt('DROP VIEW IF EXISTS secure.orders'),
      stmt('DROP VIEW IF EXISTS secure.orders_v2'),
    ]);
    for (const x of items) {
      const plan = planViewChange(await read(), x, config, d);
      await asSystem(plan.statements);
    }
  }
  /** Plan `item` from the catalog as it is now (the plan the warehouse then "refuses"), and its fail-closed plans. */
  async function refuse(item: ViewChange, role: PlannedStatement['role'] = 'ddl', code: Refusal['code'] = 'VG308') {
    const snapshot = await read();
    const plan = planViewChange(snapshot, item, config, d);
    return { snapshot, plan, closes: planFailClosed(snapshot, item, plan, refusal(plan, role, code), config, d) };
  }
  const see = (view = 'orders') => eve.query(`SELECT * FROM secure.${d.quoteIdent(view)} ORDER BY id`);
  const views = async () =>
    (
      await engine.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'secure' ORDER BY c.relname`,
      )
    ).map((r) => r.relname);
  const columnsOf = (view: string) =>
    engine.query(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'secure.${view}'::regclass AND attnum > 0 ORDER BY attnum`,
    );
  const RAW_COLUMNS = [
    { name: 'id', type: 'integer' },
    { name: 'region', type: 'character varying(10)' },
    { name: 'email', type: 'character varying(80)' },
  ];

  beforeAll(async () => {
    engine = await create();
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.orders (id int4, region varchar(10), email varchar(80))'),
      stmt(`INSERT INTO raw.orders VALUES (1, 'eu', 'a@x'), (2, 'us', 'b@x')`),
    ]);
    config = layoutConfig(engine, 'raw');
    await bootstrap(engine, config);
    const role = await engine.createLoginRole('eve', 'eve-pw');
    eve = await engine.asUser(role, 'eve-pw');
    // Approved for the data source: any view of it that is not closed shows her rows, with or without policies.
    await asSystem([
      planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1, dataSources: ['ds-orders'] }), d),
    ]);
  });
  afterAll(async () => {
    await eve?.close();
    await engine?.close();
  });

  it('a refused policy change: the fail-closed view of the desired state, then the deny-all in place', async () => {
    await given(policyItem(anyone), dsItem(1));
    expect(await see()).toHaveLength(2);
    const { closes } = await refuse(policyItem(hashPii));
    expect(closes.map((c) => c.code)).toEqual(['VG308', 'VG321']);
    expect(closes.map(shape)).toEqual([
      [
        'guard CALL "immuta_procedures"."apply_policy"',
        'drop DROP VIEW IF EXISTS "secure"."orders"',
        'ddl CREATE VIEW "secure"."orders"',
        'grant GRANT SELECT ON "secure"."orders"',
      ],
      ['guard CALL "immuta_procedures"."apply_policy"', 'ddl CREATE OR REPLACE VIEW "secure"."orders"'],
    ]);
    expect(closes.map((c) => c.dataSourceId)).toEqual(['ds-orders', 'ds-orders']);
    expect(closes[0]!.diagnostics.map((x) => [x.code, x.summary])).toEqual([
      ['VG308', 'data source "ds-orders": the warehouse refused the compiled view: relation "nope" does not exist'],
      ['VG301', 'data source "ds-orders": the view fails closed (no rows) until the problem above is fixed'],
    ]);
    expect(closes[1]!.diagnostics.map((x) => [x.code, x.summary])).toEqual([
      [
        'VG321',
        'data source "ds-orders": its view cannot be dropped (relation "nope" does not exist); it was replaced in ' +
          'place by a deny-all view of its current columns',
      ],
    ]);

    // Applied (each planned from the catalog it applies to), each closes the view: no rows for a user the
    // previous view showed every row, the same columns.
    for (const i of [0, 1]) {
      await given(policyItem(anyone), dsItem(1));
      await asSystem((await refuse(policyItem(hashPii))).closes[i]!.statements);
      expect(await see()).toEqual([]);
      expect(await columnsOf('orders')).toEqual(RAW_COLUMNS);
      // The guard stored the refused policy version and the signature of the view left in place.
      const after = await read();
      expect(after.policies.get('mask-pii')).toMatchObject({ version: 1, deleted: false });
      const stored = after.dataSources.get('ds-orders')!;
      expect(stored).toMatchObject({ version: 1, deleted: false });
      expect(JSON.parse(stored.viewSignature!)).toEqual({
        columns: [
          { name: 'id', type: 'int4' },
          { name: 'region', type: 'varchar(10)' },
          { name: 'email', type: 'varchar(80)' },
        ],
      });
    }
  });

  it('VG320: the reason says the view was too large to send', async () => {
    await given(policyItem(anyone), dsItem(1));
    const { closes } = await refuse(policyItem(hashPii), 'ddl', 'VG320');
    expect(closes.map((c) => c.code)).toEqual(['VG320', 'VG321']);
    expect(closes[0]!.diagnostics[0]).toMatchObject({
      code: 'VG320',
      summary: 'data source "ds-orders": the compiled view is too large to send: relation "nope" does not exist',
    });
  });

  it('a refused DROP: only the deny-all view in place (dropping again would be refused again)', async () => {
    await given(policyItem(anyone), dsItem(1));
    // A version without the email column changes the view's columns: DROP + CREATE, and the DROP is refused.
    const { closes } = await refuse(dsItem(2, 'orders', COLUMNS.slice(0, 2)), 'drop');
    expect(closes.map((c) => c.code)).toEqual(['VG321']);
    // A user's own view on ours: DROP VIEW is refused, the deny-all CREATE OR REPLACE is not.
    await engine.exec([stmt('CREATE VIEW public.mine AS SELECT id FROM secure.orders')]);
    try {
      await asSystem(closes[0]!.statements);
      expect(await see()).toEqual([]);
      expect(await columnsOf('orders')).toEqual(RAW_COLUMNS);
      expect(await engine.query('SELECT * FROM public.mine')).toEqual([]);
    } finally {
      await engine.exec([stmt('DROP VIEW public.mine')]);
    }
  });

  it('a refused rename: the old name dropped with the fail-closed view; the deny-all closes the old name', async () => {
    await given(policyItem(anyone), dsItem(1));
    const { closes } = await refuse(dsItem(2, 'orders_v2'));
    expect(closes.map(shape)).toEqual([
      [
        'guard CALL "immuta_procedures"."apply_datasource"',
        'drop DROP VIEW IF EXISTS "secure"."orders"',
        'drop DROP VIEW IF EXISTS "secure"."orders_v2"',
        'ddl CREATE VIEW "secure"."orders_v2"',
        'grant GRANT SELECT ON "secure"."orders_v2"',
      ],
      ['guard CALL "immuta_procedures"."apply_datasource"', 'ddl CREATE OR REPLACE VIEW "secure"."orders"'],
    ]);
    await asSystem(closes[0]!.statements);
    expect(await views()).toEqual(['orders_v2']);
    expect(await see('orders_v2')).toEqual([]);
    // The data source is stored at the new version, live, with the fail-closed view's signature.
    const stored = (await read()).dataSources.get('ds-orders')!;
    expect(stored).toMatchObject({ version: 2, deleted: false });
    expect(JSON.parse(stored.viewSignature!).columns.map((c: { name: string }) => c.name)).toEqual([
      'id',
      'region',
      'email',
    ]);
    await given(policyItem(anyone), dsItem(1));
    await asSystem((await refuse(dsItem(2, 'orders_v2'))).closes[1]!.statements);
    expect(await views()).toEqual(['orders']);
    expect(await see()).toEqual([]);
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({ version: 2, deleted: false });
  });

  it('a data source version refused without a rename drops nothing but its own view', async () => {
    await given(policyItem(anyone), dsItem(1));
    const { closes } = await refuse(dsItem(2));
    expect(shape(closes[0]!)).toEqual([
      'guard CALL "immuta_procedures"."apply_datasource"',
      'drop DROP VIEW IF EXISTS "secure"."orders"',
      'ddl CREATE VIEW "secure"."orders"',
      'grant GRANT SELECT ON "secure"."orders"',
    ]);
    await asSystem(closes[0]!.statements);
    expect(await see()).toEqual([]);
    // The live data source stays live: a later policy change re-creates a view that shows rows.
    await asSystem(planViewChange(await read(), { ...policyItem(anyone), version: 2 }, config, d).statements);
    expect(await see()).toHaveLength(2);
  });

  it('the guard expects the epoch the change was planned from: a plan from an older read conflicts', async () => {
    await given(policyItem(anyone), dsItem(1));
    const { closes } = await refuse(policyItem(hashPii));
    await given(policyItem(anyone), dsItem(1)); // bumps the epoch
    for (const close of closes) {
      expect(kindOfMessage(await errorOf(asSystem(close.statements)))).toBe('conflict');
    }
    expect(await see()).toHaveLength(2);
  });

  it('nothing to close: a first registration, a policy reaching no view, a plan that left no view', async () => {
    await given(policyItem(anyone));
    expect((await refuse(dsItem(1))).closes).toEqual([]); // no view was ever created
    await given(policyItem(anyone), dsItem(1));
    expect((await refuse(policyItem(hashPii, null), 'guard')).closes).toEqual([]);
    // A delete leaves no view: nothing to close even if the DROP is refused.
    expect((await refuse({ ...dsItem(2), deleted: true }, 'drop')).closes).toEqual([]);
    // A data source stored under a name no view can carry (64 bytes: VG102) has no view: renamed to a good name and
    // refused, there is nothing in place to close.
    await given(policyItem(anyone), dsItem(1, 'x'.repeat(64)));
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({ deleted: false, viewSignature: null });
    expect((await refuse(dsItem(2))).closes).toEqual([]);
  });

  it.each([
    ['cannot be read', '{"columns": 1}'],
    ['names a type the compiler does not write', '{"columns": [{"name": "id", "type": "integer"}]}'],
    ['names no type at all', '{"columns": [{"name": "id", "type": "no such type"}]}'],
    ['names a column no view can carry', `{"columns": [{"name": "${'x'.repeat(64)}", "type": "int4"}]}`],
    ['has no columns', '{"columns": []}'],
  ])('a view whose recorded signature %s is only closed by the fail-closed view', async (_, recorded) => {
    await given(policyItem(anyone), dsItem(1));
    await engine.exec([stmt(`UPDATE immuta_system.datasource_state SET view_signature = '${recorded}'`)]);
    const { closes } = await refuse(policyItem(hashPii));
    expect(closes.map((c) => c.code)).toEqual(['VG308']);
    await asSystem(closes[0]!.statements);
    expect(await see()).toEqual([]);
  });
});
