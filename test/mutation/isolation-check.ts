// `npm run test:isolation [-- <test folders or files>] [--each] [--seeds 1,2,3]`: finds tests that pass only
// because an earlier test left something behind (a view, a stored data source, a counter), which Stryker's
// per-test selection — and anyone running one test with `-t` — would trip over (docs/testing.md).
//   1. the files as they are (vitest runs each file in its own worker: every file alone);
//   2. each file's tests in shuffled order, once per seed (`--sequence.shuffle.tests`): a test that needs an
//      earlier one fails when the shuffle puts it before that one;
//   3. every test that failed in 1–2 alone (`-t '<full name>$'`), to confirm;
//   with `--each`, step 3 runs EVERY test alone (thorough; minutes per file on a 2-core machine).
// One PostgreSQL server is started for all the runs (WAREHOUSE_URL). Exit code 1 when a test failed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer } from '../support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const each = args.includes('--each') ? (args.splice(args.indexOf('--each'), 1), true) : false;
const seeds = (flag('--seeds') ?? '1,2,3').split(',').map(Number);
const targets = args.length ? args : ['test/compiler', 'test/breadth', 'test/policy', 'test/security', 'test/layout'];

interface Report {
  testResults: {
    name: string;
    assertionResults: { fullName: string; status: string; ancestorTitles: string[]; title: string }[];
  }[];
}

const server = await startEmbeddedServer({
  name: 'viewguard-isolation-pg',
  settings: { max_connections: '200', max_locks_per_transaction: '256' },
});
const env = { ...process.env, WAREHOUSE_URL: server.url };
// Interrupted: end the vitest run under way and stop the server too.
let running: ChildProcess | null = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    running?.kill(signal);
    void server.stop().finally(() => process.exit(130));
  });
}
// vitest.config.ts writes its JSON report here on every run (a CLI --outputFile does not override it).
const reportFile = path.join(root, '.vitest-report.json');

/** Run vitest; returns each test's full name → status (and the files vitest ran). */
async function run(extra: string[]): Promise<Map<string, { file: string; status: string; name: string }>> {
  rmSync(reportFile, { force: true });
  await new Promise<void>((resolve) => {
    running = spawn(vitest, ['run', ...extra], { cwd: root, env, stdio: 'ignore' });
    running.on('exit', () => resolve());
    running.on('error', () => resolve());
  });
  running = null;
  const results = new Map<string, { file: string; status: string; name: string }>();
  let report: Report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  } catch {
    results.set(`(no report) ${extra.join(' ')}`, { file: extra.join(' '), status: 'failed', name: '' });
    return results;
  }
  for (const file of report.testResults) {
    const rel = path.relative(root, file.name);
    if (file.assertionResults.length === 0) results.set(`${rel} (file)`, { file: rel, status: 'failed', name: '' });
    for (const t of file.assertionResults)
      results.set(`${rel} > ${t.fullName}`, {
        file: rel,
        status: t.status,
        name: [...t.ancestorTitles, t.title].join(' '),
      });
  }
  return results;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const failures = new Map<string, { file: string; name: string }>();
let code = 0;
try {
  // Each file runs in its own worker process (vitest isolates files), so one run is every file alone.
  const listed = await run(targets);
  for (const [key, t] of listed) if (t.status === 'failed') failures.set(key, t);
  console.log(
    `${new Set([...listed.values()].map((t) => t.file)).size} files, ${listed.size} tests; ${failures.size} ` +
      `failing in file order`,
  );
  for (const seed of seeds) {
    for (const [key, t] of await run([...targets, '--sequence.shuffle.tests', `--sequence.seed=${seed}`]))
      if (t.status === 'failed') failures.set(key, t);
    console.log(`shuffled tests (seed ${seed}): ${failures.size} failing so far`);
  }
  const alone = each ? [...listed.entries()] : [...failures.entries()];
  for (const [key, t] of alone) {
    if (!t.name) continue;
    const r = await run([t.file, '-t', `${escape(t.name)}$`]);
    const ran = [...r.values()].filter((x) => x.status === 'passed' || x.status === 'failed');
    if (ran.length === 0 || ran.some((x) => x.status === 'failed')) {
      failures.set(key, t);
      console.log(`FAILS ALONE: ${key}`);
    } else if (failures.has(key)) {
      console.log(`passes alone (fails only after other tests): ${key}`);
    }
  }
  code = failures.size ? 1 : 0;
  console.log(
    failures.size
      ? `${failures.size} order-dependent or failing test(s):\n${[...failures.keys()].map((k) => `  ${k}`).join('\n')}`
      : 'every test passes alone and in shuffled order',
  );
} finally {
  await server.stop();
}
process.exit(code);
