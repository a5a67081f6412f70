// Fewer transactions for a fan-out: the view items at the head of their FIFO groups in one received batch
// (≤ 10 SQS FIFO messages) are applied in ONE transaction, and whatever cannot be applied that way takes the
// ordinary path, one item at a time (apply-work-item.ts). docs/architecture.md "Several views in one
// transaction" is the contract; in short:
//
// - Which items: the FIRST record of each message group in the batch (so the group's order holds: its later
//   records run after it, on the ordinary path), a data source item or a policy item for one view, whose plan
//   from its own guarded-read snapshot is neither stale nor the FIRST store of a new policy version (that one
//   re-computes the policy's reach from the whole catalog and may re-fan-out before committing: it always runs
//   alone) and fits the 40-statement limit. At most one item per data source.
// - One snapshot: ONE read for the whole batch (epoch E + the heads' data sources + every policy: one
//   statement, so one consistent snapshot); each item is planned from its part of it (epoch + its own data
//   source + policies), exactly what its own narrow read would have returned at that moment. One read instead
//   of one per head: docs/performance.md, section b.
// - The transaction: [CALL guard₁ … CALL guardₖ, DDL₁ … DDLₖ] as the transaction packer assembles it (the DDL
//   under one name-resolution pin), at most 40 statements (else several such transactions). Each CALL still
//   locks the epoch and compares it with what it expects: CALL i expects E + (epoch bumps by the CALLs before it
//   in this transaction) — a data source guard always bumps; a policy guard here never does (it does not store a
//   new version). The guards are planned once and only their expected epoch is set per transaction. So every
//   check still fails exactly when someone else changed the catalog after our reads, and the whole transaction
//   rolls back.
// - Per-object atomicity holds a fortiori: an item's state CALL and its DDL commit together (with others).
// - Any failure of a combined transaction (conflict, stale, a view the engine refuses, throttling…) rolls all of
//   it back and each of its items then takes the ordinary path: it re-reads, re-plans and commits (or fails,
//   fails closed, is skipped) alone — one bad view never fails its neighbours.
import { planViewChange, type ViewChangePlan } from '../compiler/view-change-plan.js';
import { catalogReadStatement, narrowSnapshot, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { chainExpectedEpochs } from '../layout/state-call-plan.js';
import {
  MAX_STATEMENT_BYTES,
  MAX_STATEMENTS_PER_TRANSACTION,
  packTransactions,
  statementBytes,
  transactionSize,
} from '../sql/transaction-packer.js';
import { startOutcome, type ApplyOutcome } from './apply-outcome.js';
import type { ApplyDeps } from './apply-work-item.js';
import { processFifoBatch, type FifoBatchRecord, type FifoRecordResult } from './fifo-partial-batch.js';
import { processWorkMessage } from './process-work-message.js';
import {
  isViewSet,
  parseWorkItem,
  workItemObject,
  type DataSourceWorkItem,
  type PolicyWorkItem,
  type ViewSetWorkItem,
} from '../routing/work-item.js';
import { applyViewSet } from './apply-view-set.js';

export interface WorkBatchRecord extends FifoBatchRecord {
  body: string;
}

type ViewItem = DataSourceWorkItem | (PolicyWorkItem & { dataSourceId: string });

interface Candidate<R> {
  record: R;
  item: ViewItem;
  snapshot: CatalogSnapshot;
  plan: ViewChangePlan;
  readMs: number;
  planMs: number;
}

/**
 * The FIFO batch with the combined first pass: `handle(record, run)` is called for every record in order, as
 * processFifoBatch does; `run()` returns the record's outcome — already applied in a combined transaction, or
 * applied now on the ordinary path (processWorkMessage) — and throws its ApplyFailure like processWorkMessage.
 */
export async function processWorkBatch<R extends WorkBatchRecord>(
  records: readonly R[],
  deps: ApplyDeps,
  handle: (record: R, run: () => Promise<ApplyOutcome>) => Promise<unknown>,
): Promise<FifoRecordResult<R>[]> {
  const early = await applyGroupHeadsTogether(records, deps);
  // View sets share ONE read of the catalog per batch: each set plans from the snapshot the sets before it left
  // (what their guards stored); anything else that runs in between, or a set that fails, makes the next read.
  let shared: CatalogSnapshot | undefined;
  const run = async (record: R): Promise<ApplyOutcome> => {
    const done = early.get(record.messageId);
    if (done) return done;
    const item = viewSetOf(record.body);
    if (!item) {
      shared = undefined;
      return processWorkMessage(record.body, deps);
    }
    const given = shared;
    shared = undefined;
    const result = await applyViewSet(item, deps, given);
    shared = result.snapshot;
    return result.outcome;
  };
  return processFifoBatch(records, (record) => handle(record, () => run(record)));
}

function viewSetOf(body: string): ViewSetWorkItem | undefined {
  try {
    const item = parseWorkItem(body);
    return isViewSet(item) ? item : undefined;
  } catch {
    return undefined; // processWorkMessage reports an unreadable body
  }
}

/**
 * Apply the combinable group heads of a batch together (see the file comment). Returns the outcome of every
 * record that was applied that way; every other record (not combinable, or in a combined transaction that
 * failed) is left for the ordinary path. Never throws for a warehouse answer: a failure only means "not here".
 */
export async function applyGroupHeadsTogether<R extends WorkBatchRecord>(
  records: readonly R[],
  deps: ApplyDeps,
): Promise<Map<string, ApplyOutcome>> {
  const done = new Map<string, ApplyOutcome>();
  const now = deps.now ?? Date.now;
  const max = deps.maxStatementsPerTransaction ?? MAX_STATEMENTS_PER_TRANSACTION;

  const heads: { record: R; item: ViewItem }[] = [];
  const groups = new Set<string>();
  const dataSources = new Set<string>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId;
    if (group === undefined || groups.has(group)) continue;
    groups.add(group);
    let item;
    try {
      item = parseWorkItem(record.body);
    } catch {
      continue; // the ordinary path reports an unreadable body
    }
    if (item.kind === 'user' || item.dataSourceId === null || dataSources.has(item.dataSourceId)) continue;
    dataSources.add(item.dataSourceId);
    heads.push({ record, item: item as ViewItem });
  }
  if (heads.length < 2) return done;

  let candidates: Candidate<R>[];
  try {
    candidates = await planAll(heads, deps, now);
  } catch {
    return done; // a read or plan that fails fails again on the ordinary path, which reports it
  }
  // Not combined: stale or first-store plans, a plan too long for one transaction, a statement too large to send.
  const combinable = candidates.filter(
    (c) =>
      !c.plan.skip &&
      !c.plan.needsCompleteCatalog &&
      c.plan.statements[0]?.role === 'guard' &&
      transactionSize(c.plan.statements) <= max &&
      c.plan.statements.every((s) => statementBytes(s) <= MAX_STATEMENT_BYTES),
  );

  let epoch = candidates[0]!.snapshot.epoch;
  for (const tx of packTransactions(
    combinable.map((c) => ({ statements: c.plan.statements, tag: c })),
    deps.dialect,
    max,
  )) {
    const group = tx.units;
    if (group.length < 2) continue; // alone = the ordinary path, which also handles its failures in detail
    // Each guard expects the epoch it will find: the first E, each after a data source guard one more.
    const t0 = now();
    const chained = chainExpectedEpochs(tx.statements, epoch);
    const t1 = now();
    try {
      await deps.warehouse.transaction(chained.statements);
    } catch {
      continue; // rolled back as a whole: each item takes the ordinary path
    }
    const t2 = now();
    epoch = chained.epochAfter;
    // The transaction's session statements (the pin) are counted on the first item.
    const shared = tx.statements.length - group.reduce((n, c) => n + c.plan.statements.length, 0);
    group.forEach((c, i) => {
      const outcome = startOutcome({
        kind: c.item.kind,
        object: workItemObject(c.item),
        version: c.item.version,
        eventId: c.item.eventId,
      });
      outcome.attempts = 1;
      outcome.transactions = 1;
      outcome.statements.finished = c.plan.statements.length + (i === 0 ? shared : 0);
      outcome.diagnostics = c.plan.diagnostics;
      outcome.failedClosed = c.plan.diagnostics.some((d) => d.code === 'VG301');
      outcome.durations = {
        readMs: c.readMs,
        planMs: c.planMs + (t1 - t0) / group.length,
        transactionMs: t2 - t1,
        totalMs: c.readMs + c.planMs + (t2 - t0),
      };
      outcome.endToEndLagMs = Math.max(0, t2 - Date.parse(c.item.eventTime));
      outcome.combinedWith = group.length;
      done.set(c.record.messageId, outcome);
    });
  }
  return done;
}

/** One read for every head, then each head planned from its own part of that snapshot. */
async function planAll<R>(
  heads: { record: R; item: ViewItem }[],
  deps: ApplyDeps,
  now: () => number,
): Promise<Candidate<R>[]> {
  const t0 = now();
  const read = parseCatalog(
    await deps.warehouse.query(
      catalogReadStatement(
        deps.dialect,
        heads.map(({ item }) => item.dataSourceId),
      ),
    ),
  );
  // The read is shared: each item's outcome carries its share of it.
  const readMs = (now() - t0) / heads.length;
  return heads.map(({ record, item }) => {
    const snapshot = narrowSnapshot(read, item.dataSourceId);
    const t1 = now();
    const plan = planViewChange(snapshot, item, deps.config, deps.dialect, { completeCatalog: false });
    return { record, item, snapshot, plan, readMs, planMs: now() - t1 };
  });
}
