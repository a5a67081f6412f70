// Named deploy environments: infra/environments/<env>.json holds one environment's settings (the keys of
// docs/deploy.md "Deploy parameters", without the `viewguard:` prefix). `-c viewguard:env=<env>` (or
// `--env <env>` of the npm scripts) selects one; any `-c viewguard:<key>=<value>` overrides the file for that
// run. The result goes through the one validation of infra/stack/deploy-config.ts, and every problem names
// where to fix it: the file and key, or the context key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError, diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { CONTEXT_PREFIX, contextFields, parseDeployConfig, type DeployConfig } from '../stack/deploy-config.js';
import { PROJECT_ROOT } from '../stack/handler-function.js';

export const ENVIRONMENTS_DIR = path.join(PROJECT_ROOT, 'infra', 'environments');
/** The context key that selects an environment (cdk.json names the default one). */
export const ENV_CONTEXT_KEY = `${CONTEXT_PREFIX}env`;

export function listEnvironments(dir = ENVIRONMENTS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export interface SelectedEnvironment {
  config: DeployConfig;
  /** The environment file read, relative to the project root; none without an environment. */
  file?: string;
}

/**
 * The deploy configuration for a CDK context (cdk.json merged with -c): the selected environment's file, the
 * context's `viewguard:*` keys over it. Throws DiagnosticError (VG901/VG902 for the file, VG204 per setting).
 */
export function selectEnvironment(context: Record<string, unknown>, dir = ENVIRONMENTS_DIR): SelectedEnvironment {
  const overrides = contextFields(context);
  const env = overrides.env;
  if (env === undefined) return { config: parseDeployConfig(overrides) };
  const name = String(env);
  const available = listEnvironments(dir);
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name) || !available.includes(name)) {
    throw new DiagnosticError([
      diagnostic(
        'VG901',
        `${ENV_CONTEXT_KEY}: no environment "${name}" (available: ${available.join(', ') || 'none'}; add ` +
          `${path.relative(PROJECT_ROOT, dir)}/${name}.json)`,
        [ENV_CONTEXT_KEY],
      ),
    ]);
  }
  const file = path.relative(PROJECT_ROOT, path.join(dir, `${name}.json`));
  const fromFile = readEnvironmentFile(path.join(dir, `${name}.json`), file);
  const label = (field: string) =>
    field.split('.')[0]! in overrides ? `${CONTEXT_PREFIX}${field}` : `${file}: ${field}`;
  return { config: parseDeployConfig({ ...fromFile, ...overrides, env: name }, label), file };
}

function readEnvironmentFile(absolute: string, file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch (e) {
    throw new DiagnosticError([diagnostic('VG902', `${file}: not valid JSON (${(e as Error).message})`, [file])]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DiagnosticError([diagnostic('VG902', `${file}: must be a JSON object of settings`, [file])]);
  }
  const problems = Object.keys(parsed)
    .filter((k) => k === 'env' || k.startsWith(CONTEXT_PREFIX))
    .map((k) =>
      diagnostic(
        'VG902',
        k === 'env'
          ? `${file}: "env" is the file's name, not a setting`
          : `${file}: write "${k.slice(CONTEXT_PREFIX.length)}" without the ${CONTEXT_PREFIX} prefix`,
        [file, k],
      ),
    );
  if (problems.length > 0) throw new DiagnosticError(problems);
  return parsed as Record<string, unknown>;
}
