// Section b: one global policy change reaching N views (1,000 and 10,000), pushed through the whole local
// pipeline: signed webhook → ingest → policy router (catalog read, fan-out) → FIFO queue → apply loop →
// PostgreSQL. Measured: wall time, database time (client-observed time in reads + transactions), what
// the pipeline issued as the Data API would see it (ExecuteStatement = one read, BatchExecuteStatement =
// one transaction), SQL statements, conflicts and failures, per view; and the per-item phases (catalog
// read, plan, transaction) that explain the cost.
//
// Setup (not measured): the standing policies are stored first (they reach no view yet), then N data
// sources are registered over 10 shared raw tables (the views are what is measured; each is its own object
// with its own DDL): their events go through ingest and the router onto the queue, and the queue is drained
// either in bulk (default: bulk-register.ts, hundreds of views per transaction by the combined consumer's code)
// or by the pipeline's own consumer (`pipeline`: ≤ 10 per transaction, hours for 10,000 views under load). Both
// must leave N views; the measured push that follows is the same either way.
//
// A push that cannot finish within its time budget is stopped: the bench records how many views were
// done, the rate, and the linear extrapolation (the per-item cost is constant for a fixed catalog size),
// and marks the result as not finished — never as met.
//
// Two consumers of the same queue: `per-item` (one transaction per item, the FIFO rule of processFifoBatch) and
// `combined` (what the apply Lambda and `npm start` run): the same batches of 10 handed to processWorkBatch
// (shared/apply/apply-work-batch.ts: the group heads of a batch in one transaction, one at a time on any
// failure) with the pipeline's own queue and (counting) warehouse — what the consumers run once they call it.
import { setTimeout as sleep } from 'node:timers/promises';
import { globalChange, dataSource, envelope, standingPolicies } from './fixtures.js';
import { openPipelineDatabase, RAW_TABLES } from './pipeline-database.js';
import { drainInBulk } from './bulk-register.js';
import { backendCpuBetween, sampleBackendCpu } from './backend-cpu.js';
import type { BenchServer } from './bench-postgres.js';
import { nowMs, round, summarize } from './stats.js';
import type { WarehouseCounts } from './counting-warehouse.js';
import type { ApplyOutcome } from '../shared/apply/apply-outcome.js';
import type { ApplyDeps } from '../shared/apply/apply-work-item.js';
import { processWorkBatch } from '../shared/apply/apply-work-batch.js';
import { fifoFailureReason, processFifoBatch } from '../shared/apply/fifo-partial-batch.js';
import { processWorkMessage } from '../shared/apply/process-work-message.js';
import { postgres } from '../shared/sql/postgres-dialect.js';

export type PushConsumer = 'per-item' | 'combined';
/** How the N data sources are registered before the push: see the file comment. */
export type PushSetup = 'bulk' | 'pipeline';

export interface PushResult {
  views: number;
  consumer: PushConsumer;
  finished: boolean;
  viewsDone: number;
  setup: { mode: PushSetup; registerMs: number; registerTransactions: number };
  /** receiveWebhook: ingest + the policy router's catalog read and fan-out onto the queue. */
  ingestAndRouteMs: number;
  wallMs: number;
  /** Client-observed time inside warehouse calls (reads + transactions). */
  databaseMs: number;
  /**
   * CPU time of the server's backends for this database during the push (backend-cpu.ts): the work itself, which a
   * loaded machine does not inflate; null where /proc cannot be read.
   */
  serverCpuMs: number | null;
  readMs: number;
  transactionMs: number;
  counts: WarehouseCounts;
  dataApiCalls: { executeStatement: number; batchExecuteStatement: number; total: number };
  conflicts: number;
  failed: number;
  dlq: number;
  perView: { wallMs: number; databaseMs: number; transactions: number; statements: number; dataApiCalls: number };
  /** Means over the last ≤1,000 applied policy items (the pipeline keeps that many outcomes). */
  perItemMs: { read: number; plan: number; transaction: number; total: number; readRowsPerItem: number };
  /** Only when not finished: wall/database time for all N at the measured rate. */
  extrapolated?: { wallMs: number; databaseMs: number };
  /** Views whose definition carries the new mask after the push (checked in pg_views). */
  viewsWithNewMask: number;
}

export async function benchPolicyPush(
  server: BenchServer,
  views: number,
  opts: { budgetMs: number; log: (s: string) => void; consumer?: PushConsumer; setup?: PushSetup },
): Promise<PushResult> {
  const consumer = opts.consumer ?? 'per-item';
  const setup = opts.setup ?? 'bulk';
  const db = await openPipelineDatabase(server, `vg_bench_push_${views}_${consumer.replace('-', '_')}`);
  try {
    const location = (i: number) => ({ database: db.config.database, schema: 'raw', table: `t${i % RAW_TABLES}` });
    for (const p of standingPolicies()) await db.post(envelope('policy.created', p.id, { policy: p }));
    await db.pipeline.drain(60_000);
    const r0 = nowMs();
    const before = db.counting.counts.transactions;
    for (let i = 0; i < views; i++) {
      const ds = dataSource(i, location(i));
      await db.post(envelope('datasource.created', ds.id, { dataSource: ds }));
    }
    if (setup === 'bulk') await drainInBulk(db);
    else await db.pipeline.drain(30 * 60_000);
    const registerMs = nowMs() - r0;
    const registerTransactions = db.counting.counts.transactions - before;
    const st0 = db.pipeline.status();
    if (st0.failed > 0 || st0.dlqDepth > 0) throw new Error(`registration failed: ${JSON.stringify(st0)}`);
    const registered = await db.adminQuery<{ n: string }>('SELECT count(*) AS n FROM pg_views WHERE schemaname = $1', [
      db.config.viewSchema,
    ]);
    if (Number(registered[0]!.n) !== views) throw new Error(`setup left ${registered[0]!.n} of ${views} views`);
    opts.log(
      `    ${views} views registered (${setup}) in ${(registerMs / 1000).toFixed(1)} s, ` +
        `${registerTransactions} transactions (setup, not measured)`,
    );

    // The measured push.
    const cpu0 = await sampleBackendCpu(db.adminQuery, db.config.database);
    db.counting.reset();
    const t0 = nowMs();
    const change = globalChange(1);
    const event = envelope('policy.created', change.id, { policy: change });
    await db.post(event);
    const ingestAndRouteMs = nowMs() - t0;
    // LocalPipeline.drain(timeout) only checks its deadline when the queue is idle, so a long push cannot
    // be bounded by it: consume batch by batch here and stop at the budget.
    const combined = { applied: 0, failed: 0, outcomes: [] as ApplyOutcome[] };
    const deps: ApplyDeps = { warehouse: db.counting, queue: db.pipeline.queue, dialect: postgres, config: db.config };
    // Both consumers are driven here on the same batches of 10: `combined` is processWorkBatch (what the apply
    // Lambda and LocalPipeline.consumeOnce run), `per-item` the same FIFO rule with one transaction per item.
    const consumeCombined = async (): Promise<number> => {
      const batch = db.pipeline.queue.receive(10);
      const handle = async (message: (typeof batch)[number], run: () => Promise<ApplyOutcome>): Promise<void> => {
        const outcome = await run();
        // A view set is one item for many views: count views, not items.
        if (outcome.status === 'applied') combined.applied += outcome.views ?? 1;
        combined.outcomes.push(outcome);
        db.pipeline.queue.ack(message.receiptHandle);
      };
      const results =
        consumer === 'combined'
          ? await processWorkBatch(batch, deps, handle)
          : await processFifoBatch(batch, (message) => handle(message, () => processWorkMessage(message.body, deps)));
      for (const r of results) {
        if (r.status === 'processed') continue;
        combined.failed++;
        db.pipeline.queue.fail(r.record.receiptHandle, fifoFailureReason(r));
      }
      return batch.length;
    };
    let finished = false;
    for (;;) {
      const received = await consumeCombined();
      const q = db.pipeline.queue.counters();
      // Everything routed (and re-fanned out) is in the queue before its batch is acknowledged: empty = done.
      if (q.depth === 0 && q.inFlight === 0) {
        finished = true;
        break;
      }
      if (nowMs() - t0 > opts.budgetMs) break;
      if (received === 0) await sleep(10);
    }
    const wallMs = nowMs() - t0;
    const serverCpuMs = backendCpuBetween(cpu0, await sampleBackendCpu(db.adminQuery, db.config.database));
    const st = db.pipeline.status();
    const counts = { ...db.counting.counts };
    const outcomes = combined.outcomes.filter((o: ApplyOutcome) => o.eventId === event.id && o.status === 'applied');
    const viewsDone = combined.applied;
    const mean = (f: (o: ApplyOutcome) => number) => round(summarize(outcomes.map(f)).mean, 2);
    const databaseMs = counts.readMs + counts.transactionMs;
    const maskCheck = await db.adminQuery<{ n: string }>(
      "SELECT count(*) AS n FROM pg_views WHERE schemaname = $1 AND definition LIKE '%1.00%'",
      [db.config.viewSchema],
    );
    const result: PushResult = {
      views,
      consumer,
      finished,
      viewsDone,
      setup: { mode: setup, registerMs: round(registerMs, 0), registerTransactions },
      ingestAndRouteMs: round(ingestAndRouteMs, 1),
      wallMs: round(wallMs, 0),
      databaseMs: round(databaseMs, 0),
      serverCpuMs: serverCpuMs === null ? null : round(serverCpuMs, 0),
      readMs: round(counts.readMs, 0),
      transactionMs: round(counts.transactionMs, 0),
      counts: { ...counts, readMs: round(counts.readMs, 0), transactionMs: round(counts.transactionMs, 0) },
      dataApiCalls: {
        executeStatement: counts.reads,
        batchExecuteStatement: counts.transactions,
        total: counts.reads + counts.transactions,
      },
      conflicts: outcomes.reduce((a, o) => a + o.conflicts, 0),
      failed: combined.failed,
      dlq: st.dlqDepth,
      perView: {
        wallMs: round(wallMs / Math.max(1, viewsDone), 2),
        databaseMs: round(databaseMs / Math.max(1, viewsDone), 2),
        transactions: round(counts.transactions / Math.max(1, viewsDone), 3),
        statements: round((counts.statements + counts.reads) / Math.max(1, viewsDone), 2),
        dataApiCalls: round((counts.reads + counts.transactions) / Math.max(1, viewsDone), 3),
      },
      perItemMs: {
        read: mean((o) => o.durations.readMs),
        plan: mean((o) => o.durations.planMs),
        transaction: mean((o) => o.durations.transactionMs),
        total: mean((o) => o.durations.totalMs),
        readRowsPerItem: round(counts.readRows / Math.max(1, counts.reads), 0),
      },
      viewsWithNewMask: Number(maskCheck[0]!.n),
    };
    if (!finished && viewsDone > 0) {
      result.extrapolated = {
        wallMs: round((wallMs / viewsDone) * views, 0),
        databaseMs: round((databaseMs / viewsDone) * views, 0),
      };
    }
    opts.log(
      `    push to ${views} views (${consumer}): ` +
        `${finished ? 'finished' : `STOPPED after ${viewsDone} views ` + `(budget ${opts.budgetMs / 1000} s)`} in ` +
        `${(wallMs / 1000).toFixed(1)} s; database ${(databaseMs / 1000).toFixed(1)} s` +
        `${serverCpuMs === null ? '' : ` (server CPU ${(serverCpuMs / 1000).toFixed(1)} s)`}; ${counts.transactions} ` +
        `transactions, ${counts.reads} reads`,
    );
    return result;
  } finally {
    await db.close();
  }
}
