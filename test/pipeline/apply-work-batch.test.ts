// Several view items of one received batch in ONE transaction (shared/apply/apply-work-batch.ts) on PGlite
// with the real layout and procedures: how many transactions, what the views and the catalog hold afterwards,
// the epoch chain of data source CALLs, the 40-statement packing, and the fallback — a combined transaction that
// fails (a view the engine refuses, a concurrent catalog change) leaves every item to the one-at-a-time path, so
// one bad view never fails its neighbours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { processWorkBatch, type WorkBatchRecord } from '../../shared/apply/apply-work-batch.js';
import { ApplyFailure, type ApplyOutcome } from '../../shared/apply/apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { policyMessage } from '../../shared/routing/route-policy.js';
import { viewGroupId } from '../../shared/routing/fifo-group-key.js';
import type { DataSourceWorkItem, PolicyWorkItem, WorkItem } from '../../shared/routing/work-item.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import { REFUSAL, refusedClause, refuseMarkedViews } from '../support/engine-refusal.js';

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'secure',
  rawSources: [{ schema: 'raw' }],
});
if (!parsed.ok) throw new Error('config');
const config = parsed.value;

/** The real warehouse; records every transaction, and can run something just before one (a concurrent writer). */
class WatchedWarehouse implements Warehouse {
  readonly transactions: SqlStatement[][] = [];
  readonly failed: number[] = [];
  readonly queries: SqlStatement[] = [];
  get reads(): number {
    return this.queries.length;
  }
  beforeTransaction?: (n: number) => Promise<void>;
  constructor(private readonly inner: Warehouse) {}
  async query(s: SqlStatement): Promise<Row[]> {
    this.queries.push(s);
    return this.inner.query(s);
  }
  async transaction(statements: SqlStatement[]): Promise<void> {
    const n = this.transactions.length;
    this.transactions.push(statements);
    await this.beforeTransaction?.(n);
    try {
      await this.inner.transaction(statements);
    } catch (err) {
      this.failed.push(n);
      throw err;
    }
  }
}

class ListQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

let seq = 0;
const dsItem = (id: string, table = 'orders'): DataSourceWorkItem => ({
  kind: 'datasource',
  eventId: `e-${id}-${++seq}`,
  eventTime: new Date().toISOString(),
  dataSourceId: id,
  version: 1,
  deleted: false,
  definition: {
    id,
    name: id.replace(/-/g, '_'),
    version: 1,
    location: { database: 'postgres', schema: 'raw', table },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4', tags: [] },
      { name: 'email', type: 'varchar(20)', tags: ['PII'] },
    ],
    tags: [],
  },
});

const mask = (id: string, version: number, kind: 'hash' | 'null'): Policy =>
  PolicySchema.parse({
    id,
    name: id,
    version,
    createdAt: '2024-01-01T00:00:00Z',
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'tag', tag: 'PII' },
    mask: { kind },
  });

const policyItem = (policy: Policy, dataSourceId: string, fanOut: string[]): PolicyWorkItem => ({
  kind: 'policy',
  eventId: `e-${policy.id}-${policy.version}`,
  eventTime: new Date().toISOString(),
  policyId: policy.id,
  version: policy.version,
  deleted: false,
  definition: policy,
  dataSourceId,
  fanOutDigest: affectedDigest(fanOut),
});

/** A received FIFO batch of these items, in order (the group and id the routers would give them). */
const batchOf = (items: WorkItem[]): WorkBatchRecord[] =>
  items.map((item, i) => ({
    messageId: `m${++seq}-${i}`,
    attributes: {
      MessageGroupId:
        item.kind === 'user'
          ? `user:${item.userId}`
          : item.kind === 'policy'
            ? policyMessage(item).groupId
            : viewGroupId(item.dataSourceId),
    },
    body: JSON.stringify(item),
  }));

describe('several view items in one transaction (PGlite)', () => {
  let wh: LocalWarehouse;
  const deps = (warehouse: Warehouse, extra: Partial<ApplyDeps> = {}): ApplyDeps => ({
    warehouse,
    queue: new ListQueue(),
    dialect: d,
    config,
    ...extra,
  });
  const catalog = async () => parseCatalog(await wh.system.query(catalogReadStatement(d)));
  const emailMask = async (id: string): Promise<'hash' | 'null' | 'clear' | 'closed'> => {
    const [row] = await wh.system.query(
      stmt('SELECT pg_catalog.pg_get_viewdef(:v::regclass) AS def', undefined, {
        v: `secure.${id.replace(/-/g, '_')}`,
      }),
    );
    const def = String(row!.def);
    if (/WHERE false/i.test(def)) return 'closed';
    if (/sha256\(/.test(def)) return 'hash';
    if (/NULL::(text|character varying(\(\d+\))?)\s+AS email/.test(def)) return 'null';
    return 'clear';
  };
  /** Run a batch the way the apply consumers do; outcomes and failures per message id. */
  async function run(records: WorkBatchRecord[], d2: ApplyDeps) {
    const outcomes = new Map<string, ApplyOutcome>();
    const results = await processWorkBatch(records, d2, async (record, apply) => {
      outcomes.set(record.messageId, await apply());
    });
    return { results, outcomes };
  }
  const IDS = ['ds-a', 'ds-b', 'ds-c', 'ds-d', 'ds-e', 'ds-f'];

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'batch-key', {
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.orders (id int4, email varchar(20))'),
          stmt("INSERT INTO raw.orders VALUES (1, 'a@x')"),
          ...refuseMarkedViews(),
        ]),
    });
    for (const id of IDS) await applyWorkItem(dsItem(id), deps(wh.system));
  });
  afterAll(() => wh?.close());

  it(
    'the first store of a new version is never combined; the ' +
      'other views of that version then go in ONE transaction',
    async () => {
      const p1 = mask('mask-pii', 1, 'hash');
      const w = new WatchedWarehouse(wh.system);
      // Batch 1: ds-a's item is the first store (needs the whole catalog): alone. Its neighbours in the same
      // batch were planned before it committed, so they also looked like first stores: one at a time too.
      const first = await run(batchOf([policyItem(p1, 'ds-a', IDS), policyItem(p1, 'ds-b', IDS)]), deps(w));
      expect(first.results.map((r) => r.status)).toEqual(['processed', 'processed']);
      expect([...first.outcomes.values()].map((o) => o.combinedWith)).toEqual([undefined, undefined]);
      expect(w.transactions).toHaveLength(2);

      // Batch 2: four views of the stored version → one transaction of 4 CALLs + one pin pair + 4 × (view, grant).
      const w2 = new WatchedWarehouse(wh.system);
      const epochBefore = (await catalog()).epoch;
      const second = await run(batchOf(IDS.slice(2).map((id) => policyItem(p1, id, IDS))), deps(w2));
      expect(second.results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
      expect(w2.transactions).toHaveLength(1);
      const tx = w2.transactions[0]!.map((s) => s.sql.split(/\s/)[0]);
      expect(tx.slice(0, 4)).toEqual(['CALL', 'CALL', 'CALL', 'CALL']);
      expect(tx.filter((k) => k === 'SET')).toHaveLength(1);
      expect(tx.filter((k) => k === 'RESET')).toHaveLength(1);
      // ONE read for the four heads: the epoch, their four data sources (bound) and the policies.
      expect(w2.reads).toBe(1);
      expect(Object.values(w2.queries[0]!.params ?? {}).sort()).toEqual(IDS.slice(2));
      for (const o of second.outcomes.values())
        expect(o).toMatchObject({ status: 'applied', combinedWith: 4, transactions: 1 });
      for (const id of IDS) expect(await emailMask(id)).toBe('hash');
      // No item stored a new version: the epoch did not move; the view signatures were recorded.
      expect((await catalog()).epoch).toBe(epochBefore);
    },
  );

  it(
    'data source items chain their epoch expectations: CALL ' + 'i expects E + the bumps before it, all commit',
    async () => {
      const c0 = await catalog();
      const p1 = mask('mask-pii', 1, 'hash');
      const w = new WatchedWarehouse(wh.system);
      const items: WorkItem[] = [dsItem('ds-new1'), policyItem(p1, 'ds-a', IDS), dsItem('ds-new2'), dsItem('ds-new3')];
      const { results, outcomes } = await run(batchOf(items), deps(w));
      expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
      expect(w.transactions).toHaveLength(1);
      const calls = w.transactions[0]!.filter((s) => s.sql.startsWith('CALL'));
      const expected = calls.map((s) => Number(s.params?.p_expected_epoch));
      expect(expected).toEqual([c0.epoch, c0.epoch + 1, c0.epoch + 1, c0.epoch + 2]);
      const c1 = await catalog();
      expect(c1.epoch).toBe(c0.epoch + 3);
      for (const id of ['ds-new1', 'ds-new2', 'ds-new3']) {
        expect(c1.dataSources.get(id)?.version).toBe(1);
        expect(await emailMask(id)).toBe('hash'); // compiled against the stored mask
      }
      expect([...outcomes.values()].every((o) => o.combinedWith === 4)).toBe(true);
    },
  );

  it(
    'fallback: one view the engine refuses fails alone (and ' + 'fails closed); its neighbours commit one by one',
    async () => {
      await applyWorkItem(dsItem('ds-fragile'), deps(wh.system));
      // A clause the compiler accepts and the warehouse refuses (test/support/engine-refusal.ts): stored by its own
      // item,
      // which fails closed (VG308); every later compile of ds-fragile's view is refused the same way.
      const bad = PolicySchema.parse({
        id: 'where-fragile',
        name: 'where-fragile',
        version: 1,
        createdAt: '2024-01-01T00:00:00Z',
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: 'ds-fragile' },
        filter: { kind: 'where', clause: refusedClause('email') },
      });
      await expect(applyWorkItem(policyItem(bad, 'ds-fragile', ['ds-fragile']), deps(wh.system))).rejects.toThrow(
        REFUSAL,
      );
      const p2 = mask('mask-pii', 2, 'null');
      await applyWorkItem(policyItem(p2, 'ds-a', [...IDS, 'ds-fragile']), deps(wh.system)); // stores v2
      const w = new WatchedWarehouse(wh.system);
      const records = batchOf([
        policyItem(p2, 'ds-b', IDS),
        policyItem(p2, 'ds-fragile', IDS),
        policyItem(p2, 'ds-c', IDS),
      ]);
      const { results, outcomes } = await run(records, deps(w));
      expect(results.map((r) => r.status)).toEqual(['processed', 'failed', 'processed']);
      const failure = results[1]!.status === 'failed' ? results[1]!.error : undefined;
      expect(failure).toBeInstanceOf(ApplyFailure);
      expect((failure as ApplyFailure).outcome.failedClosed).toBe(true);
      // The combined attempt (failed, rolled back), then b alone, fragile (refused, then its fail-closed view), c
      // alone.
      expect(w.failed[0]).toBe(0);
      expect(w.transactions[0]!.filter((s) => s.sql.startsWith('CALL'))).toHaveLength(3);
      expect(w.transactions.length).toBe(1 + 1 + 2 + 1);
      expect(outcomes.get(records[0]!.messageId)).toMatchObject({ status: 'applied', transactions: 1 });
      expect(outcomes.get(records[0]!.messageId)!.combinedWith).toBeUndefined();
      expect(await emailMask('ds-b')).toBe('null');
      expect(await emailMask('ds-c')).toBe('null');
      expect(await emailMask('ds-fragile')).toBe('closed');
    },
  );

  it(
    'fallback: a catalog change committed between the reads and the combined transaction → conflict, rolled back, ' +
      'each item re-reads and commits alone',
    async () => {
      const p2 = mask('mask-pii', 2, 'null');
      const w = new WatchedWarehouse(wh.system);
      // Someone registers a data source just before our first transaction: its CALL finds a newer epoch.
      w.beforeTransaction = async (n) => {
        if (n === 0) await applyWorkItem(dsItem('ds-racer'), deps(wh.system));
      };
      const before = (await catalog()).epoch;
      const { results, outcomes } = await run(
        batchOf([policyItem(p2, 'ds-d', IDS), policyItem(p2, 'ds-e', IDS), policyItem(p2, 'ds-f', IDS)]),
        deps(w),
      );
      expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed']);
      expect(w.failed).toEqual([0]);
      expect(w.transactions).toHaveLength(4);
      for (const o of outcomes.values()) expect(o.combinedWith).toBeUndefined();
      for (const id of ['ds-d', 'ds-e', 'ds-f', 'ds-racer']) expect(await emailMask(id)).toBe('null');
      expect((await catalog()).epoch).toBe(before + 1); // only the racer's registration bumped it
    },
  );

  it(
    'packs within the statement ' +
      "limit, keeps a group's later " +
      'record after its head, and ' +
      'leaves user items alone',
    async () => {
      const p2 = mask('mask-pii', 2, 'null');
      const p3 = mask('mask-pii', 3, 'hash');
      const w = new WatchedWarehouse(wh.system);
      // Each view item here is 1 CALL + CREATE OR REPLACE (no GRANT: replaced in place); with a limit of 8:
      // 3 CALLs + SET + 3 views + RESET per transaction.
      const items: WorkItem[] = [
        policyItem(p2, 'ds-a', IDS),
        policyItem(p2, 'ds-b', IDS),
        policyItem(p2, 'ds-c', IDS),
        policyItem(p2, 'ds-d', IDS),
        policyItem(p2, 'ds-e', IDS),
        policyItem(p3, 'ds-a', IDS), // same group as the first: after it, on the one-at-a-time path
        {
          kind: 'user',
          eventId: 'e-u1',
          eventTime: new Date().toISOString(),
          userId: 'u1',
          version: 1,
          deleted: true,
          profile: null,
        },
      ];
      const { results, outcomes } = await run(batchOf(items), deps(w, { maxStatementsPerTransaction: 8 }));
      expect(results.every((r) => r.status === 'processed')).toBe(true);
      const sizes = w.transactions.map((t) => t.length);
      expect(sizes.every((n) => n <= 8)).toBe(true);
      // Two combined transactions (3 + 2 items), then ds-a's v3 (first store of v3: alone) and the user.
      expect(w.transactions.slice(0, 2).map((t) => t.filter((s) => s.sql.startsWith('CALL')).length)).toEqual([3, 2]);
      expect(w.transactions).toHaveLength(4);
      expect([...outcomes.values()].map((o) => o.combinedWith ?? 0)).toEqual([3, 3, 3, 2, 2, 0, 0]);
      expect(await emailMask('ds-a')).toBe('hash'); // v3 applied after v2 in its group
      expect(await emailMask('ds-b')).toBe('null');
    },
  );

  it(
    'one read per batch: a catalog change committed right after it is caught by the guard of the combined ' +
      'transaction',
    async () => {
      const p3 = mask('mask-pii', 3, 'hash');
      const stored = (await catalog()).policies.get('mask-pii')?.version ?? 0;
      expect(stored).toBeGreaterThanOrEqual(3); // stored by the packing test: these items are not first stores
      const w = new WatchedWarehouse(wh.system);
      // After the batch read, just before the combined transaction, someone registers a data source: the
      // snapshot the heads were planned from is now behind, and the guard CALLs must find it out.
      let firstTx: SqlStatement[] | undefined;
      w.beforeTransaction = async (n) => {
        if (n === 0) {
          firstTx = w.transactions[0];
          await applyWorkItem(dsItem('ds-late'), deps(wh.system));
        }
      };
      const before = (await catalog()).epoch;
      const ids = ['ds-b', 'ds-c', 'ds-d'];
      const { results, outcomes } = await run(batchOf(ids.map((id) => policyItem(p3, id, IDS))), deps(w));
      expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed']);
      // The combined transaction expected the epoch of the one read for every CALL and was rolled back.
      expect(firstTx!.filter((s) => s.sql.startsWith('CALL')).map((s) => Number(s.params?.p_expected_epoch))).toEqual([
        before,
        before,
        before,
      ]);
      expect(w.failed).toEqual([0]);
      // Then each item alone: its own read (after the registration) and its own commit.
      expect(w.queries.slice(1).map((q) => q.params)).toEqual(ids.map((id) => ({ datasource_id: id })));
      expect(w.transactions).toHaveLength(4);
      for (const o of outcomes.values()) expect(o.combinedWith).toBeUndefined();
      for (const id of ids) expect(await emailMask(id)).toBe('hash');
      expect((await catalog()).epoch).toBe(before + 1); // only the registration bumped it
    },
  );

  it('one read per batch: the heads planned from it commit together, each against the epoch of that read', async () => {
    const w = new WatchedWarehouse(wh.system);
    const c0 = await catalog();
    const p3 = mask('mask-pii', 3, 'hash');
    const items: WorkItem[] = [
      dsItem('ds-g'),
      policyItem(p3, 'ds-e', IDS),
      policyItem(p3, 'ds-f', IDS),
      dsItem('ds-h'),
    ];
    const { results, outcomes } = await run(batchOf(items), deps(w));
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(w.reads).toBe(1);
    expect(w.queries[0]!.params).toEqual({
      datasource_id_1: 'ds-g',
      datasource_id_2: 'ds-e',
      datasource_id_3: 'ds-f',
      datasource_id_4: 'ds-h',
    });
    expect(w.transactions).toHaveLength(1);
    const expected = w.transactions[0]!.filter((s) => s.sql.startsWith('CALL')).map((s) =>
      Number(s.params?.p_expected_epoch),
    );
    expect(expected).toEqual([c0.epoch, c0.epoch + 1, c0.epoch + 1, c0.epoch + 1]);
    expect((await catalog()).epoch).toBe(c0.epoch + 2);
    for (const o of outcomes.values()) expect(o).toMatchObject({ status: 'applied', combinedWith: 4 });
    for (const id of ['ds-g', 'ds-h', 'ds-e', 'ds-f']) expect(await emailMask(id)).toBe('hash');
  });
});
