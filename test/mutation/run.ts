// `npm run mutation [-- <stryker options>]`: mutation testing with Stryker (stryker.config.mjs,
// docs/testing.md). Starts the ONE PostgreSQL server the tests share here, outside Stryker's runner
// processes, and hands it to them as WAREHOUSE_URL (test/support/pg-global-setup.ts then starts none): when
// Stryker kills a runner that timed out, no server is orphaned with it. The server is stopped when Stryker
// ends, fails or is interrupted.
//   npm run mutation                                                  # everything stryker.config.mjs mutates
//   npm run mutation -- --mutate shared/compiler/mask-expression.ts   # one file
//   npm run mutation -- --mutate shared/compiler/mask-expression.ts:120-140 --concurrency 1
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { startEmbeddedServer } from '../support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stryker = path.join(root, 'node_modules', '.bin', 'stryker');
if (!existsSync(stryker)) {
  console.error('stryker is not installed: run npm install');
  process.exit(2);
}

// PGlite's initdb, once: every PGlite engine of the run loads this data directory (test/support/engines.ts,
// initdbSnapshot) instead of running its own initdb — the same fresh state, a minute less per engine here.
async function initdbSnapshot(dir: string): Promise<string> {
  const db = await PGlite.create();
  const file = path.join(dir, 'pglite-initdb.tar');
  writeFileSync(file, Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
  await db.close();
  return file;
}

const started = Date.now();
const scratch = mkdtempSync(path.join(tmpdir(), 'viewguard-mutation-'));
const snapshot = await initdbSnapshot(scratch);
const server = await startEmbeddedServer({
  name: 'viewguard-mutation-pg',
  settings: { max_connections: '200', max_locks_per_transaction: '256' },
});
let stopping: Promise<void> | null = null;
const stop = (): Promise<void> =>
  (stopping ??= server
    .stop()
    .catch((e: unknown) => console.error(`stopping the PostgreSQL server failed: ${String(e)}`)));

// Stryker leads a process group of its own: a signal to Stryker alone left its runner processes behind
// (re-parented to init, still running tests), so signals go to the whole group, and whatever of the group is
// still alive when Stryker has exited is killed.
const child = spawn(stryker, ['run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, WAREHOUSE_URL: server.url, VG_PGLITE_INITDB_SNAPSHOT: snapshot },
});
const signalGroup = (signal: NodeJS.Signals): void => {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing of the group is left
  }
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => signalGroup(signal));
}
const code = await new Promise<number>((resolve) => {
  child.on('error', (e) => {
    console.error(`could not start stryker: ${e.message}`);
    resolve(2);
  });
  child.on('exit', (c, signal) => resolve(c ?? 128 + (signal ? constants.signals[signal] : 0)));
});
signalGroup('SIGKILL');
await stop();
rmSync(scratch, { recursive: true, force: true });
console.log(
  `mutation run (exit ${code}): ${((Date.now() - started) / 60_000).toFixed(1)} min; report: ` +
    `reports/mutation/mutation.html (JSON: reports/mutation/mutation.json)`,
);
process.exit(code);
