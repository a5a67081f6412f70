// The deploy configuration of the stack, read from CDK context (cdk.json or `-c viewguard:key=value`) and
// validated at synth time, so a wrong or missing setting fails `cdk synth` with the context key to fix instead of
// failing half-way through a deployment. Context values given on the command line are strings, so numbers and
// booleans are coerced here.
import { z } from 'zod';
import { DiagnosticError, diagnostic, type Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { zodIssues } from '../../shared/diagnostics/zod-issues.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import {
  AlarmFields,
  EnvironmentFields,
  FrontDoorFields,
  resolveFrontDoor,
  resourceNames,
  type AlarmSettings,
  type FrontDoorConfig,
  type ResourceNames,
} from './front-door-config.js';
import { IMMUTA_CONTEXT_SHAPE, immutaDeployConfig, type ImmutaDeployConfig } from './immuta-deploy-config.js';

/** Every context key is `viewguard:<field>`; the field names below are the keys documented in docs/deploy.md. */
export const CONTEXT_PREFIX = 'viewguard:';

const arn = (service: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:.+$`), `must be an ${service} ARN`);
// Redshift identifiers the Data API receives as plain names
// (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html).
const dbName = z
  .string()
  .min(1)
  .max(127)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain Redshift name');
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const RawContextSchema = z.object({
  clusterId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a Redshift cluster identifier')
    .optional(),
  dbUser: dbName.optional(),
  workgroupName: z
    .string()
    .regex(/^[a-z0-9-]{3,64}$/, 'must be a Redshift Serverless workgroup name')
    .optional(),
  // IAM scopes a workgroup by its id (a UUID), not by its name, so least privilege needs both.
  workgroupId: z.uuid('must be the workgroup id (a UUID, see `aws redshift-serverless get-workgroup`)').optional(),
  database: dbName,
  secretArn: arn('secretsmanager').optional(),
  adminDbUser: dbName.optional(),
  adminSecretArn: arn('secretsmanager').optional(),
  integrationMode: z.enum(['single', 'multi']).default('single'),
  viewSchema: z.string(),
  systemUser: z.string().optional(),
  // The integration's own schemas (default immuta_system / immuta_functions / immuta_procedures).
  systemSchema: dbName.optional(),
  functionsSchema: dbName.optional(),
  proceduresSchema: dbName.optional(),
  // "schema" or "database.schema", as a list or comma-separated (the -c form).
  rawSources: z
    .union([z.array(z.string()), z.string().transform((s) => s.split(','))])
    .transform((list) => list.map((p) => p.trim()).filter(Boolean))
    .default([]),
  webhookSecretArn: arn('secretsmanager').optional(),
  hashKeySecretArn: arn('secretsmanager').optional(),
  alarmTopicArn: arn('sns').optional(),
  alarmEmail: z.email().optional(),
  removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  retainDataOnDelete: bool.default(true),
  // 5 concurrent apply invocations keep well inside the Data API limits (docs/deploy.md "Concurrency").
  applyMaxConcurrency: int(2, 50).default(5),
  applyTimeoutSeconds: int(30, 900).default(120),
  applyBatchSize: int(1, 10).default(10),
  apiRateLimit: int(1, 10_000).default(50),
  apiBurstLimit: int(1, 5_000).default(100),
  oldestMessageAlarmSeconds: int(60, 86_400).default(900),
  applyErrorRateAlarmPercent: int(1, 100).default(5),
  // The drift-and-audit run (docs/operations.md): an EventBridge schedule expression.
  driftAuditSchedule: z
    .string()
    .regex(
      /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/,
      'must be an EventBridge schedule expression: rate(1 day) or cron(…)',
    )
    .default('rate(1 day)'),
  ...EnvironmentFields,
  ...FrontDoorFields,
  ...AlarmFields,
  ...IMMUTA_CONTEXT_SHAPE,
});

export type WarehouseTarget =
  | { kind: 'cluster'; clusterId: string; database: string; auth: { dbUser: string } | { secretArn: string } }
  | { kind: 'workgroup'; workgroupName: string; workgroupId: string; database: string; auth: { secretArn: string } };

export type WarehouseAuth = WarehouseTarget['auth'];

export interface DeployConfig {
  /** Where the views live and how the pipeline (the system user) signs in. */
  warehouse: WarehouseTarget;
  /** How the bootstrap signs in for the statements an administrator must run (role, grants on raw data). */
  adminAuth: WarehouseAuth;
  /** The layout settings (mode, database, view schema, system user, raw sources), validated by shared/layout. */
  integration: IntegrationConfig;
  webhookSecretArn?: string;
  hashKeySecretArn?: string;
  alarmTopicArn?: string;
  alarmEmail?: string;
  removalPolicy: 'retain' | 'destroy';
  retainDataOnDelete: boolean;
  applyMaxConcurrency: number;
  applyTimeoutSeconds: number;
  applyBatchSize: number;
  apiRateLimit: number;
  apiBurstLimit: number;
  oldestMessageAlarmSeconds: number;
  applyErrorRateAlarmPercent: number;
  driftAuditSchedule: string;
  /** The environment (infra/environments/<env>.json) and the names derived from it. */
  env?: string;
  names: ResourceNames;
  account?: string;
  region?: string;
  frontDoor: FrontDoorConfig;
  alarms: AlarmSettings;
  /** The Immuta connector (docs/immuta.md), when viewguard:immutaUrl is set. */
  immuta?: ImmutaDeployConfig;
}

/** Collect `viewguard:*` keys from a context object (cdk.json merged with -c by the CDK). */
export function contextFields(context: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key.startsWith(CONTEXT_PREFIX) && value !== undefined && value !== '')
      out[key.slice(CONTEXT_PREFIX.length)] = value;
  }
  return out;
}

/**
 * Validate the context fields and resolve the warehouse target. Throws DiagnosticError (VG204) listing every
 * problem with the key to fix; `label` names where a field was set (default: its context key).
 */
export function parseDeployConfig(
  fields: Record<string, unknown>,
  label = (field: string) => `${CONTEXT_PREFIX}${field}`,
): DeployConfig {
  const problem = (field: string, summary: string) =>
    diagnostic('VG204', `${label(field)}: ${summary}`, [label(field)]);
  // Unknown keys are reported together with every other problem (a typo often explains a "missing" setting).
  const known = new Set(Object.keys(RawContextSchema.shape));
  const unknown = Object.keys(fields)
    .filter((k) => !known.has(k))
    .map((k) => problem(k, 'unknown setting (see docs/deploy.md for the context keys)'));
  const parsed = RawContextSchema.safeParse(fields);
  if (!parsed.success) {
    throw new DiagnosticError([
      ...unknown,
      ...zodIssues(parsed.error).map((i) => problem(i.path.join('.'), i.message)),
    ]);
  }
  const c = parsed.data;
  const problems: Diagnostic[] = [...unknown];
  const integration = parseIntegrationConfig({
    mode: c.integrationMode,
    database: c.database,
    viewSchema: c.viewSchema,
    ...(c.systemUser ? { systemUser: c.systemUser } : {}),
    ...(c.systemSchema || c.functionsSchema || c.proceduresSchema
      ? { schemas: { system: c.systemSchema, functions: c.functionsSchema, procedures: c.proceduresSchema } }
      : {}),
    rawSources: c.rawSources.map((s) => {
      const [first, second] = s.split('.');
      return second === undefined ? { schema: s } : { database: first, schema: second };
    }),
  });
  for (const s of c.rawSources) {
    if (s.split('.').length > 2) problems.push(problem('rawSources', `"${s}" must be "schema" or "database.schema"`));
  }
  const contextKeyOf: Record<string, string> = {
    mode: 'integrationMode',
    schemas: 'systemSchema',
    'schemas.functions': 'functionsSchema',
    'schemas.procedures': 'proceduresSchema',
  };
  if (!integration.ok) {
    for (const d of integration.diagnostics) {
      const field = contextKeyOf[d.path.slice(0, 2).join('.')]
        ? d.path.slice(0, 2).join('.')
        : String(d.path[0] ?? 'integration');
      problems.push(problem(contextKeyOf[field] ?? field, d.summary));
    }
  }
  const systemUser = integration.ok ? integration.value.systemUser : (c.systemUser ?? '');
  let warehouse: WarehouseTarget | undefined;
  if (c.clusterId && c.workgroupName) {
    problems.push(problem('clusterId', 'set either clusterId (provisioned) or workgroupName (serverless), not both'));
  } else if (c.clusterId) {
    if (c.workgroupId) problems.push(problem('workgroupId', 'only applies to a serverless workgroup'));
    if (c.dbUser && c.secretArn) {
      problems.push(problem('dbUser', 'set either dbUser (temporary credentials) or secretArn, not both'));
    } else if (c.dbUser || c.secretArn) {
      warehouse = {
        kind: 'cluster',
        clusterId: c.clusterId,
        database: c.database,
        auth: c.dbUser ? { dbUser: c.dbUser } : { secretArn: c.secretArn! },
      };
      if (c.dbUser && c.dbUser !== systemUser) {
        problems.push(problem('dbUser', `must be the system user "${systemUser}" the views are owned by`));
      }
    } else {
      problems.push(problem('dbUser', 'a provisioned cluster needs dbUser or secretArn for the system user'));
    }
  } else if (c.workgroupName) {
    if (c.dbUser) problems.push(problem('dbUser', 'a serverless workgroup has no dbUser; use secretArn'));
    if (!c.workgroupId)
      problems.push(problem('workgroupId', 'required with workgroupName: IAM scopes a workgroup by its id'));
    // Without a secret the Data API signs in as IAMR:<role name>, which is not the fixed system user.
    if (!c.secretArn) problems.push(problem('secretArn', "a serverless workgroup needs the system user's secret"));
    if (c.workgroupId && c.secretArn) {
      warehouse = {
        kind: 'workgroup',
        workgroupName: c.workgroupName,
        workgroupId: c.workgroupId,
        database: c.database,
        auth: { secretArn: c.secretArn },
      };
    }
  } else {
    problems.push(problem('clusterId', 'set clusterId (provisioned cluster) or workgroupName (serverless workgroup)'));
  }

  let adminAuth: WarehouseAuth | undefined;
  if (c.adminDbUser && c.adminSecretArn) {
    problems.push(problem('adminDbUser', 'set either adminDbUser or adminSecretArn, not both'));
  } else if (c.adminDbUser) {
    if (c.workgroupName)
      problems.push(problem('adminDbUser', 'a serverless workgroup has no dbUser; use adminSecretArn'));
    adminAuth = { dbUser: c.adminDbUser };
  } else if (c.adminSecretArn) {
    adminAuth = { secretArn: c.adminSecretArn };
  } else {
    problems.push(problem('adminSecretArn', 'the bootstrap needs an administrator (adminSecretArn or adminDbUser)'));
  }
  if (c.alarmTopicArn && c.alarmEmail)
    problems.push(problem('alarmEmail', 'set alarmTopicArn or alarmEmail, not both'));
  const frontDoor = resolveFrontDoor(c, problem, problems);
  const immuta = immutaDeployConfig(c, problem);
  problems.push(...immuta.problems);

  if (problems.length > 0 || !warehouse || !adminAuth || !integration.ok) throw new DiagnosticError(problems);
  return {
    warehouse,
    adminAuth,
    integration: integration.value,
    removalPolicy: c.removalPolicy,
    retainDataOnDelete: c.retainDataOnDelete,
    applyMaxConcurrency: c.applyMaxConcurrency,
    applyTimeoutSeconds: c.applyTimeoutSeconds,
    applyBatchSize: c.applyBatchSize,
    apiRateLimit: c.apiRateLimit,
    apiBurstLimit: c.apiBurstLimit,
    oldestMessageAlarmSeconds: c.oldestMessageAlarmSeconds,
    applyErrorRateAlarmPercent: c.applyErrorRateAlarmPercent,
    driftAuditSchedule: c.driftAuditSchedule,
    names: resourceNames(c.env, c.stackName),
    frontDoor,
    alarms: {
      rejectedWebhooksAlarmThreshold: c.rejectedWebhooksAlarmThreshold,
      noTrafficAlarmHours: c.noTrafficAlarmHours,
      functionErrorsAlarmThreshold: c.functionErrorsAlarmThreshold,
      dataApiThrottledAlarmThreshold: c.dataApiThrottledAlarmThreshold,
    },
    ...(c.env ? { env: c.env } : {}),
    ...(c.account ? { account: c.account } : {}),
    ...(c.region ? { region: c.region } : {}),
    ...(c.webhookSecretArn ? { webhookSecretArn: c.webhookSecretArn } : {}),
    ...(c.hashKeySecretArn ? { hashKeySecretArn: c.hashKeySecretArn } : {}),
    ...(c.alarmTopicArn ? { alarmTopicArn: c.alarmTopicArn } : {}),
    ...(c.alarmEmail ? { alarmEmail: c.alarmEmail } : {}),
    ...(immuta.config ? { immuta: immuta.config } : {}),
  };
}
