// Invariant 2 (no write skew), on the real PostgreSQL server with two warehouse sessions (two connections,
// each acting as the system role). A policy change races a data source registration: each apply loop reads
// the catalog before the other commits (so each plans against the other's old state), then the commits are
// interleaved deterministically in both orders. The epoch guard must turn the loser into a conflict, the
// loser re-reads, and — when the policy loses — its first store of the new version re-fans out to the view
// its router could not know about. The view must end up with the policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerEngine, type Engine, type Session } from '../support/engines.js';
import { bootstrap, layoutConfig } from '../layout/layout-fixture.js';
import { PostgresWarehouse } from '../../shared/adapters/postgres-warehouse.js';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import type { ApplyOutcome } from '../../shared/apply/apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { policyWorkItems } from '../../shared/routing/route-policy.js';
import { parseWorkItem, type DataSourceWorkItem, type PolicyWorkItem } from '../../shared/routing/work-item.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import pg from 'pg';
import { inject } from 'vitest';

/** Holds the FIRST transaction until released, and says when it got there (after the catalog read). */
class GatedWarehouse implements Warehouse {
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  private arrived!: () => void;
  readonly parked = new Promise<void>((r) => (this.arrived = r));
  private first = true;
  constructor(private readonly inner: Warehouse) {}
  query(s: SqlStatement): Promise<Row[]> {
    return this.inner.query(s);
  }
  async transaction(statements: SqlStatement[]): Promise<void> {
    if (this.first) {
      this.first = false;
      this.arrived();
      await this.gate;
    }
    return this.inner.transaction(statements);
  }
  open(): void {
    this.release();
  }
}

class RecordingQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(messages: WorkMessage[]): Promise<void> {
    this.sent.push(...messages);
  }
}

describe('write skew: a policy change racing a data source registration (PostgreSQL server, two sessions)', () => {
  let engine: Engine;
  let config: IntegrationConfig;
  let analyst: Session;
  const clients: pg.Client[] = [];
  let n = 0;

  /** A new connection acting as the system role: one "warehouse session". */
  async function systemSession(): Promise<Warehouse> {
    const url = new URL(inject('warehouseUrl'));
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: engine.database,
    });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(d.actAs(config.systemUser));
    clients.push(client);
    return new PostgresWarehouse(client);
  }

  beforeAll(async () => {
    engine = await createServerEngine();
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.customers (id int4, email varchar(40))'),
      stmt("INSERT INTO raw.customers VALUES (1, 'ann@example.com'), (2, 'bo@example.com')"),
    ]);
    config = layoutConfig(engine, 'raw');
    await bootstrap(engine, config);
    const role = await engine.createLoginRole('analyst', 'analyst-pw');
    analyst = await engine.asUser(role, 'analyst-pw');
    const wh = await systemSession();
    const queue = new RecordingQueue();
    await applyWorkItem(
      parseWorkItem(
        JSON.stringify({
          kind: 'user',
          eventId: 'u1',
          eventTime: new Date().toISOString(),
          userId: role,
          version: 1,
          deleted: false,
          profile: { userId: role, version: 1 },
        }),
      ),
      { warehouse: wh, queue, dialect: d, config },
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await analyst?.close();
    await engine?.close();
  });

  /** One race: returns both outcomes, the re-fan-out messages, and what the analyst then sees. */
  async function race(policyCommitsFirst: boolean) {
    const k = ++n;
    const dsId = `ds-${k}`;
    const view = `customers_${k}`;
    const ds = DataSourceSchema.parse({
      id: dsId,
      name: view,
      version: 1,
      location: { database: engine.database, schema: 'raw', table: 'customers' },
      kind: 'table',
      columns: [
        { name: 'id', type: 'int4' },
        { name: 'email', type: 'varchar(40)', tags: [`Race${k}.PII`] },
      ],
      tags: [`Race${k}`],
    });
    // Everyone may read the view; the mask is what the race is about.
    const sub = PolicySchema.parse({
      id: `sub-${k}`,
      version: 1,
      name: 'anyone',
      createdAt: '2026-01-01T00:00:00Z',
      type: 'subscription',
      scope: { kind: 'global', tags: [`Race${k}`] },
      access: { kind: 'anyone' },
    });
    const mask = PolicySchema.parse({
      id: `mask-${k}`,
      version: 1,
      name: 'hash PII',
      createdAt: '2026-01-01T00:00:00Z',
      type: 'mask',
      scope: { kind: 'global', tags: [`Race${k}`] },
      target: { kind: 'tag', tag: `Race${k}.PII` },
      mask: { kind: 'hash' },
    });
    const setup = await systemSession();
    const q0 = new RecordingQueue();
    const deps0: ApplyDeps = { warehouse: setup, queue: q0, dialect: d, config };
    const policyEvent = (p: typeof sub, id: string) => ({
      specversion: '1.0' as const,
      id,
      source: 'urn:t',
      type: 'policy.updated' as const,
      time: new Date().toISOString(),
      subject: p.id,
      data: { policy: p },
    });
    // The subscription is stored first (no data source yet: one item with no view).
    const [subItem] = policyWorkItems(
      policyEvent(sub, `e-sub-${k}`),
      parseCatalog(await setup.query(catalogReadStatement(d))),
    );
    await applyWorkItem(subItem!, deps0);

    // The policy router runs BEFORE the registration is applied: it sees no data source, so it fans out to none.
    const routed = policyWorkItems(
      policyEvent(mask, `e-mask-${k}`),
      parseCatalog(await setup.query(catalogReadStatement(d))),
    );
    expect(routed.map((i) => i.dataSourceId)).toEqual([null]);
    const policyItem: PolicyWorkItem = routed[0]!;
    const dsItem: DataSourceWorkItem = {
      kind: 'datasource',
      eventId: `e-ds-${k}`,
      eventTime: new Date().toISOString(),
      dataSourceId: dsId,
      version: 1,
      deleted: false,
      definition: ds,
    };

    const a = new GatedWarehouse(await systemSession());
    const b = new GatedWarehouse(await systemSession());
    const qa = new RecordingQueue();
    const qb = new RecordingQueue();
    const dsRun = applyWorkItem(dsItem, { warehouse: a, queue: qa, dialect: d, config });
    const policyRun = applyWorkItem(policyItem, { warehouse: b, queue: qb, dialect: d, config });
    // Both have read the catalog (each without the other's change) and planned; neither has written.
    await Promise.all([a.parked, b.parked]);
    let dsOutcome: ApplyOutcome;
    let policyOutcome: ApplyOutcome;
    if (policyCommitsFirst) {
      b.open();
      policyOutcome = await policyRun;
      a.open();
      dsOutcome = await dsRun;
    } else {
      a.open();
      dsOutcome = await dsRun;
      b.open();
      policyOutcome = await policyRun;
    }
    // Deliver what the apply loops enqueued (the re-fan-out), as the queue would.
    const followUps: ApplyOutcome[] = [];
    for (const m of [...qa.sent, ...qb.sent]) followUps.push(await applyWorkItem(parseWorkItem(m.body), deps0));
    const rows = await analyst.query(`SELECT id, email FROM ${d.qualify(config.viewSchema, view)} ORDER BY id`);
    return { dsOutcome, policyOutcome, refan: [...qa.sent, ...qb.sent], followUps, rows };
  }

  const hashed = (rows: Record<string, unknown>[]) =>
    rows.length === 2 && rows.every((r) => typeof r.email === 'string' && /^[0-9a-f]{64}$/.test(r.email));

  it(
    'data source commits first: the policy item conflicts, re-reads, re-fans out to the new view — the view has ' +
      'the mask',
    async () => {
      const r = await race(false);
      expect(r.dsOutcome).toMatchObject({ status: 'applied', conflicts: 0 });
      expect(r.policyOutcome).toMatchObject({ status: 'applied', conflicts: 1, refannedOut: 1 });
      expect(r.refan).toHaveLength(1);
      const item = parseWorkItem(r.refan[0]!.body) as PolicyWorkItem;
      expect(item.dataSourceId).toBe('ds-1');
      expect(item.fanOutDigest).toBe(affectedDigest(['ds-1']));
      expect(r.followUps.map((o) => o.status)).toEqual(['applied']);
      expect(hashed(r.rows)).toBe(true);
    },
  );

  it(
    'policy commits first: the registration conflicts, re-reads and compiles with the stored policy — the view has ' +
      'the mask',
    async () => {
      const r = await race(true);
      expect(r.policyOutcome).toMatchObject({ status: 'applied', conflicts: 0, refannedOut: 0 });
      expect(r.dsOutcome).toMatchObject({ status: 'applied', conflicts: 1 });
      expect(r.refan).toEqual([]);
      expect(hashed(r.rows)).toBe(true);
    },
  );
});
