// The policy router Lambda with the Data API and SQS mocked at the SDK boundary: the catalog read decides the
// fan-out (stored policy ∪ new policy), messages go 10 per SendMessageBatch; a failed catalog read
// (FAILED / ABORTED / throttled) sends nothing and fails the invocation so EventBridge retries.
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ActiveStatementsExceededException,
  ExecuteStatementCommand,
  RedshiftDataClient,
  type ExecuteStatementCommandInput,
} from '@aws-sdk/client-redshift-data';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { policyGroupId } from '../../shared/routing/route-policy.js';
import { parseWorkItem, type PolicyWorkItem } from '../../shared/routing/work-item.js';
import { DataApiFake, type CatalogRowInput } from '../pipeline/support/data-api-fake.js';

const rd = mockClient(RedshiftDataClient);
const sqs = mockClient(SQSClient);
let api: DataApiFake;
type Router = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<{ workItems: number }>;
let handler: Router;
const context = {
  getRemainingTimeInMillis: () => 60_000,
  functionName: 'policy',
  awsRequestId: 'req-1',
} as unknown as Context;
const busEvent = (detail: unknown): EventBridgeEvent<string, unknown> =>
  ({
    version: '0',
    id: 'bus-1',
    'detail-type': (detail as { type: string }).type,
    source: 'viewguard.webhooks',
    account: '1',
    time: '2026-11-27T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  }) as EventBridgeEvent<string, unknown>;
const sent = () =>
  sqs.commandCalls(SendMessageBatchCommand).map((c) => (c.args[0].input as SendMessageBatchCommandInput).Entries!);

const dataSourceRow = (id: string, tags: string[]): CatalogRowInput => ({
  kind: 'datasource',
  id,
  version: 1,
  definition: {
    id,
    name: id.replace('-', '_'),
    version: 1,
    location: { database: 'dev', schema: 'public', table: 't' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'region', type: 'varchar(8)' },
    ],
    tags,
  },
  viewSignature: null,
});
// The example policy.updated: let the test know what it matches.
const example = EVENT_EXAMPLES['policy.updated'];

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    [ENV.workQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/1/work.fifo',
    [ENV.database]: 'dev',
    [ENV.workgroupName]: 'wg-1',
  });
  ({ handler } = (await import('../../lambdas/policy/handler.js')) as unknown as { handler: Router });
});
beforeEach(() => {
  rd.reset();
  sqs.reset();
  api = new DataApiFake(rd);
  sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
    Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: 'x', MD5OfMessageBody: '' })),
    Failed: [],
  }));
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('policy router Lambda', () => {
  it(
    'reads the catalog through the Data API (Serverless workgroup) and fans out one message per matched view, 10 ' +
      'per batch',
    async () => {
      // A global policy with no scope tags matches every data source: 10 of them (below the view-set threshold).
      const policy = { ...example.data.policy, scope: { kind: 'global' as const } };
      api.catalog = [
        { kind: 'epoch', version: 7 },
        ...Array.from({ length: 10 }, (_, i) => dataSourceRow(`ds-${i}`, ['Sales'])),
      ];
      const res = await handler(busEvent({ ...example, data: { policy } }), context);
      expect(res).toEqual({ workItems: 10 });
      expect(rd).toHaveReceivedCommandWith(ExecuteStatementCommand, { WorkgroupName: 'wg-1', Database: 'dev' });
      expect((rd.commandCalls(ExecuteStatementCommand)[0]!.args[0].input as ExecuteStatementCommandInput).Sql).toMatch(
        /immuta_system/,
      );
      expect(sent().map((e) => e.length)).toEqual([10]);
      const items = sent()
        .flat()
        .map((e) => parseWorkItem(e.MessageBody!) as PolicyWorkItem);
      expect(items.map((i) => i.dataSourceId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `ds-${i}`).sort());
      expect(
        sent()
          .flat()
          .map((e) => e.MessageGroupId),
      ).toContain(viewGroupId('ds-3'));
      expect(new Set(items.map((i) => i.fanOutDigest))).toEqual(
        new Set([affectedDigest(items.map((i) => i.dataSourceId!))]),
      );
    },
  );

  it('a change reaching 11 views or more goes out as one view set in the policy group', async () => {
    const policy = { ...example.data.policy, scope: { kind: 'global' as const } };
    api.catalog = [
      { kind: 'epoch', version: 7 },
      ...Array.from({ length: 12 }, (_, i) => dataSourceRow(`ds-${i}`, ['Sales'])),
    ];
    expect(await handler(busEvent({ ...example, data: { policy } }), context)).toEqual({ workItems: 1 });
    const [entry] = sent().flat();
    expect(entry!.MessageGroupId).toBe(policyGroupId(example.subject));
    const item = parseWorkItem(entry!.MessageBody!) as PolicyWorkItem;
    expect(item.dataSourceId).toBeNull();
    expect([...item.dataSourceIds!].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `ds-${i}`).sort());
  });

  it('no matching view → one message in the policy group with dataSourceId null', async () => {
    api.catalog = [{ kind: 'epoch', version: 1 }];
    await handler(busEvent(example), context);
    const entry = sent()[0]![0]!;
    expect(sent().flat()).toHaveLength(1);
    expect(entry.MessageGroupId).toBe(policyGroupId(example.subject));
    expect(parseWorkItem(entry.MessageBody!)).toMatchObject({ dataSourceId: null });
  });

  it.each([
    ['FAILED', { status: 'FAILED' as const, error: 'ERROR: permission denied for relation catalog_epoch' }],
    ['ABORTED', { status: 'ABORTED' as const }],
    [
      'throttled',
      {
        reject: Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      },
    ],
    [
      'over the active statement limit',
      { reject: new ActiveStatementsExceededException({ message: 'too many', $metadata: {} }) },
    ],
  ])('a %s catalog read sends nothing and fails the invocation', async (_name, terminal) => {
    api.queries = [terminal];
    await expect(handler(busEvent(example), context)).rejects.toThrow();
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });
});
