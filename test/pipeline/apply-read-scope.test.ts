// What a catalog work item reads (docs/performance.md, section b): a policy item compiles one view, so it reads
// the epoch, its own data source and the policies — except the item that FIRST stores a new policy version,
// which needs every data source for the re-fan-out check and reads the whole catalog once more. Measured on
// PGlite with the real layout and procedures: the statements sent, the rows they returned, and that the
// re-fan-out still finds a data source the router's fan-out missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { affectedDigest, planViewChange } from '../../shared/compiler/view-change-plan.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import type { DataSourceWorkItem, PolicyWorkItem } from '../../shared/routing/work-item.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'secure',
  rawSources: [{ schema: 'raw' }],
});
if (!parsed.ok) throw new Error('config');
const config = parsed.value;

/** The real warehouse, with every read recorded (its parameters and how many rows came back). */
class RecordingWarehouse implements Warehouse {
  readonly reads: { params: SqlStatement['params']; rows: number }[] = [];
  constructor(private readonly inner: Warehouse) {}
  async query(s: SqlStatement): Promise<Row[]> {
    const rows = await this.inner.query(s);
    this.reads.push({ params: s.params, rows: rows.length });
    return rows;
  }
  transaction(statements: SqlStatement[]): Promise<void> {
    return this.inner.transaction(statements);
  }
}

class ListQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

const IDS = ['ds-a', 'ds-b', 'ds-c', 'ds-d', 'ds-e'];

const dsItem = (id: string): DataSourceWorkItem => ({
  kind: 'datasource',
  eventId: `e-${id}`,
  eventTime: new Date().toISOString(),
  dataSourceId: id,
  version: 1,
  deleted: false,
  definition: {
    id,
    name: id.replace('-', '_'),
    version: 1,
    location: { database: 'postgres', schema: 'raw', table: 'orders' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4', tags: [] },
      { name: 'email', type: 'varchar(20)', tags: ['PII'] },
    ],
    tags: [],
  },
});

const mask = (version: number): Policy =>
  PolicySchema.parse({
    id: 'mask-pii',
    name: 'mask-pii',
    version,
    createdAt: '2024-01-01T00:00:00Z',
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'tag', tag: 'PII' },
    mask: { kind: version % 2 === 1 ? 'hash' : 'null' },
  });

const policyItem = (version: number, dataSourceId: string, fanOut: string[]): PolicyWorkItem => ({
  kind: 'policy',
  eventId: `e-mask-${version}`,
  eventTime: new Date().toISOString(),
  policyId: 'mask-pii',
  version,
  deleted: false,
  definition: mask(version),
  dataSourceId,
  fanOutDigest: affectedDigest(fanOut),
});

describe('catalog read scope of a work item (PGlite)', () => {
  let wh: LocalWarehouse;
  const deps = (warehouse: Warehouse, queue: WorkQueue = new ListQueue()): ApplyDeps => ({
    warehouse,
    queue,
    dialect: d,
    config,
  });
  /** How the view exposes `email` now: hashed, NULL, or as is (read from its definition). */
  const emailMask = async (id: string): Promise<'hash' | 'null' | 'clear'> => {
    const [row] = await wh.system.query(
      stmt('SELECT pg_catalog.pg_get_viewdef(:v::regclass) AS def', undefined, { v: `secure.${id.replace('-', '_')}` }),
    );
    const def = String(row!.def);
    if (/sha256\(/.test(def)) return 'hash';
    if (/NULL::(text|character varying(\(\d+\))?)\s+AS email/.test(def)) return 'null';
    return 'clear';
  };

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'read-scope-key', {
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.orders (id int4, email varchar(20))'),
          stmt("INSERT INTO raw.orders VALUES (1, 'a@x')"),
        ]),
    });
    for (const id of IDS) await applyWorkItem(dsItem(id), deps(wh.system));
  });
  afterAll(() => wh?.close());

  it(
    'the first store of a new version reads its own data source, then the whole catalog once, and re-fans out what ' +
      'the router missed',
    async () => {
      const w = new RecordingWarehouse(wh.system);
      const queue = new ListQueue();
      // The router (on a stale read) fanned out to ds-a..ds-d only; ds-e exists in the catalog.
      const outcome = await applyWorkItem(policyItem(1, 'ds-a', IDS.slice(0, 4)), deps(w, queue));
      expect(outcome.status).toBe('applied');
      // 1 epoch + 1 data source, then 1 epoch + 5 data sources (+ no policy yet in either read).
      expect(w.reads).toEqual([
        { params: { datasource_id: 'ds-a' }, rows: 2 },
        { params: undefined, rows: 1 + IDS.length },
      ]);
      expect(outcome.refannedOut).toBe(IDS.length - 1);
      expect(queue.sent.map((m) => JSON.parse(m.body).dataSourceId).sort()).toEqual(IDS.slice(1));
      expect(await emailMask('ds-a')).toBe('hash');
    },
  );

  it(
    'every later item of the same version reads only its own ' + 'data source (and the policies), one read each',
    async () => {
      for (const id of IDS.slice(1)) {
        const w = new RecordingWarehouse(wh.system);
        const queue = new ListQueue();
        const outcome = await applyWorkItem(policyItem(1, id, IDS), deps(w, queue));
        expect(outcome.status).toBe('applied');
        expect(outcome.refannedOut).toBe(0);
        // epoch + own data source + the one policy: independent of the catalog's size.
        expect(w.reads).toEqual([{ params: { datasource_id: id }, rows: 3 }]);
        expect(queue.sent).toEqual([]);
        expect(await emailMask(id)).toBe('hash');
      }
    },
  );

  it('an older item after a newer version is stored converges on the stored state with one narrow read', async () => {
    const first = await applyWorkItem(policyItem(2, 'ds-b', IDS), deps(new RecordingWarehouse(wh.system)));
    expect(first.status).toBe('applied');
    expect(await emailMask('ds-b')).toBe('null');
    const w = new RecordingWarehouse(wh.system);
    const late = await applyWorkItem(policyItem(1, 'ds-b', IDS), deps(w));
    expect(late.status).toBe('applied');
    expect(w.reads).toEqual([{ params: { datasource_id: 'ds-b' }, rows: 3 }]);
    expect(await emailMask('ds-b')).toBe('null'); // v2 (null mask) still wins over the late v1 (hash)
  });

  it('the planner refuses to compute a reach from a partial snapshot (it asks for the whole catalog)', async () => {
    const partial = parseCatalog(await wh.system.query(catalogReadStatement(d, 'ds-c')));
    const plan = planViewChange(partial, { ...policyItem(3, 'ds-c', IDS), kind: 'policy' }, config, d, {
      completeCatalog: false,
    });
    expect(plan).toEqual({ statements: [], diagnostics: [], signature: null, needsCompleteCatalog: true });
    // The same snapshot is enough for a version already stored (no reach to compute).
    const stored = planViewChange(partial, { ...policyItem(2, 'ds-c', IDS), kind: 'policy' }, config, d, {
      completeCatalog: false,
    });
    expect(stored.needsCompleteCatalog).toBeUndefined();
    expect(stored.statements.length).toBeGreaterThan(1);
  });
});
