// `npm run synth|diff|deploy -- --env <name> [cdk options…]`: the CDK CLI with `-c viewguard:env=<name>`
// (infra/environments/<name>.json); every other argument goes to `cdk` unchanged. Without --env, cdk.json's
// `viewguard:env` (the default environment) applies. Exits with cdk's exit code; 2 for a usage error.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ENV_CONTEXT_KEY, listEnvironments } from './environments.js';
import { PROJECT_ROOT } from '../stack/handler-function.js';

export type Parsed = { ok: true; env?: string; rest: string[] } | { ok: false; error: string };

/** Take `--env <name>` / `--env=<name>` out of the arguments. */
export function parseEnvArgument(argv: readonly string[], available: readonly string[]): Parsed {
  const rest: string[] = [];
  let env: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let value: string | undefined;
    if (arg === '--env') {
      value = argv[++i];
      if (value === undefined || value.startsWith('-')) return { ok: false, error: '--env needs an environment name' };
    } else if (arg.startsWith('--env=')) {
      value = arg.slice('--env='.length);
    } else {
      rest.push(arg);
      continue;
    }
    if (env !== undefined && env !== value) return { ok: false, error: 'give --env once' };
    if (!available.includes(value)) {
      return {
        ok: false,
        error:
          `no environment "${value}" (available: ${available.join(', ') || 'none'}; see docs/deploy.md ` +
          `"Environments")`,
      };
    }
    env = value;
  }
  return { ok: true, ...(env ? { env } : {}), rest };
}

/** The cdk command line for a parsed invocation. */
export function cdkCommandLine(command: string, parsed: { env?: string; rest: string[] }): string[] {
  return [command, ...(parsed.env ? ['-c', `${ENV_CONTEXT_KEY}=${parsed.env}`] : []), ...parsed.rest];
}

function main(): number {
  const [command, ...argv] = process.argv.slice(2);
  if (!command) {
    console.error('usage: cdk-env <synth|diff|deploy|destroy|…> [--env <name>] [cdk options]');
    return 2;
  }
  const parsed = parseEnvArgument(argv, listEnvironments());
  if (!parsed.ok) {
    console.error(`viewguard: ${parsed.error}`);
    return 2;
  }
  const cdk = path.join(path.dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json')), 'bin', 'cdk');
  const result = spawnSync(process.execPath, [cdk, ...cdkCommandLine(command, parsed)], {
    stdio: 'inherit',
    cwd: PROJECT_ROOT,
  });
  return result.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname))
  process.exit(main());
