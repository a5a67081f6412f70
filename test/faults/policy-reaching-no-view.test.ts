// A policy that reaches no view travels with `dataSourceId: null` end to end — router item (group
// `policy:<id>`), queue body, apply loop, planner — and its transaction is the one CALL that stores the policy
// state with p_datasource_id NULL. When a matching data source was registered after the router's read, the
// item's guarded read widens the reach (re-fan-out) and the view is built with the policy. Real policy router
// and apply Lambdas; SQL on PGlite.
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { planViewChange, type ViewChange } from '../../shared/compiler/view-change-plan.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { policyGroupId, routePolicyEvent, type PolicyEvent } from '../../shared/routing/route-policy.js';
import { parseWorkItem } from '../../shared/routing/work-item.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { useApplyLambda } from './support/fault-harness.js';
import { appliedVersions, expectConverged } from './support/oracle.js';

const t = useApplyLambda('n');

describe('a policy that reaches no view: dataSourceId null end to end', () => {
  it('router → queue body → apply Lambda → one CALL with p_datasource_id NULL; the state is stored', async () => {
    const policy = t.o.subscriptionAnyone(1); // global on the per-test tag: no data source carries it yet
    const messages = await t.o.policyMessages(policy);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.groupId).toBe(policyGroupId(policy.id));
    expect(parseWorkItem(messages[0]!.body)).toMatchObject({ kind: 'policy', policyId: policy.id, dataSourceId: null });

    t.driver.send(messages);
    await t.driver.drain();
    const batches = t.driver.api.submissions.filter((s) => s.operation === 'batch');
    expect(batches).toHaveLength(1);
    expect(batches[0]!.sqls).toHaveLength(1);
    expect(batches[0]!.sqls[0]).toMatch(/^CALL "immuta_procedures"\."apply_policy"\(/);
    // The Data API carries no NULL parameter: the adapter writes the keyword, so no p_datasource_id value.
    expect(batches[0]!.sqls[0]).toContain('CAST(NULL AS');
    expect(Object.keys(batches[0]!.parameters)).not.toContain('s0_p_datasource_id');
    expect(await appliedVersions(t.wh, 'policy', policy.id)).toEqual([1]);
    expect(t.driver.metric('Applied')).toBe(1);
    await expectConverged(t.wh, t.config, t.o.sent);
  });

  it('the planner takes null (no data source lookup under a made-up id) and plans only the state CALL', async () => {
    const policy = t.o.piiMask(1);
    const snapshot = parseCatalog(await t.wh.system.query(catalogReadStatement(redshift)));
    const item: ViewChange = {
      kind: 'policy',
      policyId: policy.id,
      version: 1,
      deleted: false,
      definition: policy,
      dataSourceId: null,
      fanOutDigest: 'x'.repeat(64),
    };
    const plan = planViewChange(snapshot, item, t.config, redshift);
    expect(plan.statements).toHaveLength(1);
    expect(plan.statements[0]!.params).toMatchObject({
      p_id: policy.id,
      p_datasource_id: null,
      p_view_signature: null,
    });
    expect(plan.signature).toBeNull();
    // The statement runs on the engine (acting as the system role) and stores the state.
    await t.wh.system.transaction(plan.statements);
    const rows = await t.wh.queryAs!(
      null,
      stmt('SELECT version FROM immuta_system.policy_state WHERE policy_id = :id', undefined, { id: policy.id }),
    );
    expect(rows.map((r) => Number(r.version))).toEqual([1]);
  });

  it(
    'a data source registered after the router read: the null item widens its reach under the guard and the view ' +
      'gets the policy',
    async () => {
      const [ann] = await t.o.createRoles('ann');
      const policy = t.o.subscriptionAnyone(1);
      // The router reads the catalog before the data source exists: reach = none.
      const stale = await routePolicyEvent(t.o.policyEvent(policy) as PolicyEvent, t.wh.system, redshift);
      expect(parseWorkItem(stale[0]!.body)).toMatchObject({ dataSourceId: null });
      t.driver.send([...t.o.dataSourceMessages(t.o.orders(1)), ...t.o.userMessages('ann', 1)]);
      await t.driver.drain();
      // no subscription yet
      expect(await t.wh.queryAs!(ann!, stmt(`SELECT id FROM secure.` + `${t.o.name('orders')}`))).toEqual([]);

      t.driver.send(stale);
      await t.driver.drain();
      const widened = t.driver.api.submissions.filter(
        (s) => s.operation === 'batch' && s.parameters.s0_p_datasource_id === t.o.id('orders'),
      );
      expect(widened, 'an item for the data source the router missed was sent and applied').toHaveLength(1);
      expect(
        (await t.wh.queryAs!(ann!, stmt(`SELECT id FROM secure.${t.o.name('orders')} ORDER BY id`))).map((r) => r.id),
      ).toEqual([1, 2, 3]);
      await expectConverged(t.wh, t.config, t.o.sent, [ann!]);
    },
  );
});
