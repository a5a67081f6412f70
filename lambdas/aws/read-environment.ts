// What the handlers read from the environment the stack sets (the names: shared/contract/lambda-environment.ts):
// a required variable, the Data API target and the view compile config. A missing or
// contradictory setting fails the cold start with a message naming the variable (never its value when it
// could be a secret ARN — ARNs are not secrets, but we keep to names anyway).
import { ENV } from '../../shared/contract/lambda-environment.js';
import type { ViewCompileConfig } from '../../shared/compiler/view-compiler.js';
import type { RedshiftTarget } from '../../shared/adapters/redshift-data-warehouse.js';
import { DEFAULT_INTEGRATION_SCHEMAS, type IntegrationSchemas } from '../../shared/sql/dialect.js';

type Env = Readonly<Record<string, string | undefined>>;

export function requiredEnv(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function redshiftTargetFromEnv(env: Env): RedshiftTarget {
  const database = requiredEnv(env, ENV.database);
  const cluster = env[ENV.clusterId];
  const workgroup = env[ENV.workgroupName];
  const dbUser = env[ENV.dbUser];
  const secretArn = env[ENV.dbSecretArn];
  if (Boolean(cluster) === Boolean(workgroup))
    throw new Error(`set exactly one of ${ENV.clusterId} and ${ENV.workgroupName}`);
  if (workgroup) return { database, workgroupName: workgroup, ...(secretArn ? { secretArn } : {}) };
  if (dbUser) return { database, clusterIdentifier: cluster!, dbUser };
  if (secretArn) return { database, secretArn, clusterIdentifier: cluster! };
  throw new Error(`a cluster needs ${ENV.dbUser} or ${ENV.dbSecretArn}`);
}

export function viewCompileConfigFromEnv(env: Env): ViewCompileConfig {
  const mode = requiredEnv(env, ENV.integrationMode);
  if (mode !== 'single' && mode !== 'multi') throw new Error(`${ENV.integrationMode} must be "single" or "multi"`);
  return { mode, database: requiredEnv(env, ENV.database), viewSchema: requiredEnv(env, ENV.viewSchema) };
}

/** The integration's schema names the stack set (each unset one: its immuta_* default). */
export function integrationSchemasFromEnv(env: Env): IntegrationSchemas {
  return {
    system: env[ENV.systemSchema] || DEFAULT_INTEGRATION_SCHEMAS.system,
    functions: env[ENV.functionsSchema] || DEFAULT_INTEGRATION_SCHEMAS.functions,
    procedures: env[ENV.proceduresSchema] || DEFAULT_INTEGRATION_SCHEMAS.procedures,
  };
}
