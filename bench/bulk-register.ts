// Section b's setup, fast: registering 10,000 data sources one FIFO batch (≤ 10 views per transaction) at a time
// takes hours on a loaded 2-core machine, and none of it is measured. The events still go through ingest and the
// datasource router onto the queue exactly as before; only the draining differs: the combined consumer's own code
// (applyGroupHeadsTogether: one catalog read for the chunk, each view planned by planViewChange, the guards'
// expected epochs chained, the transaction packer) takes `chunk` group heads at once with no 40-statement limit,
// so a transaction registers hundreds of views. What it leaves behind is what the slow path leaves: the same
// catalog rows, views, grants and epoch. Anything it could not combine takes the ordinary path, one by one.
import type { ApplyDeps } from '../shared/apply/apply-work-item.js';
import { applyGroupHeadsTogether } from '../shared/apply/apply-work-batch.js';
import { processWorkMessage } from '../shared/apply/process-work-message.js';
import { postgres } from '../shared/sql/postgres-dialect.js';
import type { PipelineDatabase } from './pipeline-database.js';

export interface BulkRegistration {
  views: number;
  transactions: number;
  /** Items the combined path left to the ordinary one (0 when every chunk committed as one). */
  oneByOne: number;
}

/** Drain the queue (data source items only are expected) in chunks of `chunk` records; throws on any failure. */
export async function drainInBulk(db: PipelineDatabase, chunk = 400): Promise<BulkRegistration> {
  const deps: ApplyDeps = {
    warehouse: db.counting,
    queue: db.pipeline.queue,
    dialect: postgres,
    config: db.config,
    // Setup only: one transaction per chunk (a new view is a few statements: its guard CALL, DDL and grant).
    maxStatementsPerTransaction: 10 * chunk,
  };
  const before = db.counting.counts.transactions;
  let views = 0;
  let oneByOne = 0;
  for (;;) {
    const records = [];
    while (records.length < chunk) {
      const got = db.pipeline.queue.receive(10);
      if (got.length === 0) break;
      records.push(...got);
    }
    if (records.length === 0) break;
    const done = await applyGroupHeadsTogether(records, deps);
    for (const record of records) {
      if (!done.has(record.messageId)) {
        oneByOne++;
        const outcome = await processWorkMessage(record.body, deps); // a failure throws: the setup stops
        if (outcome.status !== 'applied') throw new Error(`bulk setup: ${outcome.object} ${outcome.status}`);
      }
      db.pipeline.queue.ack(record.receiptHandle);
      views++;
    }
  }
  const q = db.pipeline.queue.counters();
  if (q.depth > 0 || q.inFlight > 0 || q.dlqDepth > 0) throw new Error(`bulk setup left ${JSON.stringify(q)}`);
  return { views, transactions: db.counting.counts.transactions - before, oneByOne };
}
