// The integration's own schemas renamed (IntegrationConfig.schemas, e.g. to run beside Immuta's native Redshift
// integration, which owns immuta_system / immuta_functions / immuta_procedures): the whole pipeline on a real
// PostgreSQL server — bootstrap, signed webhooks through the local pipeline, views — and what each analyst sees
// through a real login. Nothing may land in, or read from, an immuta_* schema.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import pg from 'pg';
import { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseIntegrationConfig, schemasOf, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { ViewguardStack } from '../../infra/stack/viewguard-stack.js';
import { integrationSchemasFromEnv } from '../../lambdas/aws/read-environment.js';
import { bootstrapPlanHash, EMPTY_WAREHOUSE, layoutPlan } from '../../shared/contract/bootstrap-plan-hash.js';
import { planTeardown } from '../../lambdas/bootstrap/teardown-plan.js';
import { catalogReadStatement } from '../../shared/layout/catalog-reader.js';
import { planUserDelete } from '../../shared/layout/user-change-plan.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';
import { HASH_KEY } from '../layout/layout-fixture.js';
import { allowedRows, ORDER_SOURCE_COLUMNS, POLICIES, type OrderRow } from '../breadth/support/orders-fixture.js';

const SECRET = 'whsec_' + Buffer.from('custom-schema-names-test').toString('base64');
const SCHEMAS = { system: 'vg_state', functions: 'vg_fn', procedures: 'vg_proc' };
const ROWS: OrderRow[] = [
  { id: 1, region: 'eu', email: 'a@x' },
  { id: 2, region: 'us', email: 'b@x' },
  { id: 3, region: 'eu', email: null },
];

const event = (id: string, type: string, subject: string, data: unknown): WebhookEventInput =>
  ({
    specversion: '1.0',
    id,
    source: 'urn:test',
    type,
    time: new Date().toISOString(),
    subject,
    data,
  }) as WebhookEventInput;

describe('renamed integration schemas: the whole pipeline on PostgreSQL', () => {
  let db: ServerDatabase;
  let wh: LocalWarehouse;
  let config: IntegrationConfig;
  const analysts: Record<'eve' | 'zed', string> = { eve: '', zed: '' };

  beforeAll(async () => {
    db = await createServerDatabase();
    const parsed = parseIntegrationConfig({
      mode: 'single',
      database: db.name,
      viewSchema: 'governed',
      systemUser: db.roleName('vg_system'),
      schemas: SCHEMAS,
      rawSources: [{ schema: 'raw' }],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    config = parsed.value;
    const url = new URL(inject('warehouseUrl'));
    url.pathname = `/${db.name}`;
    wh = await openLocalWarehouse(config, HASH_KEY, {
      url: url.toString(),
      prepare: (admin) =>
        admin([
          stmt('CREATE SCHEMA raw'),
          stmt('CREATE TABLE raw.orders (id int4, region varchar(10), email varchar(80))'),
          stmt("INSERT INTO raw.orders VALUES (1, 'eu', 'a@x'), (2, 'us', 'b@x'), (3, 'eu', NULL)"),
        ]),
    });
    analysts.eve = await db.createLoginRole('eve', 'eve-pw');
    analysts.zed = await db.createLoginRole('zed', 'zed-pw');

    const pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: SECRET });
    const events = [
      event('u1', 'user.updated', analysts.eve, {
        user: { userId: analysts.eve, version: 1, attributes: { region: ['eu'] } },
      }),
      ...POLICIES.map((p, i) => event(`p${i}`, 'policy.created', p.id, { policy: p })),
      event('d1', 'datasource.created', 'ds-orders', {
        dataSource: {
          id: 'ds-orders',
          name: 'orders',
          version: 1,
          location: { database: db.name, schema: 'raw', table: 'orders' },
          kind: 'table',
          columns: ORDER_SOURCE_COLUMNS,
        },
      }),
    ];
    for (const e of events) {
      const body = JSON.stringify(e);
      const outcome = await pipeline.receiveWebhook({
        body,
        headers: signWebhook(body, SECRET, `m-${e.id}`, new Date()),
      });
      expect(outcome.status, JSON.stringify(outcome.body)).toBe(202);
    }
    await pipeline.drain();
    expect(pipeline.status()).toMatchObject({ failed: 0, dlqDepth: 0 });
  }, 120_000);
  afterAll(async () => {
    await wh?.close();
    await db?.drop();
  });

  const asAdmin = async <T>(run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = await db.adminClient();
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };

  it('the layout lives in the configured schemas, owned by the system user; no immuta_* schema exists', async () => {
    const schemas = await asAdmin((c) =>
      c.query<{ nspname: string; owner: string }>(
        'SELECT n.nspname, pg_get_userbyid(n.nspowner) ' +
          'AS owner FROM pg_namespace n WHERE ' +
          "n.nspname LIKE 'vg\\_%' OR n.nspname LIKE " +
          "'immuta%' OR n.nspname = 'governed' ORDER BY 1",
      ),
    );
    expect(schemas.rows).toEqual(
      ['governed', 'vg_fn', 'vg_proc', 'vg_state'].map((nspname) => ({ nspname, owner: config.systemUser })),
    );
    const routines = await asAdmin((c) =>
      c.query<{ schema: string; n: string }>(
        'SELECT n.nspname AS schema, count(*)::text AS n ' +
          'FROM pg_proc p JOIN pg_namespace n ON ' +
          'n.oid = p.pronamespace WHERE n.nspname IN ' +
          "('vg_fn', 'vg_proc') GROUP BY 1 ORDER BY 1",
      ),
    );
    expect(routines.rows.map((r) => r.schema)).toEqual(['vg_fn', 'vg_proc']);
    const tables = await asAdmin((c) =>
      c.query<{ relname: string }>(
        'SELECT c.relname FROM pg_class c ' +
          'JOIN pg_namespace n ON n.oid = ' +
          "c.relnamespace WHERE n.nspname = 'vg_state' " +
          "AND c.relkind IN ('r', 'v') ORDER " +
          'BY 1',
      ),
    );
    expect(tables.rows.map((r) => r.relname)).toEqual(
      expect.arrayContaining(['profile', 'user_profile', 'hash_key', 'datasource_state', 'policy_state']),
    );
  });

  it('the view reads the profile, the key and the functions from the configured schemas', async () => {
    const def = await asAdmin((c) =>
      c.query<{ d: string; owner: string }>(
        'SELECT ' +
          "pg_get_viewdef('governed.orders'::regclass) " +
          'AS d, viewowner AS owner ' +
          'FROM pg_views WHERE schemaname = ' +
          "'governed' AND viewname = 'orders'",
      ),
    );
    expect(def.rows[0]!.owner).toBe(config.systemUser);
    expect(def.rows[0]!.d).toMatch(/vg_state\.user_profile/);
    expect(def.rows[0]!.d).toMatch(/vg_state\.hash_key/);
    expect(def.rows[0]!.d).not.toMatch(/immuta_(system|functions|procedures)/);
  });

  it('each analyst sees through a real login what the policies allow, and nothing of the raw table', async () => {
    const see = async (who: 'eve' | 'zed') => {
      const client = await db.connectAs(analysts[who], `${who}-pw`);
      try {
        await expect(client.query('SELECT * FROM raw.orders')).rejects.toThrow(/permission denied/);
        return (await client.query<OrderRow>('SELECT id, region, email FROM governed.orders ORDER BY id')).rows;
      } finally {
        await client.end();
      }
    };
    expect(await see('eve')).toEqual(allowedRows(['eu'], ROWS));
    expect(await see('zed')).toEqual([]); // no profile row: no region, no rows
  });
});

describe('renamed integration schemas: configuration, stack and Lambda environment', () => {
  const parse = (extra: Record<string, unknown>) =>
    parseIntegrationConfig({ mode: 'single', database: 'dev', viewSchema: 'secure', ...extra });

  it('default: no schemas key (bootstrap properties and plan hash as before), the immuta_* names in SQL', () => {
    const r = parse({});
    expect(r.ok && r.value).not.toHaveProperty('schemas');
    expect(schemasOf(r.ok ? r.value : {})).toEqual({
      system: 'immuta_system',
      functions: 'immuta_functions',
      procedures: 'immuta_procedures',
    });
    expect(bootstrapPlanHash(r.ok ? r.value : (undefined as never))).toBe(
      bootstrapPlanHash({ ...(r.ok ? r.value : (undefined as never)), schemas: schemasOf({}) }),
    );
  });

  it(
    'a partial rename keeps the other defaults; names must ' +
      'differ from each other, the view schema and raw sources',
    () => {
      const r = parse({ schemas: { system: 'vg_state' } });
      expect(r.ok && r.value.schemas).toEqual({
        system: 'vg_state',
        functions: 'immuta_functions',
        procedures: 'immuta_procedures',
      });
      const bad = (extra: Record<string, unknown>) =>
        (parse(extra) as { ok: false; diagnostics: { summary: string }[] }).diagnostics
          .map((d) => d.summary)
          .join('\n');
      expect(bad({ schemas: { system: 'x', functions: 'x' } })).toContain(
        'the system, functions and procedures schemas must differ',
      );
      expect(bad({ viewSchema: 'vg_state', schemas: { system: 'vg_state' } })).toContain(
        'vg_state is reserved for the integration',
      );
      expect(bad({ schemas: { procedures: 'sales' }, rawSources: [{ schema: 'sales' }] })).toContain(
        'sales is an integration schema, not raw data',
      );
      // The default names are free again once renamed (running beside Immuta's native integration needs that
      // only for raw data, never for our own objects).
      expect(parse({ schemas: SCHEMAS, viewSchema: 'immuta_system' }).ok).toBe(true);
    },
  );

  it(
    'deploy settings systemSchema/functionsSchema/proceduresSchema: the bootstrap, the plan hash and the Lambdas ' +
      'get them',
    () => {
      const base = {
        clusterId: 'analytics',
        database: 'immuta',
        dbUser: 'immuta_system_user',
        adminDbUser: 'awsuser',
        integrationMode: 'multi',
        viewSchema: 'secure',
      };
      const renamed = parseDeployConfig({
        ...base,
        systemSchema: 'vg_state',
        functionsSchema: 'vg_fn',
        proceduresSchema: 'vg_proc',
      });
      expect(renamed.integration.schemas).toEqual(SCHEMAS);
      const plain = parseDeployConfig(base);
      expect(plain.integration).not.toHaveProperty('schemas');
      expect(bootstrapPlanHash(renamed.integration)).not.toBe(bootstrapPlanHash(plain.integration));
      const plan = layoutPlan(renamed.integration, EMPTY_WAREHOUSE, 'k')
        .map((s) => s.statement.sql)
        .join('\n');
      expect(plan).toContain('CREATE SCHEMA IF NOT EXISTS "vg_proc"');
      expect(plan).not.toMatch(/"immuta_(system|functions|procedures)"/);
      expect(() => parseDeployConfig({ ...base, systemSchema: 'vg_state', functionsSchema: 'vg_state' })).toThrow(
        /viewguard:systemSchema: invalid integration config: the system, functions and procedures schemas must differ/,
      );
      expect(() => parseDeployConfig({ ...base, proceduresSchema: 'bad name' })).toThrow(/viewguard:proceduresSchema/);

      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new ViewguardStack(app, 'Renamed', { config: renamed });
      const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
      const env = (fn: { node: { defaultChild?: unknown } }) =>
        json.Resources[stack.getLogicalId(fn.node.defaultChild as never)].Properties.Environment.Variables;
      for (const fn of [stack.functions.apply, stack.functions.policy]) {
        expect(env(fn)).toMatchObject({
          [ENV.systemSchema]: 'vg_state',
          [ENV.functionsSchema]: 'vg_fn',
          [ENV.proceduresSchema]: 'vg_proc',
        });
      }
      const layout = Object.values(json.Resources).find(
        (r: any) => r.Type === 'Custom::ViewguardWarehouseLayout',
      ) as any;
      expect(layout.Properties.integration.schemas).toEqual(SCHEMAS);
      expect(integrationSchemasFromEnv({ [ENV.systemSchema]: 'vg_state' })).toEqual({
        system: 'vg_state',
        functions: 'immuta_functions',
        procedures: 'immuta_procedures',
      });
    },
  );

  it('the Redshift SQL of the apply loop and the teardown names the renamed schemas', () => {
    const d = redshift.withSchemas(SCHEMAS);
    expect(redshift.schemas.system).toBe('immuta_system'); // the shared default dialect is not changed
    expect(planUserDelete('u1', 2, d).sql).toMatch(/^CALL "vg_proc"\./);
    expect(catalogReadStatement(d).sql).toContain('"vg_state"."catalog_epoch"');
    const r = parse({ schemas: SCHEMAS });
    expect(planTeardown(r.ok ? r.value : (undefined as never), redshift).map((s) => s.statement.sql)).toEqual([
      'DROP SCHEMA IF EXISTS "secure" CASCADE',
      'DROP SCHEMA IF EXISTS "vg_state" CASCADE',
      'DROP SCHEMA IF EXISTS "vg_fn" CASCADE',
      'DROP SCHEMA IF EXISTS "vg_proc" CASCADE',
    ]);
  });
});
