// The apply Lambda with the Data API and SQS mocked at the SDK boundary (aws-sdk-client-mock): the FIFO
// partial-batch rule on every error path — a record that fails (FAILED, ABORTED, throttled, unreadable) is
// reported with EVERY later record of its message group, unprocessed (these batches are one group; other
// groups go on: skipGroupOnError, test/faults/); conflicts re-read and commit; stale
// versions are acknowledged; EMF metrics in the `viewguard` namespace.
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  type BatchExecuteStatementCommandInput,
} from '@aws-sdk/client-redshift-data';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { viewGroupId } from '../../shared/routing/fifo-group-key.js';
import type { DataSourceWorkItem, UserWorkItem, WorkItem } from '../../shared/routing/work-item.js';
import { DataApiFake } from '../pipeline/support/data-api-fake.js';

const rd = mockClient(RedshiftDataClient);
const sqs = mockClient(SQSClient);
let api: DataApiFake;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let stdout: string[] = [];

const context = {
  getRemainingTimeInMillis: () => 120_000,
  functionName: 'apply',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:apply',
} as unknown as Context;

const user = (id: string, version = 1): UserWorkItem => ({
  kind: 'user',
  eventId: `e-${id}-${version}`,
  eventTime: new Date(Date.now() - 2000).toISOString(),
  userId: id,
  version,
  deleted: false,
  profile: {
    userId: id,
    version,
    groups: ['g'],
    attributes: {},
    projects: [],
    currentProject: null,
    purposes: [],
    dataSources: [],
  },
});
const dataSource = (version: number): DataSourceWorkItem => ({
  kind: 'datasource',
  eventId: `e-ds-${version}`,
  eventTime: new Date().toISOString(),
  dataSourceId: 'ds-orders',
  version,
  deleted: false,
  definition: {
    id: 'ds-orders',
    name: 'orders',
    version,
    location: { database: 'dev', schema: 'public', table: 'orders' },
    kind: 'table',
    columns: [{ name: 'id', type: 'int4', tags: [] }],
    tags: [],
  },
});
let seq = 0;
const record = (item: WorkItem | string, group: string): SQSRecord =>
  ({
    messageId: `m${++seq}`,
    receiptHandle: `rh${seq}`,
    body: typeof item === 'string' ? item : JSON.stringify(item),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
      MessageDeduplicationId: `d${seq}`,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:1:work.fifo',
    awsRegion: 'eu-west-1',
  }) as SQSRecord;
const batchOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const failedIds = (r: SQSBatchResponse) => r.batchItemFailures.map((f) => f.itemIdentifier);
const sqlsOf = (call: number) =>
  (rd.commandCalls(BatchExecuteStatementCommand)[call]!.args[0].input as BatchExecuteStatementCommandInput).Sqls!;
/** EMF documents printed by Powertools during the invocation. */
const emf = () =>
  stdout
    .flatMap((line) => line.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const metric = (name: string) =>
  emf().reduce(
    (sum, doc) =>
      sum +
      (typeof doc[name] === 'number'
        ? (doc[name] as number)
        : Array.isArray(doc[name])
          ? (doc[name] as number[]).reduce((a, b) => a + b, 0)
          : 0),
    0,
  );

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    POWERTOOLS_SERVICE_NAME: 'viewguard-apply',
    [ENV.database]: 'dev',
    [ENV.clusterId]: 'cluster-1',
    [ENV.dbUser]: 'immuta_system_user',
    [ENV.viewSchema]: 'secure',
    [ENV.integrationMode]: 'single',
    [ENV.workQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/1/work.fifo',
    [ENV.deadlineMarginMs]: '1000',
  });
  ({ handler } = (await import('../../lambdas/apply/handler.js')) as unknown as { handler: typeof handler });
});
beforeEach(() => {
  rd.reset();
  sqs.reset();
  api = new DataApiFake(rd);
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  stdout = [];
  // Powertools writes EMF and info logs to stdout, warnings and errors to stderr: keep both.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('apply Lambda (SQS FIFO batch → Data API)', () => {
  it('applies every record of a batch in order, one BatchExecuteStatement each; metrics', async () => {
    const res = await handler(
      batchOf(record(user('ann'), 'user:ann'), record(user('bo'), 'user:bo'), record(user('cy'), 'user:cy')),
      context,
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 3);
    expect(sqlsOf(0)[0]).toMatch(/^CALL "immuta_procedures"\."apply_user"/);
    expect(rd).toHaveReceivedCommandWith(BatchExecuteStatementCommand, {
      Database: 'dev',
      ClusterIdentifier: 'cluster-1',
      DbUser: 'immuta_system_user',
    });
    expect(metric('Applied')).toBe(3);
    expect(metric('StatementsFinished')).toBe(3);
    expect(metric('EndToEndLag')).toBeGreaterThanOrEqual(3 * 2000);
    expect(emf()[0]!._aws).toMatchObject({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'viewguard' })] });
  });

  it('FAILED: that record and every later one of its group are reported, the later ones never submitted', async () => {
    api.batches = [{ status: 'FINISHED' }, { status: 'FAILED', error: 'ERROR: permission denied for schema secure' }];
    const r = [
      record(user('ann'), 'team:shared'),
      record(user('bo'), 'team:shared'),
      record(user('cy'), 'team:shared'),
      record(user('di'), 'team:shared'),
    ];
    const res = await handler(batchOf(...r), context);
    expect(failedIds(res)).toEqual([r[1]!.messageId, r[2]!.messageId, r[3]!.messageId]);
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 2);
    expect(metric('Applied')).toBe(1);
    expect(metric('Failed')).toBe(1);
    expect(metric('StatementsFailed')).toBe(1);
    const log = stdout.find((l) => l.includes('work item failed'))!;
    expect(log).toContain('permission denied');
    expect(JSON.parse(log)).toMatchObject({ level: 'ERROR', failure: 'permanent', object: 'user:bo' });
  });

  it('ABORTED: the whole group from that record on is reported', async () => {
    api.batches = [{ status: 'ABORTED' }];
    const r = [record(user('ann'), 'team:shared'), record(user('bo'), 'team:shared')];
    const res = await handler(batchOf(...r), context);
    expect(failedIds(res)).toEqual(r.map((x) => x.messageId));
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 1);
    expect(metric('StatementsAborted')).toBe(1);
  });

  it(
    'throttling / ActiveStatementsExceeded on submit: ' + 'transient, reported with the later records of its group',
    async () => {
      api.batches = [
        { status: 'FINISHED' },
        { reject: new ActiveStatementsExceededException({ message: 'too many', $metadata: {} }) },
      ];
      const r = [
        record(user('ann'), 'team:shared'),
        record(user('bo'), 'team:shared'),
        record(user('cy'), 'team:shared'),
      ];
      const res = await handler(batchOf(...r), context);
      expect(failedIds(res)).toEqual([r[1]!.messageId, r[2]!.messageId]);
      expect(JSON.parse(stdout.find((l) => l.includes('work item failed'))!)).toMatchObject({ failure: 'transient' });
      // The throttling alarm's metric, in the apply service's EMF (namespace viewguard).
      expect(metric('DataApiThrottled')).toBe(1);
      const doc = emf().find((d) => 'DataApiThrottled' in d)!;
      expect(doc).toMatchObject({
        service: 'viewguard-apply',
        _aws: { CloudWatchMetrics: [expect.objectContaining({ Namespace: 'viewguard' })] },
      });
    },
  );

  it('counts no DataApiThrottled when nothing is throttled (a FAILED statement is not a throttle)', async () => {
    api.batches = [{ status: 'FAILED', error: 'ERROR: permission denied for schema secure' }];
    await handler(batchOf(record(user('ann'), 'team:shared')), context);
    expect(metric('StatementsFailed')).toBe(1);
    expect(metric('DataApiThrottled')).toBe(0);
  });

  it('a data source item: conflict → re-read → commit; the first transaction counted as failed', async () => {
    api.batches = [
      { status: 'FAILED', error: 'ERROR: viewguard:conflict catalog epoch is 2, the change was compiled against 1' },
    ];
    const res = await handler(batchOf(record(dataSource(1), viewGroupId('ds-orders'))), context);
    expect(res.batchItemFailures).toEqual([]);
    expect(rd).toHaveReceivedCommandTimes(ExecuteStatementCommand, 2); // the catalog, read twice
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 2);
    expect(sqlsOf(1)[0]).toMatch(/^CALL "immuta_procedures"\."apply_datasource"/);
    expect(metric('Applied')).toBe(1);
    expect(metric('StatementsFailed')).toBe(1);
  });

  it('a stale data source version is acknowledged (skipped) without any transaction', async () => {
    api.catalog = [
      { kind: 'epoch', version: 5 },
      { kind: 'datasource', id: 'ds-orders', version: 3, definition: dataSource(3).definition, viewSignature: null },
    ];
    const res = await handler(batchOf(record(dataSource(2), viewGroupId('ds-orders'))), context);
    expect(res.batchItemFailures).toEqual([]);
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 0);
    expect(metric('Skipped')).toBe(1);
  });

  it('an unreadable body fails permanently (DLQ after max receives) and blocks the rest of its group', async () => {
    const r = [record('{"kind":"user"}', 'team:shared'), record(user('ann'), 'team:shared')];
    const res = await handler(batchOf(...r), context);
    expect(failedIds(res)).toEqual(r.map((x) => x.messageId));
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 0);
  });

  it('the catalog read failing (FAILED read) is reported; nothing written', async () => {
    api.queries = [{ status: 'FAILED', error: 'ERROR: relation "immuta_system.catalog_epoch" does not exist' }];
    const res = await handler(batchOf(record(dataSource(1), viewGroupId('ds-orders'))), context);
    expect(res.batchItemFailures).toHaveLength(1);
    expect(rd).toHaveReceivedCommandTimes(BatchExecuteStatementCommand, 0);
  });
});
