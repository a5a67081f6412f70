// One way to build every viewguard Lambda: Node.js 22 on arm64, an ESM bundle made offline by the local esbuild
// with the AWS SDK clients bundled in (pinned by our lock file instead of whatever the runtime ships), minified,
// X-Ray tracing on, a log group with a retention, and the Powertools settings.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, POWERTOOLS_ENV } from '../../shared/contract/lambda-environment.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The handlers in the order of a webhook's path; each is `lambdas/<name>/handler.ts` exporting `handler`. */
export const PIPELINE_HANDLERS = ['ingest', 'datasource', 'policy', 'user', 'apply'] as const;
export type PipelineHandler = (typeof PIPELINE_HANDLERS)[number];

export const ZOD_WITHOUT_LOCALES = path.join(PROJECT_ROOT, 'infra', 'bundling', 'zod-without-locales.mjs');

export const handlerEntry = (name: string): string => path.join(PROJECT_ROOT, 'lambdas', name, 'handler.ts');

/**
 * The parser's WebAssembly (libpg-query, used by the compiler for custom WHERE clauses) is loaded from beside
 * the bundle at cold start: the shell commands that ship it with the bundles that reference it.
 */
export const afterBundlingCommands = (inputDir: string, outputDir: string): string[] => [
  `if grep -q "libpg-query.wasm" "${outputDir}/index.mjs"; then cp "${inputDir}` +
    `/node_modules/libpg-query/wasm/libpg-query.wasm" "${outputDir}/"; fi`,
];

/** How every handler is bundled (exported so that bench/lambda-bundles.ts measures exactly what ships). */
export const HANDLER_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  // No source map and no kept names: each bundle must stay ≤ 1 MB (test/infra checks it), and the SDK
  // clients, Powertools and zod already take most of that.
  sourceMap: false,
  // Bundle the SDK clients: the versions we test against ship with the code.
  bundleAwsSDK: true,
  externalModules: [],
  mainFields: ['module', 'main'],
  // zod without its ~200 KB of locale catalogues (infra/bundling/zod-without-locales.mjs explains).
  esbuildArgs: { '--alias:zod': ZOD_WITHOUT_LOCALES },
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: afterBundlingCommands,
  },
  // Some CommonJS dependencies call require(), and libpg-query's WebAssembly loader reads __dirname to find
  // libpg-query.wasm (copied beside the bundle): give the ESM bundle all three, as CommonJS would have them.
  banner:
    'import{createRequire as ' +
    "__vgCreateRequire}from'module';import{fileURLToPath " +
    'as ' +
    "__vgFileURLToPath}from'url';import{dirname " +
    "as __vgDirname}from'path';" +
    'const ' +
    'require=__vgCreateRequire(import.meta.url);const ' +
    '__filename=__vgFileURLToPath(import.meta.url);const ' +
    '__dirname=__vgDirname(__filename);',
} satisfies BundlingOptions;

export interface HandlerFunctionProps {
  /** Also the Powertools service name suffix and the log group name part. */
  name: string;
  entry: string;
  exportName?: string;
  timeout: Duration;
  memorySize?: number;
  environment: Record<string, string>;
  removalPolicy: RemovalPolicy;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  reservedConcurrentExecutions?: number;
}

/**
 * The Powertools service name (logs, and the `service` dimension of every EMF metric) of a function in this
 * stack: `<prefix>-<name>`, the prefix being the environment's (`viewguard-prod`), or `viewguard`.
 */
export function serviceName(scope: Construct, name: string): string {
  return `${(Stack.of(scope) as { namePrefix?: string }).namePrefix ?? 'viewguard'}-${name}`;
}

export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.removalPolicy,
  });
  return new NodejsFunction(scope, id, {
    entry: props.entry,
    handler: props.exportName ?? 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: props.timeout,
    memorySize: props.memorySize ?? 512,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    ...(props.reservedConcurrentExecutions !== undefined
      ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
      : {}),
    environment: {
      [POWERTOOLS_ENV.serviceName]: serviceName(scope, props.name),
      [POWERTOOLS_ENV.logLevel]: props.logLevel ?? 'INFO',
      [POWERTOOLS_ENV.metricsNamespace]: METRICS_NAMESPACE,
      ...props.environment,
    },
    bundling: HANDLER_BUNDLING,
  });
}
