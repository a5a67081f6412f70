// The three Immuta connector handlers bundled exactly as the stack bundles them (handlerFunction, HANDLER_BUNDLING):
// each bundle is at most 1 MB, carries its AWS SDK clients, and loads as an ES module in a fresh Node process
// exporting `handler` (a cold start crash is found here, not in the account).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerEntry, handlerFunction } from '../../infra/stack/handler-function.js';
import { IMMUTA_HANDLERS } from '../../infra/stack/immuta-connector.js';

let outdir: string;
let bundles: Record<string, string>;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'ImmutaBundles');
  const fns = IMMUTA_HANDLERS.map(
    (name) =>
      [
        name,
        handlerFunction(stack, name, {
          name,
          entry: handlerEntry(name),
          timeout: Duration.seconds(30),
          environment: {},
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ] as const,
  );
  outdir = app.synth().directory;
  const json = JSON.parse(readFileSync(path.join(outdir, 'ImmutaBundles.template.json'), 'utf8')) as {
    Resources: Record<string, { Metadata?: Record<string, string> }>;
  };
  bundles = Object.fromEntries(
    fns.map(([name, fn]) => [
      name,
      path.join(
        outdir,
        json.Resources[stack.getLogicalId(fn.node.defaultChild as never)]!.Metadata!['aws:asset:path']!,
        'index.mjs',
      ),
    ]),
  );
}, 600_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('Immuta connector bundles', () => {
  it.each(IMMUTA_HANDLERS)('%s: ≤ 1 MB, AWS SDK inside, minified', (name) => {
    const size = statSync(bundles[name]!).size;
    expect(size).toBeLessThanOrEqual(1024 * 1024);
    const text = readFileSync(bundles[name]!, 'utf8');
    expect(text).toContain('aws-sdk-js');
    expect(size / text.split('\n').length).toBeGreaterThan(1000);
  });

  it('each loads as an ES module on Node 22 and exports its handler', () => {
    const probe = path.join(mkdtempSync(path.join(tmpdir(), 'vg-immuta-load-')), 'probe.mjs');
    writeFileSync(probe, 'const m = await import(process.argv[2]); process.stdout.write(typeof m.handler);');
    for (const name of IMMUTA_HANDLERS)
      expect(
        execFileSync(process.execPath, [probe, pathToFileURL(bundles[name]!).href], {
          encoding: 'utf8',
          cwd: tmpdir(),
        }),
        name,
      ).toBe('function');
  });
});
