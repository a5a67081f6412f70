// Section e (2/2): each Lambda bundled exactly as the stack bundles it, and the module init time of each
// bundle in a fresh `node` process (the cold-start work our code adds before the first invocation: import +
// top-level init).
//
// The options are the stack's own (`HANDLER_BUNDLING` from infra/stack/handler-function.ts), translated to the
// esbuild API the way aws-cdk-lib's NodejsFunction turns them into esbuild CLI flags (Bundling.buildEsbuildArgs:
// `--bundle --platform=node --target --format --outfile=index.mjs --minify --main-fields --banner:js`, the
// esbuildArgs as given); an option this file does not know how to translate stops the section rather than
// being dropped. Each bundle is written as `index.mjs` in its own directory and the stack's afterBundling
// commands run on it (they ship libpg-query.wasm beside the bundles that load it), so init measures what
// Lambda would load.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { HANDLER_BUNDLING, handlerEntry, PIPELINE_HANDLERS, PROJECT_ROOT } from '../infra/stack/handler-function.js';
import { ENV } from '../shared/contract/lambda-environment.js';
import { round, summarize } from './stats.js';

const run = promisify(execFile);

export const BUNDLE_LIMIT_BYTES = 1024 * 1024;

/**
 * The stack's bundling options as esbuild options (what NodejsFunction passes on the command line). Throws on
 * an option it does not translate, so that the bench never silently measures something else than what ships.
 */
export function esbuildOptionsOfStack(bundling: typeof HANDLER_BUNDLING = HANDLER_BUNDLING): BuildOptions {
  const handled = new Set([
    'format',
    'target',
    'minify',
    'sourceMap',
    'bundleAwsSDK',
    'externalModules',
    'mainFields',
    'esbuildArgs',
    'commandHooks',
    'banner',
  ]);
  const unknown = Object.keys(bundling).filter((k) => !handled.has(k));
  if (unknown.length > 0)
    throw new Error(`bench/lambda-bundles.ts does not translate the stack's bundling option(s) ${unknown.join(', ')}`);
  const alias: Record<string, string> = {};
  for (const [flag, value] of Object.entries(bundling.esbuildArgs)) {
    const m = /^--alias:(.+)$/.exec(flag);
    if (!m || typeof value !== 'string')
      throw new Error(`bench/lambda-bundles.ts does not translate the esbuild argument ${flag}`);
    alias[m[1]!] = value;
  }
  return {
    bundle: true,
    platform: 'node',
    format: bundling.format === 'esm' ? 'esm' : 'cjs',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    // bundleAwsSDK: true + externalModules [] = nothing external (the SDK clients are inside).
    external: [...bundling.externalModules],
    mainFields: [...bundling.mainFields],
    alias,
    banner: { js: bundling.banner },
    logLevel: 'silent',
  };
}

export interface BundleResult {
  name: string;
  bytes: number;
  withinLimit: boolean;
  /** Median / p95 of `await import(bundle)` inside a fresh node process. */
  initMs: { median: number; p95: number; runs: number };
  /** Median wall time of the whole fresh process (node start + import + exit). */
  processMs: number;
  /** The bundle references the parser's WebAssembly (shipped beside it, not counted in `bytes`). */
  wasmBeside?: boolean;
  /** The bundle could not be built. */
  error?: string;
  /** The bundle was built but importing it in a fresh process failed. */
  initError?: string;
}

// Plausible values for every variable a handler may read at init; nothing here reaches AWS.
const ENVIRONMENT: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bench-not-a-secret',
  AWS_LAMBDA_FUNCTION_NAME: 'viewguard-bench',
  POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_TRACE_ENABLED: 'false',
  [ENV.workQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/viewguard-work.fifo',
  [ENV.eventBusName]: 'viewguard',
  [ENV.webhookSecretArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:viewguard-webhook',
  [ENV.maxBodyBytes]: '204800',
  [ENV.clusterId]: 'bench-cluster',
  [ENV.database]: 'dev',
  [ENV.dbUser]: 'immuta_system_user',
  [ENV.viewSchema]: 'secure',
  [ENV.integrationMode]: 'single',
  [ENV.deadlineMarginMs]: '5000',
};

async function measureInit(file: string, runs: number): Promise<{ init: number[]; process: number[] }> {
  const script =
    `const t=performance.now();try{await import(${JSON.stringify(pathToFileURL(file).href)})}` +
    `catch(e){process.stdout.write(String(e?.name)+' '+String(e?.code??'')+': ` +
    `'+String(e?.message).slice(0,240));process.exit(1)}process.stdout.write(String(performance.now()-t));`;
  const init: number[] = [];
  const proc: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    // process.execPath: the node the bench runs on (the `node` devDependency via npm), never a global one.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...ENVIRONMENT, POWERTOOLS_SERVICE_NAME: 'viewguard-bench' },
      timeout: 30_000,
    });
    proc.push(performance.now() - t0);
    init.push(Number(stdout));
  }
  return { init, process: proc };
}

export async function benchBundles(runs: number): Promise<BundleResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'viewguard-bench-bundles-'));
  const names = [...PIPELINE_HANDLERS, 'bootstrap'];
  const out: BundleResult[] = [];
  try {
    for (const name of names) {
      const entry = handlerEntry(name);
      if (!existsSync(entry)) {
        out.push({
          name,
          bytes: 0,
          withinLimit: false,
          initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 },
          processMs: Number.NaN,
          error: 'no handler.ts yet',
        });
        continue;
      }
      // As in the stack: one directory per function, the bundle named index.mjs, then the afterBundling hook.
      const outDir = join(dir, name);
      const file = join(outDir, 'index.mjs');
      try {
        await mkdir(outDir);
        await build({ ...esbuildOptionsOfStack(), entryPoints: [entry], outfile: file });
        for (const command of HANDLER_BUNDLING.commandHooks.afterBundling(PROJECT_ROOT, outDir))
          await run('bash', ['-c', command], { cwd: PROJECT_ROOT });
        const bytes = (await stat(file)).size;
        const wasm = readFileSync(file, 'utf8').includes('libpg-query.wasm');
        if (wasm && !existsSync(join(outDir, 'libpg-query.wasm')))
          throw new Error("the stack's afterBundling hook did not ship libpg-query.wasm beside a bundle that loads it");
        try {
          const { init, process: proc } = await measureInit(file, runs);
          const s = summarize(init);
          out.push({
            name,
            bytes,
            withinLimit: bytes <= BUNDLE_LIMIT_BYTES,
            wasmBeside: wasm,
            initMs: { median: round(s.median, 1), p95: round(s.p95, 1), runs },
            processMs: round(summarize(proc).median, 1),
          });
        } catch (err) {
          // The size still counts; the init failure is reported with the module's own error line.
          const why =
            String((err as { stdout?: string }).stdout ?? '') ||
            (err instanceof Error ? err.message.split('\n')[0]! : String(err));
          out.push({
            name,
            bytes,
            withinLimit: bytes <= BUNDLE_LIMIT_BYTES,
            initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 },
            processMs: Number.NaN,
            wasmBeside: wasm,
            initError: why.trim().slice(0, 300),
          });
        }
      } catch (err) {
        out.push({
          name,
          bytes: 0,
          withinLimit: false,
          initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 },
          processMs: Number.NaN,
          error: err instanceof Error ? err.message.split('\n')[0]! : String(err),
        });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
