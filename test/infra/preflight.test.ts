// npm run preflight: the read-only account checks with the AWS SDK mocked at its boundary
// (aws-sdk-client-mock), one scenario per way a first deploy goes wrong, the exit codes a script relies on,
// and the plan of what cdk deploy will create.
import { spawnSync } from 'node:child_process';
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ClusterNotFoundFault, DescribeClustersCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { ListDatabasesCommand, ListSchemasCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import {
  GetWorkgroupCommand,
  RedshiftServerlessClient,
  ResourceNotFoundException as WgNotFound,
} from '@aws-sdk/client-redshift-serverless';
import {
  DescribeSecretCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT, awsClients, formatResult, preflight } from '../../infra/deploy/preflight.js';
import { PROJECT_ROOT } from '../../infra/stack/handler-function.js';

const sts = mockClient(STSClient);
const cfn = mockClient(CloudFormationClient);
const redshift = mockClient(RedshiftClient);
const serverless = mockClient(RedshiftServerlessClient);
const secrets = mockClient(SecretsManagerClient);
const data = mockClient(RedshiftDataClient);
const acm = mockClient(ACMClient);
const mocks = [sts, cfn, redshift, serverless, secrets, data, acm];
const clients = () => awsClients('eu-west-1');
const notExists = (name: string) =>
  Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });
const denied = () => Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
const CERT = 'arn:aws:acm:eu-west-1:222222222222:certificate/4f1c7a52-0d2e-4b7a-9a51-3c8e2b6d9f10';

/** The prod example (cluster, multi mode, dbUser, custom domain) and dev example (workgroup, secrets) all green. */
function accountReady() {
  sts.on(GetCallerIdentityCommand).resolves({ Account: '222222222222', Arn: 'arn:aws:iam::222222222222:role/ops' });
  cfn
    .on(DescribeStacksCommand, { StackName: 'CDKToolkit' })
    .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
  cfn.on(DescribeStacksCommand).rejects(notExists('x'));
  cfn
    .on(DescribeStacksCommand, { StackName: 'CDKToolkit' })
    .resolves({ Stacks: [{ StackName: 'CDKToolkit', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
  redshift.on(DescribeClustersCommand).resolves({
    Clusters: [{ ClusterIdentifier: 'analytics-ra3', ClusterStatus: 'available', NodeType: 'ra3.xlplus' }],
  });
  serverless.on(GetWorkgroupCommand).resolves({
    workgroup: {
      workgroupName: 'analytics-dev',
      workgroupId: '0f1e2d3c-4b5a-4678-9abc-def012345678',
      status: 'AVAILABLE',
    } as never,
  });
  secrets
    .on(DescribeSecretCommand)
    .callsFake((input: { SecretId: string }) => ({ ARN: input.SecretId, Name: input.SecretId.split(':').pop() }));
  data.on(ListDatabasesCommand).resolves({ Databases: ['dev', 'immuta', 'sales', 'crm'] });
  data.on(ListSchemasCommand).callsFake((input: { SchemaPattern: string }) => ({ Schemas: [input.SchemaPattern] }));
  acm
    .on(DescribeCertificateCommand)
    .resolves({ Certificate: { CertificateArn: CERT, Status: 'ISSUED', DomainName: '*.data.example.com' } });
}

beforeEach(() => {
  for (const m of mocks) m.reset();
  accountReady();
});

const statusOf = (r: Awaited<ReturnType<typeof preflight>>, title: RegExp) =>
  r.checks!.filter((c) => title.test(c.title)).map((c) => c.status);

describe('preflight: a ready account', () => {
  it('prod: every check ok, exit 0, with read-only calls only', async () => {
    const r = await preflight('prod', clients);
    expect(r.checks!.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    expect(r.exitCode).toBe(EXIT.ready);
    expect(statusOf(r, /^Data API as the system user/)).toEqual(['skip']); // dbUser: created by the bootstrap
    expect(data).toHaveReceivedCommandWith(ListDatabasesCommand, {
      ClusterIdentifier: 'analytics-ra3',
      DbUser: 'awsuser',
      Database: 'immuta',
    });
    expect(data).toHaveReceivedCommandWith(ListSchemasCommand, {
      Database: 'sales',
      ConnectedDatabase: 'immuta',
      SchemaPattern: 'public',
    });
    expect(acm).toHaveReceivedCommandWith(DescribeCertificateCommand, { CertificateArn: CERT });
    // Nothing that writes, and never a secret's value.
    const sent = mocks.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));
    expect(
      sent.every((n) => /^(Get|Describe|List)/.test(n)),
      sent.join(),
    ).toBe(true);
  });

  it('dev: the workgroup by name and id, its secrets described, the system user signs in with its secret', async () => {
    const r = await preflight('dev', clients);
    expect(r.exitCode).toBe(EXIT.ready);
    expect(serverless).toHaveReceivedCommandWith(GetWorkgroupCommand, { workgroupName: 'analytics-dev' });
    expect(secrets).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    expect(data).toHaveReceivedCommandWith(ListDatabasesCommand, {
      WorkgroupName: 'analytics-dev',
      SecretArn: expect.stringContaining('viewguard-dev/system'),
      Database: 'dev',
    });
    expect(statusOf(r, /^Data API as the system user/)).toEqual(['ok']);
  });

  it('prints what cdk deploy will create: stack, target, front door, URL, alarms, resources', async () => {
    const r = await preflight('prod', clients);
    expect(r.plan).toMatchObject({
      stackName: 'viewguard-prod',
      where: '222222222222 / eu-west-1',
      webhookUrl: 'https://webhooks.data.example.com/viewguard/webhooks',
    });
    expect(r.plan!.frontDoor.join('\n')).toMatch(
      /REGIONAL[\s\S]*only from 203\.0\.113\.0\/24, 198\.51\.100\.17\/32[\s\S]*WAF: AWSManagedRules/,
    );
    expect(r.plan!.alarms.some((a) => a.includes('no webhook reached ingest for 72 h'))).toBe(true);
    expect(Object.fromEntries(r.plan!.resources)).toMatchObject({
      'AWS::WAFv2::WebACL': 1,
      'AWS::ApiGateway::DomainName': 1,
      'AWS::SQS::Queue': 5,
    });
    const text = formatResult(r);
    expect(text).toContain('cdk deploy will create or update stack viewguard-prod in 222222222222 / eu-west-1');
    expect(text).toContain('stack viewguard-prod: does not exist yet: cdk deploy will create it');
    expect(text).toMatch(/preflight: READY \(exit 0\)$/);
  });
});

describe('preflight: what goes wrong before a first deploy', () => {
  const failing = async (env: string, title: RegExp, code: string, detail: RegExp) => {
    const r = await preflight(env, clients);
    const c = r.checks!.find((x) => title.test(x.title) && x.status === 'fail');
    expect(c, JSON.stringify(r.checks)).toMatchObject({ code, detail: expect.stringMatching(detail) });
    expect(r.exitCode).toBe(EXIT.checkFailed);
    expect(formatResult(r)).toContain('NOT READY');
    return r;
  };

  it('credentials for another account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/me' });
    await failing('prod', /identity/, 'VG904', /account 999999999999 .* deploys to 222222222222/);
  });

  it('an account that is not CDK-bootstrapped', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(notExists('CDKToolkit'));
    await failing('prod', /bootstrap/, 'VG904', /cdk bootstrap aws:\/\/<account>\/<region>/);
  });

  it('a stack whose creation rolled back', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'viewguard-prod' }).resolves({
      Stacks: [{ StackName: 'viewguard-prod', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }],
    });
    await failing('prod', /stack viewguard-prod/, 'VG904', /ROLLBACK_COMPLETE.*delete it/);
  });

  it('an existing stack is an update, not a failure', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'viewguard-prod' }).resolves({
      Stacks: [{ StackName: 'viewguard-prod', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }],
    });
    const r = await preflight('prod', clients);
    expect(r.checks!.find((c) => c.title === 'stack viewguard-prod')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('will update'),
    });
  });

  it('the cluster does not exist', async () => {
    redshift
      .on(DescribeClustersCommand)
      .rejects(new ClusterNotFoundFault({ message: 'Cluster analytics-ra3 not found.', $metadata: {} }));
    await failing('prod', /cluster/, 'VG905', /not found/);
  });

  it('multi-database mode on a cluster that is not RA3', async () => {
    redshift.on(DescribeClustersCommand).resolves({
      Clusters: [{ ClusterIdentifier: 'analytics-ra3', ClusterStatus: 'available', NodeType: 'dc2.large' }],
    });
    await failing('prod', /cluster/, 'VG905', /dc2\.large: multi-database mode needs RA3/);
  });

  it('a workgroup id that is not the workgroup’s (IAM would scope the grants to the wrong one)', async () => {
    serverless.on(GetWorkgroupCommand).resolves({
      workgroup: {
        workgroupName: 'analytics-dev',
        workgroupId: 'aaaaaaaa-4b5a-4678-9abc-def012345678',
        status: 'AVAILABLE',
      } as never,
    });
    await failing('dev', /workgroup/, 'VG905', /its id is aaaaaaaa/);
  });

  it('a workgroup that does not exist', async () => {
    serverless.on(GetWorkgroupCommand).rejects(new WgNotFound({ message: 'not found', $metadata: {} }));
    await failing('dev', /workgroup/, 'VG905', /not found/);
  });

  it('a secret that does not exist, or is scheduled for deletion', async () => {
    secrets
      .on(DescribeSecretCommand)
      .rejectsOnce(new SecretNotFound({ message: 'not found', $metadata: {} }))
      .callsFake((i: { SecretId: string }) => ({
        ARN: i.SecretId,
        Name: 'admin',
        DeletedDate: new Date('2026-12-10T00:00:00Z'),
      }));
    const r = await preflight('dev', clients);
    expect(r.checks!.filter((c) => c.code === 'VG906').map((c) => c.detail)).toEqual([
      expect.stringContaining('not found'),
      expect.stringContaining('scheduled for deletion'),
    ]);
    expect(r.exitCode).toBe(EXIT.checkFailed);
  });

  it('a secret under a customer KMS key is a warning (the stack does not grant kms:Decrypt)', async () => {
    secrets.on(DescribeSecretCommand).callsFake((i: { SecretId: string }) => ({
      ARN: i.SecretId,
      Name: 's',
      KmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
    }));
    const r = await preflight('dev', clients);
    expect(r.checks!.filter((c) => c.code === 'VG906').map((c) => c.status)).toEqual(['warn', 'warn']);
    expect(r.exitCode).toBe(EXIT.ready);
  });

  it('the identity cannot reach the warehouse through the Data API', async () => {
    data.on(ListDatabasesCommand).rejects(denied());
    await failing(
      'prod',
      /Data API as the administrator/,
      'VG907',
      /AccessDeniedException.*allow redshift-data:ListDatabases/,
    );
  });

  it('the views’ database has not been created (multi mode)', async () => {
    data.on(ListDatabasesCommand).resolves({ Databases: ['dev', 'sales', 'crm'] });
    await failing('prod', /database immuta/, 'VG907', /CREATE DATABASE immuta/);
  });

  it('a raw source schema that does not exist', async () => {
    data.on(ListSchemasCommand).resolves({ Schemas: [] });
    await failing('prod', /raw schema sales\.public/, 'VG907', /not found/);
  });

  it('the system user’s secret cannot sign in (the user was not created)', async () => {
    data
      .on(ListDatabasesCommand, {
        SecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:viewguard-dev/system-AbCdEf',
      })
      .rejects(Object.assign(new Error('password authentication failed'), { name: 'DatabaseConnectionException' }));
    await failing('dev', /system user/, 'VG907', /password authentication failed.*create the system user/);
  });

  it('a certificate that is not issued, or does not cover the domain', async () => {
    acm
      .on(DescribeCertificateCommand)
      .resolvesOnce({ Certificate: { Status: 'PENDING_VALIDATION', DomainName: 'webhooks.data.example.com' } });
    await failing('prod', /certificate/, 'VG908', /PENDING_VALIDATION/);
    acm.on(DescribeCertificateCommand).resolves({
      Certificate: { Status: 'ISSUED', DomainName: 'other.example.com', SubjectAlternativeNames: ['*.example.com'] },
    });
    await failing(
      'prod',
      /certificate/,
      'VG908',
      /covers other\.example\.com, \*\.example\.com, not webhooks\.data\.example\.com/,
    );
  });

  it('a describe the identity may not call is a warning, not a failure', async () => {
    redshift.on(DescribeClustersCommand).rejects(denied());
    const r = await preflight('prod', clients);
    expect(r.checks!.find((c) => /cluster/.test(c.title))).toMatchObject({ status: 'warn', code: 'VG905' });
    expect(r.exitCode).toBe(EXIT.ready);
  });
});

describe('preflight: exit codes', () => {
  it('no credentials: 3, nothing checked, the plan still printed', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
    const r = await preflight('prod', clients);
    expect(r.exitCode).toBe(EXIT.cannotCheck);
    expect(r.error).toContain('Could not load credentials');
    expect(r.plan?.stackName).toBe('viewguard-prod');
    expect(formatResult(r)).toMatch(/NOT CHECKED \(exit 3\)$/);
  });

  it('an invalid environment: 2 with the problems, no AWS call', async () => {
    const r = await preflight('nope', clients);
    expect(r.exitCode).toBe(EXIT.invalid);
    expect(r.problems![0]).toMatch(/^VG901/);
    expect(sts).not.toHaveReceivedAnyCommand();
    expect(formatResult(r)).toContain('configuration: INVALID');
  });

  it('the command: 2 for a bad argument or environment, 3 without credentials, --json parses', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'infra/deploy/preflight.ts', ...args], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        // No credentials anywhere (and no instance metadata to ask): the SDK gives up at once.
        env: {
          PATH: process.env.PATH,
          HOME: '/nonexistent',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        },
        // spawnSync blocks vitest's own timer, so the hang guard of a child is its own kill timeout.
        timeout: 240_000,
      });
    expect(run('--env', 'nope').status).toBe(2);
    expect(run('--bogus').status).toBe(2);
    const r = run('--env', 'prod', '--json');
    expect(r.status, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      exitCode: 3,
      environment: 'prod',
      plan: { stackName: 'viewguard-prod' },
    });
    // A hang guard, not a speed limit: three tsx cold starts took 377 s on the shared 2-core machine at load 30.
  }, 800_000);
});
