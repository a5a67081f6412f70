// The local consumer keeps the messages it is working on invisible (infra/local/visibility-heartbeat.ts): a
// consumer that works longer than the queue's visibility timeout does not have its message handed to a second
// consumer (no double apply), and a consumer that dies (its heartbeat stops) has it redelivered after the timeout.
// Time is the queue's clock, moved by the test while the first consumer is held inside its transaction; the
// heartbeat is beaten by hand (the schedule is injected), so nothing here waits for real time.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import type { HeartbeatSchedule } from '../../infra/local/visibility-heartbeat.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

const SECRET = 'whsec_' + Buffer.from('visibility-heartbeat-test-secret').toString('base64');
const TIMEOUT_MS = 30_000;

/** The system warehouse, counting commits; `hold()` stops the next transaction until released. */
class HeldWarehouse implements Warehouse {
  committed = 0;
  private held?: { entered: () => void; released: Promise<Error | undefined> };
  constructor(private readonly inner: Warehouse) {}

  hold(): { entered: Promise<void>; release: (error?: Error) => void } {
    let entered!: () => void;
    let release!: (error?: Error) => void;
    const enteredP = new Promise<void>((r) => (entered = r));
    this.held = { entered, released: new Promise((r) => (release = r)) };
    return { entered: enteredP, release };
  }

  query(statement: SqlStatement): Promise<Row[]> {
    return this.inner.query(statement);
  }

  async transaction(statements: SqlStatement[]): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held) {
      held.entered();
      const error = await held.released;
      if (error) throw error;
    }
    await this.inner.transaction(statements);
    this.committed++;
  }
}

const dataSourceEvent = (id: string, database: string): WebhookEventInput => ({
  specversion: '1.0',
  id: `evt-${id}`,
  source: 'urn:test',
  type: 'datasource.created',
  time: new Date().toISOString(),
  subject: id,
  data: {
    dataSource: {
      id,
      name: id.replace('-', '_'),
      version: 1,
      location: { database, schema: 'raw', table: 'items' },
      kind: 'table',
      columns: [
        { name: 'id', type: 'int4' },
        { name: 'owner', type: 'varchar(20)' },
      ],
    },
  },
});

interface Setup {
  config: IntegrationConfig;
  wh: LocalWarehouse;
  close(): Promise<void>;
}

const configFor = (database: string, systemUser?: string): IntegrationConfig => {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database,
    viewSchema: 'secure',
    ...(systemUser ? { systemUser } : {}),
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  return parsed.value;
};

const prepare = (admin: (s: SqlStatement[]) => Promise<void>) =>
  admin([stmt('CREATE SCHEMA raw'), stmt('CREATE TABLE raw.items (id int4, owner varchar(20))')]);

const engines: { name: string; open(): Promise<Setup> }[] = [
  {
    name: 'pglite',
    async open() {
      const config = configFor('postgres');
      const wh = await openLocalWarehouse(config, 'heartbeat-key', { prepare });
      return { config, wh, close: () => wh.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const db: ServerDatabase = await createServerDatabase();
      const config = configFor(db.name, db.roleName('immuta_system_user'));
      const url = new URL(inject('warehouseUrl'));
      url.pathname = `/${db.name}`;
      const wh = await openLocalWarehouse(config, 'heartbeat-key', { url: url.toString(), prepare });
      return {
        config,
        wh,
        close: async () => {
          await wh.close();
          await db.drop();
        },
      };
    },
  },
];

describe.each(engines)('local consumer visibility heartbeat on $name', ({ open }) => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await open();
  });
  afterAll(() => setup?.close());

  /** A pipeline on a fresh queue with a clock the test moves and a heartbeat it beats. */
  const pipelineWithClock = () => {
    const clock = { now: 1_800_000_000_000 };
    const beats = new Set<() => void>();
    const schedule: HeartbeatSchedule = (beat) => {
      beats.add(beat);
      return () => beats.delete(beat);
    };
    const warehouse = new HeldWarehouse(setup.wh.system);
    const pipeline = new LocalPipeline({
      config: setup.config,
      warehouse,
      webhookSecret: SECRET,
      queue: { visibilityTimeoutMs: TIMEOUT_MS, clock: () => clock.now },
      heartbeat: { schedule },
    });
    const post = async (event: WebhookEventInput) => {
      const body = JSON.stringify(event);
      const headers = { 'content-type': 'application/json', ...signWebhook(body, SECRET, `m-${event.id}`, new Date()) };
      expect((await pipeline.receiveWebhook({ body, headers })).status).toBe(202);
    };
    return { clock, beats, warehouse, pipeline, post };
  };

  const viewCount = async (name: string) =>
    Number(
      (
        await setup.wh.system.query(
          stmt("SELECT count(*)::int AS n FROM pg_views WHERE schemaname = 'secure' AND viewname = :v", undefined, {
            v: name,
          }),
        )
      )[0]!.n,
    );

  it('a consumer working for 10 timeouts keeps its message: a second consumer gets nothing, one commit', async () => {
    const { clock, beats, warehouse, pipeline, post } = pipelineWithClock();
    await post(dataSourceEvent('ds-long', setup.config.database));
    const held = warehouse.hold();
    const first = pipeline.consumeOnce();
    await held.entered; // received, read, planned: now inside its transaction
    expect(beats.size).toBe(1);
    for (let elapsed = 0; elapsed < 10 * TIMEOUT_MS; elapsed += TIMEOUT_MS / 2) {
      clock.now += TIMEOUT_MS / 2;
      for (const beat of beats) beat();
      expect(await pipeline.consumeOnce()).toBe(0); // the second consumer: nothing visible
    }
    expect(pipeline.queue.counters()).toMatchObject({ inFlight: 1, depth: 0, received: 1 });
    held.release();
    expect(await first).toBe(1);
    expect(beats.size).toBe(0); // the heartbeat stopped with the batch
    expect(pipeline.queue.counters()).toMatchObject({ inFlight: 0, depth: 0, received: 1, deleted: 1 });
    expect(warehouse.committed).toBe(1);
    expect(pipeline.status()).toMatchObject({ applied: 1, failed: 0 });
    expect(await viewCount('ds_long')).toBe(1);
  });

  it('a consumer that dies (its heartbeat stops) has its message redelivered after the timeout', async () => {
    const { clock, beats, warehouse, pipeline, post } = pipelineWithClock();
    await post(dataSourceEvent('ds-dead', setup.config.database));
    const held = warehouse.hold();
    const dying = pipeline.consumeOnce();
    await held.entered;
    clock.now += TIMEOUT_MS / 2;
    for (const beat of beats) beat();
    beats.clear(); // the process died: its timers are gone, nothing beats or deletes any more
    clock.now += TIMEOUT_MS - 1;
    expect(await pipeline.consumeOnce()).toBe(0); // still within the last extension
    clock.now += 1;
    expect(await pipeline.consumeOnce()).toBe(1); // the second consumer gets it and applies it
    expect(pipeline.queue.counters()).toMatchObject({ inFlight: 0, depth: 0, received: 2, deleted: 1 });
    expect(warehouse.committed).toBe(1);
    expect(await viewCount('ds_dead')).toBe(1);
    // What the dead consumer would still do comes to nothing: its transaction never commits, its receipt is stale.
    held.release(new Error('consumer process died'));
    await dying;
    expect(warehouse.committed).toBe(1);
    expect(pipeline.queue.counters()).toMatchObject({ inFlight: 0, depth: 0, dlqDepth: 0 });
  });
});
