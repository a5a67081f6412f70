// Control for docs/performance.md (not part of `npm run bench`): the filter-heavy secure view as shipped (our
// two SQL UDFs PARALLEL SAFE on PostgreSQL) vs the same with them PARALLEL UNSAFE, as they were before.
// PostgreSQL checks parallel safety before it inlines SQL functions, and a function without a PARALLEL label is
// PARALLEL UNSAFE, so a view whose row filter calls f_list_item / f_attribute_item then runs serial while the
// hand-written query gets workers.
// Run: npx tsx bench/what-if-parallel-safe-udfs.ts
import { startBenchServer } from './bench-postgres.js';
import { benchQueryOverhead } from './query-overhead.js';

const server = await startBenchServer();
try {
  const variants: [string, string[]][] = [
    ['as shipped', []],
    [
      'UNSAFE',
      [
        'ALTER FUNCTION immuta_functions.f_list_item(text) PARALLEL UNSAFE',
        'ALTER FUNCTION immuta_functions.f_attribute_item(text, text) PARALLEL UNSAFE',
      ],
    ],
  ];
  for (const [label, afterSetup] of variants) {
    const r = await benchQueryOverhead(server, {
      rows: 1_000_000,
      warmups: 1,
      runs: 5,
      log: () => undefined,
      afterSetup,
      only: ['filter-heavy'],
    });
    const c = r.cases[0]!;
    console.log(
      `${label.padEnd(14)} view ${c.view.medianMs} ms (${c.view.workers} workers), inlined ${c.inlined.medianMs} ` +
        `ms (${c.inlined.workers} workers): ${c.viewOverInlined}×, same result ${c.sameResult}`,
    );
  }
} finally {
  await server.stop();
}
