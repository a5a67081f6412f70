// npm run redshift-check -- [--env <name>] [-c viewguard:<key>=<value> …] [--external <schema>] [--run <id>]
// The conformance check operators run on their own cluster before the first deploy and after a Redshift upgrade
// (docs/deploy.md "Conformance check"). The deploy environment is chosen as `npm run deploy` chooses it
// (infra/environments/<env>.json, `--env` or cdk.json's viewguard:env, -c keys over it): it says which cluster or
// workgroup, region, database, system identity and administrator to use. The plan runs in scratch schemas it
// creates and removes, and a pass/fail table is printed. Exit 0 when every check passed or was skipped, 1 when
// one failed, 2 for a usage or configuration error.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { conformancePlan } from '../../shared/conformance/conformance-plan.js';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { parseColumnType } from '../../shared/policy/column-type.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { ENV_CONTEXT_KEY, selectEnvironment } from '../deploy/environments.js';
import type { DeployConfig, WarehouseAuth } from '../stack/deploy-config.js';
import { DataApiBatches, type CheckCredentials } from './data-api-batches.js';
import { formatTable, runConformance, type ConformanceTarget } from './run-conformance.js';

export interface CheckIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** cdk.json's text (the committed deploy context); undefined when there is none. */
  cdkJson?: string;
  client?: RedshiftDataClient;
  batches?: DataApiBatches;
  /** Where the environment files are (tests); default infra/environments. */
  environmentsDir?: string;
}

/**
 * The CDK context a deploy would see — cdk.json's context, `-c key=value` over it, `--env <name>` as
 * `viewguard:env` — and this command's own options.
 */
export function deployContext(
  argv: string[],
  cdkJson: string | undefined,
): { context: Record<string, unknown>; run?: string; external?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      context: { type: 'string', short: 'c', multiple: true },
      env: { type: 'string' },
      run: { type: 'string' },
      external: { type: 'string' },
    },
    strict: true,
  });
  const context: Record<string, unknown> = cdkJson
    ? { ...((JSON.parse(cdkJson) as { context?: Record<string, unknown> }).context ?? {}) }
    : {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`-c ${pair}: expected key=value`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (values.env !== undefined) context[ENV_CONTEXT_KEY] = values.env;
  return {
    context,
    ...(values.run ? { run: values.run } : {}),
    ...(values.external ? { external: values.external } : {}),
  };
}

const credentials = (auth: WarehouseAuth): CheckCredentials =>
  'dbUser' in auth ? { dbUser: auth.dbUser } : { secretArn: auth.secretArn };

function targetOf(config: DeployConfig): ConformanceTarget {
  const w = config.warehouse;
  return {
    target: {
      database: w.database,
      ...(w.kind === 'cluster' ? { clusterId: w.clusterId } : { workgroupName: w.workgroupName }),
    },
    credentials: { system: credentials(w.auth), admin: credentials(config.adminAuth) },
  };
}

/** A configured external schema's first table and the columns the compiler knows, read as the system user. */
async function externalTable(batches: DataApiBatches, where: ConformanceTarget, schema: string) {
  const found = await batches.run(
    where.target,
    where.credentials.system,
    [
      stmt(
        'SELECT tablename, columnname, external_type FROM svv_external_columns WHERE schemaname = :schema ORDER BY ' +
          'tablename, columnnum',
        undefined,
        { schema },
      ),
    ],
    true,
  );
  if (found.status !== 'FINISHED' || !found.rows?.length) return undefined;
  const table = found.rows[0]![0]!;
  const columns = found.rows
    .filter((r) => r[0] === table && parseColumnType(r[2] ?? '') !== null)
    .map((r) => ({ name: r[1]!, type: r[2]! }));
  return { schema, table, columns };
}

export async function main(argv: string[], io: CheckIo): Promise<number> {
  let config: DeployConfig;
  let run: string;
  let externalSchema: string | undefined;
  try {
    const ctx = deployContext(argv, io.cdkJson);
    config = selectEnvironment(ctx.context, io.environmentsDir).config;
    run = ctx.run ?? randomBytes(4).toString('hex');
    externalSchema = ctx.external;
  } catch (e) {
    const lines =
      e instanceof DiagnosticError
        ? e.diagnostics.map((d) => `  - ${d.code} ${d.summary}`)
        : [`  - ${(e as Error).message}`];
    io.err(`redshift-check: invalid deploy context\n${lines.join('\n')}`);
    return 2;
  }
  // The environment's region (as the deploy pins it), else the shell's AWS_REGION / profile.
  const batches =
    io.batches ??
    new DataApiBatches(io.client ?? new RedshiftDataClient(config.region ? { region: config.region } : {}));
  const where = targetOf(config);
  const integration = config.integration;
  const otherDatabase = integration.rawSources.find(
    (r) => r.database !== integration.database && !r.external,
  )?.database;
  const external = externalSchema ? await externalTable(batches, where, externalSchema) : undefined;
  const plan = conformancePlan(integration, redshift, {
    run,
    hashKey: randomBytes(24).toString('base64'),
    ...(otherDatabase ? { otherDatabase } : {}),
    ...(external ? { external } : {}),
  });
  io.out(
    `viewguard redshift-check: ${where.target.clusterId ?? where.target.workgroupName}/${where.target.database}, ` +
      `scratch schemas vgcheck_${run}_*`,
  );
  const reports = await runConformance(plan, batches, where, (r) => io.err(`  ${r.verdict.padEnd(7)} ${r.id}`));
  io.out(formatTable(reports));
  const failed = reports.filter((r) => r.verdict === 'FAIL');
  io.out(
    failed.length
      ? `${failed.length} check(s) failed: see docs/deploy.md "Conformance check" for what to do per row`
      : 'every check passed (or was skipped with its reason)',
  );
  return failed.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let cdkJson: string | undefined;
  try {
    cdkJson = readFileSync('cdk.json', 'utf8');
  } catch {
    cdkJson = undefined;
  }
  main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l), cdkJson }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`redshift-check: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
