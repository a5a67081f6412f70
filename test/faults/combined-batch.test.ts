// The apply Lambda applies the group heads of one SQS batch in ONE BatchExecuteStatement where it can
// (shared/pipeline/apply-work-batch.ts), and a bad view in that batch never fails its neighbours: the combined
// transaction falls back to one transaction per item. Real apply Lambda; Data API mocked at the SDK boundary
// onto PGlite (support/pglite-data-api.ts); the oracle checks latest versions and per-object order.
import 'aws-sdk-client-mock-vitest/extend';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { ApplyLambdaDriver, faultConfig, openFaultWarehouse, pgliteOf, setApplyEnvironment } from './support/fault-harness.js';
import { Objects } from './support/objects.js';
import { expectConverged, SentHistory } from './support/oracle.js';

const config = faultConfig();
let wh: LocalWarehouse;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let driver: ApplyLambdaDriver;
let run = 0;
let o: Objects;

beforeAll(async () => {
  setApplyEnvironment(config);
  wh = await openFaultWarehouse(config);
  ({ handler } = (await import('../../lambdas/apply/handler.js')) as unknown as { handler: typeof handler });
});
afterAll(async () => {
  await wh?.close();
});
beforeEach(() => {
  driver = new ApplyLambdaDriver(handler, pgliteOf(wh));
  driver.captureOutput();
  o = new Objects(`cb${++run}`, wh, new SentHistory());
});
afterEach(() => {
  vi.restoreAllMocks();
  driver.rd.restore();
  driver.sqs.restore();
});

const guardCalls = (sqls: string[]) => sqls.filter((s) => s.startsWith('CALL "immuta_procedures"."apply_datasource"')).length;

describe('group heads of one batch share a transaction', () => {
  it('three data sources in three groups: one BatchExecuteStatement, three guarded views', async () => {
    const sources = [o.orders(1, { name: 'a' }), o.orders(1, { name: 'b' }), o.items(1)];
    driver.send(sources.flatMap((ds) => o.dataSourceMessages(ds)));
    await driver.drain();
    const batches = driver.api.submissions.filter((s) => s.operation === 'batch');
    expect(batches).toHaveLength(1);
    expect(guardCalls(batches[0]!.sqls)).toBe(3);
    expect(batches[0]!.sqls.length).toBeLessThanOrEqual(40);
    await expectConverged(wh, config, o.sent);
  });

  it('a view the engine refuses (missing raw table) falls back to per-item transactions: its neighbours commit', async () => {
    const good = [o.orders(1, { name: 'a' }), o.items(1)];
    const bad = o.orders(1, { name: 'ghost', table: 'no_such_table' });
    driver.send([...good, bad].flatMap((ds) => o.dataSourceMessages(ds)));
    await driver.invoke();
    const batches = driver.api.submissions.filter((s) => s.operation === 'batch');
    // the combined attempt (3 guards), then one transaction per item
    expect(guardCalls(batches[0]!.sqls)).toBe(3);
    expect(batches.slice(1).map((b) => guardCalls(b.sqls))).toEqual([1, 1, 1]);
    const views = await pgliteOf(wh).query<{ viewname: string }>(`SELECT viewname FROM pg_views WHERE schemaname = 'secure' AND viewname LIKE '${o.name('')}%' ORDER BY 1`);
    expect(views.rows.map((r) => r.viewname)).toEqual([o.name('a'), o.name('items')].sort());
  });
});
