// `npm run preflight -- --env <name> [--json]`: before a deploy, validate the environment's configuration,
// check the account with read-only calls (infra/deploy/preflight-checks.ts) and print what `cdk deploy` will
// create. Exit codes for scripts: 0 ready (warnings allowed), 1 a check failed, 2 the configuration or the
// command line is invalid, 3 nothing could be checked (no AWS credentials or region).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { RedshiftClient } from '@aws-sdk/client-redshift';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import type { DeployConfig } from '../stack/deploy-config.js';
import { PROJECT_ROOT } from '../stack/handler-function.js';
import { parseEnvArgument } from './cdk-env.js';
import { deployPlan, type DeployPlan } from './deploy-plan.js';
import { ENV_CONTEXT_KEY, listEnvironments, selectEnvironment } from './environments.js';
import { CannotCheck, runPreflightChecks, type Check, type PreflightClients } from './preflight-checks.js';

export const EXIT = { ready: 0, checkFailed: 1, invalid: 2, cannotCheck: 3 } as const;

export interface PreflightResult {
  exitCode: number;
  environment?: string;
  problems?: string[];
  checks?: Check[];
  plan?: DeployPlan;
  /** Why nothing in the account was checked (VG903). */
  error?: string;
  code?: 'VG903';
}

export function awsClients(region: string | undefined): PreflightClients {
  const opts = region ? { region } : {};
  return {
    sts: new STSClient(opts),
    cloudformation: new CloudFormationClient(opts),
    redshift: new RedshiftClient(opts),
    serverless: new RedshiftServerlessClient(opts),
    secrets: new SecretsManagerClient(opts),
    data: new RedshiftDataClient(opts),
    acm: new ACMClient(opts),
  };
}

/** The whole preflight for one environment; clients are made for the environment's region unless given. */
export async function preflight(
  env: string | undefined,
  clients?: (config: DeployConfig) => PreflightClients,
): Promise<PreflightResult> {
  let config: DeployConfig;
  try {
    config = selectEnvironment(env ? { [ENV_CONTEXT_KEY]: env } : {}).config;
  } catch (e) {
    if (e instanceof DiagnosticError)
      return {
        exitCode: EXIT.invalid,
        ...(env ? { environment: env } : {}),
        problems: e.diagnostics.map((d) => `${d.code} ${d.summary}`),
      };
    throw e;
  }
  const base = { ...(env ? { environment: env } : {}), plan: deployPlan(config) };
  const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  try {
    const checks = await runPreflightChecks(config, (clients ?? ((c) => awsClients(region)))(config));
    return { ...base, checks, exitCode: checks.some((c) => c.status === 'fail') ? EXIT.checkFailed : EXIT.ready };
  } catch (e) {
    if (e instanceof CannotCheck || /region is missing/i.test(String((e as Error)?.message))) {
      return {
        ...base,
        exitCode: EXIT.cannotCheck,
        code: 'VG903',
        error:
          `${(e as Error).message} — set AWS credentials and a region (AWS_PROFILE, AWS_REGION) or "region" in the ` +
          `environment file`,
      };
    }
    throw e;
  }
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const;

export function formatResult(r: PreflightResult): string {
  const lines = [`viewguard preflight${r.environment ? ` — environment ${r.environment}` : ''}`];
  if (r.problems) return [...lines, 'configuration: INVALID', ...r.problems.map((p) => `  - ${p}`)].join('\n');
  lines.push('configuration: valid');
  for (const c of r.checks ?? [])
    lines.push(`  [${MARK[c.status]}] ${c.title}: ${c.detail}${c.code && c.status !== 'ok' ? ` (${c.code})` : ''}`);
  if (r.error) lines.push(`  could not check the account (VG903): ${r.error}`);
  const p = r.plan;
  if (p) {
    lines.push('', `cdk deploy will create or update stack ${p.stackName} in ${p.where}:`);
    lines.push(...p.frontDoor.map((f) => `  ${f}`), `  webhook URL: ${p.webhookUrl}`);
    lines.push(`  alarms (${p.alarms.length}):`, ...p.alarms.map((a) => `    - ${a}`));
    lines.push('  resources:', ...p.resources.map(([type, n]) => `    ${String(n).padStart(3)} ${type}`));
  }
  const verdict = { 0: 'READY', 1: 'NOT READY: fix the failed checks', 2: 'INVALID CONFIGURATION', 3: 'NOT CHECKED' }[
    r.exitCode as 0 | 1 | 2 | 3
  ];
  lines.push('', `preflight: ${verdict} (exit ${r.exitCode})`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const parsed = parseEnvArgument(
    argv.filter((a) => a !== '--json'),
    listEnvironments(),
  );
  if (!parsed.ok || parsed.rest.length > 0) {
    console.error(
      `viewguard preflight: ${parsed.ok ? `unknown argument ` + `${parsed.rest[0]}` : parsed.error}\nusage: npm ` +
        `run preflight -- --env <name> [--json]`,
    );
    return EXIT.invalid;
  }
  const result = await preflight(parsed.env ?? defaultEnvironment());
  console.log(json ? JSON.stringify(result, null, 2) : formatResult(result));
  return result.exitCode;
}

/** cdk.json's `viewguard:env`, the environment `cdk` uses without -c. */
export function defaultEnvironment(): string | undefined {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const env = cdkJson.context?.[ENV_CONTEXT_KEY];
  return typeof env === 'string' ? env : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`viewguard preflight: unexpected error: ${e instanceof Error ? e.stack : String(e)}`);
      process.exit(EXIT.checkFailed);
    },
  );
}
