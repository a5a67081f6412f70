import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { SqsWorkQueue, WorkQueueSendError } from '../../lambdas/aws/sqs-work-queue.js';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.eu-west-1.amazonaws.com/1/work.fifo';
const msg = (g: string, d: string, body = `{"d":"${d}"}`) => ({ groupId: g, deduplicationId: d, body });
let sleeps: number[] = [];
const queue = (extra = {}) =>
  new SqsWorkQueue({
    client: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: URL,
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
  });
const sentDedupIds = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .map((c) => (c.args[0].input as SendMessageBatchCommandInput).Entries!.map((e) => e.MessageDeduplicationId));

beforeEach(() => {
  sqs.reset();
  sleeps = [];
});

describe('SqsWorkQueue', () => {
  it('sends ≤10 entries per call with MessageGroupId and MessageDeduplicationId', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 23 }, (_, i) => msg(`view:ds${i % 3}`, `e${i}`));
    await queue().send(messages);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    expect(sentDedupIds().map((c) => c.length)).toEqual([10, 10, 3]);
    expect(sqs).toHaveReceivedNthCommandWith(SendMessageBatchCommand, 1, {
      QueueUrl: URL,
      Entries: expect.arrayContaining([
        { Id: 'm0', MessageBody: '{"d":"e0"}', MessageGroupId: 'view:ds0', MessageDeduplicationId: 'e0' },
      ]),
    });
  });

  it('splits batches by body size', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    await queue({ maxBatchBytes: 100 }).send([
      msg('g', 'a', 'x'.repeat(60)),
      msg('g', 'b', 'y'.repeat(60)),
      msg('g', 'c', 'z'),
    ]);
    expect(sentDedupIds()).toEqual([['a'], ['b', 'c']]);
  });

  it('retries only the failed entries (and holds back later entries of their group), then succeeds', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'm1', SenderFault: false, Code: 'InternalError', Message: 'try again' }] })
      .resolves({ Failed: [] });
    // 11 messages: m1 (g1/b) fails in the first call; g1/k in the second chunk must wait for it.
    const messages = [msg('g0', 'a'), msg('g1', 'b'), ...'cdefghij'.split('').map((d) => msg('g2', d)), msg('g1', 'k')];
    await queue().send(messages);
    expect(sentDedupIds()).toEqual([
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
      ['b', 'k'],
    ]);
    expect(sleeps).toEqual([100]);
  });

  it('throws with the still-failing entries after maxAttempts rounds', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm0', SenderFault: false, Code: 'ServiceUnavailable' }] });
    const err = await queue({ maxAttempts: 3 })
      .send([msg('g', 'a')])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkQueueSendError);
    expect((err as WorkQueueSendError).failed).toEqual([
      { groupId: 'g', deduplicationId: 'a', code: 'ServiceUnavailable', message: '', senderFault: false },
    ]);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('does not retry an entry failed through the sender’s fault, but still throws for it', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: 'm1', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' }] });
    const err = (await queue()
      .send([msg('g', 'a'), msg('h', 'b')])
      .catch((e: unknown) => e)) as WorkQueueSendError;
    expect(err).toBeInstanceOf(WorkQueueSendError);
    expect(err.failed.map((f) => [f.deduplicationId, f.senderFault])).toEqual([['b', true]]);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('rejects an over-long group id before calling SQS', async () => {
    await expect(queue().send([msg('g'.repeat(129), 'a')])).rejects.toThrow(RangeError);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });
});
