// Local mode on a PostgreSQL SERVER (what WAREHOUSE_URL selects): the layout is bootstrapped through the admin
// URL, then every pipeline connection acts as the system role (NOLOGIN: SET ROLE on connect) — views and
// state rows are written by it, and an analyst logged in with a password reads the view.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';
import { stmt } from '../../shared/sql/statement.js';

const SECRET = 'whsec_' + Buffer.from('server-warehouse-test-secret').toString('base64');

describe('local pipeline on a PostgreSQL server (WAREHOUSE_URL)', () => {
  let db: ServerDatabase;
  let wh: LocalWarehouse;
  let config: IntegrationConfig;
  let analyst: string;

  beforeAll(async () => {
    db = await createServerDatabase();
    const parsed = parseIntegrationConfig({
      mode: 'single',
      database: db.name,
      viewSchema: 'secure',
      systemUser: db.roleName('immuta_system_user'),
      rawSources: [{ schema: 'raw' }],
    });
    if (!parsed.ok) throw new Error('config');
    config = parsed.value;
    const url = new URL(inject('warehouseUrl'));
    url.pathname = `/${db.name}`;
    wh = await openLocalWarehouse(config, 'server-test-key', {
      url: url.toString(),
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.items (id int4, owner varchar(20))'),
          stmt("INSERT INTO raw.items VALUES (1, 'x'), (2, 'y')"),
        ]),
    });
    analyst = await db.createLoginRole('analyst', 'analyst-pw');
  });
  afterAll(async () => {
    await wh?.close();
    await db?.drop();
  });

  it('applies webhooks as the system role; the analyst reads the view through a real login', async () => {
    const pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: SECRET });
    const events: WebhookEventInput[] = [
      {
        specversion: '1.0',
        id: 'e1',
        source: 'urn:t',
        type: 'user.updated',
        time: new Date().toISOString(),
        subject: analyst,
        data: { user: { userId: analyst, version: 1, groups: ['g'] } },
      },
      {
        specversion: '1.0',
        id: 'e2',
        source: 'urn:t',
        type: 'datasource.created',
        time: new Date().toISOString(),
        subject: 'ds-items',
        data: {
          dataSource: {
            id: 'ds-items',
            name: 'items',
            version: 1,
            location: { database: db.name, schema: 'raw', table: 'items' },
            kind: 'table',
            columns: [
              { name: 'id', type: 'int4' },
              { name: 'owner', type: 'varchar(20)' },
            ],
          },
        },
      },
      {
        specversion: '1.0',
        id: 'e3',
        source: 'urn:t',
        type: 'policy.created',
        time: new Date().toISOString(),
        subject: 'sub-g',
        data: {
          policy: {
            id: 'sub-g',
            version: 1,
            name: 'group g',
            createdAt: '2026-01-01T00:00:00Z',
            type: 'subscription',
            scope: { kind: 'global' },
            access: { kind: 'usersWith', who: { groups: ['g'] } },
          },
        },
      },
    ];
    for (const e of events) {
      const body = JSON.stringify(e);
      expect(
        (await pipeline.receiveWebhook({ body, headers: signWebhook(body, SECRET, `m-${e.id}`, new Date()) })).status,
      ).toBe(202);
    }
    await pipeline.drain();
    // + the policy's re-fan-out to ds-items
    expect(pipeline.status()).toMatchObject({ applied: 4, failed: 0, dlqDepth: 0 });
    const admin = await db.adminClient();
    try {
      const owner = await admin.query(
        "SELECT viewowner FROM pg_views WHERE schemaname = 'secure' AND viewname = 'items'",
      );
      expect(owner.rows).toEqual([{ viewowner: config.systemUser }]);
    } finally {
      await admin.end();
    }
    const client: pg.Client = await db.connectAs(analyst, 'analyst-pw');
    try {
      expect((await client.query('SELECT id FROM secure.items ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
      await expect(client.query('SELECT * FROM raw.items')).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });
});
