// The local FIFO queue with many groups at once (a global policy push puts one group per view in it): group
// order after a group becomes deliverable again, 20,000 groups draining in order, dedup expiry. Per-call cost is
// measured by `npm run bench` (never by a timed test: it failed once on this shared machine). The
// semantics themselves are covered by local-fifo-queue.test.ts (incl. its property test).
import { describe, expect, it } from 'vitest';
import { LocalFifoQueue, type ReceivedMessage } from '../../infra/local/local-fifo-queue.js';

const msg = (groupId: string, id: string) => ({ groupId, deduplicationId: id, body: id });
const ids = (batch: ReceivedMessage[]) => batch.map((m) => m.deduplicationId);

describe('LocalFifoQueue at scale', () => {
  it(
    'a group that becomes deliverable again is ordered by its head: an older head goes first, a newer one waits ' +
      'its turn',
    () => {
      const q = new LocalFifoQueue();
      q.sendNow([msg('g1', 'a1'), msg('g2', 'b1'), msg('g1', 'a2'), msg('g3', 'c1')]);
      const [a1] = q.receive(1);
      expect(a1!.deduplicationId).toBe('a1');
      // g1 back with its head a1 (sequence 1): before g2 (2) and g3 (4).
      q.fail(a1!.receiptHandle, 'retry');
      expect(ids(q.receive(3))).toEqual(['a1', 'a2', 'b1']);
      // Everything in flight but c1; after g1 is acked its new message (sequence 5) comes after c1.
      const q2 = new LocalFifoQueue();
      q2.sendNow([msg('g1', 'x1'), msg('g2', 'y1')]);
      const [x1] = q2.receive(1);
      q2.sendNow([msg('g1', 'x2')]);
      q2.ack(x1!.receiptHandle);
      expect(ids(q2.receive(10))).toEqual(['y1', 'x2']);
    },
  );

  it(
    'a message dead-lettered during a receive does not let its ' + 'group deliver twice in one batch or out of order',
    () => {
      let now = 0;
      const q = new LocalFifoQueue({ maxReceiveCount: 1, visibilityTimeoutMs: 10, clock: () => now });
      q.sendNow([msg('g1', 'p'), msg('g1', 'n1'), msg('g1', 'n2'), msg('g2', 'o')]);
      expect(ids(q.receive(1))).toEqual(['p']);
      now += 10; // p timed out after its only allowed receive: the next receive moves it to the DLQ
      expect(ids(q.receive(10))).toEqual(['n1', 'n2', 'o']);
      expect(q.deadLetters().map((d) => d.deduplicationId)).toEqual(['p']);
      expect(q.receive(10)).toEqual([]);
      expect(q.counters()).toMatchObject({ depth: 0, inFlight: 3, dlqDepth: 1 });
    },
  );

  it('20,000 groups drain in send order across groups, each message once', () => {
    const q = new LocalFifoQueue();
    const n = 20_000;
    q.sendNow(Array.from({ length: n }, (_, i) => msg(`view:ds${i}`, `e${i}`)));
    const order: number[] = [];
    for (let batch = q.receive(10); batch.length > 0; batch = q.receive(10)) {
      for (const m of batch) {
        order.push(Number(m.deduplicationId.slice(1)));
        expect(q.ack(m.receiptHandle)).toBe(true);
      }
    }
    // Oldest group head first = the send order.
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(q.counters()).toMatchObject({ depth: 0, inFlight: 0, deleted: n });
  });

  it('dedup ids expire oldest first without a scan and are still honoured exactly at the window edge', () => {
    let now = 0;
    const q = new LocalFifoQueue({ clock: () => now, dedupWindowMs: 100 });
    for (let i = 0; i < 1000; i++) {
      q.sendNow([msg('g', `d${i}`)]);
      now += 1;
    }
    // d900 was sent at t=900: a duplicate until t=1000 (exclusive).
    now = 999;
    expect(q.sendNow([msg('g', 'd900'), msg('g', 'd899')])).toEqual({ enqueued: 1, duplicates: 1 });
    now = 1000;
    expect(q.sendNow([msg('g', 'd900')])).toEqual({ enqueued: 1, duplicates: 0 });
    // d899 was re-sent at 999: its window restarted then.
    now = 1098;
    expect(q.sendNow([msg('g', 'd899')])).toEqual({ enqueued: 0, duplicates: 1 });
  });
});
