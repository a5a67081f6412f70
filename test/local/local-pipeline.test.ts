// The local wiring end to end on PGlite: the HTTP face (POST /webhooks through ingest, GET /status), the
// local bus routing by the routing table, the consumer loop, and failure handling — redelivery with the
// FIFO partial-batch rule, then the DLQ with the reason, visible in /status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalServer, listen } from '../../infra/local/http-server.js';
import { generateWebhookSecret } from '../../infra/local/local-config.js';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { EVENT_SOURCE, EVENT_TYPES } from '../../shared/routing/routing-table.js';
import { stmt } from '../../shared/sql/statement.js';

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'secure',
  rawSources: [{ schema: 'sales' }],
});
if (!parsed.ok) throw new Error('config');
const config = parsed.value;
const secret = generateWebhookSecret();

// The example data source lives in sales.orders of database "sales"; locally the database is "postgres".
const dsEvent = (id: string, version: number, table = 'orders'): WebhookEventInput => {
  const e = structuredClone(EVENT_EXAMPLES['datasource.created']) as WebhookEventInput & {
    data: { dataSource: Record<string, unknown> };
  };
  return {
    ...e,
    id,
    subject: `ds-${table}`,
    data: {
      dataSource: {
        ...e.data.dataSource,
        id: `ds-${table}`,
        name: table,
        version,
        location: { database: 'postgres', schema: 'sales', table },
      },
    },
  } as WebhookEventInput;
};

describe('local pipeline over HTTP on PGlite', () => {
  let wh: LocalWarehouse;
  let pipeline: LocalPipeline;
  let server: Server;
  let base: string;
  const post = async (event: WebhookEventInput, sign = secret) => {
    const body = JSON.stringify(event);
    const res = await fetch(`${base}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(body, sign, `msg-${event.id}`, new Date()) },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const status = async () => (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'local-test-key', {
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA sales'),
          stmt(
            'CREATE TABLE sales.orders (order_id int8, region varchar(16), customer_email varchar(256), amount ' +
              'numeric(12,2))',
          ),
          stmt("INSERT INTO sales.orders VALUES (1, 'eu', 'a@x', 1.00)"),
        ]),
    });
    pipeline = new LocalPipeline({
      config,
      warehouse: wh.system,
      webhookSecret: secret,
      queue: { maxReceiveCount: 3 },
    });
    server = createLocalServer(pipeline);
    base = `http://127.0.0.1:${await listen(server, 0)}`;
  });
  afterAll(async () => {
    await pipeline?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await wh?.close();
  });

  it('an idle keep-alive connection stays open between requests (no reset when a sender reuses it)', async () => {
    // Node's default keep-alive time (5 s) closed it here, and a sender reusing it got "fetch failed".
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    const request = 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';
    const answer = () =>
      new Promise<string>((resolve, reject) => {
        socket.once('data', (d: Buffer) => resolve(d.toString('utf8')));
        socket.once('close', () => reject(new Error('the server closed the connection')));
      });
    try {
      let next = answer();
      socket.write(request);
      expect(await next).toMatch(/^HTTP\/1\.1 200 /);
      await sleep(6_000);
      next = answer();
      socket.write(request);
      expect(await next).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      socket.destroy();
    }
  }, 60_000);

  it('a badly signed webhook is 401 and reaches nothing', async () => {
    const res = await post(dsEvent('bad-1', 1), generateWebhookSecret());
    expect(res.status).toBe(401);
    expect(await status()).toMatchObject({ queueDepth: 0, eventsReceived: 0 });
  });

  it('a signed webhook is 202 only once it is routed onto the queue; draining applies it', async () => {
    const res = await post(dsEvent('ok-1', 1));
    expect(res).toEqual({ status: 202, body: { id: 'ok-1' } });
    expect(await status()).toMatchObject({ queueDepth: 1, inFlight: 0, eventsReceived: 1, applied: 0 });
    await pipeline.drain();
    expect(await status()).toMatchObject({ queueDepth: 0, applied: 1, failed: 0, dlqDepth: 0, lastError: null });
    // no subscription: nobody approved
    expect(await wh.queryAs!(null, stmt('SELECT count(*)::int AS n ' + 'FROM secure.orders'))).toEqual([{ n: 0 }]);
  });

  it('the same webhook delivered twice is one work item (dedup id); an older version is skipped', async () => {
    await post(dsEvent('ok-2', 2));
    await post(dsEvent('ok-2', 2));
    await post(dsEvent('ok-old', 1));
    expect(pipeline.queue.counters().deduplicated).toBeGreaterThanOrEqual(1);
    await pipeline.drain();
    expect(await status()).toMatchObject({ applied: 2, skipped: 1 });
  });

  it(
    'a permanent failure is redelivered up to maxReceiveCount, ' +
      'then dead-lettered with its reason; /status shows it',
    async () => {
      await post(dsEvent('broken-1', 1, 'no_such_table'));
      await pipeline.drain();
      const st = await status();
      expect(st).toMatchObject({ dlqDepth: 1, failed: 3, queueDepth: 0 });
      expect((st.lastError as { reason: string }).reason).toMatch(/no_such_table/);
      const [dead] = pipeline.queue.deadLetters();
      expect(dead).toMatchObject({ receiveCount: 3, reason: expect.stringMatching(/no_such_table/) });
    },
  );

  it('the consumer loop applies on its own and stops gracefully', async () => {
    pipeline.start(5);
    await post(dsEvent('loop-1', 3));
    const deadline = Date.now() + 10_000;
    while ((await status()).applied !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await pipeline.stop();
    expect(await status()).toMatchObject({ applied: 3, queueDepth: 0, inFlight: 0 });
  });

  it('GET of anything else is 404', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('the local bus routes every type of the routing table and refuses what no rule matches', async () => {
    expect(EVENT_TYPES.length).toBe(8);
    const r = await pipeline.bus.put([
      { source: EVENT_SOURCE, detailType: 'datasource.exploded', detail: '{}' },
      { source: 'someone.else', detailType: 'datasource.created', detail: '{}' },
    ]);
    expect(r.failed.map((f) => [f.index, f.code])).toEqual([
      [0, 'NoMatchingRule'],
      [1, 'NoMatchingRule'],
    ]);
    // A router failure (here: a detail that violates the contract) is a failed entry → ingest answers 5xx.
    const bad = await pipeline.bus.put([
      { source: EVENT_SOURCE, detailType: 'user.updated', detail: '{"type":"user.updated"}' },
    ]);
    expect(bad.failed[0]).toMatchObject({ code: 'RouterFailed' });
  });
});
