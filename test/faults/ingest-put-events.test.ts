// A PutEvents failure at ingest, end to end through the real Lambdas, with AWS mocked only at the SDK boundary:
//
//   signed POST → ingest Lambda → PutEvents (mocked; what it accepts is "on the bus") → the router Lambda of the
//   route (datasource / policy / user; the policy router reads the catalog through the Data API on PGlite)
//   → SendMessageBatch (mocked onto the SQS FIFO stand-in) → the apply Lambda → Data API → PGlite.
//
// When the entry is not accepted (a partial failure that outlasts the bus adapter's retries), ingest answers
// 5xx and the sender retries the SAME webhook (same webhook-id, same body): exactly one version is applied.
// When PutEvents accepted the entry but the call still failed, the retry puts the event on the bus twice: the
// routers send the same dedup id (event id + object), so SQS keeps one message — and even past the 5-minute
// dedup window the second one is a stale skip. Either way the object is applied exactly once.
import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, EventBridgeEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../shared/contract/lambda-environment.js';
import type { WebhookEvent } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { routeFor } from '../../shared/routing/routing-table.js';
import { useApplyLambda } from './support/fault-harness.js';
import { appliedVersions, expectConverged } from './support/oracle.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:viewguard-webhook-AbCdEf';
type Handler<E, R> = (event: E, context: Context) => Promise<R>;
const lambda = (name: string) =>
  ({
    functionName: `viewguard-${name}`,
    awsRequestId: `req-${name}`,
    getRemainingTimeInMillis: () => 30_000,
  }) as unknown as Context;

const t = useApplyLambda('i', {
  environment: {
    [ENV.eventBusName]: 'viewguard-bus',
    [ENV.webhookSecretArn]: SECRET_ARN,
    POWERTOOLS_TRACE_ENABLED: 'false',
  },
});
let ingest: Handler<APIGatewayProxyEvent, APIGatewayProxyResult>;
let routers: Record<string, Handler<EventBridgeEvent<string, unknown>, unknown>>;
const eb = mockClient(EventBridgeClient);
const sm = mockClient(SecretsManagerClient);
/** What EventBridge accepted, in order (delivered to the routers by deliverBus). */
let onTheBus: PutEventsRequestEntry[] = [];
/** Decides each PutEvents call: accept, fail the entries, or accept and then fail the call. */
let putEvents: (call: number) => 'accept' | 'failEntries' | 'acceptThenThrow' = () => 'accept';
let putCalls = 0;

beforeAll(async () => {
  ({ handler: ingest } = (await import('../../lambdas/ingest/handler.js')) as unknown as { handler: typeof ingest });
  routers = {
    datasource: (
      (await import('../../lambdas/datasource/handler.js')) as unknown as {
        handler: Handler<EventBridgeEvent<string, unknown>, unknown>;
      }
    ).handler,
    policy: (
      (await import('../../lambdas/policy/handler.js')) as unknown as {
        handler: Handler<EventBridgeEvent<string, unknown>, unknown>;
      }
    ).handler,
    user: (
      (await import('../../lambdas/user/handler.js')) as unknown as {
        handler: Handler<EventBridgeEvent<string, unknown>, unknown>;
      }
    ).handler,
  };
});
beforeEach(() => {
  onTheBus = [];
  putCalls = 0;
  putEvents = () => 'accept';
  eb.reset();
  sm.reset();
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: SECRET });
  eb.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
    const what = putEvents(putCalls++);
    if (what === 'failEntries') {
      return {
        FailedEntryCount: input.Entries.length,
        Entries: input.Entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' })),
      };
    }
    onTheBus.push(...input.Entries);
    if (what === 'acceptThenThrow')
      throw Object.assign(new Error('We encountered an internal error. Please try again.'), {
        name: 'InternalException',
        $metadata: { httpStatusCode: 500 },
      });
    return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `eb-${putCalls}-${i}` })) };
  });
});

/** The sender: one webhook-id per event, kept across its retries (Standard Webhooks). */
async function post(event: WebhookEvent): Promise<number> {
  const body = JSON.stringify(event);
  const h = signWebhook(body, SECRET, `msg_${event.id}`, new Date());
  const res = await ingest(
    {
      body,
      headers: {
        'Content-Type': 'application/json',
        'Webhook-Id': h['webhook-id'],
        'Webhook-Timestamp': h['webhook-timestamp'],
        'Webhook-Signature': h['webhook-signature'],
      },
      isBase64Encoded: false,
      httpMethod: 'POST',
      path: '/webhooks',
    } as unknown as APIGatewayProxyEvent,
    lambda('ingest'),
  );
  return res.statusCode;
}

/** The sender retries a 5xx (same webhook) until it is accepted. */
async function deliver(event: WebhookEvent): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    statuses.push(await post(event));
    if (statuses.at(-1)! < 500) return statuses;
  }
  return statuses;
}

/** EventBridge → the rule of each entry's detail type → its router Lambda. */
async function deliverBus(): Promise<void> {
  for (const entry of onTheBus.splice(0)) {
    const route = routeFor(entry.DetailType!)!;
    await routers[route.category]!(
      {
        version: '0',
        id: `bus-${Math.random()}`,
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: '1',
        time: new Date().toISOString(),
        region: 'eu-west-1',
        resources: [],
        detail: JSON.parse(entry.Detail!),
      },
      lambda(route.functionName),
    );
  }
}

describe('PutEvents failures at ingest (real ingest, router and apply Lambdas)', () => {
  it(
    'entries the bus keeps failing: 5xx; the sender retries ' + 'the same webhook; exactly one version applied',
    async () => {
      const readers = await t.o.createRoles('ann');
      // The first POST: every PutEvents attempt of the bus adapter fails the entry.
      putEvents = (call) => (call < 3 ? 'failEntries' : 'accept');
      const ds = t.o.dataSourceEvent(t.o.orders(1));
      expect(await deliver(ds)).toEqual([503, 202]);
      expect(putCalls).toBe(4);
      await deliverBus();
      for (const e of [t.o.userEvent('ann', 1, { region: ['eu'] }), t.o.policyEvent(t.o.subscriptionAnyone(1))]) {
        expect(await deliver(e)).toEqual([202]);
        await deliverBus();
        await t.driver.drain();
      }
      await t.driver.drain();
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1]);
      expect(t.driver.metric('Applied')).toBe(3);
      await expectConverged(t.wh, t.config, t.o.sent, readers);
    },
  );

  it(
    'accepted by the bus but the call failed: the retry puts it on the bus twice; one message (dedup id), one ' +
      'application',
    async () => {
      const readers = await t.o.createRoles('ann');
      t.driver.send(t.o.userMessages('ann', 1, { region: ['eu'] }));
      await t.driver.drain();
      putEvents = (call) => (call === 0 ? 'acceptThenThrow' : 'accept');
      const ds = t.o.dataSourceEvent(t.o.orders(1));
      const statuses = await deliver(ds);
      expect(statuses[0]).toBeGreaterThanOrEqual(500);
      expect(statuses.at(-1)).toBe(202);
      expect(onTheBus).toHaveLength(2); // the same event, twice
      await deliverBus();
      expect(t.driver.queue.counters()).toMatchObject({ sent: 2, deduplicated: 1 }); // the user item + one of the two
      await t.driver.drain();
      expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1]);
      await expectConverged(t.wh, t.config, t.o.sent, readers);
    },
  );

  it('a duplicate that arrives after the 5-minute dedup window is a stale skip: still one application', async () => {
    const readers = await t.o.createRoles('ann');
    putEvents = (call) => (call === 0 ? 'acceptThenThrow' : 'accept');
    const ds = t.o.dataSourceEvent(t.o.orders(1));
    await deliver(ds);
    expect(onTheBus).toHaveLength(2);
    const [first, second] = onTheBus.splice(0);
    onTheBus.push(first!);
    await deliverBus();
    await t.driver.drain();
    t.driver.advance(6 * 60_000);
    onTheBus.push(second!);
    await deliverBus();
    expect(t.driver.queue.counters().deduplicated).toBe(0);
    const skipped = t.driver.metric('Skipped');
    await t.driver.drain();
    expect(t.driver.metric('Skipped')).toBe(skipped + 1);
    expect(await appliedVersions(t.wh, 'datasource', t.o.id('orders'))).toEqual([1]);
    await expectConverged(t.wh, t.config, t.o.sent, readers);
  });
});
