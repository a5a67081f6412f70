import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';

const SECRET_BODY = randomBytes(32).toString('base64');
const SECRET = `whsec_${SECRET_BODY}`;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:viewguard-webhook-AbCdEf';
const BUS = 'viewguard-bus';

const eb = mockClient(EventBridgeClient);
const sm = mockClient(SecretsManagerClient);

const context = {
  functionName: 'viewguard-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:viewguard-ingest',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 8000,
} as unknown as Context;

function apiEvent(body: string | null, headers: Record<string, string>, isBase64Encoded = false): APIGatewayProxyEvent {
  return {
    body,
    headers,
    multiValueHeaders: {},
    httpMethod: 'POST',
    isBase64Encoded,
    path: '/webhooks',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    resource: '/webhooks',
  };
}

/** A signed POST as API Gateway delivers it (header names as the sender spelled them). */
function signedEvent(body: string, at = new Date(), secret = SECRET): APIGatewayProxyEvent {
  const h = signWebhook(body, secret, 'msg_abc', at);
  return apiEvent(body, {
    'Content-Type': 'application/json',
    'Webhook-Id': h['webhook-id'],
    'Webhook-Timestamp': h['webhook-timestamp'],
    'Webhook-Signature': h['webhook-signature'],
  });
}

let handler: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;
let output: string[];

beforeEach(async () => {
  eb.reset();
  sm.reset();
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: SECRET });
  eb.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: 'eb-1' })),
  }));
  vi.stubEnv(ENV.eventBusName, BUS);
  vi.stubEnv(ENV.webhookSecretArn, SECRET_ARN);
  vi.stubEnv(ENV.maxBodyBytes, '');
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'viewguard-ingest');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'viewguard');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' ')));
  }
  // A fresh module per test: a cold start with an empty secret cache.
  vi.resetModules();
  ({ handler } = await import('../../lambdas/ingest/handler.js'));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body);
const codesOf = (r: APIGatewayProxyResult) => (bodyOf(r).diagnostics ?? []).map((d: { code: string }) => d.code);

describe('ingest handler', () => {
  it(
    'answers 202 { id } after PutEvents on the custom bus ' + 'with DetailType = type and Detail = the envelope',
    async () => {
      const body = JSON.stringify(EVENT_EXAMPLES['datasource.created']);
      const res = await handler(signedEvent(body), context);
      expect(res.statusCode).toBe(202);
      expect(bodyOf(res)).toEqual({ id: 'evt-0001' });
      expect(eb).toHaveReceivedCommandOnce(PutEventsCommand);
      expect(eb).toHaveReceivedCommandWith(PutEventsCommand, {
        Entries: [
          expect.objectContaining({
            EventBusName: BUS,
            Source: 'viewguard.webhooks',
            DetailType: 'datasource.created',
          }),
        ],
      });
      const detail = JSON.parse(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!);
      expect(detail).toMatchObject(EVENT_EXAMPLES['datasource.created']);
      expect(sm).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET_ARN });
    },
  );

  it('reads the secret from Secrets Manager once for many invocations', async () => {
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ ...EVENT_EXAMPLES['user.deleted'], id: `evt-${i}` });
      expect((await handler(signedEvent(body), context)).statusCode).toBe(202);
    }
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 5);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('accepts a base64-encoded body (isBase64Encoded) and verifies the decoded bytes', async () => {
    const body = JSON.stringify(EVENT_EXAMPLES['policy.created']);
    const e = signedEvent(body);
    const res = await handler({ ...e, body: Buffer.from(body).toString('base64'), isBase64Encoded: true }, context);
    expect(res.statusCode).toBe(202);
    expect(eb).toHaveReceivedCommandOnce(PutEventsCommand);
  });

  it(
    'rejects valid JSON that was re-serialised after signing ' +
      '(the raw bytes are verified) — 401, nothing on the bus',
    async () => {
      const body = JSON.stringify(EVENT_EXAMPLES['policy.created']);
      const e = signedEvent(body);
      const res = await handler({ ...e, body: JSON.stringify(JSON.parse(body), null, 2) }, context);
      expect(res.statusCode).toBe(401);
      expect(codesOf(res)).toEqual(['VG501']);
      expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
    },
  );

  it.each([
    [
      'bad signature',
      401,
      'VG501',
      () =>
        signedEvent(
          JSON.stringify(EVENT_EXAMPLES['user.deleted']),
          new Date(),
          `whsec_${randomBytes(32).toString('base64')}`,
        ),
    ],
    [
      'stale timestamp',
      401,
      'VG502',
      () => signedEvent(JSON.stringify(EVENT_EXAMPLES['user.deleted']), new Date(Date.now() - 301_000)),
    ],
    ['missing headers', 401, 'VG502', () => apiEvent(JSON.stringify(EVENT_EXAMPLES['user.deleted']), {})],
    ['malformed JSON', 400, 'VG503', () => signedEvent('{"specversion":"1.0",')],
    [
      'schema violation',
      400,
      'VG504',
      () => signedEvent(JSON.stringify({ ...EVENT_EXAMPLES['user.deleted'], data: { userId: 'alice' } })),
    ],
    [
      'unknown type',
      400,
      'VG505',
      () => signedEvent(JSON.stringify({ ...EVENT_EXAMPLES['user.deleted'], type: 'user.created' })),
    ],
    ['body too large', 413, 'VG506', () => signedEvent(JSON.stringify({ pad: 'x'.repeat(300 * 1024) }))],
  ] as const)('rejects %s with %i %s and calls PutEvents never', async (_n, status, code, event) => {
    const res = await handler(event(), context);
    expect(res.statusCode).toBe(status);
    expect(codesOf(res)).toContain(code);
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('names each bad field with its JSON path in a 400', async () => {
    const e = structuredClone(EVENT_EXAMPLES['policy.created']) as any;
    e.data.policy.version = 'two';
    e.data.policy.mask = { kind: 'scramble' };
    const res = await handler(signedEvent(JSON.stringify(e)), context);
    expect(res.statusCode).toBe(400);
    const paths = bodyOf(res).diagnostics.map((d: { path: unknown[] }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([['data', 'policy', 'version'], expect.arrayContaining(['data', 'policy', 'mask'])]),
    );
  });

  it('honours a lower body limit from the environment', async () => {
    vi.stubEnv(ENV.maxBodyBytes, '100');
    vi.resetModules();
    ({ handler } = await import('../../lambdas/ingest/handler.js'));
    const res = await handler(signedEvent(JSON.stringify(EVENT_EXAMPLES['user.deleted'])), context);
    expect(res.statusCode).toBe(413);
  });

  describe('timestamp tolerance at the edges (receiver clock)', () => {
    const receivedAt = new Date('2026-11-27T12:00:00.000Z');
    it.each([
      [-300, 202],
      [-301, 401],
      [300, 202],
      [301, 401],
    ])('signed %i s from now → %i', async (offset, status) => {
      const body = JSON.stringify(EVENT_EXAMPLES['user.deleted']);
      const event = signedEvent(body, new Date(receivedAt.getTime() + offset * 1000));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(receivedAt);
      const res = await handler(event, context);
      expect(res.statusCode).toBe(status);
      if (status === 401) expect(codesOf(res)).toEqual(['VG502']);
    });
  });

  it('answers 503 when PutEvents keeps failing an entry (after retrying it) so the sender retries', async () => {
    eb.reset();
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' }],
    });
    const res = await handler(signedEvent(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), context);
    expect(res.statusCode).toBe(503);
    expect(codesOf(res)).toEqual(['VG507']);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 3);
  });

  it('answers 202 when a failed entry goes through on the retry', async () => {
    eb.reset();
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-2' }] });
    const res = await handler(signedEvent(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), context);
    expect(res.statusCode).toBe(202);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('answers 503 when PutEvents throws', async () => {
    eb.reset();
    eb.on(PutEventsCommand).rejects(new Error('connect ETIMEDOUT'));
    const res = await handler(signedEvent(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), context);
    expect(res.statusCode).toBe(503);
  });

  it('answers 500 when Secrets Manager fails, nothing on the bus, and reads again on the next request', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('AccessDeniedException')).resolves({ SecretString: SECRET });
    const body = JSON.stringify(EVENT_EXAMPLES['policy.deleted']);
    const first = await handler(signedEvent(body), context);
    expect(first.statusCode).toBe(500);
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
    expect((await handler(signedEvent(body), context)).statusCode).toBe(202);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('answers a bare 500 when it is misconfigured (no bus name), without details', async () => {
    vi.stubEnv(ENV.eventBusName, '');
    vi.resetModules();
    ({ handler } = await import('../../lambdas/ingest/handler.js'));
    const res = await handler(signedEvent(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/VIEWGUARD|environment|stack/i);
    expect(output.join('\n')).toMatch(/VIEWGUARD_EVENT_BUS_NAME/);
  });

  it('never writes the secret to logs, metrics or answers, whatever the outcome', async () => {
    const body = JSON.stringify(EVENT_EXAMPLES['user.updated']);
    const answers: APIGatewayProxyResult[] = [];
    answers.push(await handler(signedEvent(body), context));
    answers.push(await handler(signedEvent('{"x":'), context));
    answers.push(await handler({ ...signedEvent(body), body: `${body} ` }, context));
    eb.reset();
    eb.on(PutEventsCommand).rejects(new Error('boom'));
    answers.push(await handler(signedEvent(body), context));
    // A secret that is not valid Standard Webhooks base64 must not be echoed either.
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'whsec_###this-is-the-secret###' });
    vi.resetModules();
    ({ handler } = await import('../../lambdas/ingest/handler.js'));
    answers.push(await handler(signedEvent(body), context));
    expect(answers.map((a) => a.statusCode)).toEqual([202, 400, 401, 503, 500]);
    const everything = [...output, ...answers.map((a) => a.body)].join('\n');
    expect(output.length).toBeGreaterThan(0); // the logs were captured, so the check below means something
    expect(everything).toContain('webhook accepted');
    expect(everything).not.toContain(SECRET_BODY);
    expect(everything).not.toContain('this-is-the-secret');
  });
});
