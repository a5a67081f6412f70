import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalFifoQueue, type ReceivedMessage } from '../../infra/local/local-fifo-queue.js';

/**
 * A Lambda-style consumer loop over the queue's own calls: receive, hand the batch over, delete what did not
 * fail, fail the rest (back to the queue, or the DLQ after maxReceiveCount); until nothing is deliverable.
 */
async function drain(
  q: LocalFifoQueue,
  consumer: (batch: ReceivedMessage[]) => Promise<{ batchItemFailures: { itemIdentifier: string }[] } | void>,
): Promise<void> {
  for (let rounds = 0; rounds < 1000; rounds++) {
    const batch = q.receive(10);
    if (batch.length === 0) return;
    let failed: Set<string>;
    try {
      failed = new Set(((await consumer(batch))?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.messageId));
    }
    for (const m of batch) {
      if (failed.has(m.messageId)) q.fail(m.receiptHandle, 'reported as a batch item failure');
      else q.ack(m.receiptHandle);
    }
  }
  throw new Error('drain did not finish');
}

/** One message at a time; after the first failure in a batch, every later message of it fails unprocessed. */
const drainEach = (q: LocalFifoQueue, handler: (m: ReceivedMessage) => Promise<void>) =>
  drain(q, async (batch) => {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const m of batch) {
      if (batchItemFailures.length > 0) {
        batchItemFailures.push({ itemIdentifier: m.messageId });
        continue;
      }
      try {
        await handler(m);
      } catch {
        batchItemFailures.push({ itemIdentifier: m.messageId });
      }
    }
    return { batchItemFailures };
  });

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
const msg = (groupId: string, id: string) => ({ groupId, deduplicationId: id, body: JSON.stringify({ id }) });
const ids = (batch: ReceivedMessage[]) => batch.map((m) => m.deduplicationId);

describe('LocalFifoQueue', () => {
  it('delivers a group in send order and blocks it while a message is in flight', () => {
    const q = new LocalFifoQueue();
    q.sendNow([msg('g1', 'a1'), msg('g2', 'b1'), msg('g1', 'a2'), msg('g1', 'a3')]);
    const first = q.receive(2);
    // As many of the oldest group as fit, in order.
    expect(ids(first)).toEqual(['a1', 'a2']);
    // g1 is busy (a1, a2 in flight): a3 must wait; g2 is free.
    expect(ids(q.receive(10))).toEqual(['b1']);
    expect(q.receive(10)).toEqual([]);
    expect(q.ack(first[0].receiptHandle)).toBe(true);
    expect(q.receive(10)).toEqual([]); // a2 still in flight
    q.ack(first[1].receiptHandle);
    expect(ids(q.receive(10))).toEqual(['a3']);
  });

  it('fills a receive from other groups when one group has fewer messages than asked', () => {
    const q = new LocalFifoQueue();
    q.sendNow([msg('g1', 'a1'), msg('g2', 'b1'), msg('g2', 'b2'), msg('g3', 'c1')]);
    expect(ids(q.receive(10))).toEqual(['a1', 'b1', 'b2', 'c1']);
  });

  it('drops a duplicate deduplication id within 5 minutes, even after delete, and accepts it after', () => {
    const c = clock();
    const q = new LocalFifoQueue({ clock: c.now });
    expect(q.sendNow([msg('g', 'd1'), msg('g', 'd1')])).toEqual({ enqueued: 1, duplicates: 1 });
    const [m] = q.receive(1);
    q.ack(m.receiptHandle);
    c.advance(5 * 60_000 - 1);
    expect(q.sendNow([msg('g', 'd1')])).toEqual({ enqueued: 0, duplicates: 1 });
    c.advance(1);
    expect(q.sendNow([msg('g', 'd1')])).toEqual({ enqueued: 1, duplicates: 0 });
    expect(q.counters()).toMatchObject({ depth: 1, sent: 2, deduplicated: 2 });
  });

  it('redelivers after the visibility timeout with ApproximateReceiveCount + 1 and rejects the stale receipt', () => {
    const c = clock();
    const q = new LocalFifoQueue({ clock: c.now, visibilityTimeoutMs: 1000 });
    q.sendNow([msg('g', 'x'), msg('g', 'y')]);
    const [first] = q.receive(1);
    expect(first.attributes.ApproximateReceiveCount).toBe('1');
    c.advance(999);
    expect(q.receive(10)).toEqual([]);
    c.advance(1);
    const again = q.receive(1);
    expect(ids(again)).toEqual(['x']);
    expect(again[0].attributes.ApproximateReceiveCount).toBe('2');
    expect(q.ack(first.receiptHandle)).toBe(false);
    expect(q.ack(again[0].receiptHandle)).toBe(true);
    expect(ids(q.receive(10))).toEqual(['y']);
  });

  it(
    'moves a message to the DLQ after maxReceiveCount with the last reason, unblocking its group; redrive returns ' +
      'it',
    () => {
      const c = clock();
      const q = new LocalFifoQueue({ clock: c.now, maxReceiveCount: 3, visibilityTimeoutMs: 100 });
      q.sendNow([msg('g', 'poison'), msg('g', 'next')]);
      q.fail(q.receive(1)[0].receiptHandle, 'first');
      q.receive(1); // times out silently
      c.advance(100);
      const third = q.receive(1)[0];
      expect(third.attributes.ApproximateReceiveCount).toBe('3');
      expect(q.fail(third.receiptHandle, 'permanent: relation does not exist')).toBe(true);
      expect(q.deadLetters()).toMatchObject([
        { deduplicationId: 'poison', receiveCount: 3, reason: 'permanent: relation does not exist' },
      ]);
      expect(q.counters()).toMatchObject({ depth: 1, inFlight: 0, dlqDepth: 1, deadLettered: 1 });
      const next = q.receive(10);
      expect(ids(next)).toEqual(['next']);
      q.ack(next[0].receiptHandle);
      expect(q.redrive()).toBe(1);
      const back = q.receive(10);
      expect(ids(back)).toEqual(['poison']);
      expect(back[0].attributes.ApproximateReceiveCount).toBe('1');
      expect(q.counters()).toMatchObject({ depth: 0, inFlight: 1, dlqDepth: 0, redriven: 1 });
    },
  );

  it('a message that only times out reaches the DLQ with that reason', () => {
    const c = clock();
    const q = new LocalFifoQueue({ clock: c.now, maxReceiveCount: 2, visibilityTimeoutMs: 10 });
    q.sendNow([msg('g', 'slow')]);
    q.receive(1);
    c.advance(10);
    q.receive(1);
    c.advance(10);
    expect(q.receive(1)).toEqual([]);
    expect(q.deadLetters()).toMatchObject([{ deduplicationId: 'slow', reason: 'visibility timeout expired' }]);
  });

  it(
    'a consumer under the FIFO partial-batch rule: after a ' + 'failure, later messages are retried, not skipped',
    async () => {
      const q = new LocalFifoQueue({ maxReceiveCount: 5 });
      q.sendNow([msg('g', '1'), msg('g', '2'), msg('g', '3')]);
      const seen: string[] = [];
      let failOnce = true;
      await drainEach(q, async (m) => {
        if (m.deduplicationId === '2' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        seen.push(m.deduplicationId);
      });
      expect(seen).toEqual(['1', '2', '3']);
      expect(q.counters()).toMatchObject({ depth: 0, inFlight: 0, dlqDepth: 0, deleted: 3 });
    },
  );

  it('rejects a receive of more than 10 and an over-long group id', () => {
    const q = new LocalFifoQueue();
    expect(() => q.receive(11)).toThrow(RangeError);
    expect(() => q.sendNow([msg('g'.repeat(129), 'x')])).toThrow(RangeError);
  });

  it(
    'property: per-group order and one-batch-in-flight-per-group hold under random receive/ack/fail/timeouts, and ' +
      'nothing is lost',
    () => {
      type Op =
        | { op: 'send'; group: number; count: number }
        | { op: 'receive'; max: number }
        | { op: 'ack'; pick: number }
        | { op: 'fail'; pick: number }
        | { op: 'tick'; ms: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({
          op: fc.constant('send' as const),
          group: fc.integer({ min: 0, max: 3 }),
          count: fc.integer({ min: 1, max: 4 }),
        }),
        fc.record({ op: fc.constant('receive' as const), max: fc.integer({ min: 1, max: 10 }) }),
        fc.record({ op: fc.constant('ack' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('fail' as const), pick: fc.nat() }),
        fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 150 }) }),
      );
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
          const c = clock();
          const q = new LocalFifoQueue({ clock: c.now, visibilityTimeoutMs: 100, maxReceiveCount: 3 });
          let nextId = 0;
          const sentOrder = new Map<string, string[]>(); // group → ids in send order
          const done = new Set<string>(); // acked or dead-lettered
          let inFlight: (ReceivedMessage & { until: number })[] = [];
          const deadIds = () => new Set(q.deadLetters().map((d) => d.deduplicationId));
          const checkBatch = (batch: ReceivedMessage[]) => {
            const dead = deadIds();
            const byGroup = new Map<string, string[]>();
            for (const m of batch) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m.deduplicationId]);
            for (const [g, got] of byGroup) {
              // Every earlier message of the group is finished, and the batch is the next ones in order.
              const pending = sentOrder.get(g)!.filter((id) => !done.has(id) && !dead.has(id));
              expect(got).toEqual(pending.slice(0, got.length));
            }
          };
          for (const o of ops) {
            if (o.op === 'send') {
              const g = `g${o.group}`;
              const batch = Array.from({ length: o.count }, () => msg(g, `m${nextId++}`));
              q.sendNow(batch);
              sentOrder.set(g, [...(sentOrder.get(g) ?? []), ...batch.map((b) => b.deduplicationId)]);
            } else if (o.op === 'receive') {
              const batch = q.receive(o.max);
              // A message of a group that still has a valid delivery out must not be delivered.
              // (the model's own clock: a delivery is out until its visibility timeout ends)
              const live = inFlight.filter((m) => c.now() < m.until);
              for (const m of batch) expect(live.some((l) => l.groupId === m.groupId)).toBe(false);
              checkBatch(batch);
              inFlight = [...live, ...batch.map((m) => ({ ...m, until: c.now() + 100 }))];
            } else if (o.op === 'tick') {
              c.advance(o.ms);
              inFlight = inFlight.filter((m) => c.now() < m.until);
            } else if (inFlight.length > 0) {
              // A FIFO-respecting consumer finishes a group's oldest in-flight message first.
              const chosen = inFlight[o.pick % inFlight.length];
              const m = inFlight.find((x) => x.groupId === chosen.groupId)!;
              if (o.op === 'ack') {
                if (q.ack(m.receiptHandle)) done.add(m.deduplicationId);
              } else {
                // Failing a message fails the later ones of its group in flight too (FIFO partial batch).
                for (const x of inFlight.filter((y) => y.groupId === m.groupId)) q.fail(x.receiptHandle, 'boom');
              }
              inFlight = inFlight.filter(
                (x) => x.receiptHandle !== m.receiptHandle && (o.op === 'ack' || x.groupId !== m.groupId),
              );
            }
          }
          // Drain the rest: everything ends acked or dead-lettered, each exactly once.
          c.advance(1000);
          const rest: string[] = [];
          let guard = 0;
          for (let batch = q.receive(10); batch.length > 0; batch = q.receive(10)) {
            checkBatch(batch);
            for (const m of batch) {
              q.ack(m.receiptHandle);
              done.add(m.deduplicationId);
              rest.push(m.deduplicationId);
            }
            expect(++guard).toBeLessThan(1000);
          }
          const all = [...sentOrder.values()].flat();
          const dead = deadIds();
          for (const id of all) expect(done.has(id) !== dead.has(id)).toBe(true);
          expect(q.counters()).toMatchObject({ depth: 0, inFlight: 0, dlqDepth: dead.size });
        }),
        { numRuns: 300 },
      );
    },
  );
});

describe('toSqsEvent', () => {
  it(
    'carries the FIFO attributes a Lambda handler reads, and ' + 'a consumer’s partial batch response is honoured',
    async () => {
      const { toSqsEvent } = await import('../support/local-sqs-event.js');
      const q = new LocalFifoQueue();
      q.sendNow([msg('view:ds1', 'e1'), msg('view:ds1', 'e2')]);
      const handled: string[][] = [];
      await drain(q, async (batch) => {
        const event = toSqsEvent(batch);
        handled.push(
          event.Records.map(
            (r) =>
              `${r.attributes.MessageGroupId}/${r.attributes.MessageDeduplicationId}#` +
              `${r.attributes.ApproximateReceiveCount}`,
          ),
        );
        // Fail the second record on its first delivery, as a handler's batchItemFailures would.
        const second = event.Records[1];
        return second && second.attributes.ApproximateReceiveCount === '1'
          ? { batchItemFailures: [{ itemIdentifier: second.messageId }] }
          : undefined;
      });
      expect(handled).toEqual([['view:ds1/e1#1', 'view:ds1/e2#1'], ['view:ds1/e2#2']]);
      expect(q.counters()).toMatchObject({ depth: 0, deleted: 2, failed: 1 });
    },
  );
});
