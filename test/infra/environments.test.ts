// Named deploy environments: the committed examples (infra/environments/dev.json, prod.json) are valid and
// synthesize side by side from one checkout with different settings and names that do not collide; the file
// is overridden by -c keys; every problem names the file and key (or the context key); the real app entry
// (infra/app.ts) selects the environment; `--env` of the npm scripts becomes -c viewguard:env.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkCommandLine, parseEnvArgument } from '../../infra/deploy/cdk-env.js';
import { createViewguardStack } from '../../infra/deploy/deploy-plan.js';
import { ENVIRONMENTS_DIR, listEnvironments, selectEnvironment } from '../../infra/deploy/environments.js';
import { PROJECT_ROOT } from '../../infra/stack/handler-function.js';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { connect, UsageError } from '../../infra/cli/connect.js';
import { refusals } from '../support/deploy-fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'vg-env-'));
  dirs.push(d);
  return d;
};
const env = (name: string, extra: Record<string, unknown> = {}) =>
  selectEnvironment({ 'viewguard:env': name, ...extra }).config;

describe('the committed example environments', () => {
  it('are dev and prod, each valid', () => {
    expect(listEnvironments()).toEqual(expect.arrayContaining(['dev', 'prod']));
    for (const name of listEnvironments()) expect(() => env(name), name).not.toThrow();
  });

  it('synthesize side by side in one app with different settings and names that do not collide', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const dev = createViewguardStack(app, env('dev'));
    const prod = createViewguardStack(app, env('prod'));
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['viewguard-dev', 'viewguard-prod']);
    const t = { dev: Template.fromStack(dev).toJSON(), prod: Template.fromStack(prod).toJSON() };
    const first = (json: any, type: string) => Object.values(json.Resources).find((r: any) => r.Type === type) as any;
    const names = (json: any) => ({
      api: first(json, 'AWS::ApiGateway::RestApi').Properties.Name,
      dashboard: first(json, 'AWS::CloudWatch::Dashboard').Properties.DashboardName,
      services: Object.values(json.Resources)
        .filter((r: any) => r.Type === 'AWS::Lambda::Function')
        .map((r: any) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
        .filter(Boolean)
        .sort(),
    });
    const d = names(t.dev);
    const p = names(t.prod);
    expect(d.api).toBe('viewguard-dev-webhooks');
    expect(p.api).toBe('viewguard-prod-webhooks');
    expect(d.dashboard).toBe('viewguard-dev');
    expect(p.dashboard).toBe('viewguard-prod');
    expect(p.services).toContain('viewguard-prod-apply');
    expect(d.services.filter((s: string) => p.services.includes(s))).toEqual([]);
    // Different settings: dev is Serverless, open, destroyed with the stack; prod a cluster behind WAF.
    expect(first(t.dev, 'AWS::WAFv2::WebACL')).toBeUndefined();
    expect(first(t.prod, 'AWS::WAFv2::WebACL').Properties.Name).toBe('viewguard-prod-webhooks');
    expect(first(t.prod, 'AWS::ApiGateway::RestApi').Properties.Policy).toBeDefined();
    expect(prod.region).toBe('eu-west-1');
    expect(prod.account).toBe('222222222222');
    const secrets = (json: any) =>
      Object.values(json.Resources)
        .filter((r: any) => r.Type === 'AWS::SecretsManager::Secret')
        .map((r: any) => r.DeletionPolicy);
    expect(new Set(secrets(t.dev))).toEqual(new Set(['Delete']));
    expect(new Set(secrets(t.prod))).toEqual(new Set(['Retain']));
    for (const stack of [dev, prod]) {
      expect(
        new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName),
        stack.stackName,
      ).toEqual([]);
    }
  });
});

describe('selecting and overriding', () => {
  it('a -c viewguard:<key> overrides the file for one run', () => {
    const c = env('prod', { 'viewguard:applyMaxConcurrency': '9' });
    expect(c.applyMaxConcurrency).toBe(9);
    expect(env('prod').applyMaxConcurrency).toBe(5);
  });

  it('a problem names the file and key, or the context key when it came from -c', () => {
    expect(refusals(() => env('prod', { 'viewguard:dbUser': 'someone' }))).toEqual([
      'VG204 viewguard:dbUser: must be the system user "immuta_system_user" the views are owned by',
    ]);
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'qa.json'),
      JSON.stringify({
        ...JSON.parse(readFileSync(path.join(ENVIRONMENTS_DIR, 'prod.json'), 'utf8')),
        dbUser: 'someone',
        waf: 'yes',
      }),
    );
    const found = refusals(() => selectEnvironment({ 'viewguard:env': 'qa' }, dir));
    expect(found.join('\n')).toContain(`VG204 ${path.relative(PROJECT_ROOT, dir)}/qa.json: waf:`);
  });

  it('an unknown environment lists the available ones (VG901)', () => {
    expect(refusals(() => env('staging'))).toEqual([
      expect.stringMatching(
        new RegExp(
          String.raw`^VG901 viewguard:env: no environment "staging" \(available: .*dev.*prod.*; ` +
            String.raw`add infra/environments/staging.json\)$`,
        ),
      ),
    ]);
    expect(refusals(() => env('../prod'))[0]).toMatch(/^VG901/);
  });

  it('a file that is not a JSON object of settings is VG902', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'broken.json'), '{ "clusterId": ');
    writeFileSync(path.join(dir, 'list.json'), '[]');
    writeFileSync(path.join(dir, 'named.json'), '{ "env": "prod" }');
    writeFileSync(path.join(dir, 'prefixed.json'), '{ "viewguard:clusterId": "a" }');
    const one = (name: string) => refusals(() => selectEnvironment({ 'viewguard:env': name }, dir)).join('\n');
    expect(one('broken')).toMatch(/^VG902 .*broken.json: not valid JSON/);
    expect(one('list')).toMatch(/^VG902 .*list.json: must be a JSON object of settings/);
    expect(one('named')).toContain('"env" is the file\'s name, not a setting');
    expect(one('prefixed')).toContain('write "clusterId" without the viewguard: prefix');
  });

  it('without an environment the context alone configures the stack, with the names of before', () => {
    const c = selectEnvironment({
      'viewguard:clusterId': 'a',
      'viewguard:database': 'd',
      'viewguard:dbUser': 'immuta_system_user',
      'viewguard:adminDbUser': 'x',
      'viewguard:viewSchema': 'v',
    }).config;
    expect(c.names).toEqual({ stackName: 'Viewguard', prefix: 'viewguard' });
  });
});

describe('the app entry and the npm script arguments', () => {
  // spawnSync blocks vitest's timer, so a test's own timeout fires only after its children end: on a loaded
  // machine three good syntheses outlasted 120 s and failed a good run. Each child has its own kill timeout
  // instead (a hang guard, not a speed limit), and the test's covers three of them.
  const CHILD_TIMEOUT_MS = 240_000;
  const synthApp = (context: Record<string, unknown>) => {
    const outdir = tempDir();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
      },
      encoding: 'utf8',
      timeout: CHILD_TIMEOUT_MS,
    });
    return { ...r, outdir };
  };

  it('infra/app.ts synthesizes the selected environment, and refuses an unknown one with exit 1', () => {
    for (const name of ['dev', 'prod']) {
      const r = synthApp({ 'viewguard:env': name });
      expect(r.status, r.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(r.outdir, 'manifest.json'), 'utf8'));
      expect(Object.keys(manifest.artifacts)).toContain(`viewguard-${name}`);
    }
    const bad = synthApp({ 'viewguard:env': 'nope' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('VG901 viewguard:env: no environment "nope"');
  }, 800_000);

  it('--env <name> becomes -c viewguard:env=<name>; other arguments pass through', () => {
    const available = ['dev', 'prod'];
    const parsed = parseEnvArgument(['--env', 'prod', '--require-approval', 'never'], available);
    expect(parsed).toEqual({ ok: true, env: 'prod', rest: ['--require-approval', 'never'] });
    expect(cdkCommandLine('diff', parsed as { env: string; rest: string[] })).toEqual([
      'diff',
      '-c',
      'viewguard:env=prod',
      '--require-approval',
      'never',
    ]);
    expect(parseEnvArgument(['--env=dev'], available)).toEqual({ ok: true, env: 'dev', rest: [] });
    expect(cdkCommandLine('synth', { rest: ['--quiet'] })).toEqual(['synth', '--quiet']);
    expect(parseEnvArgument(['--env'], available)).toEqual({ ok: false, error: '--env needs an environment name' });
    expect(parseEnvArgument(['--env', 'qa'], available)).toMatchObject({
      ok: false,
      error: expect.stringContaining('no environment "qa" (available: dev, prod'),
    });
    expect(parseEnvArgument(['--env', 'dev', '--env', 'prod'], available)).toEqual({
      ok: false,
      error: 'give --env once',
    });
  });

  it('the npm script refuses an unknown environment with exit 2 before running cdk', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'infra/deploy/cdk-env.ts', 'diff', '--env', 'nope'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no environment "nope"');
    expect(
      JSON.parse(
        execFileSync('node', ['-e', 'process.stdout.write(JSON.stringify(require("./package.json").scripts))'], {
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
        }),
      ),
    ).toMatchObject({
      diff: expect.stringContaining('infra/deploy/cdk-env.ts diff'),
      deploy: expect.stringContaining('infra/deploy/cdk-env.ts deploy'),
      preflight: expect.stringContaining('infra/deploy/preflight.ts'),
    });
  }, 60_000);
});

describe('the viewguard CLI reads the same environments (--redshift)', () => {
  const client = new RedshiftDataClient({ region: 'eu-west-1' });
  it(
    'the default environment, another one with -c viewguard:env, ' +
      'a -c key over it, the schema names in its dialect',
    async () => {
      const dev = await connect({ redshift: true }, {}, PROJECT_ROOT, client);
      expect(dev.where).toBe('Redshift workgroup analytics-dev, database dev, view schema secure');
      const prod = await connect(
        { redshift: true, context: ['viewguard:env=prod', 'viewguard:systemSchema=vg_state'] },
        {},
        PROJECT_ROOT,
        client,
      );
      expect(prod.where).toBe('Redshift cluster analytics-ra3, database immuta, view schema secure');
      expect(prod.dialect.schemas.system).toBe('vg_state');
      await expect(
        connect({ redshift: true, context: ['viewguard:env=nope'] }, {}, PROJECT_ROOT, client),
      ).rejects.toThrow(UsageError);
    },
  );
});
