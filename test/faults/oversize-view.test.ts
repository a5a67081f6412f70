// The Data API takes a statement of at most 100 KB. A view that grows past it (here: row filters with long
// custom WHERE clauses, added one policy at a time) is refused by the apply path BEFORE the call: the view in
// place is replaced by the fail-closed view (VG320; ViewsFailedClosed), the item fails permanently (no transient
// error redelivered for ever), and no oversize statement ever reaches the Data API. A smaller view opens it again.
// Real apply Lambda; the Data API behind aws-sdk-client-mock runs the SQL on PGlite and, like the real API,
// refuses a statement over 100 KB.
import 'aws-sdk-client-mock-vitest/extend';
import { describe, expect, it } from 'vitest';
import { stmt } from '../../shared/sql/statement.js';
import { useApplyLambda } from './support/fault-harness.js';
import type { Objects } from './support/objects.js';

const MAX_RECEIVES = 3;
const t = useApplyLambda('z', { maxReceiveCount: MAX_RECEIVES });

/** A custom WHERE of about 4,000 characters that keeps every row of the fixture ('eu', 'us'). */
const longClause = (n: number): string => {
  const values = ["'eu'", "'us'"];
  for (let i = 0; values.join(', ').length < 3_950; i++) values.push(`'x${n}_${i}'`.slice(0, 10));
  return `region IN (${values.join(', ')})`;
};
const filter = (o: Objects, n: number, version = 1, clause = longClause(n)) =>
  o.policy({
    id: o.id(`big${n}`),
    version,
    type: 'rowFilter',
    scope: { kind: 'local', dataSourceId: o.id('orders') },
    filter: { kind: 'where', clause },
  });

describe('a view over the Data API statement limit fails closed (real apply Lambda)', () => {
  it('is refused before the call, closed with VG320, and reaches the DLQ; a smaller view opens it again', async () => {
    const [ann] = await t.o.createRoles('ann');
    t.driver.send([...t.o.dataSourceMessages(t.o.orders(1)), ...t.o.userMessages('ann', 1)]);
    await t.driver.drain();
    t.driver.send(await t.o.policyMessages(t.o.subscriptionAnyone(1)));
    await t.driver.drain();
    const read = () => t.wh.queryAs!(ann!, stmt(`SELECT id FROM secure.${t.o.name('orders')} ORDER BY id`));
    expect(await read()).toHaveLength(3);

    // Add long filters one at a time until one makes the view too large.
    let crossing = 0;
    for (let n = 1; n <= 40 && crossing === 0; n++) {
      t.driver.send(await t.o.policyMessages(filter(t.o, n)));
      await t.driver.invoke();
      if (t.driver.metric('Failed') > 0) crossing = n;
      else expect(await read(), `filter ${n} keeps every row`).toHaveLength(3);
    }
    expect(crossing).toBeGreaterThan(20);

    const failure = t.driver.logs().find((l) => l.failure !== undefined)!;
    expect(failure).toMatchObject({
      failure: 'permanent',
      failedClosed: true,
      object: `policy:${t.o.id(`big${crossing}`)}@view:${t.o.id('orders')}`,
    });
    expect(String(failure.reason)).toMatch(
      /is \d{6} bytes; the Data API takes at most 100000; the view of data source .* now fails closed \(VG320\)/,
    );
    expect((failure.diagnostics as { code: string }[]).map((d) => d.code)).toEqual(['VG320', 'VG301']);
    expect(t.driver.metric('ViewsFailedClosed')).toBe(1);
    expect(await read()).toEqual([]);
    // Checked before the call: nothing over the limit was ever submitted.
    const sizes = t.driver.api.submissions.flatMap((s) => s.sqls.map((q) => Buffer.byteLength(q, 'utf8')));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100_000);

    // Not a transient error redelivered for ever: every redelivery closes it again, then the DLQ.
    await t.driver.drain();
    const dead = t.driver.queue.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]!.receiveCount).toBe(MAX_RECEIVES);
    expect(dead[0]!.reason).toMatch(/Data API takes at most 100000/);
    expect(await read()).toEqual([]);

    // The fix: a shorter clause for the last filter makes the view fit again.
    t.driver.send(await t.o.policyMessages(filter(t.o, crossing, 2, "region IN ('eu', 'us')")));
    await t.driver.drain();
    expect(await read()).toHaveLength(3);
  });
});
