// The view-change planner against the real layout (the bootstrap plan and its guard procedures): each work item
// is planned from a real catalog read and applied as ONE transaction acting as the system role; what users
// see afterwards, staleness, convergence to the newest policy state, re-fan-out data and idempotence. Each test
// starts from an empty catalog and applies the items it needs first (`given`), so any one runs alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { bootstrap, errorOf, layoutConfig, packed, transactionAs } from '../layout/layout-fixture.js';
import { kindOfMessage } from '../../shared/adapters/postgres-error-classifier.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../../shared/layout/catalog-reader.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import {
  affectedDigest,
  planViewChange,
  type PolicyChange,
  type ViewChange,
} from '../../shared/compiler/view-change-plan.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { chainExpectedEpochs } from '../../shared/layout/state-call-plan.js';
import { stmt } from '../../shared/sql/statement.js';
import { reapplyView } from '../../shared/operations/reapply.js';
import { roleWarehouse } from '../operations/support/operations-world.js';

const makeDs = (database: string, version: number, name = 'orders', extra: Partial<DataSource> = {}): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-orders',
    name,
    version,
    location: { database, schema: 'raw', table: 'orders' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'region', type: 'varchar(10)', tags: ['Geo.Region'] },
      { name: 'email', type: 'varchar(80)', tags: ['PII.Email'] },
    ],
    ...extra,
  });

const pol = (p: Omit<PolicyInput, 'name' | 'createdAt'> & Partial<PolicyInput>): Policy =>
  PolicySchema.parse({ name: String(p.id), createdAt: '2024-01-01T00:00:00Z', ...p });

describe.each(engines)('view-change plan on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  const sessions: Record<string, Session> = {};
  const read = async (): Promise<CatalogSnapshot> => parseCatalog(await engine.query(catalogReadStatement(d)));
  // What the apply loop sends: the plan packed into its transaction, run as the system role.
  const asSystem = (statements: Parameters<typeof packed>[0]) =>
    transactionAs(engine.asAdmin, config.systemUser, packed(statements));
  /** read → plan → apply, like the apply loop. */
  async function run(item: ViewChange) {
    const plan = planViewChange(await read(), item, config, d);
    if (!plan.skip) await asSystem(plan.statements);
    return plan;
  }
  const views = async () =>
    engine.query(`SELECT c.oid::int8 AS oid, c.relname, c.reloptions::text AS opts,
          c.relacl::text AS acl, pg_get_viewdef(c.oid) AS def
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'secure' ORDER BY c.relname`);
  const see = (u: string, view = 'orders') =>
    sessions[u]!.query(`SELECT * FROM secure.${d.quoteIdent(view)} ORDER BY id`);

  const anyoneGlobal = pol({
    id: 'sub-any',
    version: 1,
    type: 'subscription',
    scope: { kind: 'global', tags: ['Geo'] },
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
  const regionFilter = (version: number) =>
    pol({
      id: 'rf-region',
      version,
      type: 'rowFilter',
      scope: { kind: 'global' },
      filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo.Region' }, attribute: 'region' },
    });

  const item = (p: Policy, dataSourceId: string | null = 'ds-orders'): PolicyChange => ({
    kind: 'policy',
    policyId: p.id,
    version: p.version,
    deleted: false,
    definition: p,
    dataSourceId,
  });
  const dsItem = (version: number, name = 'orders'): ViewChange => ({
    kind: 'datasource',
    dataSourceId: 'ds-orders',
    version,
    deleted: false,
    definition: makeDs(engine.database, version, name),
  });
  /** An empty catalog (no stored data source or policy, no view), then the items a test starts from. */
  async function given(...items: ViewChange[]) {
    await engine.exec([
      stmt('DELETE FROM immuta_system.datasource_state'),
      stmt('DELETE FROM immuta_system.policy_state'),
      stmt('DROP VIEW IF EXISTS secure.orders'),
      stmt('DROP VIEW IF EXISTS secure.orders_v2'),
    ]);
    for (const x of items) expect((await run(x)).skip).toBeUndefined();
  }

  beforeAll(async () => {
    engine = await create();
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.orders (id int4, region varchar(10), email varchar(80), internal text)'),
      stmt(`INSERT INTO raw.orders VALUES (1, 'eu', 'a@x', 'i1'), (2, 'us', 'b@x', 'i2'), (3, 'eu', NULL, 'i3')`),
    ]);
    config = layoutConfig(engine, 'raw');
    await bootstrap(engine, config);
    for (const [u, attrs] of [
      ['eve', { region: ['eu'] }],
      ['max', { region: ['us', 'eu'] }],
    ] as const) {
      const role = await engine.createLoginRole(u, `${u}-pw`);
      sessions[u] = await engine.asUser(role, `${u}-pw`);
      await asSystem([planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1, attributes: attrs }), d)]);
    }
  });
  afterAll(async () => {
    for (const s of Object.values(sessions)) await s.close();
    await engine?.close();
  });

  it('a policy stored before its data source exists: only the CALL; its reach is empty', async () => {
    await given();
    const plan = await run({
      kind: 'policy',
      policyId: anyoneGlobal.id,
      version: 1,
      deleted: false,
      definition: anyoneGlobal,
      dataSourceId: 'ds-orders',
    });
    expect(plan.statements).toHaveLength(1);
    expect(plan.statements[0]!.sql).toMatch(/^CALL "immuta_procedures"\."apply_policy"/);
    expect(plan.affectedDataSourceIds).toEqual([]);
    expect(plan.refanOut).toBe(true);
    expect((await read()).policies.get('sub-any')!.version).toBe(1);
  });

  it('data source upsert compiles against the stored policies; unlisted columns are not exposed', async () => {
    await given(item(anyoneGlobal));
    const plan = await run({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 1,
      deleted: false,
      definition: makeDs(engine.database, 1),
    });
    expect(packed(plan.statements).map((s) => s.sql.slice(0, 20))).toEqual([
      'CALL "immuta_procedu',
      'SET search_path TO p',
      'DROP VIEW IF EXISTS ',
      'CREATE VIEW "secure"',
      'GRANT SELECT ON "sec',
      'RESET search_path',
    ]);
    expect(await see('eve')).toEqual([
      { id: 1, region: 'eu', email: 'a@x' },
      { id: 2, region: 'us', email: 'b@x' },
      { id: 3, region: 'eu', email: null },
    ]);
    expect((await read()).dataSources.get('ds-orders')!.viewSignature).toBe(JSON.stringify(plan.signature));
  });

  it('a stale data source item is skipped before anything runs', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    const plan = planViewChange(
      await read(),
      {
        kind: 'datasource',
        dataSourceId: 'ds-orders',
        version: 1,
        deleted: false,
        definition: makeDs(engine.database, 1),
      },
      config,
      d,
    );
    expect(plan).toEqual({ skip: 'stale', statements: [], diagnostics: [], signature: null });
  });

  it('policy item: the view changes, the reach is computed, re-fan-out only when the digest differs', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    const plan = await run({ ...item(hashPii), fanOutDigest: affectedDigest(['ds-orders']) });
    expect(plan.diagnostics).toEqual([]);
    expect(plan.affectedDataSourceIds).toEqual(['ds-orders']);
    expect(plan.refanOut).toBe(false);
    const rows = await see('eve');
    expect(rows.map((r) => r.email)).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}$/),
      null,
    ]);
    // Same version again (e.g. the second view of the fan-out): not the first store, no reach computed.
    const again = planViewChange(await read(), item(hashPii), config, d);
    expect(again.affectedDataSourceIds).toBeUndefined();
  });

  it('an older policy item converges the view on the newer stored state', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    await run({
      kind: 'policy',
      policyId: 'rf-region',
      version: 2,
      deleted: false,
      definition: regionFilter(2),
      dataSourceId: 'ds-orders',
    });
    expect((await see('eve')).map((r) => r.id)).toEqual([1, 3]);
    // v1 arrives late and says "deleted": the stored v2 still wins, the filter stays.
    await run({
      kind: 'policy',
      policyId: 'rf-region',
      version: 1,
      deleted: true,
      definition: null,
      dataSourceId: 'ds-orders',
    });
    expect((await see('eve')).map((r) => r.id)).toEqual([1, 3]);
    expect((await see('max')).map((r) => r.id)).toEqual([1, 2, 3]);
    expect((await read()).policies.get('rf-region')!.version).toBe(2);
  });

  it('re-applying the same desired state is a no-op on the view catalog', async () => {
    await given(item(anyoneGlobal), dsItem(1), item(regionFilter(2)));
    const before = await views();
    const snap = await read();
    const plan = planViewChange(
      snap,
      {
        kind: 'policy',
        policyId: 'rf-region',
        version: 2,
        deleted: false,
        definition: regionFilter(2),
        dataSourceId: 'ds-orders',
      },
      config,
      d,
    );
    expect(packed(plan.statements)[2]!.sql).toMatch(/^CREATE OR REPLACE VIEW/);
    await asSystem(plan.statements);
    expect(await views()).toEqual(before);
  });

  it('a plan compiled against an old epoch is a conflict and rolls back (write-skew guard)', async () => {
    await given(item(anyoneGlobal), dsItem(1), item(regionFilter(2)));
    const old = await read();
    await run({
      kind: 'policy',
      policyId: 'other',
      version: 1,
      deleted: false,
      definition: pol({
        id: 'other',
        version: 1,
        type: 'mask',
        scope: { kind: 'local', dataSourceId: 'nope' },
        target: { kind: 'column', name: 'x' },
        mask: { kind: 'null' },
      }),
      dataSourceId: 'ds-orders',
    });
    const before = await views();
    const plan = planViewChange(
      old,
      { kind: 'policy', policyId: 'rf-region', version: 3, deleted: true, definition: null, dataSourceId: 'ds-orders' },
      config,
      d,
    );
    expect(kindOfMessage(await errorOf(asSystem(plan.statements)))).toBe('conflict');
    expect(await views()).toEqual(before);
  });

  it('renaming a data source drops the old view; deleting drops the view', async () => {
    await given(item(anyoneGlobal), dsItem(1), item(regionFilter(2)));
    await run({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 2,
      deleted: false,
      definition: makeDs(engine.database, 2, 'orders_v2'),
    });
    expect((await views()).map((v) => v.relname)).toEqual(['orders_v2']);
    expect((await see('eve', 'orders_v2')).map((r) => r.id)).toEqual([1, 3]);
    await run({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 3,
      deleted: true,
      definition: makeDs(engine.database, 3, 'orders_v2'),
    });
    expect(await views()).toEqual([]);
    // a policy item for the deleted data source still stores the policy, and creates no view
    const plan = await run({
      kind: 'policy',
      policyId: 'rf-region',
      version: 4,
      deleted: false,
      definition: regionFilter(4),
      dataSourceId: 'ds-orders',
    });
    expect(plan.statements).toHaveLength(1);
    expect(await views()).toEqual([]);
  });
  it('a new version of a data source under the same name and columns replaces its view in place', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    const [before] = await views();
    const plan = await run(dsItem(2));
    expect(packed(plan.statements).map((s) => s.sql.slice(0, 20))).toEqual([
      'CALL "immuta_procedu',
      'SET search_path TO p',
      'CREATE OR REPLACE VI',
      'RESET search_path',
    ]);
    expect(plan.diagnostics).toEqual([]);
    const [after] = await views();
    expect({ oid: after!.oid, acl: after!.acl }).toEqual({ oid: before!.oid, acl: before!.acl });
    expect((await see('eve')).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it.each([
    ['carries no definition (as the router sends it)', null],
    ['carries a definition under another name', 'orders_v2'],
  ])('a delete that %s drops the view where it is', async (_, name) => {
    await given(item(anyoneGlobal), dsItem(1));
    await run({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 2,
      deleted: true,
      definition: name === null ? null : makeDs(engine.database, 2, name),
    });
    expect(await views()).toEqual([]);
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({
      version: 2,
      deleted: true,
      viewSignature: null,
    });
  });

  it('a delete of a data source never stored, or stored under a name no view can carry: only the CALL', async () => {
    const del = (name?: string): ViewChange => ({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 2,
      deleted: true,
      definition: name === undefined ? null : makeDs(engine.database, 2, name),
    });
    await given(item(anyoneGlobal));
    expect((await run(del())).statements.map((s) => s.role)).toEqual(['guard']);
    await given(item(anyoneGlobal), dsItem(1, 'x'.repeat(64)));
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({ deleted: false, viewSignature: null });
    expect((await run(del())).statements.map((s) => s.role)).toEqual(['guard']);
    await given(item(anyoneGlobal));
    expect((await run(del('x'.repeat(64)))).statements.map((s) => s.role)).toEqual(['guard']);
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({ version: 2, deleted: true });
  });

  it('a stored policy that no longer parses: a data source plan fails its view closed and says why', async () => {
    await given(item(anyoneGlobal), item(hashPii));
    await engine.exec([
      stmt(`UPDATE immuta_system.policy_state SET definition = '{"type": 1}' WHERE policy_id = 'mask-pii'`),
    ]);
    const plan = await run(dsItem(1));
    expect(plan.diagnostics.map((x) => x.code).at(-1)).toBe('VG301');
    expect(await see('eve')).toEqual([]);
    // A policy plan for that view fails it closed too.
    const next = await run(item(pol({ ...anyoneGlobal, version: 2 })));
    expect(next.diagnostics.map((x) => x.code).at(-1)).toBe('VG301');
    expect(await see('eve')).toEqual([]);
  });

  it('with only its own data source read, the first store of a new policy version asks for every one', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    const partial = { completeCatalog: false };
    expect(planViewChange(await read(), item(hashPii), config, d, partial)).toEqual({
      statements: [],
      diagnostics: [],
      signature: null,
      needsCompleteCatalog: true,
    });
    // The default is a complete read; a version already stored needs no reach, so a partial read is enough.
    expect(planViewChange(await read(), item(hashPii), config, d).affectedDataSourceIds).toEqual(['ds-orders']);
    await run(item(hashPii));
    const again = planViewChange(await read(), item(hashPii), config, d, partial);
    expect(again.needsCompleteCatalog).toBeUndefined();
    expect(again.statements.map((s) => s.role)).toEqual(['guard', 'ddl']);
  });

  it('the reach of a new policy version includes the views its stored version reached', async () => {
    const other: ViewChange = {
      kind: 'datasource',
      dataSourceId: 'ds-other',
      version: 1,
      deleted: false,
      definition: makeDs(engine.database, 1, 'orders_v2', { id: 'ds-other' }),
    };
    const local = (version: number, dataSourceId: string) =>
      pol({ ...hashPii, id: 'mask-local', version, scope: { kind: 'local', dataSourceId } });
    await given(item(anyoneGlobal), dsItem(1), other, item(local(1, 'ds-orders')));
    expect((await see('eve')).map((r) => r.email)).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}$/),
      null,
    ]);
    // v2 moves the mask to the other data source: the orders view must be rebuilt without it.
    const moved = local(2, 'ds-other');
    const plan = await run(item(moved, 'ds-other'));
    expect([...plan.affectedDataSourceIds!].sort()).toEqual(['ds-orders', 'ds-other']);
    expect(plan.refanOut).toBe(true);
    await run(item(moved, 'ds-orders'));
    expect((await see('eve')).map((r) => r.email)).toEqual(['a@x', 'b@x', null]);
    expect((await see('eve', 'orders_v2')).map((r) => r.email)).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}$/),
      null,
    ]);
  });

  it('a policy delete wins over a definition it carries: the mask is gone', async () => {
    await given(item(anyoneGlobal), dsItem(1), item(hashPii));
    const plan = await run({ ...item(pol({ ...hashPii, version: 2 })), deleted: true });
    expect(plan.affectedDataSourceIds).toEqual(['ds-orders']);
    expect((await see('eve')).map((r) => r.email)).toEqual(['a@x', 'b@x', null]);
    expect((await read()).policies.get('mask-pii')).toMatchObject({ version: 2, deleted: true });
  });

  it('the reach digest does not depend on the order or repetition of the ids', () => {
    expect(affectedDigest(['b', 'a', 'b'])).toBe(affectedDigest(['a', 'b']));
    expect(affectedDigest(['a', 'b'])).not.toBe(affectedDigest(['a']));
    expect(affectedDigest([])).not.toBe(affectedDigest(['']));
  });

  it('plans chained in one transaction: only a guard that stores a new policy version bumps the epoch', async () => {
    await given(item(anyoneGlobal), dsItem(1));
    const snapshot = await read();
    // A new version (bumps), the stored version again (does not), another new one (bumps): each guard must find
    // the epoch the ones before it left, or the transaction is a conflict.
    const plans = [item(hashPii), item(anyoneGlobal), item(regionFilter(1))].map((x) =>
      planViewChange(snapshot, x, config, d),
    );
    const chained = chainExpectedEpochs(
      plans.flatMap((p) => p.statements),
      snapshot.epoch,
    );
    expect(chained.epochAfter).toBe(snapshot.epoch + 2);
    await asSystem(chained.statements);
    expect((await read()).epoch).toBe(snapshot.epoch + 2);
    expect((await see('eve')).map((r) => r.id)).toEqual([1, 3]);
  });

  it('a policy item for a data source that was never stored stores the policy and records no view', async () => {
    await given(item(anyoneGlobal));
    const plan = await run(item(hashPii, 'ds-never'));
    expect(plan.statements.map((s) => s.role)).toEqual(['guard']);
    expect(plan.statements[0]!.params).toMatchObject({ p_datasource_id: null, p_view_signature: null });
    expect(plan.signature).toBeNull();
  });

  it('a policy plan for a data source whose name no view can carry records no view; a re-apply says so', async () => {
    await given(item(anyoneGlobal), dsItem(1, 'x'.repeat(64)));
    const plan = await run(item(hashPii));
    expect(plan.statements.map((s) => s.role)).toEqual(['guard']);
    expect(plan.signature).toBeNull();
    expect((await read()).dataSources.get('ds-orders')).toMatchObject({ deleted: false, viewSignature: null });
    // What an operator reads from `viewguard rebuild` / `drift --repair` for it: no view, nothing applied.
    const warehouse = roleWarehouse(engine, config.systemUser);
    expect(await reapplyView({ warehouse, dialect: d, config }, 'ds-orders')).toMatchObject({
      outcome: 'no view',
      transactions: 0,
    });
  });
});
