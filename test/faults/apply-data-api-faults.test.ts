// Fault injection at the Data API boundary, through the REAL apply Lambda handler fed by an SQS FIFO stand-in
// (support/fault-harness.ts) with every statement executed on PGlite. Each scenario sends several versions
// of several objects, injects one family of faults, drains, and then asserts the invariant of issue 6: nothing
// was lost (the warehouse equals the oracle built from the latest version of every object) and per-object
// order held (the versions committed for each object strictly increase) — plus what is specific to the fault
// (what was cancelled, what was redelivered, what was skipped, the FIFO partial-batch response).
import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
} from '@aws-sdk/client-redshift-data';
import { describe, expect, it } from 'vitest';
import type { WorkMessage } from '../../shared/ports/work-queue.js';
import type { DataApiFault, Submission } from './support/pglite-data-api.js';
import { useApplyLambda } from './support/fault-harness.js';
import { appliedVersions, expectConverged } from './support/oracle.js';

const t = useApplyLambda('f');

/** The object a batch writes, from its guard CALL's first parameter (`s0_p_id` / `s0_p_userid`). */
const objectOf = (s: Submission): string => s.parameters.s0_p_id ?? s.parameters.s0_p_userid ?? '?';
const versionOf = (s: Submission): number => Number(s.parameters.s0_p_version);

/**
 * A workload over three FIFO groups, sent interleaved: the orders view (data source v1..v3 and two policy
 * versions, which all land in its group), a second data source, and two users.
 */
async function workload(): Promise<WorkMessage[]> {
  const out: WorkMessage[] = [];
  // The policies' fan-out reads the catalog: register the data sources first, as in production order.
  out.push(...t.o.dataSourceMessages(t.o.orders(1)), ...t.o.dataSourceMessages(t.o.items(1)));
  out.push(...t.o.userMessages('ann', 1, { region: ['eu'] }), ...t.o.userMessages('bo', 1, { region: ['us'] }));
  t.driver.send(out.splice(0));
  await t.driver.drain();
  out.push(...(await t.o.policyMessages(t.o.subscriptionAnyone(1))));
  out.push(...t.o.dataSourceMessages(t.o.orders(2)));
  out.push(...(await t.o.policyMessages(t.o.piiMask(1))));
  out.push(...t.o.userMessages('ann', 2, { region: ['eu', 'us'] }));
  out.push(...(await t.o.policyMessages(t.o.regionFilter(1))));
  out.push(...t.o.dataSourceMessages(t.o.orders(3, { withAmount: false })));
  out.push(...(await t.o.policyMessages(t.o.piiMask(2))));
  out.push(...t.o.userMessages('bo', 2, { region: ['eu'] }));
  out.push(...t.o.dataSourceMessages(t.o.items(2)));
  return out;
}

/**
 * The FIFO partial-batch rule (Powertools SqsFifoPartialProcessor, skipGroupOnError): a failed record fails
 * every later record of ITS group in the batch; a record is failed only when it failed itself or an earlier
 * record of its group did.
 */
function expectFifoPartialBatches(): void {
  for (const inv of t.driver.invocations) {
    if (inv.crashed) continue;
    const blocked = new Set<string>();
    inv.received.forEach((id, i) => {
      const group = inv.groups[i]!;
      const failed = inv.failed.includes(id);
      if (blocked.has(group))
        expect(failed, `${id}: after a failure in ${group}, every later record of it fails`).toBe(true);
      else expect(failed, `${id}: failed only if it failed itself`).toBe(inv.failedThemselves.includes(id));
      if (failed) blocked.add(group);
    });
  }
}

async function converge(readers: string[] = []): Promise<void> {
  await t.driver.drain();
  expect(t.driver.queue.deadLetters(), 'nothing dead-lettered').toEqual([]);
  await expectConverged(t.wh, t.config, t.o.sent, readers);
  expectFifoPartialBatches();
}

describe('apply Lambda under Data API faults (real handler, SQL on PGlite)', () => {
  it('without faults the workload converges (the harness and the oracle agree)', async () => {
    const readers = await t.o.createRoles('ann', 'bo');
    t.driver.send(await workload());
    await converge(readers);
    expect(t.driver.metric('Failed')).toBe(0);
    expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1, 2, 3]);
  });

  it(
    'throttling and ActiveStatementsExceeded on ' + 'BatchExecuteStatement: redelivered, nothing lost, order ' + 'held',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      const faults: DataApiFault['kind'][] = [
        'throttle',
        'activeStatements',
        'run',
        'throttle',
        'run',
        'activeStatements',
        'activeStatements',
        'throttle',
      ];
      let injected = 0;
      t.driver.send(await workload());
      t.driver.api.onBatch = () => {
        const kind = faults.shift() ?? 'run';
        if (kind !== 'run') injected++;
        return { kind } as DataApiFault;
      };
      await converge(readers);
      expect(injected).toBe(6);
      expect(t.driver.metric('Failed')).toBe(6);
      const failures = t.driver
        .logs()
        .filter((l) => l.message === 'work item failed; SQS redelivers it (DLQ after max receives)');
      expect(failures.map((l) => l.failure)).toEqual(Array(6).fill('transient'));
      expect(failures.some((l) => String(l.reason).includes('ThrottlingException'))).toBe(true);
      expect(failures.some((l) => String(l.reason).includes('ActiveStatementsExceededException'))).toBe(true);
      // Some later records of a failed record's group were reported unprocessed (the FIFO rule was exercised).
      expect(t.driver.invocations.some((i) => i.failed.length > 1)).toBe(true);
    },
  );

  it(
    'FAILED (serializable violation, a permanent-looking error) and ABORTED statements: rolled back, redelivered, ' +
      'applied later',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      t.driver.send(await workload());
      const script: DataApiFault[] = [
        {
          kind: 'failed',
          error:
            'ERROR: 1023 DETAIL: Serializable isolation violation on table - 100226, transactions forming the ' +
            'cycle are: 1, 2',
        },
        { kind: 'aborted' },
        { kind: 'run' },
        { kind: 'failed', error: 'ERROR: could not complete because of conflict with concurrent transaction' },
        { kind: 'aborted' },
      ];
      t.driver.api.onBatch = () => script.shift() ?? { kind: 'run' };
      await converge(readers);
      expect(t.driver.metric('StatementsAborted')).toBeGreaterThan(0);
      expect(t.driver.metric('StatementsFailed')).toBeGreaterThan(0);
      const kinds = t.driver
        .logs()
        .filter((l) => l.failure !== undefined)
        .map((l) => l.failure);
      expect(kinds).toContain('transient'); // 1023 and ABORTED
      expect(kinds).toContain('permanent'); // the unclassified error: redelivered all the same (below maxReceiveCount)
    },
  );

  it(
    'a statement that does not finish in time: deadline → ' +
      'CancelStatement → transient → redelivered → applied later',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      t.driver.send(await workload());
      let hung: Submission | undefined;
      t.driver.api.onBatch = (s) => {
        if (!hung && objectOf(s) === t.o.id('orders') && s.sqls[0]!.includes('apply_datasource')) {
          hung = s;
          return { kind: 'hang' };
        }
        return { kind: 'run' };
      };
      // 1.4 s left, 1 s margin (VIEWGUARD_DEADLINE_MARGIN_MS): the adapter stops polling ~0.4 s in.
      await t.driver.invoke({ remainingMs: 1400 });
      expect(hung, 'a data source transaction of the orders view was submitted').toBeDefined();
      expect(t.driver.rd).toHaveReceivedCommandTimes(CancelStatementCommand, 1);
      expect(t.driver.api.cancelled).toHaveLength(1);
      const log = t.driver.logs().find((l) => l.failure !== undefined)!;
      expect(log).toMatchObject({ failure: 'transient' });
      expect(String(log.reason)).toMatch(/deadline; cancelled/);
      // The cancelled version was never committed; it is applied on a later delivery.
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).not.toContain(versionOf(hung!));
      await converge(readers);
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toContain(versionOf(hung!));
    },
  );

  it(
    'DescribeStatement errors: a few are absorbed by polling; more (or a non-retryable one) after the batch ' +
      'committed → redelivery is harmless',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      t.driver.send(await workload());
      let n = 0;
      const ran: Submission[] = [];
      t.driver.api.onBatch = (s) => {
        n++;
        if (n === 1) return { kind: 'describeErrors', count: 2 }; // ≤ maxPollErrors (3): polling goes on
        if (n === 2 || n === 4) {
          ran.push(s);
          return { kind: 'describeErrors', count: 5 }; // the batch committed, we never learn it
        }
        if (n === 3) {
          ran.push(s);
          return {
            kind: 'describeErrors',
            count: 1,
            error: () =>
              Object.assign(new Error('Statement is not found'), {
                name: 'ValidationException',
                $metadata: { httpStatusCode: 400 },
              }),
          };
        }
        return { kind: 'run' };
      };
      await converge(readers);
      expect(t.driver.rd.commandCalls(DescribeStatementCommand).length).toBeGreaterThan(
        t.driver.rd.commandCalls(BatchExecuteStatementCommand).length,
      );
      const failures = t.driver.logs().filter((l) => l.failure !== undefined);

      expect(failures).toHaveLength(3);
      expect(failures.map((l) => l.failure).sort()).toEqual(['permanent', 'transient', 'transient']);
      // Each of those versions committed ONCE even though its message was delivered again.
      for (const s of ran) {
        const kind = s.sqls[0]!.includes('apply_datasource')
          ? 'datasource'
          : s.sqls[0]!.includes('apply_policy')
            ? 'policy'
            : 'user';
        const versions = await appliedVersions(t.wh, kind, objectOf(s));
        expect(
          versions.filter((v) => v === versionOf(s)),
          `${kind} ${objectOf(s)} v${versionOf(s)}`,
        ).toHaveLength(1);
      }
    },
  );

  it(
    'a crash after the statements ran but before SQS deleted the ' +
      'messages: the redelivery is harmless (stale skip)',
    async () => {
      const readers = await t.o.createRoles('ann', 'bo');
      t.driver.send(await workload());
      const committedBefore = t.driver.api.committedBatches;
      const received = await t.driver.invoke({ crash: true });
      expect(received).toBeGreaterThan(1);
      const committedByCrashedRun = t.driver.api.committedBatches - committedBefore;
      expect(committedByCrashedRun).toBe(received); // every record's transaction committed…
      expect(t.driver.queue.counters().inFlight).toBe(received); // …and none was deleted
      const skippedBefore = t.driver.metric('Skipped');
      await converge(readers);
      // The redelivered data source items found their version stored and were acknowledged without a write.
      expect(t.driver.metric('Skipped') - skippedBefore).toBeGreaterThan(0);
      const dsVersions = await appliedVersions(t.wh, 'datasource', t.o.id('orders'));
      expect(new Set(dsVersions).size).toBe(dsVersions.length);
    },
  );
});
