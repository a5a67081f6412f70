// The convergence property (support/convergence-property.ts) with the COMBINED batch consumer driven directly —
// shared/apply/apply-work-batch.ts processWorkBatch over the pipeline's own queue and (faulty) warehouse,
// outside LocalPipeline — so that several views in one transaction, its epoch chain and its fallback to one
// item at a time converge to the same oracle under the same faults. The runs must actually combine items.
import { expect } from 'vitest';
import { processWorkBatch } from '../../shared/apply/apply-work-batch.js';
import type { ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { fifoFailureReason } from '../../shared/apply/fifo-partial-batch.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { describeConvergenceProperty } from './support/convergence-property.js';

describeConvergenceProperty({
  label: ' (combined consumer)',
  mustCombine: true,
  open: (pipeline, warehouse) => {
    const deps: ApplyDeps = { warehouse, queue: pipeline.queue, dialect: postgres, config: pipeline.config };
    const counts = { applied: 0, skipped: 0, failed: 0, failedClosed: 0, refannedOut: 0, combined: 0 };
    const consumeOnce = async (batchSize: number): Promise<number> => {
      const batch = pipeline.queue.receive(batchSize);
      const results = await processWorkBatch(batch, deps, async (m, apply) => {
        const o = await apply();
        if (o.status === 'applied') counts.applied++;
        else counts.skipped++;
        if (o.failedClosed) counts.failedClosed++;
        if (o.combinedWith !== undefined) counts.combined++;
        counts.refannedOut += o.refannedOut;
        pipeline.queue.ack(m.receiptHandle);
      });
      for (const res of results) {
        if (res.status === 'processed') continue;
        counts.failed++;
        pipeline.queue.fail(res.record.receiptHandle, fifoFailureReason(res));
      }
      return batch.length;
    };
    return {
      consumeOnce,
      drain: async () => {
        for (let rounds = 0; ; rounds++) {
          expect(rounds).toBeLessThan(10_000);
          if ((await consumeOnce(10)) > 0) continue;
          const q = pipeline.queue.counters();
          if (q.depth === 0 && q.inFlight === 0) break;
        }
      },
      counts: () => ({ ...counts, dlqDepth: pipeline.queue.counters().dlqDepth }),
    };
  },
});
