// User names with ':' end to end (docs/policies.md "User names"): Redshift names the users of IAM identities
// IAM:<user>, IAMR:<role>, AWSIDC:<user> (Identity Center). Webhooks for such users go through ingest, the
// router and the apply loop into immuta_system.profile; each then logs in to a PostgreSQL server as a role with
// exactly that name and sees its own profile row and the rows policy gives it (`owner = @username`). A userId
// spelled otherwise than the role (lower-case prefix) is accepted with a VG508 warning — and matches nobody.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { stmt } from '../../shared/sql/statement.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

const SECRET = 'whsec_' + Buffer.from('user-names-end-to-end-secret').toString('base64');
const event = (id: string, type: WebhookEventInput['type'], subject: string, data: unknown): WebhookEventInput =>
  ({
    specversion: '1.0',
    id,
    source: 'urn:t',
    type,
    time: new Date().toISOString(),
    subject,
    data,
  }) as WebhookEventInput;

describe('user names with ":" (IAM:, IAMR:, AWSIDC:) through the pipeline, as real login roles', () => {
  let db: ServerDatabase;
  let wh: LocalWarehouse;
  let config: IntegrationConfig;
  let pipeline: LocalPipeline;
  const BASES = {
    iam: 'IAM:ann',
    iamr: 'IAMR:Analyst-Role',
    idc: 'AWSIDC:bo@example.com',
    misspelt: 'IAMR:Carol',
  } as const;
  const role = {} as Record<keyof typeof BASES, string>;

  beforeAll(async () => {
    db = await createServerDatabase();
    for (const [k, base] of Object.entries(BASES)) role[k as keyof typeof BASES] = db.roleName(base);
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
    const rows = Object.values(role).map((name, i) =>
      stmt('INSERT INTO raw.items VALUES (:id, :owner)', undefined, { id: i + 1, owner: name }),
    );
    wh = await openLocalWarehouse(config, 'user-names-key', {
      url: url.toString(),
      prepare: (admin) =>
        admin([stmt('CREATE SCHEMA raw'), stmt('CREATE TABLE raw.items (id int4, owner varchar(128))'), ...rows]),
    });
    for (const base of Object.values(BASES)) await db.createLoginRole(base, 'pw');
    pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: SECRET });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await wh?.close();
    await db?.drop();
  });

  async function send(e: WebhookEventInput): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify(e);
    const out = await pipeline.receiveWebhook({ body, headers: signWebhook(body, SECRET, `m-${e.id}`, new Date()) });
    return { status: out.status, body: out.body };
  }

  it('stores each profile under the exact name; each login role sees its own row and its own data', async () => {
    // Carol's userId is sent with a lower-case prefix: no Redshift user is named that way.
    const misspelt = role.misspelt.replace('IAMR:', 'iamr:');
    const users = [role.iam, role.iamr, role.idc, misspelt];
    for (const [i, userId] of users.entries()) {
      const answer = await send(
        event(`u${i}`, 'user.updated', userId, { user: { userId, version: 1, groups: ['g'] } }),
      );
      expect(answer.status).toBe(202);
      const warnings = (answer.body as { warnings?: { code: string }[] }).warnings ?? [];
      expect(
        warnings.map((w) => w.code),
        userId,
      ).toEqual(userId === misspelt ? ['VG508'] : []);
    }
    const columns = [
      { name: 'id', type: 'int4' },
      { name: 'owner', type: 'varchar(128)' },
    ];
    await send(
      event('d1', 'datasource.created', 'ds-items', {
        dataSource: {
          id: 'ds-items',
          name: 'items',
          version: 1,
          location: { database: db.name, schema: 'raw', table: 'items' },
          kind: 'table',
          columns,
        },
      }),
    );
    await send(
      event('p1', 'policy.created', 'sub-g', {
        policy: {
          id: 'sub-g',
          version: 1,
          name: 'g',
          createdAt: '2026-01-01T00:00:00Z',
          type: 'subscription',
          scope: { kind: 'global' },
          access: { kind: 'usersWith', who: { groups: ['g'] } },
        },
      }),
    );
    await send(
      event('p2', 'policy.created', 'own-rows', {
        policy: {
          id: 'own-rows',
          version: 1,
          name: 'own rows',
          createdAt: '2026-01-01T00:00:00Z',
          type: 'rowFilter',
          scope: { kind: 'global' },
          filter: { kind: 'where', clause: 'owner = @username' },
        },
      }),
    );
    await pipeline.drain();
    expect(pipeline.status()).toMatchObject({ failed: 0, dlqDepth: 0 });

    const admin = await db.adminClient();
    try {
      const stored = await admin.query('SELECT immuta__userid FROM immuta_system.profile ORDER BY 1');
      expect(stored.rows.map((r: { immuta__userid: string }) => r.immuta__userid).sort()).toEqual([...users].sort());
    } finally {
      await admin.end();
    }
    for (const name of [role.iam, role.iamr, role.idc]) {
      const client = await db.connectAs(name, 'pw');
      try {
        expect((await client.query('SELECT current_user AS u')).rows).toEqual([{ u: name }]);
        expect((await client.query('SELECT immuta__userid FROM immuta_system.user_profile')).rows).toEqual([
          { immuta__userid: name },
        ]);
        expect((await client.query('SELECT owner FROM secure.items')).rows, name).toEqual([{ owner: name }]);
      } finally {
        await client.end();
      }
    }
    // The role whose profile was sent misspelt has no profile row of its own: it sees nothing.
    const carol = await db.connectAs(role.misspelt, 'pw');
    try {
      expect((await carol.query('SELECT immuta__userid FROM immuta_system.user_profile')).rows).toEqual([]);
      expect((await carol.query('SELECT owner FROM secure.items')).rows).toEqual([]);
    } finally {
      await carol.end();
    }
  });
});
