// The checks `npm run preflight` runs against the account before a deploy, with read-only calls only:
// who am I (STS), is the account CDK-bootstrapped and in what state is the stack (CloudFormation
// DescribeStacks), does the cluster or workgroup exist as configured (Redshift DescribeClusters /
// Serverless GetWorkgroup), do the secrets exist (Secrets Manager DescribeSecret — never their values), can the
// identity reach the warehouse through the Data API (ListDatabases / ListSchemas: catalog reads the Data API
// answers synchronously, no SQL of ours runs), and is the custom domain's certificate issued (ACM).
// Each check reports ok / warn / fail / skip with a diagnostic code (docs/diagnostics.md VG9xx).
import { DescribeCertificateCommand, type ACMClient } from '@aws-sdk/client-acm';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeClustersCommand, type RedshiftClient } from '@aws-sdk/client-redshift';
import { ListDatabasesCommand, ListSchemasCommand, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetWorkgroupCommand, type RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { DiagnosticCode } from '../../shared/diagnostics/codes.js';
import type { DeployConfig, WarehouseAuth } from '../stack/deploy-config.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  title: string;
  status: CheckStatus;
  detail: string;
  code?: DiagnosticCode;
}

export interface PreflightClients {
  sts: STSClient;
  cloudformation: CloudFormationClient;
  redshift: RedshiftClient;
  serverless: RedshiftServerlessClient;
  secrets: SecretsManagerClient;
  data: RedshiftDataClient;
  acm: ACMClient;
}

/** Credentials or the region are missing: nothing could be checked (exit code 3). */
export class CannotCheck extends Error {}

const nameOf = (e: unknown) =>
  typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : 'Error';
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const isAccessDenied = (e: unknown) => /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(nameOf(e));
const CREDENTIAL_ERRORS =
  /CredentialsProviderError|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch/;

const ok = (title: string, detail: string): Check => ({ title, status: 'ok', detail });
const warn = (title: string, detail: string, code?: DiagnosticCode): Check => ({
  title,
  status: 'warn',
  detail,
  ...(code ? { code } : {}),
});
const fail = (title: string, detail: string, code: DiagnosticCode): Check => ({ title, status: 'fail', detail, code });
const skip = (title: string, detail: string): Check => ({ title, status: 'skip', detail });

export async function runPreflightChecks(config: DeployConfig, clients: PreflightClients): Promise<Check[]> {
  const checks: Check[] = [await identity(config, clients)];
  checks.push(await bootstrapStack(clients), await existingStack(config, clients));
  checks.push(await warehouse(config, clients));
  checks.push(...(await secrets(config, clients)));
  checks.push(...(await dataApi(config, clients)));
  if (config.frontDoor.customDomain) checks.push(await certificate(config, clients));
  return checks;
}

async function identity(config: DeployConfig, c: PreflightClients): Promise<Check> {
  let who;
  try {
    who = await c.sts.send(new GetCallerIdentityCommand({}));
  } catch (e) {
    if (CREDENTIAL_ERRORS.test(nameOf(e)) || /credential|region/i.test(messageOf(e)))
      throw new CannotCheck(`AWS credentials: ${messageOf(e)}`);
    throw e;
  }
  const title = 'AWS identity';
  if (config.account && who.Account !== config.account) {
    return fail(
      title,
      `signed in to account ${who.Account} as ${who.Arn}, but the environment deploys to ${config.account}`,
      'VG904',
    );
  }
  return ok(title, `${who.Arn} (account ${who.Account})`);
}

async function bootstrapStack(c: PreflightClients): Promise<Check> {
  const title = 'CDK bootstrap (CDKToolkit stack)';
  try {
    const out = await c.cloudformation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }));
    const status = out.Stacks?.[0]?.StackStatus ?? 'unknown';
    return /_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status)
      ? ok(title, status)
      : fail(title, `CDKToolkit is ${status}; re-run \`npx cdk bootstrap\``, 'VG904');
  } catch (e) {
    if (/does not exist/.test(messageOf(e)))
      return fail(
        title,
        'the account/region is not bootstrapped: run `npx cdk bootstrap aws://<account>/<region>` once',
        'VG904',
      );
    if (isAccessDenied(e))
      return warn(
        title,
        `cannot read stacks (${nameOf(e)}); a custom bootstrap qualifier or toolkit name is not checked`,
        'VG904',
      );
    throw e;
  }
}

async function existingStack(config: DeployConfig, c: PreflightClients): Promise<Check> {
  const title = `stack ${config.names.stackName}`;
  try {
    const out = await c.cloudformation.send(new DescribeStacksCommand({ StackName: config.names.stackName }));
    const status = out.Stacks?.[0]?.StackStatus ?? 'unknown';
    // A stack whose creation rolled back cannot be updated; it must be deleted first.
    if (status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED') || status.endsWith('_IN_PROGRESS')) {
      return fail(
        title,
        `is ${status}: cdk deploy cannot update it now` +
          `${status === 'ROLLBACK_COMPLETE' ? ' (delete it, then deploy)' : ''}`,
        'VG904',
      );
    }
    return ok(title, `exists (${status}): cdk deploy will update it`);
  } catch (e) {
    if (/does not exist/.test(messageOf(e))) return ok(title, 'does not exist yet: cdk deploy will create it');
    if (isAccessDenied(e)) return warn(title, `cannot read the stack (${nameOf(e)})`, 'VG904');
    throw e;
  }
}

async function warehouse(config: DeployConfig, c: PreflightClients): Promise<Check> {
  const w = config.warehouse;
  if (w.kind === 'cluster') {
    const title = `Redshift cluster ${w.clusterId}`;
    try {
      const cluster = (await c.redshift.send(new DescribeClustersCommand({ ClusterIdentifier: w.clusterId })))
        .Clusters?.[0];
      const node = cluster?.NodeType ?? 'unknown';
      // Multi-database mode needs cross-database views: RA3 node types (or Serverless).
      if (config.integration.mode === 'multi' && !node.startsWith('ra3.')) {
        return fail(
          title,
          `node type ${node}: multi-database mode needs RA3 (cross-database views); use single mode or an RA3 cluster`,
          'VG905',
        );
      }
      const status = cluster?.ClusterStatus ?? 'unknown';
      return status === 'available'
        ? ok(title, `available, ${node}`)
        : warn(title, `status ${status} (the bootstrap needs it available)`, 'VG905');
    } catch (e) {
      if (nameOf(e) === 'ClusterNotFoundFault') return fail(title, 'not found in this account and region', 'VG905');
      if (isAccessDenied(e))
        return warn(title, `cannot describe it (${nameOf(e)}: allow redshift:DescribeClusters)`, 'VG905');
      throw e;
    }
  }
  const title = `Redshift Serverless workgroup ${w.workgroupName}`;
  try {
    const wg = (await c.serverless.send(new GetWorkgroupCommand({ workgroupName: w.workgroupName }))).workgroup;
    if (wg?.workgroupId !== w.workgroupId) {
      return fail(
        title,
        `its id is ${wg?.workgroupId}, the environment says ${w.workgroupId} (IAM scopes the Data API by this id)`,
        'VG905',
      );
    }
    return wg.status === 'AVAILABLE'
      ? ok(title, `available, id ${wg.workgroupId}`)
      : warn(title, `status ${wg.status}`, 'VG905');
  } catch (e) {
    if (nameOf(e) === 'ResourceNotFoundException') return fail(title, 'not found in this account and region', 'VG905');
    if (isAccessDenied(e))
      return warn(title, `cannot read it (${nameOf(e)}: allow redshift-serverless:GetWorkgroup)`, 'VG905');
    throw e;
  }
}

function configuredSecrets(config: DeployConfig): [string, string][] {
  const out: [string, string][] = [];
  if ('secretArn' in config.warehouse.auth) out.push(['system user secret', config.warehouse.auth.secretArn]);
  if ('secretArn' in config.adminAuth) out.push(['administrator secret', config.adminAuth.secretArn]);
  if (config.webhookSecretArn) out.push(['webhook signing secret', config.webhookSecretArn]);
  if (config.hashKeySecretArn) out.push(['hashing key secret', config.hashKeySecretArn]);
  return out;
}

async function secrets(config: DeployConfig, c: PreflightClients): Promise<Check[]> {
  const list = configuredSecrets(config);
  if (list.length === 0)
    return [skip('secrets', 'none configured (the stack creates the webhook and hashing secrets)')];
  return Promise.all(
    list.map(async ([what, arn]): Promise<Check> => {
      const title = `${what}`;
      try {
        const s = await c.secrets.send(new DescribeSecretCommand({ SecretId: arn }));
        if (s.DeletedDate)
          return fail(title, `${arn} is scheduled for deletion (${s.DeletedDate.toISOString()}); restore it`, 'VG906');
        // The stack grants secretsmanager:GetSecretValue, not kms:Decrypt on a customer key.
        if (s.KmsKeyId && !/alias\/aws\/secretsmanager$/.test(s.KmsKeyId)) {
          return warn(
            title,
            `${s.Name} is encrypted with ${s.KmsKeyId}: grant kms:Decrypt to the functions' roles (not added by ` +
              `the stack)`,
            'VG906',
          );
        }
        return ok(title, `${s.Name} exists`);
      } catch (e) {
        if (nameOf(e) === 'ResourceNotFoundException') return fail(title, `${arn} not found`, 'VG906');
        if (isAccessDenied(e)) return warn(title, `cannot describe ${arn} (${nameOf(e)})`, 'VG906');
        throw e;
      }
    }),
  );
}

/** Data API connection parameters for one identity (as the stack's functions use them). */
function connection(config: DeployConfig, auth: WarehouseAuth) {
  const w = config.warehouse;
  return {
    ...(w.kind === 'cluster' ? { ClusterIdentifier: w.clusterId } : { WorkgroupName: w.workgroupName }),
    ...('dbUser' in auth ? { DbUser: auth.dbUser } : { SecretArn: auth.secretArn }),
  };
}

async function listDatabases(
  c: PreflightClients,
  params: ReturnType<typeof connection>,
  database: string,
): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await c.data.send(
      new ListDatabasesCommand({ ...params, Database: database, ...(token ? { NextToken: token } : {}) }),
    );
    names.push(...(page.Databases ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return names;
}

async function dataApi(config: DeployConfig, c: PreflightClients): Promise<Check[]> {
  const checks: Check[] = [];
  const { database } = config.warehouse;
  const admin = connection(config, config.adminAuth);
  // The administrator must exist before the first deploy; it connects to the views' database.
  const title = 'Data API as the administrator';
  let databases: string[];
  try {
    databases = await listDatabases(c, admin, database);
  } catch (e) {
    const hint = isAccessDenied(e)
      ? " — allow redshift-data:ListDatabases and the administrator's credentials to this identity"
      : '';
    return [fail(title, `${nameOf(e)}: ${messageOf(e)}${hint}`, 'VG907')];
  }
  checks.push(ok(title, `connected to ${database}; ${databases.length} database(s) visible`));
  const needed = [...new Set([database, ...config.integration.rawSources.map((r) => r.database)])];
  for (const db of needed.filter((d) => !databases.includes(d))) {
    const createFirst =
      db === database && config.integration.mode === 'multi' ? ` — create it first: CREATE DATABASE ${db};` : '';
    checks.push(fail(`database ${db}`, `does not exist${createFirst}`, 'VG907'));
  }
  for (const raw of config.integration.rawSources.filter((r) => databases.includes(r.database))) {
    const t = `raw schema ${raw.database}.${raw.schema}`;
    try {
      const out = await c.data.send(
        new ListSchemasCommand({
          ...admin,
          Database: raw.database,
          ConnectedDatabase: database,
          SchemaPattern: raw.schema,
        }),
      );
      checks.push(
        (out.Schemas ?? []).includes(raw.schema)
          ? ok(t, 'exists')
          : fail(t, 'not found (check viewguard rawSources)', 'VG907'),
      );
    } catch (e) {
      checks.push(warn(t, `could not list schemas (${nameOf(e)}: ${messageOf(e)})`, 'VG907'));
    }
  }
  const system = config.warehouse.auth;
  if ('dbUser' in system) {
    checks.push(
      skip(
        'Data API as the system user',
        `${system.dbUser} signs in with temporary credentials; the bootstrap creates the user if missing`,
      ),
    );
  } else {
    const t = 'Data API as the system user';
    try {
      await listDatabases(c, connection(config, system), database);
      checks.push(ok(t, `the secret's user signs in to ${database}`));
    } catch (e) {
      checks.push(
        fail(
          t,
          `${nameOf(e)}: ${messageOf(e)} — create the system user with the secret's password first (docs/deploy.md ` +
            `"Prerequisites")`,
          'VG907',
        ),
      );
    }
  }
  return checks;
}

async function certificate(config: DeployConfig, c: PreflightClients): Promise<Check> {
  const d = config.frontDoor.customDomain!;
  const title = `certificate for ${d.domainName}`;
  try {
    const cert = (await c.acm.send(new DescribeCertificateCommand({ CertificateArn: d.certificateArn }))).Certificate;
    const names = [cert?.DomainName, ...(cert?.SubjectAlternativeNames ?? [])].filter((n): n is string => Boolean(n));
    const covers = names.some(
      (n) => n === d.domainName || (n.startsWith('*.') && d.domainName.split('.').slice(1).join('.') === n.slice(2)),
    );
    if (cert?.Status !== 'ISSUED')
      return fail(title, `status ${cert?.Status}: the certificate must be ISSUED (validate it in ACM)`, 'VG908');
    if (!covers) return fail(title, `covers ${names.join(', ')}, not ${d.domainName}`, 'VG908');
    return ok(title, `ISSUED, covers ${d.domainName}`);
  } catch (e) {
    if (nameOf(e) === 'ResourceNotFoundException')
      return fail(title, `${d.certificateArn} not found in this region`, 'VG908');
    if (isAccessDenied(e)) return warn(title, `cannot describe it (${nameOf(e)})`, 'VG908');
    throw e;
  }
}
