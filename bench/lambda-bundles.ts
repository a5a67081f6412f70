// Section e (2/2): each Lambda bundled as the stack bundles it — esbuild, ESM, node22, minified, keepNames,
// the AWS SDK clients inside, the require() banner — and the module init time of each bundle in a fresh
// `node` process (the cold-start work our code adds before the first invocation: import + top-level init).
//
// The options below mirror `bundling` in infra/stack/handler-function.ts, which does not export them (it
// passes them inline to NodejsFunction; only ZOD_WITHOUT_LOCALES is exported and reused here). Keep the two
// in step; the stack test checks the real assets ≤ 1 MB. Like the stack's afterBundling hook, the parser's
// WebAssembly is copied beside a bundle that references it, so init measures what Lambda would load.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { handlerEntry, PIPELINE_HANDLERS, PROJECT_ROOT, ZOD_WITHOUT_LOCALES } from '../infra/stack/handler-function.js';
import { ENV } from '../infra/stack/lambda-environment.js';
import { round, summarize } from './stats.js';

const run = promisify(execFile);

export const BUNDLE_LIMIT_BYTES = 1024 * 1024;

const BANNER = "import{createRequire as __vgCreateRequire}from'module';const require=__vgCreateRequire(import.meta.url);";

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
  [ENV.systemUser]: 'immuta_system_user',
  [ENV.rawDatabases]: 'dev',
  [ENV.deadlineMarginMs]: '5000',
};

async function measureInit(file: string, runs: number): Promise<{ init: number[]; process: number[] }> {
  const script =
    `const t=performance.now();try{await import(${JSON.stringify(pathToFileURL(file).href)})}` +
    `catch(e){process.stdout.write(String(e?.name)+' '+String(e?.code??'')+': '+String(e?.message).slice(0,240));process.exit(1)}` +
    `process.stdout.write(String(performance.now()-t));`;
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
        out.push({ name, bytes: 0, withinLimit: false, initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 }, processMs: Number.NaN, error: 'no handler.ts yet' });
        continue;
      }
      const file = join(dir, `${name}.mjs`);
      try {
        await build({
          entryPoints: [entry],
          outfile: file,
          bundle: true,
          format: 'esm',
          target: 'node22',
          platform: 'node',
          minify: true,
          sourcemap: false,
          mainFields: ['module', 'main'],
          alias: { zod: ZOD_WITHOUT_LOCALES },
          banner: { js: BANNER },
          logLevel: 'silent',
        });
        const bytes = (await stat(file)).size;
        const wasm = readFileSync(file, 'utf8').includes('libpg-query.wasm');
        if (wasm) await copyFile(join(PROJECT_ROOT, 'node_modules', 'libpg-query', 'wasm', 'libpg-query.wasm'), join(dir, 'libpg-query.wasm'));
        try {
          const { init, process: proc } = await measureInit(file, runs);
          const s = summarize(init);
          out.push({ name, bytes, withinLimit: bytes <= BUNDLE_LIMIT_BYTES, wasmBeside: wasm, initMs: { median: round(s.median, 1), p95: round(s.p95, 1), runs }, processMs: round(summarize(proc).median, 1) });
        } catch (err) {
          // The size still counts; the init failure is reported with the module's own error line.
          const why = String((err as { stdout?: string }).stdout ?? '') || (err instanceof Error ? err.message.split('\n')[0]! : String(err));
          out.push({ name, bytes, withinLimit: bytes <= BUNDLE_LIMIT_BYTES, initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 }, processMs: Number.NaN, wasmBeside: wasm, initError: why.trim().slice(0, 300) });
        }
      } catch (err) {
        out.push({ name, bytes: 0, withinLimit: false, initMs: { median: Number.NaN, p95: Number.NaN, runs: 0 }, processMs: Number.NaN, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
