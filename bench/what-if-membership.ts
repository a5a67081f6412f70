// Control for docs/performance.md "Membership as a join" (not part of `npm run bench`): the filter-heavy secure
// view with its two membership tests in the two shapes the planner can give `<value> IN (SELECT value FROM
// immuta_system.user_entitlement …)`:
//   hashed subplan — as compiled: `(… IN (…)) = TRUE`, which PostgreSQL does not pull up into the join order,
//                    so the build side is hashed once and every raw row probes it;
//   semi-join      — the bare `… IN (…)`, pulled up into a (hash) semi-join beside the one-row profile join.
// Run: npx tsx bench/what-if-membership.ts
import { startBenchServer } from './bench-postgres.js';
import { benchQueryOverhead } from './query-overhead.js';

const server = await startBenchServer();
try {
  const semiJoin = [
    // The view as compiled, with the `= TRUE` wrappers taken off (same text otherwise).
    `DO $$ DECLARE d text; BEGIN d := pg_get_viewdef('secure.filter_heavy'::regclass); d := ` +
      `regexp_replace(rtrim(d, ';'), '\\) = true\\)', ')', 'g'); EXECUTE 'CREATE OR REPLACE VIEW secure.filter_heavy ` +
      `AS ' || d; END $$`,
  ];
  const variants: [string, string[]][] = [
    ['hashed subplan', []],
    ['semi-join', semiJoin],
  ];
  for (const [label, afterSetup] of variants) {
    const r = await benchQueryOverhead(server, {
      rows: Number(process.env.ROWS ?? 1_000_000),
      warmups: 1,
      runs: 5,
      log: () => undefined,
      afterSetup,
      only: ['filter-heavy'],
    });
    const c = r.cases[0]!;
    console.log(
      `${label.padEnd(15)} view ${c.view.medianMs} ms (${c.view.workers} workers), inlined ${c.inlined.medianMs} ` +
        `ms (${c.inlined.workers} workers): ${c.viewOverInlined}×, same result ${c.sameResult}, profile loops ` +
        `${c.profileScanLoops.join(',')}`,
    );
    console.log(c.viewPlan);
  }
} finally {
  await server.stop();
}
