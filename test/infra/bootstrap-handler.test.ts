// The bootstrap custom resource against a mocked Data API (SDK boundary only): the plan goes out in order, in
// batches of ≤40 per identity, each re-submission reuses its ClientToken, a batch must FINISH before the next
// one is sent, FAILED/ABORTED fail the deployment, the hashing key is only ever a bound parameter, and stack
// deletion keeps the data unless configured. The teardown SQL runs on a real PostgreSQL (PGlite).
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { isComplete, onEvent } from '../../lambdas/bootstrap/handler.js';
import { bootstrapPlanHash, EMPTY_WAREHOUSE, layoutPlan } from '../../shared/contract/bootstrap-plan-hash.js';
import { toBatches } from '../../lambdas/bootstrap/statement-batches.js';
import { planTeardown } from '../../lambdas/bootstrap/teardown-plan.js';
import { bootstrapScript, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { MAX_STATEMENTS_PER_TRANSACTION } from '../../shared/sql/transaction-packer.js';
import { createPgliteEngine } from '../support/engines.js';

const HASH_KEY = "k3y-with-'quote-and-$$-never-in-text";
const integration: IntegrationConfig = {
  mode: 'multi',
  database: 'immuta',
  viewSchema: 'secure',
  systemUser: 'immuta_system_user',
  rawSources: [{ database: 'sales', schema: 'public' }],
};
const properties = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  integration,
  target: { clusterId: 'analytics', database: 'immuta' },
  admin: { dbUser: 'awsuser' },
  system: { dbUser: 'immuta_system_user' },
  hashKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hash-AbCdEf',
  planHash: bootstrapPlanHash(integration),
  retainDataOnDelete: 'true',
};

const data = mockClient(RedshiftDataClient);
const secrets = mockClient(SecretsManagerClient);

function event(
  type: 'Create' | 'Update' | 'Delete',
  extra: Record<string, unknown> = {},
  props: Record<string, unknown> = properties,
) {
  return {
    RequestType: type,
    RequestId: 'req-1',
    ResponseURL: 'https://example.com',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Viewguard/x',
    LogicalResourceId: 'BootstrapLayout',
    ResourceType: 'Custom::ViewguardWarehouseLayout',
    ServiceToken: properties.ServiceToken,
    ResourceProperties: props,
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'viewguard-layout-x', OldResourceProperties: props }),
    ...extra,
  } as unknown as CloudFormationCustomResourceEvent & { Inspection?: unknown };
}

/** A fake Data API: BatchExecuteStatement is idempotent per ClientToken; statuses are scripted per statement. */
function fakeDataApi(statusOf: (n: number) => string[]) {
  const byToken = new Map<string, string>();
  const polls = new Map<string, number>();
  const submitted: BatchExecuteStatementCommand['input'][] = [];
  data.on(BatchExecuteStatementCommand).callsFake((input: BatchExecuteStatementCommand['input']) => {
    const token = input.ClientToken!;
    if (!byToken.has(token)) {
      byToken.set(token, `stmt-${byToken.size}`);
      submitted.push(input);
    }
    return { Id: byToken.get(token) };
  });
  data.on(DescribeStatementCommand).callsFake((input: { Id: string }) => {
    const n = Number(input.Id.slice(5));
    const script = statusOf(n);
    const i = polls.get(input.Id) ?? 0;
    polls.set(input.Id, i + 1);
    const status = script[Math.min(i, script.length - 1)];
    return {
      Id: input.Id,
      Status: status,
      ...(status === 'FAILED' ? { Error: 'ERROR: permission denied for schema sales' } : {}),
    };
  });
  return { submitted, byToken };
}

async function runToCompletion(ev: ReturnType<typeof event>, maxPolls = 200) {
  for (let i = 0; i < maxPolls; i++) {
    const r = await isComplete(ev);
    if (r.IsComplete) return { result: r, polls: i + 1 };
  }
  throw new Error('never completed');
}

beforeEach(() => {
  data.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: HASH_KEY });
});

describe('batching', () => {
  const plan = layoutPlan(integration, EMPTY_WAREHOUSE, HASH_KEY);

  it('keeps order, splits on identity, database and 40 statements, isolates bound parameters', () => {
    const batches = toBatches(plan, redshift);
    // The packer's own statements (the name-resolution pin) aside, the plan goes out as it is, in order.
    expect(batches.flatMap((b) => b.statements).filter((s) => s.role !== 'session')).toEqual(
      plan.map((s) => s.statement),
    );
    for (const b of batches) {
      expect(b.statements.length).toBeGreaterThan(0);
      expect(b.statements.length).toBeLessThanOrEqual(MAX_STATEMENTS_PER_TRANSACTION);
      const steps = plan.filter((s) => b.statements.includes(s.statement));
      expect(new Set(steps.map((s) => `${s.runAs}/${s.database ?? ''}`)).size).toBe(1);
      // Every parameter of a batch is referenced by one of its statements (a Data API requirement).
      for (const name of Object.keys(b.params)) expect(b.statements.some((s) => s.sql.includes(`:${name}`))).toBe(true);
    }
    const keyBatch = batches.find((b) => 'hash_key' in b.params)!;
    expect(keyBatch.statements).toHaveLength(1);
    expect(batches.some((b) => b.database === 'sales' && b.runAs === 'admin')).toBe(true);
  });

  it('splits a long run of one identity at the limit', () => {
    const many = Array.from({ length: 95 }, (_, i) => ({
      runAs: 'system' as const,
      statement: { role: 'write' as const, sql: `SELECT ${i}` },
    }));
    expect(toBatches(many, redshift).map((b) => b.statements.length)).toEqual([40, 40, 15]);
  });

  it('the plan hash changes with the layout and not with the key', () => {
    const other = bootstrapPlanHash({ ...integration, viewSchema: 'secure2' });
    expect(other).not.toBe(properties.planHash);
    expect(bootstrapPlanHash(integration)).toBe(properties.planHash);
    expect(JSON.stringify(properties)).not.toContain(HASH_KEY);
  });
});

describe('onEvent', () => {
  it('inspects as the administrator, reads every result page and hands the inspection on', async () => {
    data.on(ExecuteStatementCommand).resolves({ Id: 'inspect-1' });
    data.on(DescribeStatementCommand).resolvesOnce({ Status: 'STARTED' }).resolves({ Status: 'FINISHED' });
    const col = (name: string) => ({ name });
    data
      .on(GetStatementResultCommand)
      .resolvesOnce({
        ColumnMetadata: [col('kind'), col('name'), col('owner')],
        Records: [[{ stringValue: 'role' }, { stringValue: 'immuta_system_user' }, { isNull: true }]],
        NextToken: 'page-2',
      })
      .resolves({
        ColumnMetadata: [col('kind'), col('name'), col('owner')],
        Records: [[{ stringValue: 'schema' }, { stringValue: 'secure' }, { stringValue: 'awsuser' }]],
      });
    const out = await onEvent(event('Create'));
    expect(out.PhysicalResourceId).toMatch(/^viewguard-layout-[0-9a-f]{16}$/);
    expect(out.Inspection).toEqual({ systemRoleExists: true, schemaOwners: [['secure', 'awsuser']] });
    const exec = data.commandCalls(ExecuteStatementCommand)[0]!.args[0].input;
    expect(exec).toMatchObject({ ClusterIdentifier: 'analytics', Database: 'immuta', DbUser: 'awsuser' });
    expect(data.commandCalls(GetStatementResultCommand)[1]!.args[0].input.NextToken).toBe('page-2');
  });

  it(
    'refuses (VG601, naming the fix) when the system user is missing and signs in with a secret: it would be ' +
      'created PASSWORD DISABLE',
    async () => {
      data.on(ExecuteStatementCommand).resolves({ Id: 'inspect-1' });
      data.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });
      const schemasOnly = { ColumnMetadata: [{ name: 'kind' }, { name: 'name' }, { name: 'owner' }], Records: [] };
      data.on(GetStatementResultCommand).resolves(schemasOnly);
      const withSecret = {
        ...properties,
        system: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:system-AbCdEf' },
      };
      const err = await onEvent(event('Create', {}, withSecret)).catch((e: Error) => e);
      expect(String(err)).toMatch(/VG601: the system user "immuta_system_user" does not exist/);
      expect(String(err)).toMatch(/CREATE USER "immuta_system_user" PASSWORD/);
      expect(String(err)).toMatch(/set dbUser \(IAM temporary credentials\) instead of secretArn in the environment/);
      // The same inspection with IAM sign-in (dbUser) goes on: the bootstrap creates the user.
      expect((await onEvent(event('Create'))).Inspection).toEqual({ systemRoleExists: false, schemaOwners: [] });
    },
  );

  it('keeps the physical id on update and does not inspect on delete', async () => {
    expect(await onEvent(event('Delete'))).toEqual({ PhysicalResourceId: 'viewguard-layout-x' });
    expect(data.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });
});

describe('isComplete', () => {
  const inspection = { systemRoleExists: false, schemaOwners: [] };

  it('submits batch after batch, each only once the previous FINISHED, with stable client tokens', async () => {
    const fake = fakeDataApi(() => ['SUBMITTED', 'STARTED', 'FINISHED']);
    const ev = event('Create', { Inspection: inspection });
    const { result, polls } = await runToCompletion(ev);
    const { redshift: rs } = await import('../../shared/sql/redshift-dialect.js');
    const expected = toBatches(planBootstrap(integration, rs, EMPTY_WAREHOUSE, { hashKey: HASH_KEY }), rs);
    expect(fake.submitted.map((s) => s.Sqls)).toEqual(expected.map((b) => b.statements.map((s) => s.sql)));
    expect(polls).toBe(expected.length * 2 + 1);
    expect(result.Data).toMatchObject({ PlanHash: properties.planHash, Batches: expected.length });
    // Identity and database per batch.
    fake.submitted.forEach((s, i) => {
      const b = expected[i]!;
      expect(s.DbUser).toBe(b.runAs === 'admin' ? 'awsuser' : 'immuta_system_user');
      expect(s.Database).toBe(b.database ?? 'immuta');
      expect(s.ClusterIdentifier).toBe('analytics');
      expect(s.Sqls!.length).toBeLessThanOrEqual(40);
    });
    // Re-submissions reuse the token; the key is bound, never in the SQL text.
    const calls = data.commandCalls(BatchExecuteStatementCommand);
    expect(calls.length).toBeGreaterThan(fake.submitted.length);
    expect(new Set(calls.map((c) => c.args[0].input.ClientToken)).size).toBe(fake.submitted.length);
    for (const c of calls) expect(c.args[0].input.Sqls!.join('\n')).not.toContain(HASH_KEY);
    const withKey = fake.submitted.filter((s) => s.Parameters?.length);
    expect(withKey).toHaveLength(1);
    expect(withKey[0]!.Parameters).toEqual([{ name: 'hash_key', value: HASH_KEY }]);
  });

  it('a new CloudFormation request gets new tokens (re-runs the idempotent plan)', async () => {
    const fake = fakeDataApi(() => ['FINISHED']);
    await runToCompletion(event('Update', { Inspection: inspection }));
    await runToCompletion(event('Update', { Inspection: inspection, RequestId: 'req-2' }));
    expect(fake.byToken.size).toBe(2 * toBatches(layoutPlan(integration, EMPTY_WAREHOUSE, HASH_KEY), redshift).length);
  });

  it.each(['FAILED', 'ABORTED'])('%s fails the deployment with the engine message and stops', async (status) => {
    const fake = fakeDataApi((n) => (n === 1 ? ['STARTED', status] : ['FINISHED']));
    const ev = event('Create', { Inspection: inspection });
    await expect(runToCompletion(ev)).rejects.toThrow(new RegExp(`bootstrap-2-of-\\d+ .*${status}`));
    expect(fake.submitted).toHaveLength(2);
  });

  it('never puts the key in an error', async () => {
    fakeDataApi((n) => (n === 0 ? ['FINISHED'] : ['FAILED']));
    const ev = event('Create', { Inspection: inspection });
    const err = await runToCompletion(ev).catch((e: Error) => e);
    expect(String(err)).not.toContain(HASH_KEY);
  });

  it(
    'never submits CREATE USER … PASSWORD DISABLE for a system user that signs in with a secret (VG601); an ' +
      'existing one is only granted to',
    async () => {
      const fake = fakeDataApi(() => ['FINISHED']);
      const withSecret = {
        ...properties,
        system: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:system-AbCdEf' },
      };
      await expect(isComplete(event('Create', { Inspection: inspection }, withSecret))).rejects.toThrow(/VG601/);
      expect(fake.submitted).toHaveLength(0);
      await runToCompletion(event('Create', { Inspection: { systemRoleExists: true, schemaOwners: [] } }, withSecret));
      const sqls = fake.submitted.flatMap((s) => s.Sqls!);
      expect(sqls.some((s) => /CREATE USER/.test(s))).toBe(false);
      expect(sqls).toContain('GRANT ALL PRIVILEGES ON DATABASE "immuta" TO "immuta_system_user"');
      expect(fake.submitted.filter((s) => s.SecretArn === withSecret.system.secretArn).length).toBeGreaterThan(0);
    },
  );

  it('rejects a malformed inspection (fail closed)', async () => {
    fakeDataApi(() => ['FINISHED']);
    await expect(isComplete(event('Create', { Inspection: { systemRoleExists: 'yes' } }))).rejects.toThrow(
      /malformed inspection/,
    );
  });

  it('stack deletion keeps the warehouse layout by default', async () => {
    const fake = fakeDataApi(() => ['FINISHED']);
    expect(await isComplete(event('Delete'))).toEqual({ IsComplete: true });
    expect(fake.submitted).toHaveLength(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('stack deletion drops only the integration schemas when retainDataOnDelete is false', async () => {
    const fake = fakeDataApi(() => ['FINISHED']);
    await runToCompletion(event('Delete', {}, { ...properties, retainDataOnDelete: 'false' }));
    expect(fake.submitted).toHaveLength(1);
    expect(fake.submitted[0]!.DbUser).toBe('immuta_system_user');
    const teardown = planTeardown(integration, (await import('../../shared/sql/redshift-dialect.js')).redshift).map(
      (s) => s.statement.sql,
    );
    expect(fake.submitted[0]!.Sqls).toEqual(['SET search_path TO pg_catalog', ...teardown, 'RESET search_path']);
  });
});

describe('teardown SQL on PostgreSQL', () => {
  it('removes every integration schema and nothing else', async () => {
    const engine = await createPgliteEngine();
    try {
      const config: IntegrationConfig = {
        ...integration,
        mode: 'single',
        database: engine.database,
        rawSources: [{ database: engine.database, schema: 'raw' }],
      };
      await engine.exec([
        { sql: 'CREATE SCHEMA raw' },
        { sql: 'CREATE TABLE raw.orders (id int)' },
        { sql: 'INSERT INTO raw.orders VALUES (1)' },
      ]);
      const steps = planBootstrap(config, postgres, EMPTY_WAREHOUSE, { hashKey: HASH_KEY });
      await engine.exec(bootstrapScript(steps, config, postgres));
      const schemas = async () =>
        (
          await engine.query<{ nspname: string }>(
            'SELECT nspname FROM ' +
              'pg_namespace WHERE nspname IN ' +
              "('raw','secure','immuta_system','immuta_functions','immuta_procedures') " +
              'ORDER BY 1',
          )
        ).map((r) => r.nspname);
      expect(await schemas()).toEqual(['immuta_functions', 'immuta_procedures', 'immuta_system', 'raw', 'secure']);
      await engine.exec(bootstrapScript(planTeardown(config, postgres), config, postgres));
      expect(await schemas()).toEqual(['raw']);
      expect(await engine.query('SELECT id FROM raw.orders')).toEqual([{ id: 1 }]);
      // Running it again is harmless (IF EXISTS): a retried deletion does not fail.
      await engine.exec(bootstrapScript(planTeardown(config, postgres), config, postgres));
    } finally {
      await engine.close();
    }
  });
});
