// A poison message and a DLQ redrive, through the real apply Lambda (support/fault-harness.ts; SQL on PGlite):
//   - a data source whose raw table does not exist fails PERMANENTLY on every delivery: after maxReceiveCount
//     receives it is in the DLQ with the engine's reason, while the other message groups' items were applied
//     meanwhile (from the first invocation on); the next item of its own group waited behind it and (SQS FIFO
//     receive counts) followed it into the DLQ; a redrive after the fix applies both, in order;
//   - a version dead-lettered and redriven AFTER a newer version of its object was applied is skipped as stale
//     (data source) or rebuilds the view from the newest stored state (policy): the view is unchanged.
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { stmt } from '../../shared/sql/statement.js';
import type { Submission } from './support/pglite-data-api.js';
import { useApplyLambda } from './support/fault-harness.js';
import { appliedVersions, expectConverged } from './support/oracle.js';

const MAX_RECEIVES = 3;
const t = useApplyLambda('p', { maxReceiveCount: MAX_RECEIVES });

const objectOf = (s: Submission): string => s.parameters.s0_p_id ?? s.parameters.s0_p_userid ?? '?';
const viewDef = async (name: string) =>
  (
    await t.wh.queryAs!(
      null,
      stmt(
        `SELECT c.oid::int8 AS oid, pg_get_viewdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = ` +
          `c.relnamespace WHERE n.nspname = 'secure' AND c.relname = :name`,
        undefined,
        { name },
      ),
    )
  )[0];

describe('poison message and DLQ redrive (real apply Lambda, SQL on PGlite)', () => {
  it(
    'a permanent SQL error goes to the DLQ with its reason after ' +
      'maxReceiveCount, without blocking the other groups',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      // The poison heads the queue: an older message than everything else, in its own group.
      const poison = t.o.orders(1, { name: 'poison', table: 'no_such_table' });
      t.driver.send(t.o.dataSourceMessages(poison));
      t.driver.send([
        ...t.o.dataSourceMessages(t.o.orders(1)),
        ...t.o.userMessages('ann', 1, { region: ['eu'] }),
        ...t.o.dataSourceMessages(t.o.items(1)),
        ...t.o.userMessages('bo', 1),
        ...t.o.dataSourceMessages(t.o.orders(2)),
        ...t.o.userMessages('ann', 2, { region: ['us'] }),
      ]);
      // The poison group's next version (now on a real table) is queued behind it.
      t.driver.send(t.o.dataSourceMessages(t.o.orders(2, { name: 'poison', table: 'orders' })));

      await t.driver.invoke();
      // First invocation: the poison failed; every other group was applied in that same batch.
      expect(t.driver.invocations[0]!.failedThemselves).toHaveLength(1);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1, 2]);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('items'))).toEqual([1]);
      expect(await appliedVersions(t.wh, 'user', t.o.name('ann'))).toEqual([1, 2]);
      expect(await appliedVersions(t.wh, 'user', t.o.name('bo'))).toEqual([1]);
      // …and the poison group's later message was failed unprocessed with it (FIFO order within the group).
      expect(t.driver.invocations[0]!.failed).toHaveLength(2);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('poison'))).toEqual([]);

      await t.driver.drain();
      const dead = t.driver.queue.deadLetters();
      expect(dead[0]).toMatchObject({ groupId: viewGroupId(t.o.id('poison')), receiveCount: MAX_RECEIVES });
      expect(dead[0]!.reason).toMatch(/^permanent: ERROR: relation "raw\.no_such_table" does not exist/);
      expect(JSON.parse(dead[0]!.body)).toMatchObject({ dataSourceId: t.o.id('poison'), version: 1 });
      // The poison's group follower was received (and failed unprocessed) in every one of its batches, so it
      // reached maxReceiveCount too and followed it into the DLQ — SQS FIFO semantics (receive counts grow per
      // receive, tried or not). Nothing is lost: it waits there, in order, with the reason it was not applied.
      expect(dead).toHaveLength(2);
      expect(dead[1]).toMatchObject({
        groupId: viewGroupId(t.o.id('poison')),
        reason: 'not processed: an earlier record of the FIFO batch failed',
      });
      expect(JSON.parse(dead[1]!.body)).toMatchObject({ dataSourceId: t.o.id('poison'), version: 2 });
      expect(t.driver.metric('Failed')).toBe(MAX_RECEIVES);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('poison'))).toEqual([]);

      // The operator fixes the cause and redrives: both versions apply, in order.
      await t.wh.admin([
        stmt('CREATE TABLE raw.no_such_table (id int4, region varchar(8), email varchar(32), amount int4)'),
        stmt('GRANT SELECT ON raw.no_such_table TO PUBLIC'),
      ]);
      expect(t.driver.queue.redrive()).toBe(2);
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toEqual([]);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('poison'))).toEqual([1, 2]);
      await expectConverged(t.wh, t.config, t.o.sent, readers);
    },
  );

  it(
    'a data source version redriven from the DLQ after a newer ' + 'one was applied is skipped; the view is unchanged',
    async () => {
      const readers = await t.o.createRoles('ann');
      t.driver.send(t.o.dataSourceMessages(t.o.orders(1)));
      await t.driver.drain();
      t.driver.send(await t.o.policyMessages(t.o.subscriptionAnyone(1)));
      await t.driver.drain();
      // Version 2 fails permanently on every delivery (the warehouse refused the whole batch).
      t.driver.api.onBatch = (s) =>
        objectOf(s) === t.o.id('orders') && s.parameters.s0_p_version === '2'
          ? { kind: 'failed', error: 'ERROR: permission denied for schema raw' }
          : { kind: 'run' };
      t.driver.send(t.o.dataSourceMessages(t.o.orders(2, { withAmount: false })));
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toHaveLength(1);
      expect(t.driver.queue.deadLetters()[0]!.reason).toContain('permission denied for schema raw');

      t.driver.api.onBatch = () => ({ kind: 'run' });
      t.driver.send(t.o.dataSourceMessages(t.o.orders(3)));
      await t.driver.drain();
      const before = await viewDef(t.o.name('orders'));
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1, 3]);

      const skipped = t.driver.metric('Skipped');
      const batches = t.driver.api.submissions.filter((s) => s.operation === 'batch').length;
      expect(t.driver.queue.redrive()).toBe(1);
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toEqual([]);
      expect(t.driver.metric('Skipped')).toBe(skipped + 1);
      expect(
        t.driver.api.submissions.filter((s) => s.operation === 'batch').length,
        'no transaction for the stale version',
      ).toBe(batches);
      expect(await viewDef(t.o.name('orders'))).toEqual(before); // same view (same oid), same definition
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1, 3]);
      await expectConverged(t.wh, t.config, t.o.sent, readers);
    },
  );

  it(
    'a policy version redriven after a newer one was applied ' + 'rebuilds the view from the newest state: unchanged',
    async () => {
      const readers = await t.o.createRoles('ann');
      t.driver.send(t.o.dataSourceMessages(t.o.orders(1)));
      await t.driver.drain();
      t.driver.send(await t.o.policyMessages(t.o.subscriptionAnyone(1)));
      await t.driver.drain();
      // Mask v1 (PII → NULL) is refused on every delivery; v2 (PII → 'xx') is applied after it was dead-lettered.
      t.driver.api.onBatch = (s) =>
        objectOf(s) === t.o.id('mask') && s.parameters.s0_p_version === '1'
          ? { kind: 'failed', error: 'ERROR: could not open relation with OID 16999' }
          : { kind: 'run' };
      t.driver.send(await t.o.policyMessages(t.o.piiMask(1)));
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toHaveLength(1);
      t.driver.api.onBatch = () => ({ kind: 'run' });
      t.driver.send(await t.o.policyMessages(t.o.piiMask(2)));
      await t.driver.drain();
      const before = await viewDef(t.o.name('orders'));
      expect(before!.def).toContain("'xx'");

      t.driver.queue.redrive();
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toEqual([]);
      expect(await viewDef(t.o.name('orders'))).toEqual(before);
      expect(await appliedVersions(t.wh, 'policy', t.o.id('mask'))).toEqual([2]);
      await expectConverged(t.wh, t.config, t.o.sent, readers);
    },
  );
});
