// The scheduled drift-and-audit run (infra/stack/drift-audit-schedule.ts, default daily): `viewguard drift` as
// the system user and `viewguard audit` as the administrator (the SVV privilege views show every identity only
// to superusers and users with ACCESS SYSTEM TABLE), against Redshift through the Data API. It reports, it never
// repairs: the counts become EMF metrics (DriftFindings, RawTableBypasses, AuditFindings; alarmed), every
// finding a log line with what to run. The logic is shared/operations/, the same code as the CLI.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import { dialectFor, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { audit, type AuditReport } from '../../shared/operations/audit.js';
import { detectDrift, type DriftReport } from '../../shared/operations/drift.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { RedshiftDataWarehouse, type RedshiftTarget } from '../../shared/adapters/redshift-data-warehouse.js';
import {
  integrationSchemasFromEnv,
  redshiftTargetFromEnv,
  requiredEnv,
  viewCompileConfigFromEnv,
} from '../aws/read-environment.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

type Env = Readonly<Record<string, string | undefined>>;

/** The administrator signs in like the system user, on the same cluster or workgroup, with its own credentials. */
export function adminTargetFromEnv(env: Env): RedshiftTarget {
  const system = redshiftTargetFromEnv(env);
  const dbUser = env[ENV.adminDbUser];
  const secretArn = env[ENV.adminSecretArn];
  if (Boolean(dbUser) === Boolean(secretArn))
    throw new Error(`set exactly one of ${ENV.adminDbUser} and ${ENV.adminSecretArn}`);
  if ('workgroupName' in system) {
    if (!secretArn) throw new Error(`a workgroup needs ${ENV.adminSecretArn}`);
    return { database: system.database, workgroupName: system.workgroupName, secretArn };
  }
  const clusterIdentifier = system.clusterIdentifier!;
  return dbUser
    ? { database: system.database, clusterIdentifier, dbUser }
    : { database: system.database, clusterIdentifier, secretArn: secretArn! };
}

export function integrationConfigFromEnv(env: Env): IntegrationConfig {
  return {
    ...viewCompileConfigFromEnv(env),
    systemUser: requiredEnv(env, ENV.systemUser),
    schemas: integrationSchemasFromEnv(env),
    rawSources: [],
  };
}

/**
 * A raw-table bypass: someone reads a registered raw table around the views, will (default privileges), or a table has
 * no view.
 */
export const bypasses = (a: AuditReport): number =>
  a.findings.filter((f) => f.kind === 'read-raw' || f.kind === 'default-privilege' || f.kind === 'no-secure-view')
    .length;

export interface DriftAuditSummary {
  driftFindings: number;
  rawTableBypasses: number;
  auditFindings: number;
}

export async function checkOnce(deps: {
  system: RedshiftDataWarehouse;
  admin: RedshiftDataWarehouse;
  config: IntegrationConfig;
}): Promise<{ drift: DriftReport; audit: AuditReport }> {
  // The SQL names the config's own schemas (renamed or immuta_*).
  const dialect = dialectFor(redshift, deps.config);
  const drift = await detectDrift({ warehouse: deps.system, dialect, config: deps.config });
  const report = await audit({ warehouse: deps.admin, dialect, config: deps.config });
  return { drift, audit: report };
}

let base:
  | { system: RedshiftDataWarehouse; admin: RedshiftDataWarehouse; config: IntegrationConfig; marginMs: number }
  | undefined;
function baseDeps() {
  if (base) return base;
  const env = process.env;
  const client = tracer.captureAWSv3Client(new RedshiftDataClient({}));
  base = {
    system: new RedshiftDataWarehouse({ client, target: redshiftTargetFromEnv(env), statementName: 'viewguard-drift' }),
    admin: new RedshiftDataWarehouse({ client, target: adminTargetFromEnv(env), statementName: 'viewguard-audit' }),
    config: integrationConfigFromEnv(env),
    marginMs: Number(env[ENV.deadlineMarginMs] ?? 10_000),
  };
  return base;
}

async function run(_event: unknown, context: Context): Promise<DriftAuditSummary> {
  const b = baseDeps();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - b.marginMs;
  const { drift, audit: report } = await checkOnce({
    system: b.system.withDeadline(deadline),
    admin: b.admin.withDeadline(deadline),
    config: b.config,
  });
  const summary = {
    driftFindings: drift.findings.length,
    rawTableBypasses: bypasses(report),
    auditFindings: report.findings.length,
  };
  metrics.addMetric(METRIC.driftFindings, MetricUnit.Count, summary.driftFindings);
  metrics.addMetric(METRIC.rawTableBypasses, MetricUnit.Count, summary.rawTableBypasses);
  metrics.addMetric(METRIC.auditFindings, MetricUnit.Count, summary.auditFindings);
  for (const f of drift.findings)
    logger.error('drift', {
      kind: f.kind,
      object: f.object,
      detail: f.detail,
      repair: f.repair,
      statements: f.statements?.map((s) => s.sql),
    });
  for (const f of report.findings)
    logger.error('audit finding', {
      kind: f.kind,
      principal: f.principal,
      object: f.object,
      via: f.via,
      revoke: f.revoke,
    });
  for (const n of report.notAudited) logger.warn('not audited: the table is in another database', n);
  logger.info('drift and audit done', { ...summary, checked: drift.checked, rawTables: report.rawTables });
  return summary;
}

export const handler = middy(run)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
