// The operator tools' test world: a real engine with the layout bootstrapped, the policy-breadth example table
// (test/breadth/policy-doc-examples.ts), alice and bob as real login roles with their profiles, and the STORED
// state written by the real apply loop (applyWorkItem: catalog read → planner → guarded transaction as the
// system role), because every operator command reads the state the pipeline stored.
import { randomUUID } from 'node:crypto';
import type { Engine } from '../../support/engines.js';
import { createBreadthWorld, type BreadthWorld } from '../../compiler/breadth-harness.js';
import { postgres } from '../../../shared/sql/postgres-dialect.js';
import type { SqlStatement } from '../../../shared/sql/statement.js';
import type { Row, Warehouse } from '../../../shared/ports/warehouse.js';
import type { WorkQueue } from '../../../shared/ports/work-queue.js';
import type { ApplyOutcome } from '../../../shared/apply/apply-outcome.js';
import { applyWorkItem } from '../../../shared/apply/apply-work-item.js';
import { affectedDigest } from '../../../shared/compiler/view-change-plan.js';
import type { DataSource } from '../../../shared/policy/data-source.js';
import type { Policy } from '../../../shared/policy/policy.js';
import type { WorkItem } from '../../../shared/routing/work-item.js';
import type { WebhookEvent } from '../../../shared/events/event-types.js';
import { routeFor } from '../../../shared/routing/routing-table.js';
import { parseRoutedEvent } from '../../../shared/routing/routed-event.js';
import { dataSourceWorkItem, type DataSourceEvent } from '../../../shared/routing/route-datasource.js';
import { userWorkItem, type UserEvent } from '../../../shared/routing/route-user.js';
import { policyWorkItems, type PolicyEvent } from '../../../shared/routing/route-policy.js';
import { catalogReadStatement, parseCatalog } from '../../../shared/layout/catalog-reader.js';

/** A Warehouse over the engine's admin session acting as `role` (SET LOCAL ROLE) in each transaction. */
export function roleWarehouse(engine: Engine, role: string | null): Warehouse {
  const run = async (statements: readonly SqlStatement[]): Promise<Row[]> => {
    const s = engine.asAdmin;
    await s.query('BEGIN');
    try {
      if (role) await s.query(`SET LOCAL ROLE ${postgres.quoteIdent(role)}`);
      let rows: Row[] = [];
      for (const x of statements) rows = await s.query(x);
      await s.query('COMMIT');
      return rows;
    } catch (error) {
      await s.query('ROLLBACK');
      throw error;
    }
  };
  return {
    query: (statement) => run([statement]),
    async transaction(statements) {
      await run(statements);
    },
  };
}

export interface OperationsWorld extends BreadthWorld {
  /** The warehouse as the pipeline and the operator tools see it: acting as the system role. */
  system: Warehouse;
  /** Apply a data source or policy change through the real apply loop (throws on a failed outcome). */
  applyItem(item: Omit<WorkItem, 'eventId' | 'eventTime'>): Promise<ApplyOutcome>;
  /** Register (or re-register, next version) a data source. */
  putDataSource(ds: DataSource): Promise<void>;
  /** Store a policy version for every view it reaches (here: the world's one data source). */
  putPolicy(policy: Policy, deleted?: boolean): Promise<void>;
  /** Replace every stored policy with `policies` (deleting the others) as the pipeline would. */
  setPolicies(policies: readonly Policy[]): Promise<void>;
  /** Route each event as the routers do (a policy's reach from the catalog as stored now) and apply its items. */
  applyEvents(events: readonly WebhookEvent[]): Promise<void>;
  /** Name → definition of every view in the view schema (pg_get_viewdef). */
  viewDefinitions(): Promise<Map<string, string>>;
}

/** A contract-valid event envelope (what `npm run send` takes). */
export function event(type: string, subject: string, data: unknown, id = randomUUID()): WebhookEvent {
  return {
    specversion: '1.0',
    id,
    source: 'https://governance.example.com/webhooks',
    type,
    subject,
    time: '2026-11-27T10:00:00Z',
    datacontenttype: 'application/json',
    data,
  } as unknown as WebhookEvent;
}

const noQueue: WorkQueue = { async send() {} } as unknown as WorkQueue;

export async function createOperationsWorld(engine: Engine): Promise<OperationsWorld> {
  const w = await createBreadthWorld(engine);
  const system = roleWarehouse(engine, w.layout.systemUser);
  const versions = new Map<string, number>();
  const live = new Map<string, Policy>();
  const next = (key: string): number => {
    const v = (versions.get(key) ?? 0) + 1;
    versions.set(key, v);
    return v;
  };
  const applyItem = async (item: Omit<WorkItem, 'eventId' | 'eventTime'>): Promise<ApplyOutcome> =>
    applyWorkItem({ ...item, eventId: randomUUID(), eventTime: new Date().toISOString() } as WorkItem, {
      warehouse: system,
      queue: noQueue,
      dialect: postgres,
      config: w.layout,
    });
  const putPolicy = async (policy: Policy, deleted = false): Promise<void> => {
    const version = next(`policy:${policy.id}`);
    const definition = deleted ? null : { ...policy, version };
    await applyItem({
      kind: 'policy',
      policyId: policy.id,
      version,
      deleted,
      definition,
      dataSourceId: w.ds.id,
      fanOutDigest: affectedDigest([w.ds.id]),
    } as never);
    if (deleted) live.delete(policy.id);
    else live.set(policy.id, policy);
  };
  return {
    ...w,
    system,
    applyItem,
    async putDataSource(ds) {
      const version = next(`ds:${ds.id}`);
      await applyItem({
        kind: 'datasource',
        dataSourceId: ds.id,
        version,
        deleted: false,
        definition: { ...ds, version },
      } as never);
    },
    putPolicy,
    async applyEvents(events) {
      for (const raw of events) {
        const category = routeFor(raw.type)!.category;
        const e = parseRoutedEvent(raw, category); // what the routers apply: the contract's parsed form

        const items: WorkItem[] =
          category === 'datasource'
            ? [dataSourceWorkItem(e as DataSourceEvent)]
            : category === 'user'
              ? [userWorkItem(e as UserEvent)]
              : policyWorkItems(e as PolicyEvent, parseCatalog(await system.query(catalogReadStatement(postgres))));
        for (const item of items) await applyItem(item);
      }
    },
    async viewDefinitions() {
      const rows = await engine.query<{ name: string; def: string }>(
        'SELECT c.relname AS name, pg_get_viewdef(c.oid) AS ' +
          'def FROM pg_class c JOIN pg_namespace n ' +
          'ON n.oid = c.relnamespace WHERE n.nspname = ' +
          "'secure' AND c.relkind = 'v' ORDER BY 1",
      );
      return new Map(rows.map((r) => [r.name, r.def]));
    },
    async setPolicies(policies) {
      for (const id of [...live.keys()]) if (!policies.some((p) => p.id === id)) await putPolicy(live.get(id)!, true);
      for (const p of policies) await putPolicy(p);
    },
  };
}
