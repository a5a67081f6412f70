// One local install with the Immuta connector, for the connector's tests: PGlite with the raw tables of the
// fake tenant (infra/local/fake-immuta-tenant.json), the local pipeline, the fake Immuta over HTTP and the
// local connector wired to both. `seen(user, view)` reads a view AS that user.
import { afterAll, beforeAll } from 'vitest';
import { LocalImmutaConnector } from '../../../infra/local/local-immuta.js';
import { LocalPipeline } from '../../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../../infra/local/local-warehouse.js';
import { parseImmutaConfig, placementFor } from '../../../shared/immuta/connector-config.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../../shared/layout/integration-config.js';
import { postgres as d } from '../../../shared/sql/postgres-dialect.js';
import { stmt } from '../../../shared/sql/statement.js';
import { FakeImmuta } from '../../../infra/local/fake-immuta.js';

export const READERS = ['alice', 'bob', 'carol'] as const;

export function immutaTestConfig(): IntegrationConfig {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'postgres',
    viewSchema: 'secure',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  return parsed.value;
}

export const RAW_TABLES = [
  stmt('CREATE SCHEMA raw'),
  stmt('CREATE TABLE raw.orders (order_id int8, region varchar(8), customer_email varchar(64), amount numeric(10,2))'),
  stmt(
    "INSERT INTO raw.orders VALUES (1, 'eu', 'ana@example.com', 120.00), (2, 'us', 'ben@example.com', 80.50), (3, " +
      "'eu', 'cy@example.com', 42.00)",
  ),
  stmt('CREATE TABLE raw.customers (customer_id int8, name varchar(32), email varchar(64), country varchar(8))'),
  stmt("INSERT INTO raw.customers VALUES (10, 'Ana', 'ana@example.com', 'eu'), (11, 'Ben', 'ben@example.com', 'us')"),
  ...READERS.map((u) => stmt(`CREATE ROLE ${d.quoteIdent(u)} LOGIN`)),
];

export interface ImmutaHarness {
  fake: FakeImmuta;
  wh: LocalWarehouse;
  pipeline: LocalPipeline;
  connector: LocalImmutaConnector;
  /** Rows of `view` as `user`, ordered by the first column; [] when the user may not read it. */
  seen(user: string, view: string): Promise<Record<string, unknown>[]>;
  /** Deliver the fake's notices to the connector, sync the hints and drain the pipeline. */
  settle(): Promise<void>;
}

export async function openImmutaHarness(now?: () => Date): Promise<ImmutaHarness> {
  const config = immutaTestConfig();
  const fake = await FakeImmuta.start();
  const wh = await openLocalWarehouse(config, 'immuta-test-hash-key', { prepare: (admin) => admin(RAW_TABLES) });
  const pipeline = new LocalPipeline({
    config,
    warehouse: wh.system,
    webhookSecret: 'whsec_dGVzdC1vbmx5LXRlc3Qtb25seS10ZXN0LW9ubHkh',
  });
  const parsed = parseImmutaConfig({ url: fake.url });
  if (!parsed.ok) throw new Error('immuta config');
  const connector = new LocalImmutaConnector({
    pipeline,
    config: parsed.value,
    placement: placementFor(config),
    apiKey: fake.apiKey,
    noticeSecret: fake.noticeSecret,
    client: { maxAttempts: 3, backoffMs: 1, maxBackoffMs: 5 },
    ...(now ? { now } : {}),
  });
  return {
    fake,
    wh,
    pipeline,
    connector,
    async seen(user, view) {
      try {
        return await wh.queryAs!(user, stmt(`SELECT * FROM ${d.qualify(config.viewSchema, view)} ORDER BY 1`));
      } catch {
        return [];
      }
    },
    async settle() {
      await connector.processHints();
      await pipeline.drain(20_000);
    },
  };
}

/** beforeAll/afterAll around one harness per file. */
export function useImmutaHarness(): () => ImmutaHarness {
  let h: ImmutaHarness | undefined;
  beforeAll(async () => {
    h = await openImmutaHarness();
  }, 60_000);
  afterAll(async () => {
    await h?.connector.stop();
    await h?.fake.close();
    await h?.wh.close();
  });
  return () => h!;
}
