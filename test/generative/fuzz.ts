// npm run fuzz -- --runs 10000 [--seed S] [--path P] [--batch 5] [--no-pglite | --no-server]
// A long campaign of the generative differential test (test/generative/compiler-differential.test.ts): runs
// `--runs` cases in worlds of `--batch` cases each on PGlite and on a throw-away PostgreSQL server (both
// dialects, the Redshift one through the compatibility shim), then prints the seed, the counts, the time
// taken and, on a disagreement, the shrunk counterexample and how to replay it.
import { parseArgs } from 'node:util';
import { createPgliteEngine, createServerEngine } from '../support/engines.js';
import { startEmbeddedServer } from '../support/embedded-server.js';
import { runCampaign } from './campaign.js';
import { DifferentialRunner } from './differential-runner.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    batch: { type: 'string', default: '5' },
    'no-pglite': { type: 'boolean', default: false },
    'no-server': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const batch = Number(values.batch);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(batch) || batch < 1) {
  console.error(
    'usage: npm run fuzz -- --runs <cases> [--seed <n>] [--path <p>] [--batch <cases per world>] [--no-pglite | ' +
      '--no-server]',
  );
  process.exit(2);
}
const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(values.seed);
console.log(`fuzz: ${runs} cases in worlds of ${batch}, seed ${seed}`);

const useServer = !values['no-server'];
const server =
  !useServer || process.env.WAREHOUSE_URL
    ? null
    : await startEmbeddedServer({ name: 'viewguard-fuzz', settings: { max_connections: '50' } });
const url = process.env.WAREHOUSE_URL ?? server?.url;
const runners = [
  ...(values['no-pglite'] ? [] : [await DifferentialRunner.create(await createPgliteEngine(), { redshift: false })]),
  ...(useServer ? [await DifferentialRunner.create(await createServerEngine(url), { redshift: true })] : []),
];
if (runners.length === 0) {
  console.error('fuzz: --no-pglite and --no-server leave nothing to run');
  process.exit(2);
}
const started = Date.now();
const progress = setInterval(
  () => console.log(`fuzz: ${runners[0]!.stats.cases} cases, ${Math.round((Date.now() - started) / 1000)} s`),
  60_000,
);
let exitCode = 0;
try {
  const result = await runCampaign(runners, {
    worlds: Math.ceil(runs / batch),
    casesPerWorld: batch,
    exact: true,
    seed,
    path: values.path,
  });
  const seconds = (Date.now() - started) / 1000;
  for (const r of runners) console.log(`fuzz: ${r.engine.name}: ${JSON.stringify(r.stats)}`);
  console.log(
    `fuzz: ${result.failed ? 'DISAGREEMENT' : 'all agree'} after ${seconds.toFixed(1)} s (seed ${result.seed})`,
  );
  if (result.failed) {
    exitCode = 1;
    console.log(`replay: npm run fuzz -- --runs ${batch} --batch ${batch} --seed ${result.seed} --path ${result.path}`);
    console.log(`shrunk counterexample (world): ${JSON.stringify(result.counterexample)}`);
    console.log(result.report);
  }
} finally {
  clearInterval(progress);
  for (const r of runners) await r.close();
  await server?.stop();
}
process.exit(exitCode);
