// The convergence property (support/convergence-property.ts) with every policy change fanned out as VIEW SETS
// (shared/apply/apply-view-set.ts: one guard per transaction, the views' DDL packed behind it) — sets of one
// view in odd runs, of two in even runs — through the consumer `npm start` runs, under the same reordering,
// duplicates and injected failures (before/after the commit, conflicts, permanent errors), against the same
// oracle. `combined` counts the view-set outcomes here, and the runs must have some.
import type { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { describeConvergenceProperty } from './support/convergence-property.js';

describeConvergenceProperty({
  label: ' (view sets)',
  mustCombine: true,
  policyFanOut: (run) => ({ chunkFrom: 1, viewsPerItem: 1 + (run % 2) }),
  open: (pipeline: LocalPipeline) => ({
    consumeOnce: (batchSize) => pipeline.consumeOnce(batchSize),
    drain: () => pipeline.drain(30_000),
    counts: () => {
      const st = pipeline.status();
      return {
        applied: st.applied,
        skipped: st.skipped,
        failed: st.failed,
        failedClosed: st.failedClosed,
        dlqDepth: st.dlqDepth,
        refannedOut: pipeline.outcomes.reduce((a, o) => a + o.refannedOut, 0),
        combined: pipeline.outcomes.filter((o) => o.views !== undefined).length,
      };
    },
  }),
});
