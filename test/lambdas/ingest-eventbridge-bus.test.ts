import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeBus } from '../../lambdas/aws/eventbridge-bus.js';
import type { BusEntry } from '../../shared/ports/event-bus.js';

const eb = mockClient(EventBridgeClient);
const entries = (n: number): BusEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    source: 'viewguard.webhooks',
    detailType: 'policy.updated',
    detail: JSON.stringify({ n: i }),
  }));
const sent = (call: number) =>
  (eb.commandCalls(PutEventsCommand)[call]!.args[0].input as PutEventsCommandInput).Entries!;
const ok = (input: PutEventsCommandInput) => ({
  FailedEntryCount: 0,
  Entries: input.Entries!.map((_, i) => ({ EventId: `e${i}` })),
});

describe('EventBridgeBus', () => {
  beforeEach(() => eb.reset());

  it('sends each entry to the named bus with Source, DetailType and Detail', async () => {
    eb.on(PutEventsCommand).callsFake(ok);
    const bus = new EventBridgeBus(new EventBridgeClient({}), 'vg-bus');
    expect(await bus.put(entries(1))).toEqual({ failed: [] });
    expect(eb).toHaveReceivedCommandExactlyOnceWith(PutEventsCommand, {
      Entries: [
        { EventBusName: 'vg-bus', Source: 'viewguard.webhooks', DetailType: 'policy.updated', Detail: '{"n":0}' },
      ],
    });
  });

  it('sends at most 10 entries per call', async () => {
    eb.on(PutEventsCommand).callsFake(ok);
    await new EventBridgeBus(new EventBridgeClient({}), 'b').put(entries(25));
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect([0, 1, 2].map((c) => sent(c).length)).toEqual([10, 10, 5]);
  });

  it('re-sends only the failed entries and succeeds when they go through', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, { EventId: 'c' }],
      })
      .callsFake(ok);
    const result = await new EventBridgeBus(new EventBridgeClient({}), 'b', { backoffMs: 1 }).put(entries(3));
    expect(result).toEqual({ failed: [] });
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(sent(1).map((e) => e.Detail)).toEqual(['{"n":1}']);
  });

  it('reports entries still failing after the last attempt, with their original index', async () => {
    eb.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 1,
      Entries: input.Entries!.map((e) =>
        e.Detail === '{"n":12}' ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : { EventId: 'x' },
      ),
    }));
    const result = await new EventBridgeBus(new EventBridgeClient({}), 'b', { maxAttempts: 3, backoffMs: 1 }).put(
      entries(15),
    );
    expect(result.failed).toEqual([{ index: 12, code: 'InternalFailure', message: 'boom' }]);
    // 2 chunks, then 2 retries of the one failed entry.
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 4);
  });

  it('treats an answer without a result for an entry as a failure (fail closed)', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const result = await new EventBridgeBus(new EventBridgeClient({}), 'b', { maxAttempts: 1 }).put(entries(2));
    expect(result.failed.map((f) => f.index)).toEqual([0, 1]);
  });

  it('lets a whole-call error through to the caller', async () => {
    eb.on(PutEventsCommand).rejects(new Error('AccessDeniedException'));
    await expect(new EventBridgeBus(new EventBridgeClient({}), 'b').put(entries(1))).rejects.toThrow(
      'AccessDeniedException',
    );
  });
});
