// Local mode has the apply Lambda's FIFO partial-batch semantics and counts fail-closed views as the Lambda's
// ViewsFailedClosed does. The poison here is a custom WHERE the compiler accepts and the warehouse refuses at
// CREATE VIEW (test/support/engine-refusal.ts): the apply loop closes the view (VG308) and the item still fails.
// In the same batch, the later message of the poison's group goes back unprocessed, the other group's is applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../infra/local/local-config.js';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { stmt } from '../../shared/sql/statement.js';
import { REFUSAL, refusedClause, refuseMarkedViews } from '../support/engine-refusal.js';

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'secure',
  rawSources: [{ schema: 'sales' }],
});
if (!parsed.ok) throw new Error('config');
const config = parsed.value;
const secret = generateWebhookSecret();
const MAX_RECEIVES = 3;

const dataSource = (table: string, version: number): WebhookEventInput => {
  const e = EVENT_EXAMPLES['datasource.created'];
  const dataSource = {
    ...e.data.dataSource,
    id: `ds-${table}`,
    name: table,
    version,
    location: { database: 'postgres', schema: 'sales', table },
  };
  return { ...e, id: `ds-${table}-${version}`, subject: `ds-${table}`, data: { dataSource } } as WebhookEventInput;
};
const whereFilter = (version: number, clause: string): WebhookEventInput => {
  const e = EVENT_EXAMPLES['policy.updated'];
  const policy = {
    ...e.data.policy,
    id: 'pol-where',
    version,
    scope: { kind: 'local', dataSourceId: 'ds-orders' },
    filter: { kind: 'where', clause },
  };
  return { ...e, id: `pol-where-${version}`, subject: 'pol-where', data: { policy } } as WebhookEventInput;
};

describe('local consumer: FIFO partial batches per group, fail-closed views counted', () => {
  let wh: LocalWarehouse;
  let pipeline: LocalPipeline;
  const send = async (event: WebhookEventInput) => {
    const body = JSON.stringify(event);
    const outcome = await pipeline.receiveWebhook({
      body,
      headers: signWebhook(body, secret, `msg-${event.id}`, new Date()),
    });
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(202);
  };
  const rows = async (table: string) =>
    (await wh.queryAs!(null, stmt(`SELECT count(*)::int AS n FROM secure.${table}`)))[0]!.n;

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'local-test-key', {
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA sales'),
          stmt(
            'CREATE TABLE sales.orders (order_id int8, region varchar(16), customer_email varchar(256), amount ' +
              'numeric(12,2))',
          ),
          stmt(
            'CREATE TABLE sales.items (order_id int8, region varchar(16), customer_email varchar(256), amount ' +
              'numeric(12,2))',
          ),
          ...refuseMarkedViews(),
        ]),
    });
    pipeline = new LocalPipeline({
      config,
      warehouse: wh.system,
      webhookSecret: secret,
      queue: { maxReceiveCount: MAX_RECEIVES },
    });
    await send(dataSource('orders', 1));
    await send(dataSource('items', 1));
    await pipeline.drain();
    expect(pipeline.status()).toMatchObject({ applied: 2, failed: 0, failedClosed: 0 });
  });
  afterAll(async () => {
    await wh?.close();
  });

  it(
    'a failure fails the later message of its group unprocessed; the other group in the batch is applied; the ' +
      'closed view is counted',
    async () => {
      await send(whereFilter(1, refusedClause('region')));
      await send(dataSource('orders', 2));
      await send(dataSource('items', 2));

      expect(await pipeline.consumeOnce(10)).toBe(3);
      expect(pipeline.status()).toMatchObject({ applied: 3, failed: 1, failedClosed: 1, queueDepth: 2, inFlight: 0 });
      const closed = pipeline.outcomes.find((o) => o.object === `policy:pol-where@view:ds-orders`)!;
      expect(closed.failedClosed).toBe(true);
      expect(closed.diagnostics.map((d) => d.code)).toContain('VG308');
      expect(pipeline.status().lastError?.reason).toMatch(REFUSAL);
      // The other group's message in the same batch was applied; the poison's follower was not tried.
      expect(pipeline.outcomes.map((o) => o.object)).toContain('datasource:ds-items');
      expect(pipeline.outcomes.filter((o) => o.object === 'datasource:ds-orders').map((o) => o.version)).toEqual([1]);
      await expect(rows('orders')).resolves.toBe(0); // the closed view serves nothing

      // Every redelivery closes the view again (and is counted) until the poison is dead-lettered. Its follower
      // was received (and failed unprocessed) with it each time, so it follows it to the DLQ, as on SQS
      // (test/faults/poison-and-redrive.test.ts); the other group was never held back.
      await pipeline.drain();
      const [poison, follower, ...more] = pipeline.queue.deadLetters();
      expect(more).toEqual([]);
      expect(poison).toMatchObject({
        groupId: viewGroupId('ds-orders'),
        receiveCount: MAX_RECEIVES,
        reason: expect.stringMatching(REFUSAL),
      });
      expect(follower).toMatchObject({
        groupId: viewGroupId('ds-orders'),
        receiveCount: MAX_RECEIVES,
        reason: expect.stringMatching(/earlier message of its FIFO group failed/),
      });
      expect(pipeline.status()).toMatchObject({
        failed: MAX_RECEIVES,
        failedClosed: MAX_RECEIVES,
        applied: 3,
        dlqDepth: 2,
        queueDepth: 0,
      });
      expect(pipeline.outcomes.filter((o) => o.object === 'datasource:ds-orders').map((o) => o.version)).toEqual([1]);
    },
  );
});
