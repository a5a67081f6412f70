// A poison message and a DLQ redrive, through the real apply Lambda (support/fault-harness.ts; SQL on PGlite):
//   - a data source whose raw table does not exist fails PERMANENTLY on every delivery: after maxReceiveCount
//     receives it is in the DLQ with the engine's reason, while the other message groups' items were applied
//     meanwhile (from the first invocation on); the next item of its own group waited behind it and (SQS FIFO
//     receive counts) followed it into the DLQ; a redrive after the fix applies both, in order;
//   - a version dead-lettered and redriven AFTER a newer version of its object was applied is skipped as stale
//     (data source) or rebuilds the view from the newest stored state (policy): the view is unchanged.
import 'aws-sdk-client-mock-vitest/extend';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { viewGroupId } from '../../shared/pipeline/fifo-group-key.js';
import { stmt } from '../../shared/sql/statement.js';
import type { Submission } from './support/pglite-data-api.js';
import { ApplyLambdaDriver, faultConfig, openFaultWarehouse, pgliteOf, setApplyEnvironment } from './support/fault-harness.js';
import { Objects } from './support/objects.js';
import { appliedVersions, expectConverged, SentHistory } from './support/oracle.js';

const config = faultConfig();
const MAX_RECEIVES = 3;
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
  driver = new ApplyLambdaDriver(handler, pgliteOf(wh), { maxReceiveCount: MAX_RECEIVES });
  driver.captureOutput();
  o = new Objects(`p${++run}`, wh, new SentHistory());
});
afterEach(() => {
  vi.restoreAllMocks();
  driver.rd.restore();
  driver.sqs.restore();
});

const objectOf = (s: Submission): string => s.parameters.s0_p_id ?? s.parameters.s0_p_userid ?? '?';
const viewDef = async (name: string) =>
  (await wh.queryAs!(null, stmt(`SELECT c.oid::int8 AS oid, pg_get_viewdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'secure' AND c.relname = :name`, undefined, { name })))[0];

describe('poison message and DLQ redrive (real apply Lambda, SQL on PGlite)', () => {
  it('a permanent SQL error goes to the DLQ with its reason after maxReceiveCount, without blocking the other groups', async () => {
    const readers = await o.createRoles('ann', 'bo');
    // The poison heads the queue: an older message than everything else, in its own group.
    const poison = o.orders(1, { name: 'poison', table: 'no_such_table' });
    driver.send(o.dataSourceMessages(poison));
    driver.send([
      ...o.dataSourceMessages(o.orders(1)),
      ...o.userMessages('ann', 1, { region: ['eu'] }),
      ...o.dataSourceMessages(o.items(1)),
      ...o.userMessages('bo', 1),
      ...o.dataSourceMessages(o.orders(2)),
      ...o.userMessages('ann', 2, { region: ['us'] }),
    ]);
    // The poison group's next version (now on a real table) is queued behind it.
    driver.send(o.dataSourceMessages(o.orders(2, { name: 'poison', table: 'orders' })));

    await driver.invoke();
    // First invocation: the poison failed; every other group was applied in that same batch.
    expect(driver.invocations[0]!.failedThemselves).toHaveLength(1);
    expect(await appliedVersions(wh, 'datasource', o.id('orders'))).toEqual([1, 2]);
    expect(await appliedVersions(wh, 'datasource', o.id('items'))).toEqual([1]);
    expect(await appliedVersions(wh, 'user', o.name('ann'))).toEqual([1, 2]);
    expect(await appliedVersions(wh, 'user', o.name('bo'))).toEqual([1]);
    // …and the poison group's later message was failed unprocessed with it (FIFO order within the group).
    expect(driver.invocations[0]!.failed).toHaveLength(2);
    expect(await appliedVersions(wh, 'datasource', o.id('poison'))).toEqual([]);

    await driver.drain();
    const dead = driver.queue.deadLetters();
    expect(dead[0]).toMatchObject({ groupId: viewGroupId(o.id('poison')), receiveCount: MAX_RECEIVES });
    expect(dead[0]!.reason).toMatch(/^permanent: ERROR: relation "raw\.no_such_table" does not exist/);
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ dataSourceId: o.id('poison'), version: 1 });
    // The poison's group follower was received (and failed unprocessed) in every one of its batches, so it
    // reached maxReceiveCount too and followed it into the DLQ — SQS FIFO semantics (receive counts grow per
    // receive, tried or not). Nothing is lost: it waits there, in order, with the reason it was not applied.
    expect(dead).toHaveLength(2);
    expect(dead[1]).toMatchObject({ groupId: viewGroupId(o.id('poison')), reason: 'not processed: an earlier record of the FIFO batch failed' });
    expect(JSON.parse(dead[1]!.body)).toMatchObject({ dataSourceId: o.id('poison'), version: 2 });
    expect(driver.metric('Failed')).toBe(MAX_RECEIVES);
    expect(await appliedVersions(wh, 'datasource', o.id('poison'))).toEqual([]);

    // The operator fixes the cause and redrives: both versions apply, in order.
    await wh.admin([stmt('CREATE TABLE raw.no_such_table (id int4, region varchar(8), email varchar(32), amount int4)'), stmt('GRANT SELECT ON raw.no_such_table TO PUBLIC')]);
    expect(driver.queue.redrive()).toBe(2);
    await driver.drain();
    expect(driver.queue.deadLetters()).toEqual([]);
    expect(await appliedVersions(wh, 'datasource', o.id('poison'))).toEqual([1, 2]);
    await expectConverged(wh, config, o.sent, readers);
  });

  it('a data source version redriven from the DLQ after a newer one was applied is skipped; the view is unchanged', async () => {
    const readers = await o.createRoles('ann');
    driver.send(o.dataSourceMessages(o.orders(1)));
    await driver.drain();
    driver.send(await o.policyMessages(o.subscriptionAnyone(1)));
    await driver.drain();
    // Version 2 fails permanently on every delivery (the warehouse refused the whole batch).
    driver.api.onBatch = (s) =>
      objectOf(s) === o.id('orders') && s.parameters.s0_p_version === '2' ? { kind: 'failed', error: 'ERROR: permission denied for schema raw' } : { kind: 'run' };
    driver.send(o.dataSourceMessages(o.orders(2, { withAmount: false })));
    await driver.drain();
    expect(driver.queue.deadLetters()).toHaveLength(1);
    expect(driver.queue.deadLetters()[0]!.reason).toContain('permission denied for schema raw');

    driver.api.onBatch = () => ({ kind: 'run' });
    driver.send(o.dataSourceMessages(o.orders(3)));
    await driver.drain();
    const before = await viewDef(o.name('orders'));
    expect(await appliedVersions(wh, 'datasource', o.id('orders'))).toEqual([1, 3]);

    const skipped = driver.metric('Skipped');
    const batches = driver.api.submissions.filter((s) => s.operation === 'batch').length;
    expect(driver.queue.redrive()).toBe(1);
    await driver.drain();
    expect(driver.queue.deadLetters()).toEqual([]);
    expect(driver.metric('Skipped')).toBe(skipped + 1);
    expect(driver.api.submissions.filter((s) => s.operation === 'batch').length, 'no transaction for the stale version').toBe(batches);
    expect(await viewDef(o.name('orders'))).toEqual(before); // same view (same oid), same definition
    expect(await appliedVersions(wh, 'datasource', o.id('orders'))).toEqual([1, 3]);
    await expectConverged(wh, config, o.sent, readers);
  });

  it('a policy version redriven after a newer one was applied rebuilds the view from the newest state: unchanged', async () => {
    const readers = await o.createRoles('ann');
    driver.send(o.dataSourceMessages(o.orders(1)));
    await driver.drain();
    driver.send(await o.policyMessages(o.subscriptionAnyone(1)));
    await driver.drain();
    // Mask v1 (PII → NULL) is refused on every delivery; v2 (PII → 'xx') is applied after it was dead-lettered.
    driver.api.onBatch = (s) =>
      objectOf(s) === o.id('mask') && s.parameters.s0_p_version === '1' ? { kind: 'failed', error: 'ERROR: could not open relation with OID 16999' } : { kind: 'run' };
    driver.send(await o.policyMessages(o.piiMask(1)));
    await driver.drain();
    expect(driver.queue.deadLetters()).toHaveLength(1);
    driver.api.onBatch = () => ({ kind: 'run' });
    driver.send(await o.policyMessages(o.piiMask(2)));
    await driver.drain();
    const before = await viewDef(o.name('orders'));
    expect(before!.def).toContain("'xx'");

    driver.queue.redrive();
    await driver.drain();
    expect(driver.queue.deadLetters()).toEqual([]);
    expect(await viewDef(o.name('orders'))).toEqual(before);
    expect(await appliedVersions(wh, 'policy', o.id('mask'))).toEqual([2]);
    await expectConverged(wh, config, o.sent, readers);
  });
});
