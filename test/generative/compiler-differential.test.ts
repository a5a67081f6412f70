// The generative differential test of the compiler (docs/testing.md): random data sources over every column
// type, policy sets over every policy kind and users, compiled for both dialects and applied on PGlite and on
// the PostgreSQL server (the Redshift dialect through the compatibility shim), read by real login roles and
// compared cell by cell with the reference evaluator (test/support/reference/). A bounded number of worlds
// here; `npm run fuzz -- --runs 10000` runs a long campaign. VG_FUZZ_SEED / VG_FUZZ_PATH replay a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteEngine, createServerEngine } from '../support/engines.js';
import { runCampaign } from './campaign.js';
import { DifferentialRunner } from './differential-runner.js';

// A fixed seed keeps `npm test` reproducible (the row values still depend on the clock and the role names);
// the long campaigns (`npm run fuzz`) draw new seeds.
const seed = process.env.VG_FUZZ_SEED === undefined ? 9001 : Number(process.env.VG_FUZZ_SEED);
const path = process.env.VG_FUZZ_PATH;

describe.each([
  {
    name: 'PGlite (PostgreSQL dialect)',
    worlds: 12,
    make: async () => DifferentialRunner.create(await createPgliteEngine(), { redshift: false }),
  },
  {
    name: 'PostgreSQL server (PostgreSQL dialect, Redshift dialect through the shim)',
    worlds: 8,
    make: async () => DifferentialRunner.create(await createServerEngine(), { redshift: true }),
  },
])('generative differential test on $name', ({ worlds, make }) => {
  let runner: DifferentialRunner;
  beforeAll(async () => {
    runner = await make();
  });
  afterAll(() => runner?.close());

  it(`${worlds} random worlds of up to 4 cases agree with the reference evaluator, cell by cell`, async () => {
    const result = await runCampaign([runner], { worlds, casesPerWorld: 4, seed, path });
    expect(result.report ?? '', `seed ${result.seed}${result.path ? `, path ${result.path}` : ''}`).toBe('');
    // The run compared something: views that fail closed, and views with rows read cell by cell.
    expect(runner.stats.readsWithRows).toBeGreaterThan(0);
    expect(runner.stats.cells).toBeGreaterThan(0);
    console.log(`generative: seed ${result.seed}`, JSON.stringify(runner.stats));
  }, 180_000);
});
