// The apply loop on PGlite (real layout, real procedures): applied / skipped / failed outcomes, conflict
// re-reads (bounded), transient and permanent failures, unreadable bodies, and a plan split over several
// transactions (guard last) that survives a failure in its last transaction. The packing rules themselves:
// test/sql/transaction-packer.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { ApplyFailure } from '../../shared/apply/apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { processWorkMessage } from '../../shared/apply/process-work-message.js';
import type { DataSourceWorkItem, UserWorkItem } from '../../shared/routing/work-item.js';
import { WarehouseError, type Row, type Warehouse } from '../../shared/ports/warehouse.js';
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

/** Delegates to the real warehouse; `plan` decides per transaction call what happens instead. */
class ScriptedWarehouse implements Warehouse {
  readonly transactions: SqlStatement[][] = [];
  constructor(
    private readonly inner: Warehouse,
    private readonly script: (call: number, statements: SqlStatement[]) => WarehouseError | Error | 'run' = () => 'run',
  ) {}
  query(s: SqlStatement): Promise<Row[]> {
    return this.inner.query(s);
  }
  async transaction(statements: SqlStatement[]): Promise<void> {
    const what = this.script(this.transactions.length, statements);
    this.transactions.push(statements);
    if (what !== 'run') throw what;
    await this.inner.transaction(statements);
  }
}

class NullQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

const dsItem = (version: number, table = 'orders', name = 'orders'): DataSourceWorkItem => ({
  kind: 'datasource',
  eventId: `e-ds-${version}-${name}`,
  eventTime: new Date(Date.now() - 1500).toISOString(),
  dataSourceId: `ds-${name}`,
  version,
  deleted: false,
  definition: {
    id: `ds-${name}`,
    name,
    version,
    location: { database: 'postgres', schema: 'raw', table },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4', tags: [] },
      { name: 'email', type: 'varchar(20)', tags: [] },
    ],
    tags: [],
  },
});

describe('applyWorkItem on PGlite', () => {
  let wh: LocalWarehouse;
  const deps = (warehouse: Warehouse, extra: Partial<ApplyDeps> = {}): ApplyDeps => ({
    warehouse,
    queue: new NullQueue(),
    dialect: d,
    config,
    ...extra,
  });
  const stored = async (id: string) => parseCatalog(await wh.system.query(catalogReadStatement(d))).dataSources.get(id);

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'apply-test-key', {
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.orders (id int4, email varchar(20))'),
          stmt("INSERT INTO raw.orders VALUES (1, 'a@x')"),
        ]),
    });
  });
  afterAll(() => wh?.close());

  it('applies a data source: one transaction, statement counts, lag from the event time', async () => {
    const w = new ScriptedWarehouse(wh.system);
    const out = await applyWorkItem(dsItem(1), deps(w));
    expect(out).toMatchObject({
      status: 'applied',
      kind: 'datasource',
      object: 'datasource:ds-orders',
      version: 1,
      transactions: 1,
      conflicts: 0,
      attempts: 1,
    });
    expect(w.transactions).toHaveLength(1);
    expect(w.transactions[0]![0]!.sql).toMatch(/^CALL /);
    expect(out.statements).toEqual({ finished: w.transactions[0]!.length, failed: 0, aborted: 0 });
    expect(out.endToEndLagMs).toBeGreaterThanOrEqual(1500);
    expect((await stored('ds-orders'))?.version).toBe(1);
  });

  it('an older or equal version is skipped without a transaction', async () => {
    const w = new ScriptedWarehouse(wh.system);
    const out = await applyWorkItem(dsItem(1), deps(w));
    expect(out).toMatchObject({ status: 'skipped', transactions: 0 });
    expect(out.endToEndLagMs).toBeUndefined();
    expect(w.transactions).toEqual([]);
  });

  it('a stale answer from the guard procedure (another consumer won in between) is skipped', async () => {
    const w = new ScriptedWarehouse(
      wh.system,
      () => new WarehouseError('stale', 'viewguard:stale data source version 2 is not newer than the stored 2'),
    );
    expect(await applyWorkItem(dsItem(2), deps(w))).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('viewguard:stale'),
    });
  });

  it('a conflict re-reads and re-plans at once; the retry commits', async () => {
    const w = new ScriptedWarehouse(wh.system, (call) =>
      call === 0
        ? new WarehouseError('conflict', 'viewguard:conflict catalog epoch is 9, the change was compiled against 8')
        : 'run',
    );
    const out = await applyWorkItem(dsItem(2), deps(w));
    expect(out).toMatchObject({ status: 'applied', conflicts: 1, attempts: 2, transactions: 1 });
    const [first, second] = w.transactions;
    expect(out.statements).toEqual({ finished: second!.length, failed: 1, aborted: first!.length - 1 });
  });

  it('conflicts are bounded: then a transient failure (redelivered later), nothing committed', async () => {
    const w = new ScriptedWarehouse(wh.system, () => new WarehouseError('conflict', 'viewguard:conflict'));
    const err = await applyWorkItem(dsItem(3), deps(w, { maxConflictRetries: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyFailure);
    expect((err as ApplyFailure).failureKind).toBe('transient');
    expect((err as ApplyFailure).outcome).toMatchObject({ status: 'failed', conflicts: 3, attempts: 3 });
    expect(w.transactions).toHaveLength(3);
    expect((await stored('ds-orders'))?.version).toBe(2);
  });

  it('transient and permanent warehouse errors become ApplyFailures of that kind, with the reason', async () => {
    for (const kind of ['transient', 'permanent'] as const) {
      const w = new ScriptedWarehouse(wh.system, () => new WarehouseError(kind, `${kind} thing happened`));
      const err = (await applyWorkItem(dsItem(3), deps(w)).catch((e: unknown) => e)) as ApplyFailure;
      expect(err.failureKind).toBe(kind);
      expect(err.outcome.reason).toBe(`${kind} thing happened`);
    }
  });

  it('a real permanent error: the raw table does not exist', async () => {
    const err = (await applyWorkItem(dsItem(1, 'missing_table', 'broken'), deps(wh.system)).catch(
      (e: unknown) => e,
    )) as ApplyFailure;
    expect(err).toBeInstanceOf(ApplyFailure);
    expect(err.failureKind).toBe('permanent');
    expect(err.outcome.reason).toMatch(/missing_table/);
    expect(await stored('ds-broken')).toBeUndefined(); // the CALL rolled back with the DDL
  });

  it('an unreadable body is permanent at once', async () => {
    for (const body of ['{', JSON.stringify({ kind: 'user', userId: 'x' })]) {
      const err = (await processWorkMessage(body, deps(wh.system)).catch((e: unknown) => e)) as ApplyFailure;
      expect(err.failureKind).toBe('permanent');
      expect(err.outcome.object).toBe('(unreadable work item)');
    }
  });

  it('a user item is one statement; a delete tombstones the profile', async () => {
    await wh.admin([stmt('CREATE ROLE u_apply LOGIN')]);
    const up: UserWorkItem = {
      kind: 'user',
      eventId: 'eu1',
      eventTime: new Date().toISOString(),
      userId: 'u_apply',
      version: 1,
      deleted: false,
      profile: {
        userId: 'u_apply',
        version: 1,
        groups: ['g'],
        attributes: {},
        projects: [],
        currentProject: null,
        purposes: [],
        dataSources: [],
      },
    };
    expect((await applyWorkItem(up, deps(wh.system))).statements).toEqual({ finished: 1, failed: 0, aborted: 0 });
    await applyWorkItem({ ...up, eventId: 'eu2', version: 2, deleted: true, profile: null }, deps(wh.system));
    // An older upsert after the delete changes nothing (silent no-op in the procedure).
    await applyWorkItem(up, deps(wh.system));
    const rows = await wh.queryAs!(
      null,
      stmt("SELECT version, deleted FROM immuta_system.profile WHERE immuta__userid = 'u_apply'"),
    );
    expect(rows.map((r) => [Number(r.version), r.deleted])).toEqual([[2, true]]);
  });

  it(
    'a plan over the limit is split guard-last; a failure in the last part leaves the version unrecorded and the ' +
      'redelivery redoes it',
    async () => {
      const item = dsItem(1, 'orders', 'split');
      // max 4: [SET, DROP, CREATE, RESET] then [CALL, SET, GRANT, RESET] — the search_path pin in both parts.
      // The second transaction fails once.
      const w1 = new ScriptedWarehouse(wh.system, (call) =>
        call === 1 ? new WarehouseError('transient', 'throttled') : 'run',
      );
      const err = (await applyWorkItem(item, deps(w1, { maxStatementsPerTransaction: 4 })).catch(
        (e: unknown) => e,
      )) as ApplyFailure;
      expect(err.failureKind).toBe('transient');
      expect(w1.transactions.map((t) => t.map((s) => s.sql.split(' ')[0]))).toEqual([
        ['SET', 'DROP', 'CREATE', 'RESET'],
        ['CALL', 'SET', 'GRANT', 'RESET'],
      ]);
      expect(err.outcome.statements).toEqual({ finished: 4, failed: 1, aborted: 3 });
      expect(await stored('ds-split')).toBeUndefined(); // not recorded: the redelivery will not be skipped
      const again = await applyWorkItem(item, deps(wh.system, { maxStatementsPerTransaction: 4 }));
      expect(again).toMatchObject({ status: 'applied', transactions: 2 });
      expect((await stored('ds-split'))?.version).toBe(1);
      await wh.admin([stmt('CREATE ROLE u_split LOGIN')]);
      // The view exists and is granted (no profile row: no rows, but no permission error either).
      expect(await wh.queryAs!('u_split', stmt('SELECT * FROM secure.split'))).toEqual([]);
    },
  );
});
