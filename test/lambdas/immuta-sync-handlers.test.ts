// The AWS path of the connector, with the SDK mocked at its boundary and nothing else faked: a notice signed like
// Immuta signs it → the REAL immuta-notice Lambda (Secrets Manager, SQS mocked) → the hint message as SQS delivers
// it → the REAL immuta-fetch Lambda, which reads the fake Immuta over HTTP and the warehouse through the Data API
// (mocked onto PGlite: every statement really runs) and puts contract events on EventBridge (mocked) → those
// entries go through the routers and the apply loop → the views, read as each analyst. One notice per category;
// an Immuta outage (the hints come back, nothing is half-applied, then it lands); the reconcile Lambda fixes a
// dropped notice and reports the drift in its metrics.
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { ENV } from '../../shared/contract/lambda-environment.js';
import type { PGliteWarehouse } from '../../shared/adapters/pglite-warehouse.js';
import type { Notice } from '../../infra/local/fake-immuta.js';
import { FakeImmuta } from '../../infra/local/fake-immuta.js';
import { PgliteDataApi } from '../faults/support/pglite-data-api.js';
import { immutaTestConfig, RAW_TABLES } from '../immuta/support/harness.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const NOTICE_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:immuta-notice-AbCdEf';
const KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:immuta-key-AbCdEf';
const HINTS = 'https://sqs.eu-west-1.amazonaws.com/111122223333/viewguard-immuta-hints';
const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

const sm = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const eb = mockClient(EventBridgeClient);
const rd = mockClient(RedshiftDataClient);

let fake: FakeImmuta;
let wh: LocalWarehouse;
let pipeline: LocalPipeline;
let hintBodies: string[];
let putEntries: PutEventsRequestEntry[];
let output: string[];
type Handler<E, R> = (e: E, c: Context) => Promise<R>;
let notice: Handler<APIGatewayProxyEvent, APIGatewayProxyResult>;
let fetchHints: Handler<SQSEvent, SQSBatchResponse>;
let reconcile: Handler<unknown, { checked: number; changed: number }>;

beforeAll(async () => {
  fake = await FakeImmuta.start();
  const config = immutaTestConfig();
  wh = await openLocalWarehouse(config, 'immuta-lambda-hash-key', { prepare: (admin) => admin(RAW_TABLES) });
  pipeline = new LocalPipeline({
    config,
    warehouse: wh.system,
    webhookSecret: 'whsec_dGVzdC1vbmx5LXRlc3Qtb25seS10ZXN0LW9ubHkh',
  });
  new PgliteDataApi(rd, (wh.system as PGliteWarehouse).db);
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    [ENV.immutaNoticeSecretArn]: NOTICE_ARN,
    [ENV.immutaHintQueueUrl]: HINTS,
    [ENV.immutaApiKeySecretArn]: KEY_ARN,
    [ENV.eventBusName]: 'viewguard-bus',
    [ENV.immutaSettings]: JSON.stringify({ url: fake.url, placement: { database: 'postgres', externalSchemas: [] } }),
    [ENV.clusterId]: 'cluster-1',
    [ENV.database]: 'postgres',
    [ENV.dbUser]: config.systemUser,
  });
  ({ handler: notice } = await import('../../lambdas/immuta-notice/handler.js'));
  ({ handler: fetchHints } = await import('../../lambdas/immuta-fetch/handler.js'));
  ({ handler: reconcile } = await import('../../lambdas/immuta-reconcile/handler.js'));
}, 120_000);
afterAll(async () => {
  await fake?.close();
  await wh?.close();
});

beforeEach(() => {
  sm.on(GetSecretValueCommand, { SecretId: NOTICE_ARN }).resolves({ SecretString: fake.noticeSecret });
  sm.on(GetSecretValueCommand, { SecretId: KEY_ARN }).resolves({ SecretString: fake.apiKey });
  hintBodies = [];
  putEntries = [];
  sqs
    .on(SendMessageCommand)
    .callsFake(
      (input: { MessageBody: string }) => (hintBodies.push(input.MessageBody), { MessageId: `m-${hintBodies.length}` }),
    );
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    putEntries.push(...input.Entries);
    return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${putEntries.length}-${i}` })) };
  });
  output = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((c: string | Uint8Array) => (output.push(String(c)), true));
});

/** The entries EventBridge took → the routers → the queue → apply (the pipeline the bus feeds). */
async function deliverEvents(): Promise<void> {
  const entries = putEntries.splice(0);
  const result = await pipeline.bus.put(
    entries.map((e) => ({ source: e.Source!, detailType: e.DetailType!, detail: e.Detail! })),
  );
  expect(result.failed).toEqual([]);
  await pipeline.drain(20_000);
}

const apiEvent = (body: string, headers: Record<string, string>): APIGatewayProxyEvent =>
  ({
    body,
    headers,
    isBase64Encoded: false,
    httpMethod: 'POST',
    path: '/immuta',
    resource: '/immuta',
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {},
  }) as unknown as APIGatewayProxyEvent;
const sqsEvent = (bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      body,
      receiptHandle: `r${i}`,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:hints',
      awsRegion: 'eu-west-1',
    })),
  }) as unknown as SQSEvent;

/** Immuta sends the notice → receiver → (SQS) → fetch → (EventBridge) → pipeline. */
async function noticeEndToEnd(n: Notice): Promise<SQSBatchResponse> {
  const { body, headers } = fake.signedNotice(n);
  expect((await notice(apiEvent(body, headers), context)).statusCode).toBe(202);
  const response = await fetchHints(sqsEvent(hintBodies.splice(0)), context);
  await deliverEvents();
  return response;
}

const seen = async (user: string, view: string): Promise<Record<string, unknown>[]> => {
  try {
    return await wh.queryAs!(user, stmt(`SELECT * FROM ${d.qualify('secure', view)} ORDER BY 1`));
  } catch {
    return [];
  }
};
const metric = (name: string): number[] =>
  output.flatMap((l) => {
    try {
      const j = JSON.parse(l);
      return typeof j[name] === 'number' ? [j[name]] : [];
    } catch {
      return [];
    }
  });

describe('Immuta connector Lambdas (SDK mocked at the boundary, fake Immuta over HTTP, Data API on PGlite)', () => {
  it('the reconcile Lambda brings the tenant in and reports what it checked and changed', async () => {
    const r = await reconcile({ trigger: 'schedule' }, context);
    expect(r.changed).toBeGreaterThan(0);
    expect(metric('ImmutaObjectsChanged')).toEqual([r.changed]);
    await deliverEvents();
    expect((await seen('alice', 'orders')).length).toBe(3);
  });

  it('data source notice → the view follows the dictionary', async () => {
    fake.dataSource(1)!.dictionary = fake.dataSource(1)!.dictionary.filter((c) => c.name !== 'region');
    expect(
      await noticeEndToEnd({ notificationType: 'dataSourceUpdated', metadata: { dataSourceId: 1 }, text: 'updated' }),
    ).toEqual({ batchItemFailures: [] });
    expect(Object.keys((await seen('alice', 'orders'))[0]!)).not.toContain('region');
  });

  it('policy notice → the global mask changes', async () => {
    const rule = (
      fake.tenant.globalPolicies[0]!.actions as { rules: { config: { maskingConfig: { type: string } } }[] }[]
    )[0]!.rules[0]!;
    rule.config.maskingConfig.type = 'Null Value';
    await noticeEndToEnd({ notificationType: 'globalPolicyUpdated', metadata: { policyId: 10 }, text: 'updated' });
    expect((await seen('alice', 'orders')).every((r) => r.customer_email === null)).toBe(true);
  });

  it('user notice → a group membership changes what carol sees', async () => {
    fake.tenant.groups.find((g) => g.name === 'analysts')!.members.push({ userid: 'carol@example.com', iamid: 'bim' });
    await noticeEndToEnd({
      notificationType: 'groupUserAdded',
      metadata: { userid: 'carol@example.com' },
      text: 'added',
    });
    expect((await seen('carol', 'orders')).length).toBe(3);
  });

  it('access notice → an approval opens a manual data source', async () => {
    fake.dataSource(2)!.access.push({ userid: 'bob@example.com', iamid: 'bim', state: 'subscribed' });
    await noticeEndToEnd({
      notificationType: 'modelAccessApproved',
      metadata: { userid: 'bob@example.com' },
      text: 'approved',
    });
    expect((await seen('bob', 'customers')).map((r) => r.customer_id)).toEqual([11]);
  });

  it('project/purpose notice → a purpose restriction follows the current project', async () => {
    fake.dataSource(2)!.jsonRules = [{ type: 'prerequisite', conditions: [{ type: 'purposes', value: 'Audit' }] }];
    await noticeEndToEnd({ notificationType: 'policyUpdated', metadata: { dataSourceId: 2 }, text: 'policy' });
    expect(await seen('bob', 'customers')).toEqual([]);
    fake.tenant.projects.push({
      id: 7,
      name: 'Audit 2026',
      purposes: ['Audit'],
      members: [{ userid: 'bob@example.com', iamid: 'bim', acknowledged: true }],
    });
    fake.user('bob@example.com')!.profile = { ...(fake.user('bob@example.com')!.profile as object), currentProject: 7 };
    await noticeEndToEnd({
      notificationType: 'switchedCurrentProject',
      metadata: { userid: 'bob@example.com' },
      text: 'switched',
    });
    expect((await seen('bob', 'customers')).map((r) => r.customer_id)).toEqual([10, 11]);
  });

  it('a bad signature is 401 and queues nothing', async () => {
    const { body } = fake.signedNotice({
      notificationType: 'modelDeleted',
      metadata: { dataSourceId: 1 },
      text: 'forged',
    });
    const res = await notice(apiEvent(body, { 'x-immuta-webhook-signature-sha256': 'ab'.repeat(32) }), context);
    expect(res.statusCode).toBe(401);
    expect(hintBodies).toEqual([]);
  });

  it('an Immuta outage fails the batch (SQS redelivers), puts nothing, and the retry lands the change', async () => {
    fake.dataSource(1)!.tags = ['Sales', 'Finance'];
    const { body, headers } = fake.signedNotice({
      notificationType: 'modelTagAdded',
      metadata: { dataSourceId: 1 },
      text: 'tagged',
    });
    expect((await notice(apiEvent(body, headers), context)).statusCode).toBe(202);
    const hints = hintBodies.splice(0);
    fake.faults.outage = true;
    const failed = await fetchHints(sqsEvent(hints), context);
    fake.faults.outage = false;
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    expect(putEntries).toEqual([]);
    expect(metric('ImmutaSyncFailed')).toEqual([1]);
    expect(await fetchHints(sqsEvent(hints), context)).toEqual({ batchItemFailures: [] });
    await deliverEvents();
    const tags = await wh.system.query(
      stmt("SELECT definition FROM immuta_system.datasource_state WHERE datasource_id = 'immuta:ds:1'"),
    );
    expect(JSON.parse(String(tags[0]!.definition)).tags).toEqual(['Finance', 'Sales']);
  });

  it(
    'a dropped notice is fixed by the reconcile Lambda, ' + 'which reports the drift; the next one finds none',
    async () => {
      fake.user('alice@example.com')!.disabled = true;
      const r = await reconcile({}, context);
      expect(r.changed).toBe(1);
      await deliverEvents();
      expect(await seen('alice', 'orders')).toEqual([]);
      expect(output.some((l) => l.includes('VG711'))).toBe(true);
      expect((await reconcile({}, context)).changed).toBe(0);
    },
  );
});
