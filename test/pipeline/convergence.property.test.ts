// The convergence property (support/convergence-property.ts) with the consumer `npm start` runs:
// LocalPipeline.consumeOnce / drain — processWorkBatch behind the pipeline's own counters, outcomes and
// retry bookkeeping (the same code the apply Lambda runs on a received batch).
import type { LocalPipeline } from '../../infra/local/local-pipeline.js';
import { describeConvergenceProperty } from './support/convergence-property.js';

describeConvergenceProperty({
  label: '',
  mustCombine: false,
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
        combined: pipeline.outcomes.filter((o) => o.combinedWith !== undefined).length,
      };
    },
  }),
});
