// Negative controls for the fault tests' oracle (support/oracle.ts): it must FAIL when a version is lost, when
// an older version is committed after a newer one, and when a view differs from the compile of the latest
// states — otherwise every fault test above could pass vacuously.
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../../shared/sql/statement.js';
import { useApplyLambda } from './support/fault-harness.js';
import { expectConverged } from './support/oracle.js';

const t = useApplyLambda('x');
beforeEach(async () => {
  t.driver.send(t.o.dataSourceMessages(t.o.orders(1)));
  await t.driver.drain();
  t.driver.send(await t.o.policyMessages(t.o.subscriptionAnyone(1)));
  await t.driver.drain();
  await expectConverged(t.wh, t.config, t.o.sent);
});

describe('the fault oracle fails when it should', () => {
  it('a lost version (sent, never applied)', async () => {
    t.o.dataSourceEvent(t.o.orders(2)); // recorded as sent; its message is dropped
    await expect(expectConverged(t.wh, t.config, t.o.sent)).rejects.toThrow(/latest state stored/);
  });

  it('an older version committed after a newer one', async () => {
    t.driver.send(t.o.dataSourceMessages(t.o.orders(3)));
    await t.driver.drain();
    // Bypass the guard procedure: what a broken stale check would do.
    await t.wh.admin([
      stmt('UPDATE immuta_system.datasource_state SET version = 2 WHERE datasource_id = :id', undefined, {
        id: t.o.id('orders'),
      }),
    ]);
    await t.wh.admin([
      stmt('UPDATE immuta_system.datasource_state SET version = 3 WHERE datasource_id = :id', undefined, {
        id: t.o.id('orders'),
      }),
    ]);
    await expect(expectConverged(t.wh, t.config, t.o.sent)).rejects.toThrow(/must increase/);
  });

  it('a view that is not the compile of the latest states', async () => {
    t.o.policyEvent(t.o.piiMask(1)); // the policy "was applied" in the oracle's eyes only
    await t.wh.admin([
      stmt(
        'INSERT INTO immuta_system.policy_state (policy_id, version, deleted, definition, updated_at) VALUES (:id, ' +
          '1, false, :def, now())',
        undefined,
        { id: t.o.id('mask'), def: JSON.stringify(t.o.piiMask(1)) },
      ),
    ]);
    await expect(expectConverged(t.wh, t.config, t.o.sent)).rejects.toThrow(/view of/);
  });
});
