// The apply Lambda applies the group heads of one SQS batch in ONE BatchExecuteStatement where it can
// (shared/apply/apply-work-batch.ts), and a bad view in that batch never fails its neighbours: the combined
// transaction falls back to one transaction per item. Real apply Lambda; Data API mocked at the SDK boundary
// onto PGlite (support/pglite-data-api.ts); the oracle checks latest versions and per-object order.
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { pgliteOf, useApplyLambda } from './support/fault-harness.js';
import { expectConverged } from './support/oracle.js';

const t = useApplyLambda('cb');

const guardCalls = (sqls: string[]) =>
  sqls.filter((s) => s.startsWith('CALL "immuta_procedures"."apply_datasource"')).length;

describe('group heads of one batch share a transaction', () => {
  it('three data sources in three groups: one BatchExecuteStatement, three guarded views', async () => {
    const sources = [t.o.orders(1, { name: 'a' }), t.o.orders(1, { name: 'b' }), t.o.items(1)];
    t.driver.send(sources.flatMap((ds) => t.o.dataSourceMessages(ds)));
    await t.driver.drain();
    const batches = t.driver.api.submissions.filter((s) => s.operation === 'batch');
    expect(batches).toHaveLength(1);
    expect(guardCalls(batches[0]!.sqls)).toBe(3);
    expect(batches[0]!.sqls.length).toBeLessThanOrEqual(40);
    await expectConverged(t.wh, t.config, t.o.sent);
  });

  it(
    'a view the engine refuses (missing raw table) falls back ' + 'to per-item transactions: its neighbours commit',
    async () => {
      const good = [t.o.orders(1, { name: 'a' }), t.o.items(1)];
      const bad = t.o.orders(1, { name: 'ghost', table: 'no_such_table' });
      t.driver.send([...good, bad].flatMap((ds) => t.o.dataSourceMessages(ds)));
      await t.driver.invoke();
      const batches = t.driver.api.submissions.filter((s) => s.operation === 'batch');
      // the combined attempt (3 guards), then one transaction per item
      expect(guardCalls(batches[0]!.sqls)).toBe(3);
      expect(batches.slice(1).map((b) => guardCalls(b.sqls))).toEqual([1, 1, 1]);
      const views = await pgliteOf(t.wh).query<{ viewname: string }>(
        `SELECT viewname FROM pg_views WHERE schemaname = 'secure' AND viewname LIKE '${t.o.name('')}%' ORDER BY 1`,
      );
      expect(views.rows.map((r) => r.viewname)).toEqual([t.o.name('a'), t.o.name('items')].sort());
    },
  );
});
