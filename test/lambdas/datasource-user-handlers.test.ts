// The datasource and user router Lambdas with SQS mocked at the SDK boundary: the envelope is validated
// again, one message goes to the object's FIFO group with an explicit dedup id, and an SQS partial failure
// that does not clear makes the invocation fail (so EventBridge retries and nothing is lost).
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { deduplicationId, userGroupId, viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { parseWorkItem } from '../../shared/routing/work-item.js';

const sqs = mockClient(SQSClient);
type Router = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<{ workItems: number }>;
let datasource: Router;
let user: Router;
const context = {
  getRemainingTimeInMillis: () => 60_000,
  functionName: 'router',
  awsRequestId: 'req-1',
} as unknown as Context;
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/1/work.fifo';
const busEvent = (detail: unknown, detailType: string): EventBridgeEvent<string, unknown> =>
  ({
    version: '0',
    id: 'bus-1',
    'detail-type': detailType,
    source: 'viewguard.webhooks',
    account: '1',
    time: '2026-11-27T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  }) as EventBridgeEvent<string, unknown>;
const entries = (call = 0) =>
  (sqs.commandCalls(SendMessageBatchCommand)[call]!.args[0].input as SendMessageBatchCommandInput).Entries!;
let logs: string[] = [];

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    [ENV.workQueueUrl]: QUEUE,
  });
  ({ handler: datasource } = (await import('../../lambdas/datasource/handler.js')) as unknown as { handler: Router });
  ({ handler: user } = (await import('../../lambdas/user/handler.js')) as unknown as { handler: Router });
});
beforeEach(() => {
  sqs.reset();
  logs = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logs.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('datasource router Lambda', () => {
  it('one message in the view group, dedup id from event id + object, full state in the body', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: 'm0', MessageId: 'x', MD5OfMessageBody: '' }], Failed: [] });
    const e = EVENT_EXAMPLES['datasource.created'];
    expect(await datasource(busEvent(e, e.type), context)).toEqual({ workItems: 1 });
    expect(sqs).toHaveReceivedCommandOnce(SendMessageBatchCommand);
    const [entry] = entries();
    expect(entry).toMatchObject({
      MessageGroupId: viewGroupId('ds-orders'),
      MessageDeduplicationId: deduplicationId(e.id, 'datasource:ds-orders'),
    });
    expect(parseWorkItem(entry!.MessageBody!)).toMatchObject({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 1,
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, { QueueUrl: QUEUE });
    expect(logs.join('')).toContain('"EventsReceived"');
  });

  it('an SQS entry failure that does not clear fails the invocation (EventBridge retries)', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });
    const e = EVENT_EXAMPLES['datasource.updated'];
    await expect(datasource(busEvent(e, e.type), context)).rejects.toThrow(/SQS rejected 1 message/);
    expect(sqs.commandCalls(SendMessageBatchCommand).length).toBeGreaterThan(1); // the failed entry was retried first
    expect(logs.join('')).toContain('data source event not routed');
  });

  it('an SQS partial failure that clears on retry succeeds', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [{ Id: 'm0', Code: 'ServiceUnavailable', SenderFault: false, Message: 'busy' }],
      })
      .resolves({ Successful: [{ Id: 'm0', MessageId: 'x', MD5OfMessageBody: '' }], Failed: [] });
    const e = EVENT_EXAMPLES['datasource.deleted'];
    await datasource(busEvent(e, e.type), context);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(parseWorkItem(entries(1)[0]!.MessageBody!)).toMatchObject({ deleted: true, definition: null });
  });

  it('a detail that violates the contract (or belongs to another router) sends nothing and fails', async () => {
    const e = EVENT_EXAMPLES['datasource.created'];
    await expect(datasource(busEvent({ ...e, subject: 'other' }, e.type), context)).rejects.toThrow(
      /violates the contract/,
    );
    await expect(datasource(busEvent(EVENT_EXAMPLES['user.updated'], 'user.updated'), context)).rejects.toThrow(
      /not routed to the datasource router/,
    );
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });
});

describe('user router Lambda', () => {
  it('one message in the user group', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [{ Id: 'm0', MessageId: 'x', MD5OfMessageBody: '' }], Failed: [] });
    for (const type of ['user.updated', 'user.deleted'] as const) {
      sqs.resetHistory();
      const e = EVENT_EXAMPLES[type];
      await user(busEvent(e, type), context);
      expect(entries()[0]).toMatchObject({ MessageGroupId: userGroupId(e.subject) });
    }
  });

  it('SQS throwing (throttled) fails the invocation', async () => {
    sqs.on(SendMessageBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const e = EVENT_EXAMPLES['user.updated'];
    await expect(user(busEvent(e, e.type), context)).rejects.toThrow(/Rate exceeded/);
  });
});
