// `npm run mutation [-- <stryker options>]`: mutation testing with Stryker (stryker.config.mjs,
// docs/testing.md). Starts the ONE PostgreSQL server the tests share here, outside Stryker's runner
// processes, and hands it to them as WAREHOUSE_URL (test/support/pg-global-setup.ts then starts none): when
// Stryker kills a runner that timed out, no server is orphaned with it. The server is stopped when Stryker
// ends, fails or is interrupted.
//   npm run mutation                                                  # everything stryker.config.mjs mutates
//   npm run mutation -- --mutate shared/compiler/mask-expression.ts   # one file
//   npm run mutation -- --mutate shared/compiler/mask-expression.ts:120-140 --concurrency 1
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer } from '../support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stryker = path.join(root, 'node_modules', '.bin', 'stryker');
if (!existsSync(stryker)) {
  console.error('stryker is not installed: run npm install');
  process.exit(2);
}

const started = Date.now();
const server = await startEmbeddedServer({ name: 'viewguard-mutation-pg', settings: { max_connections: '200', max_locks_per_transaction: '256' } });
let stopping: Promise<void> | null = null;
const stop = (): Promise<void> => (stopping ??= server.stop().catch((e: unknown) => console.error(`stopping the PostgreSQL server failed: ${String(e)}`)));

const child = spawn(stryker, ['run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WAREHOUSE_URL: server.url },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
const code = await new Promise<number>((resolve) => {
  child.on('error', (e) => {
    console.error(`could not start stryker: ${e.message}`);
    resolve(2);
  });
  child.on('exit', (c, signal) => resolve(c ?? 128 + (signal ? constants.signals[signal] : 0)));
});
await stop();
console.log(`mutation run (exit ${code}): ${((Date.now() - started) / 60_000).toFixed(1)} min; report: reports/mutation/mutation.html (JSON: reports/mutation/mutation.json)`);
process.exit(code);
