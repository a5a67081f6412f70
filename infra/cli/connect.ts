// Where a `viewguard` command runs: the local warehouse (the PostgreSQL server WAREHOUSE_URL names, or PGlite
// in DATA_DIR — what `npm start` uses, with the same VIEW_SCHEMA / SYSTEM_USER / RAW_SCHEMAS settings) or
// Redshift through the Data API (the deploy context of cdk.json, or explicit --cluster / --workgroup flags).
// Every command acts as the system role, like the pipeline: the views, state tables and procedures are its own.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { PGliteWarehouse } from '../../shared/adapters/pglite-warehouse.js';
import { PostgresWarehouse } from '../../shared/adapters/postgres-warehouse.js';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { dialectFor, parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { RedshiftDataWarehouse, type RedshiftTarget } from '../../shared/adapters/redshift-data-warehouse.js';
import { localSettings } from '../local/local-config.js';
import type { WarehouseAuth } from '../stack/deploy-config.js';
import { selectEnvironment } from '../deploy/environments.js';

export interface Connection {
  /** Acts as the system role. */
  warehouse: Warehouse;
  dialect: Dialect;
  config: IntegrationConfig;
  /** One line for the output's header: where the command ran. */
  where: string;
  close(): Promise<void>;
}

export interface TargetFlags {
  redshift?: boolean;
  context?: string[];
  cluster?: string;
  workgroup?: string;
  database?: string;
  dbUser?: string;
  secretArn?: string;
  viewSchema?: string;
  systemUser?: string;
  mode?: string;
  /** With --redshift: sign in as the deploy context's administrator (adminDbUser / adminSecretArn). */
  asAdmin?: boolean;
}

/** A problem with the command line or the settings (exit 2). */
export class UsageError extends Error {}

export async function connect(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  client?: RedshiftDataClient,
): Promise<Connection> {
  const explicit = flags.cluster !== undefined || flags.workgroup !== undefined;
  if (flags.redshift || explicit) return connectRedshift(flags, cwd, client ?? new RedshiftDataClient({}));
  return connectLocal(env);
}

async function connectLocal(env: NodeJS.ProcessEnv): Promise<Connection> {
  let settings;
  try {
    settings = localSettings(env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { config } = settings;
  if (settings.warehouseUrl) {
    const pool = new pg.Pool({ connectionString: settings.warehouseUrl, max: 2 });
    // As in local-warehouse.ts: every connection acts as the system role before its first statement, and a
    // connection that cannot is ended rather than used as the login user.
    pool.on('connect', (client) => void client.query(postgres.actAs(config.systemUser)).catch(() => client.end()));
    const warehouse = new PostgresWarehouse(pool);
    return {
      warehouse,
      dialect: dialectFor(postgres, config),
      config,
      where: `PostgreSQL (WAREHOUSE_URL), view schema ${config.viewSchema}`,
      close: () => warehouse.close(),
    };
  }
  if (!existsSync(join(settings.dataDir, 'PG_VERSION'))) {
    throw new UsageError(
      `no local warehouse in ${settings.dataDir} (DATA_DIR): run \`npm start\` once to create it, or set WAREHOUSE_URL`,
    );
  }
  // PGlite keeps postmaster.pid in its directory while it is open (npm start) and deletes it on close; two
  // processes on one directory would corrupt it.
  if (existsSync(join(settings.dataDir, 'postmaster.pid'))) {
    throw new UsageError(
      `the local warehouse in ${settings.dataDir} is in use (npm start?): stop it first, or run npm start with ` +
        `WAREHOUSE_URL; if no process uses it, a crash left ${join(settings.dataDir, 'postmaster.pid')} behind — ` +
        `delete it`,
    );
  }
  const warehouse = await PGliteWarehouse.open(settings.dataDir);
  await warehouse.db.exec(postgres.actAs(config.systemUser));
  return {
    warehouse,
    dialect: dialectFor(postgres, config),
    config,
    where: `PGlite in ${settings.dataDir}, view schema ${config.viewSchema}`,
    close: () => warehouse.close(),
  };
}

/** cdk.json's context, then cdk.context.json, then `-c viewguard:key=value` (the CDK's own order). */
function deployContext(cwd: string, overrides: readonly string[]): Record<string, unknown> {
  const read = (file: string): Record<string, unknown> => {
    const path = join(cwd, file);
    if (!existsSync(path)) return {};
    const json = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> } & Record<
      string,
      unknown
    >;
    return file === 'cdk.json' ? (json.context ?? {}) : json;
  };
  const context = { ...read('cdk.json'), ...read('cdk.context.json') };
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq < 1) throw new UsageError(`-c takes key=value, got ${JSON.stringify(o)}`);
    context[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return context;
}

function connectRedshift(flags: TargetFlags, cwd: string, client: RedshiftDataClient): Connection {
  let target: RedshiftTarget;
  let config: IntegrationConfig;
  if (flags.redshift) {
    let deploy;
    try {
      // The deploy environment (cdk.json's viewguard:env or -c viewguard:env=<name>) with any -c keys over it.
      deploy = selectEnvironment(deployContext(cwd, flags.context ?? []), join(cwd, 'infra', 'environments')).config;
    } catch (e) {
      if (e instanceof DiagnosticError)
        throw new UsageError(`invalid deploy context: ${e.diagnostics.map((d) => d.summary).join('; ')}`);
      throw e;
    }
    const w = deploy.warehouse;
    const auth: WarehouseAuth = flags.asAdmin ? deploy.adminAuth : w.auth;
    target =
      w.kind === 'cluster'
        ? 'dbUser' in auth
          ? { database: w.database, clusterIdentifier: w.clusterId, dbUser: auth.dbUser }
          : { database: w.database, clusterIdentifier: w.clusterId, secretArn: auth.secretArn }
        : {
            database: w.database,
            workgroupName: w.workgroupName,
            secretArn: 'secretArn' in auth ? auth.secretArn : '',
          };
    config = deploy.integration;
  } else {
    target = explicitTarget(flags);
    const parsed = parseIntegrationConfig({
      mode: flags.mode ?? 'single',
      database: flags.database,
      viewSchema: flags.viewSchema ?? 'secure',
      ...(flags.systemUser ? { systemUser: flags.systemUser } : {}),
    });
    if (!parsed.ok) throw new UsageError(parsed.diagnostics.map((d) => d.summary).join('; '));
    config = parsed.value;
  }
  const warehouse = new RedshiftDataWarehouse({ client, target, statementName: 'viewguard-cli' });
  const endpoint =
    'workgroupName' in target ? `workgroup ${target.workgroupName}` : `cluster ${target.clusterIdentifier}`;
  const where = `Redshift ${endpoint}, database ${target.database}, view schema ${config.viewSchema}`;
  return { warehouse, dialect: dialectFor(redshift, config), config, where, close: async () => client.destroy() };
}

function explicitTarget(flags: TargetFlags): RedshiftTarget {
  if (!flags.database) throw new UsageError('--database is required with --cluster or --workgroup');
  if (flags.cluster && flags.workgroup) throw new UsageError('give --cluster or --workgroup, not both');
  if (flags.workgroup) {
    if (!flags.secretArn) throw new UsageError('--workgroup needs --secret-arn (the system user’s secret)');
    return { database: flags.database, workgroupName: flags.workgroup, secretArn: flags.secretArn };
  }
  if (flags.dbUser && flags.secretArn) throw new UsageError('give --db-user or --secret-arn, not both');
  if (flags.dbUser) return { database: flags.database, clusterIdentifier: flags.cluster!, dbUser: flags.dbUser };
  if (flags.secretArn)
    return { database: flags.database, clusterIdentifier: flags.cluster!, secretArn: flags.secretArn };
  throw new UsageError('--cluster needs --db-user or --secret-arn');
}
