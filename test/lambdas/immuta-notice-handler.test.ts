// The notice receiver Lambda with the SDK mocked at its boundary (Secrets Manager, SQS): a notice signed like
// Immuta signs it is queued as hints and answered 202; a wrong or missing signature is 401 and queues nothing;
// a queue failure is 503; the handler reads the raw bytes (base64 bodies included), never a re-serialisation.
import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { SIGNATURE_HEADER, signImmutaNotice } from '../../shared/immuta/notice-signature.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:viewguard-immuta-notice-AbCdEf';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/viewguard-immuta-hints';
const SECRET = 'the-secret-typed-into-immuta';
const sm = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const context = {
  functionName: 'viewguard-immuta-notice',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 5000,
} as unknown as Context;

function post(body: string, headers: Record<string, string>, isBase64Encoded = false): APIGatewayProxyEvent {
  return {
    body: isBase64Encoded ? Buffer.from(body).toString('base64') : body,
    headers,
    isBase64Encoded,
    httpMethod: 'POST',
    path: '/immuta',
    resource: '/immuta',
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

const NOTICE = JSON.stringify({
  text: 'Alice has updated the data source Sales Orders.',
  attachments: [{ text: 'Sales Orders' }],
  metadata: { notificationType: 'dataSourceUpdated', dataSourceId: 1 },
});
let handler: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;

beforeEach(async () => {
  sm.reset();
  sqs.reset();
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: SECRET });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  vi.stubEnv(ENV.immutaNoticeSecretArn, SECRET_ARN);
  vi.stubEnv(ENV.immutaHintQueueUrl, QUEUE);
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'viewguard');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'viewguard-immuta-notice');
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true);
  vi.resetModules();
  ({ handler } = await import('../../lambdas/immuta-notice/handler.js'));
});

describe('immuta-notice Lambda', () => {
  it('a notice signed like Immuta signs it is queued as a hint and answered 202', async () => {
    const res = await handler(
      post(NOTICE, {
        'Content-Type': 'application/json',
        'X-Immuta-Webhook-Signature-Sha256': signImmutaNotice(NOTICE, SECRET),
      }),
      context,
    );
    expect(res.statusCode).toBe(202);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const sent = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.QueueUrl).toBe(QUEUE);
    expect(JSON.parse(sent.MessageBody!)).toEqual({
      hints: [{ kind: 'dataSource', id: '1', notificationType: 'dataSourceUpdated' }],
    });
  });

  it('verifies the raw bytes of a base64 body', async () => {
    const res = await handler(post(NOTICE, { [SIGNATURE_HEADER]: signImmutaNotice(NOTICE, SECRET) }, true), context);
    expect(res.statusCode).toBe(202);
  });

  it.each([
    ['missing', {}],
    ['another secret', { [SIGNATURE_HEADER]: signImmutaNotice(NOTICE, 'not-the-secret') }],
    ['the retired SHA-1 header only', { 'x-immuta-webhook-signature': 'sha1=0000' }],
    ['garbage', { [SIGNATURE_HEADER]: 'not a signature' }],
  ])('a %s signature is 401 (VG701) and queues nothing', async (_what, headers) => {
    const res = await handler(post(NOTICE, headers as Record<string, string>), context);
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body).diagnostics[0].code).toBe('VG701');
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('a body changed after signing is 401', async () => {
    const signature = signImmutaNotice(NOTICE, SECRET);
    const res = await handler(
      post(NOTICE.replace('dataSourceId":1', 'dataSourceId":2'), { [SIGNATURE_HEADER]: signature }),
      context,
    );
    expect(res.statusCode).toBe(401);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('an informational notice is answered 202 and queues nothing', async () => {
    const body = JSON.stringify({ text: 'A bulk job finished.', metadata: { notificationType: 'bulkJobStatus' } });
    const res = await handler(post(body, { [SIGNATURE_HEADER]: signImmutaNotice(body, SECRET) }), context);
    expect(res.statusCode).toBe(202);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('a queue failure is 503 (VG704); a secret that cannot be read is 500 without a message', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    const queued = await handler(post(NOTICE, { [SIGNATURE_HEADER]: signImmutaNotice(NOTICE, SECRET) }), context);
    expect(queued.statusCode).toBe(503);
    expect(JSON.parse(queued.body).diagnostics[0].code).toBe('VG704');
    vi.resetModules();
    ({ handler } = await import('../../lambdas/immuta-notice/handler.js'));
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));
    const secret = await handler(post(NOTICE, { [SIGNATURE_HEADER]: signImmutaNotice(NOTICE, SECRET) }), context);
    expect(secret.statusCode).toBe(500);
    expect(secret.body).not.toContain(SECRET);
  });
});
