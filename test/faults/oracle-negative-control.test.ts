// Negative controls for the fault tests' oracle (support/oracle.ts): it must FAIL when a version is lost, when
// an older version is committed after a newer one, and when a view differs from the compile of the latest
// states — otherwise every fault test above could pass vacuously.
import 'aws-sdk-client-mock-vitest/extend';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { stmt } from '../../shared/sql/statement.js';
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
beforeEach(async () => {
  driver = new ApplyLambdaDriver(handler, pgliteOf(wh));
  driver.captureOutput();
  o = new Objects(`x${++run}`, wh, new SentHistory());
  driver.send(o.dataSourceMessages(o.orders(1)));
  await driver.drain();
  driver.send(await o.policyMessages(o.subscriptionAnyone(1)));
  await driver.drain();
  await expectConverged(wh, config, o.sent);
});
afterEach(() => {
  vi.restoreAllMocks();
  driver.rd.restore();
  driver.sqs.restore();
});

describe('the fault oracle fails when it should', () => {
  it('a lost version (sent, never applied)', async () => {
    o.dataSourceEvent(o.orders(2)); // recorded as sent; its message is dropped
    await expect(expectConverged(wh, config, o.sent)).rejects.toThrow(/latest state stored/);
  });

  it('an older version committed after a newer one', async () => {
    driver.send(o.dataSourceMessages(o.orders(3)));
    await driver.drain();
    // Bypass the guard procedure: what a broken stale check would do.
    await wh.admin([stmt('UPDATE immuta_system.datasource_state SET version = 2 WHERE datasource_id = :id', undefined, { id: o.id('orders') })]);
    await wh.admin([stmt('UPDATE immuta_system.datasource_state SET version = 3 WHERE datasource_id = :id', undefined, { id: o.id('orders') })]);
    await expect(expectConverged(wh, config, o.sent)).rejects.toThrow(/must increase/);
  });

  it('a view that is not the compile of the latest states', async () => {
    o.policyEvent(o.piiMask(1)); // the policy "was applied" in the oracle's eyes only
    await wh.admin([stmt('INSERT INTO immuta_system.policy_state (policy_id, version, deleted, definition, updated_at) VALUES (:id, 1, false, :def, now())', undefined, { id: o.id('mask'), def: JSON.stringify(o.piiMask(1)) })]);
    await expect(expectConverged(wh, config, o.sent)).rejects.toThrow(/view of/);
  });
});
