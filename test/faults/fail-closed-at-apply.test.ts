// The warehouse refuses a compiled view with a PERMANENT error — here a custom WHERE clause the
// compiler accepts (no diagnostic) that this warehouse refuses at CREATE VIEW (test/support/engine-refusal.ts:
// an event trigger stands for a refusal the compiler cannot foresee). The data source must not keep serving its
// previous, less
// restrictive view: the apply loop applies the fail-closed view in its own transaction with the state CALL
// (VG308; `ViewsFailedClosed`), and still reports the original failure — for a policy item every redelivery
// fails the same way, so the message reaches the DLQ with the engine's reason. Real apply Lambda, SQL on PGlite.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { REFUSAL, refusedClause, refuseMarkedViews } from '../support/engine-refusal.js';
import { useApplyLambda } from './support/fault-harness.js';
import { Objects } from './support/objects.js';
import { appliedVersions, expectConverged } from './support/oracle.js';

const MAX_RECEIVES = 3;
const t = useApplyLambda('c', { maxReceiveCount: MAX_RECEIVES });
beforeAll(() => t.wh.admin(refuseMarkedViews()));

const REFUSED = refusedClause('region');
const badFilter = (o: Objects, version: number, clause = REFUSED) =>
  o.policy({
    id: o.id('where'),
    version,
    type: 'rowFilter',
    scope: { kind: 'local', dataSourceId: o.id('orders') },
    filter: { kind: 'where', clause },
  });

async function setUp(): Promise<string> {
  const [ann] = await t.o.createRoles('ann');
  t.driver.send([...t.o.dataSourceMessages(t.o.orders(1)), ...t.o.userMessages('ann', 1, { region: ['eu'] })]);
  await t.driver.drain();
  t.driver.send(await t.o.policyMessages(t.o.subscriptionAnyone(1)));
  await t.driver.drain();
  return ann!;
}
const read = (role: string) => t.wh.queryAs!(role, stmt(`SELECT * FROM secure.${t.o.name('orders')} ORDER BY id`));
const viewDefinition = async () =>
  String(
    (await t.wh.queryAs!(null, stmt(`SELECT pg_get_viewdef('secure.${t.o.name('orders')}'::regclass) AS d`)))[0]!.d,
  );

describe('fail closed at apply time when the engine refuses the view (real apply Lambda, SQL on PGlite)', () => {
  it('the compiler accepts the clause (no diagnostic), the engine refuses it: the premise of the test', async () => {
    const compiled = compileView(
      t.o.orders(1),
      [t.o.subscriptionAnyone(1), badFilter(t.o, 1)],
      t.config,
      redshift,
      null,
    );
    expect(compiled.failedClosed).toBe(false);
    expect(compiled.diagnostics).toEqual([]);
    await t.wh.admin([stmt('CREATE SCHEMA premise'), stmt('GRANT CREATE, USAGE ON SCHEMA premise TO PUBLIC')]);
    const probe = compileView(
      t.o.orders(1),
      [t.o.subscriptionAnyone(1), badFilter(t.o, 1)],
      { ...t.config, viewSchema: 'premise' },
      redshift,
      null,
    );
    await expect(t.wh.system.transaction(probe.statements)).rejects.toThrow(REFUSAL);
  });

  it(
    'a policy whose view is refused: the previous view is replaced by the fail-closed one, the failure reaches the ' +
      'DLQ with its reason',
    async () => {
      const ann = await setUp();
      expect(await read(ann)).toHaveLength(3); // the open view: every row
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 1)));

      await t.driver.invoke();
      // After the first delivery: the view is closed (typed NULLs, no rows), the policy state is stored…
      expect(await read(ann)).toEqual([]);
      expect(await viewDefinition()).toMatch(/WHERE false/i);
      expect(await viewDefinition()).not.toContain('raw.orders');
      expect(await appliedVersions(t.wh, 'policy', t.o.id('where'))).toEqual([1]);
      // …and the item still failed, permanently, with the engine's reason; the operator sees VG308.
      const failure = t.driver.logs().find((l) => l.failure !== undefined)!;
      expect(failure).toMatchObject({
        failure: 'permanent',
        failedClosed: true,
        object: `policy:${t.o.id('where')}@view:${t.o.id('orders')}`,
      });
      expect(String(failure.reason)).toMatch(new RegExp(`${REFUSAL.source}.*now fails closed \\(VG308\\)`, 's'));
      expect((failure.diagnostics as { code: string }[]).map((d) => d.code)).toEqual(['VG308', 'VG301']);
      expect(t.driver.metric('ViewsFailedClosed')).toBe(1);
      expect(t.driver.metric('Failed')).toBe(1);

      await t.driver.drain();
      const dead = t.driver.queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]!.receiveCount).toBe(MAX_RECEIVES);
      expect(dead[0]!.reason).toMatch(REFUSAL);
      expect(t.driver.metric('ViewsFailedClosed')).toBe(MAX_RECEIVES); // every delivery closed it again
      expect(await read(ann)).toEqual([]);

      // The fix (a clause the engine takes) opens the view again, as the policies say.
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 2, "region = 'eu'")));
      await t.driver.drain();
      expect((await read(ann)).map((r) => r.id)).toEqual([1, 3]);
      await expectConverged(t.wh, t.config, t.o.sent, [ann]);
    },
  );

  it(
    'a data source change whose view is refused closes the view too; its version is recorded, so the redelivery is ' +
      'skipped',
    async () => {
      const ann = await setUp();
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 1)));
      await t.driver.drain();
      expect(t.driver.queue.deadLetters()).toHaveLength(1);
      // The policy is fixed; the data source is then updated while ANOTHER refused clause is stored (v3).
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 2, "region = 'eu'")));
      await t.driver.drain();
      expect((await read(ann)).map((r) => r.id)).toEqual([1, 3]);
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 3, refusedClause('email'))));
      await t.driver.drain();
      expect(await read(ann)).toEqual([]);
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 4, "region = 'us'")));
      await t.driver.drain();
      expect((await read(ann)).map((r) => r.id)).toEqual([2]);

      // Now the data source itself: v2 drops a column while a refused clause is stored again.
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 5, `email = 'x' OR ${refusedClause('region')}`)));
      await t.driver.drain();
      const failedBefore = t.driver.metric('Failed');
      const closedBefore = t.driver.metric('ViewsFailedClosed');
      const skippedBefore = t.driver.metric('Skipped');
      t.driver.send(t.o.dataSourceMessages(t.o.orders(2, { withAmount: false })));
      await t.driver.drain();
      expect(t.driver.metric('Failed') - failedBefore).toBe(1);
      expect(t.driver.metric('ViewsFailedClosed') - closedBefore).toBe(1);
      expect(t.driver.metric('Skipped') - skippedBefore, 'the redelivery found v2 stored').toBe(1);
      // The three refused policy versions are dead letters; the data source item is not.
      expect(
        t.driver.queue
          .deadLetters()
          .map((d) => JSON.parse(d.body) as { kind: string; version: number })
          .map((i) => [i.kind, i.version]),
      ).toEqual([
        ['policy', 1],
        ['policy', 3],
        ['policy', 5],
      ]);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1, 2]);
      expect(await read(ann)).toEqual([]);
      // The closed view has the NEW column list (the data source's desired state), no rows.
      const cols = await t.wh.queryAs!(
        null,
        stmt(
          `SELECT attname FROM pg_attribute WHERE attrelid = 'secure.${t.o.name('orders')}'::regclass AND attnum > ` +
            `0 ORDER BY attnum`,
        ),
      );
      expect(cols.map((c) => c.attname)).toEqual(['id', 'region', 'email']);
    },
  );

  it(
    'a data source registered for the first time under a refused clause gets no view and a plain permanent failure ' +
      '(nothing to close)',
    async () => {
      t.driver.send(t.o.userMessages('ann', 1, { region: ['eu'] }));
      // The local policy exists before its data source does.
      t.driver.send(await t.o.policyMessages(badFilter(t.o, 1)));
      await t.driver.drain();
      t.driver.send(t.o.dataSourceMessages(t.o.orders(1)));
      await t.driver.drain();
      const dead = t.driver.queue.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]!.reason).toMatch(REFUSAL);
      expect(dead[0]!.reason).not.toContain('VG308');
      expect(t.driver.metric('ViewsFailedClosed')).toBe(0);
      const views = await t.wh.queryAs!(
        null,
        stmt(`SELECT count(*)::int AS n FROM pg_class WHERE relname = :n`, undefined, { n: t.o.name('orders') }),
      );
      expect(views).toEqual([{ n: 0 }]);
    },
  );
});
