// A fresh database on the bench server with the layout bootstrapped, raw tables for the data sources to
// point at, and the local pipeline (infra/local/local-pipeline.ts) on top — its warehouse wrapped in a
// CountingWarehouse so that every read and transaction the pipeline issues is counted and timed.
import pg from 'pg';
import { LocalPipeline } from '../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../infra/local/local-warehouse.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../shared/layout/integration-config.js';
import { postgres as d } from '../shared/sql/postgres-dialect.js';
import { stmt } from '../shared/sql/statement.js';
import type { BenchServer } from './bench-postgres.js';
import { CountingWarehouse } from './counting-warehouse.js';
import { envelope, signedRequest } from './fixtures.js';
import type { WebhookEventInput } from '../shared/events/event-types.js';

export const RAW_TABLES = 10;

export interface PipelineDatabase {
  url: string;
  config: IntegrationConfig;
  warehouse: LocalWarehouse;
  counting: CountingWarehouse;
  pipeline: LocalPipeline;
  secret: string;
  /** Sign and POST one event through ingest; throws unless 202. */
  post(event: WebhookEventInput): Promise<void>;
  /** Run one admin query on a fresh connection. */
  adminQuery<T extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function openPipelineDatabase(
  server: BenchServer,
  name: string,
  extraAdmin: string[] = [],
): Promise<PipelineDatabase> {
  const url = await server.createDatabase(name);
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: name,
    viewSchema: 'secure',
    systemUser: `${name}_system`,
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error(`bench config invalid: ${parsed.diagnostics.map((x) => x.summary).join('; ')}`);
  const config = parsed.value;
  const warehouse = await openLocalWarehouse(config, `bench-key-${name}`, {
    url,
    prepare: (admin) =>
      admin([
        stmt('CREATE SCHEMA raw'),
        ...Array.from({ length: RAW_TABLES }, (_, i) =>
          stmt(
            `CREATE TABLE raw.${d.quoteIdent(`t${i}`)} (id int8, region varchar(8), dept varchar(16), email ` +
              `varchar(64), phone varchar(20), amount numeric(12,2), created_at timestamptz)`,
          ),
        ),
        ...extraAdmin.map((s) => stmt(s)),
      ]),
  });
  const counting = new CountingWarehouse(warehouse.system);
  const secret = `whsec_${Buffer.from(`bench-${name}-secret-0123456789`).toString('base64')}`;
  // The deployed queue's visibility timeout is the apply timeout × a factor (infra/stack/work-queue.ts) and the apply
  // Lambda stops at its deadline; the bench's consumer has no deadline, so the local queue's 30 s default would
  // hand a long batch of view sets out again while it is still being applied (every view applied twice).
  const pipeline = new LocalPipeline({
    config,
    warehouse: counting,
    webhookSecret: secret,
    queue: { visibilityTimeoutMs: 30 * 60_000 },
  });
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  admin.on('error', () => undefined);
  return {
    url,
    config,
    warehouse,
    counting,
    pipeline,
    secret,
    async post(event) {
      const out = await pipeline.receiveWebhook(signedRequest(event, secret));
      if (out.status !== 202)
        throw new Error(`webhook ${event.type} ${event.subject} answered ${out.status}: ${JSON.stringify(out.body)}`);
    },
    async adminQuery(sql, values) {
      return (await admin.query(sql, values)).rows;
    },
    async close() {
      await pipeline.stop();
      await admin.end().catch(() => undefined);
      await warehouse.close().catch(() => undefined);
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${d.quoteIdent(name)} WITH (FORCE)`).catch(() => undefined);
      await c.query(`DROP ROLE IF EXISTS ${d.quoteIdent(config.systemUser)}`).catch(() => undefined);
      await c.end();
    },
  };
}

export { envelope };
