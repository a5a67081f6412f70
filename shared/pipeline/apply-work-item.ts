// The apply loop for one work item (docs/architecture.md "One object change = one transaction"):
//
//   read the catalog snapshot → plan (view-change-plan / user-change-plan) → [re-fan-out] → transaction(s)
//
// and what each warehouse answer means:
//   conflict  → the catalog moved between our read and our guarded write: re-read and re-plan at once
//               (bounded; then transient, so the message is redelivered later);
//   stale     → a newer version is already applied: acknowledged as `skipped`;
//   transient → throw ApplyFailure('transient'): the message is redelivered;
//   permanent → throw ApplyFailure('permanent') with the reason: redelivered until maxReceiveCount, then DLQ.
//               When the refused plan builds a view (e.g. the engine refuses a custom WHERE the compiler
//               accepted), the view must not keep serving its previous, less restrictive definition: a
//               fail-closed view is applied first, in its own transaction with the same state CALL (VG308,
//               outcome.failedClosed → ViewsFailedClosed), and the original failure is still thrown. A policy
//               item's redelivery re-plans (policies never skip as stale), fails again and so reaches the DLQ;
//               a data source item's version is recorded by that CALL, so its redelivery is skipped as stale
//               (the failure is reported once, on the attempt that failed closed). A data source without a
//               view yet (first registration) has nothing to close: plain permanent failure.
// A work item that is not what we wrote is permanent at once (redelivery cannot fix a body).
//
// Re-fan-out (write skew, brief §4.2): the router's fan-out was computed from a read that may be stale. The
// policy item whose transaction FIRST stores a new policy version re-computes the affected views from its
// own read; when that set differs from the router's (the carried digest), items for the whole set are sent
// BEFORE the transaction commits, so that a crash between the two cannot lose a view. Their dedup ids equal
// the router's, so views the router already reached are not enqueued twice within the dedup window (and a
// later repeat only re-applies the same state).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { planViewChange, type ViewChangePlan, type ViewWorkItem } from '../compiler/view-change-plan.js';
import { compileFailClosedView, dropView, viewName, type ViewCompileConfig } from '../compiler/view-compiler.js';
import { serializeSignature } from '../compiler/view-signature.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../layout/state-call-plan.js';
import { planUserDelete, planUserUpsert } from '../layout/user-change-plan.js';
import { WarehouseError, type Warehouse } from '../ports/warehouse.js';
import type { DataSource } from '../policy/data-source.js';
import { parseDataSource } from '../policy/validate.js';
import type { WorkQueue } from '../ports/work-queue.js';
import type { Dialect } from '../sql/dialect.js';
import type { PlannedStatement } from '../sql/statement.js';
import { MAX_STATEMENTS_PER_TRANSACTION, packTransactions } from '../sql/transaction-packer.js';
import { policyMessage } from './route-policy.js';
import { sendInBatches } from './send-work.js';
import { workItemObject, type PolicyWorkItem, type WorkItem } from './work-item.js';

export interface ApplyDeps {
  warehouse: Warehouse;
  /** Where re-fan-out items go (the work queue). */
  queue: WorkQueue;
  dialect: Dialect;
  config: ViewCompileConfig;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Immediate re-reads after a conflict before giving up as transient. Default 5. */
  maxConflictRetries?: number;
  /** Default 40 (the Data API's BatchExecuteStatement limit). */
  maxStatementsPerTransaction?: number;
}

export interface StatementCounts {
  /** Statements in transactions that committed. */
  finished: number;
  /** The statement a failed transaction failed on (one per failed transaction). */
  failed: number;
  /** The other statements of failed transactions: rolled back with it (Data API ABORTED/not run). */
  aborted: number;
}

export interface ApplyOutcome {
  status: 'applied' | 'skipped' | 'failed';
  kind: WorkItem['kind'] | 'unreadable';
  /** e.g. `policy:p1@view:ds1`. */
  object: string;
  version: number;
  eventId: string;
  /** Why it was skipped or failed (never a secret: warehouse messages are redacted by the adapters). */
  reason?: string;
  /** Plans tried (1 + conflicts re-read). */
  attempts: number;
  conflicts: number;
  transactions: number;
  statements: StatementCounts;
  /** Compiler diagnostics (VG301 = the view fails closed: visible in logs, metrics and status). */
  diagnostics: Diagnostic[];
  failedClosed: boolean;
  /** Items sent for views the router's fan-out missed. */
  refannedOut: number;
  durations: { readMs: number; planMs: number; transactionMs: number; totalMs: number };
  /** Event time → the last transaction FINISHED (applied only). */
  endToEndLagMs?: number;
  /**
   * Applied in one transaction together with other items of its batch (apply-work-batch.ts): how many items
   * that transaction held. `transactions` is then 1 for each of them (the same one).
   */
  combinedWith?: number;
}

export class ApplyFailure extends Error {
  constructor(
    readonly failureKind: 'transient' | 'permanent',
    readonly outcome: ApplyOutcome,
  ) {
    super(`${failureKind}: ${outcome.reason ?? 'unknown failure'}`);
    this.name = 'ApplyFailure';
  }
}

/** The planner's input for a catalog item (the queue item carries its origin; the planner does not need it). */
export function plannerItem(item: Exclude<WorkItem, { kind: 'user' }>): ViewWorkItem {
  if (item.kind === 'datasource') {
    return { kind: 'datasource', dataSourceId: item.dataSourceId, version: item.version, deleted: item.deleted, definition: item.definition };
  }
  // dataSourceId null = a policy that reaches no view: the planner emits only the CALL that stores the policy
  // state, with p_datasource_id NULL.
  return {
    kind: 'policy',
    policyId: item.policyId,
    version: item.version,
    deleted: item.deleted,
    definition: item.definition,
    dataSourceId: item.dataSourceId,
    fanOutDigest: item.fanOutDigest,
  };
}

const objectVersion = (item: WorkItem): number => item.version;

export async function applyWorkItem(item: WorkItem, deps: ApplyDeps): Promise<ApplyOutcome> {
  const now = deps.now ?? Date.now;
  const started = now();
  const maxConflicts = deps.maxConflictRetries ?? 5;
  const max = deps.maxStatementsPerTransaction ?? MAX_STATEMENTS_PER_TRANSACTION;
  const outcome: ApplyOutcome = {
    status: 'applied',
    kind: item.kind,
    object: workItemObject(item),
    version: objectVersion(item),
    eventId: item.eventId,
    attempts: 0,
    conflicts: 0,
    transactions: 0,
    statements: { finished: 0, failed: 0, aborted: 0 },
    diagnostics: [],
    failedClosed: false,
    refannedOut: 0,
    durations: { readMs: 0, planMs: 0, transactionMs: 0, totalMs: 0 },
  };
  const finish = (status: ApplyOutcome['status'], reason?: string): ApplyOutcome => {
    const end = now();
    outcome.status = status;
    if (reason !== undefined) outcome.reason = reason;
    outcome.durations.totalMs = end - started;
    if (status === 'applied') outcome.endToEndLagMs = Math.max(0, end - Date.parse(item.eventTime));
    return outcome;
  };
  const fail = (kind: 'transient' | 'permanent', reason: string): never => {
    throw new ApplyFailure(kind, finish('failed', reason));
  };

  for (;;) {
    outcome.attempts++;
    let statements: PlannedStatement[];
    let plan: ViewChangePlan | undefined;
    let snapshot: CatalogSnapshot | undefined;
    try {
      if (item.kind === 'user') {
        statements = [item.deleted ? planUserDelete(item.userId, item.version, deps.dialect) : planUserUpsert(item.profile!, deps.dialect)];
      } else {
        // An item compiles its own view only: the epoch, its own data source's row and every policy are
        // enough (one read, so the snapshot is consistent). Only the policy item that FIRST stores a new
        // version needs every data source (the re-fan-out check); the planner says so and we read the whole
        // catalog once more and plan from that read alone. Reading everything for every item made a global
        // policy push O(N²) in the number of views (docs/performance.md, section b). A policy reaching no
        // view always stores its state, so it reads everything at once.
        const dataSourceId = item.dataSourceId;
        let complete = dataSourceId === null;
        for (;;) {
          const t0 = now();
          const read = complete ? catalogReadStatement(deps.dialect) : catalogReadStatement(deps.dialect, dataSourceId!);
          snapshot = parseCatalog(await deps.warehouse.query(read));
          const t1 = now();
          plan = planViewChange(snapshot, plannerItem(item), deps.config, deps.dialect, { completeCatalog: complete });
          outcome.durations.readMs += t1 - t0;
          outcome.durations.planMs += now() - t1;
          if (!plan.needsCompleteCatalog) break;
          if (complete) throw new Error('planner asked for the complete catalog it already had');
          complete = true;
        }
        outcome.diagnostics = plan.diagnostics;
        outcome.failedClosed = plan.diagnostics.some((d) => d.code === 'VG301');
        if (plan.skip === 'stale') return finish('skipped', `a version ≥ ${item.version} is already applied`);
        if (item.kind === 'policy' && plan.refanOut && plan.affectedDataSourceIds && plan.affectedDigest) {
          outcome.refannedOut += await refanOut(item, plan.affectedDataSourceIds, plan.affectedDigest, deps.queue);
        }
        statements = plan.statements;
      }
    } catch (err) {
      if (err instanceof WarehouseError) return handleWarehouseError(err);
      // A catalog row that does not parse, an identifier that cannot be quoted: redelivery cannot fix it.
      return fail('permanent', err instanceof Error ? err.message : String(err));
    }

    const t2 = now();
    let failedTx: PlannedStatement[] = [];
    try {
      for (const { statements: tx } of packTransactions([{ statements, tag: item }], deps.dialect, max)) {
        try {
          await deps.warehouse.transaction(tx);
        } catch (err) {
          failedTx = tx;
          outcome.statements.failed += 1;
          outcome.statements.aborted += tx.length - 1;
          throw err;
        }
        outcome.transactions++;
        outcome.statements.finished += tx.length;
      }
      outcome.durations.transactionMs += now() - t2;
      return finish('applied');
    } catch (err) {
      outcome.durations.transactionMs += now() - t2;
      // Whatever the plan compiled to, it did not commit (a fail-closed view below sets this again).
      outcome.failedClosed = false;
      if (!(err instanceof WarehouseError)) return fail('permanent', err instanceof Error ? err.message : String(err));
      if (err.kind === 'conflict') {
        outcome.conflicts++;
        if (outcome.conflicts > maxConflicts) return fail('transient', `still conflicting after ${maxConflicts} immediate re-reads: ${err.message}`);
        continue;
      }
      if (err.kind === 'permanent' && item.kind !== 'user' && plan && snapshot && refusedViewDdl(err, failedTx)) {
        const closed = failClosedPlan(item, snapshot, plan, err, deps);
        if (closed) {
          const t3 = now();
          const [closeTx] = packTransactions([{ statements: closed.statements, tag: item }], deps.dialect, max).map((t) => t.statements);
          try {
            await deps.warehouse.transaction(closeTx!);
          } catch (closeErr) {
            outcome.durations.transactionMs += now() - t3;
            outcome.statements.failed += 1;
            outcome.statements.aborted += closeTx!.length - 1;
            if (closeErr instanceof WarehouseError && closeErr.kind === 'conflict') {
              // The catalog moved: re-read and re-plan everything (the refused plan may not even recur).
              outcome.conflicts++;
              if (outcome.conflicts > maxConflicts) return fail('transient', `still conflicting after ${maxConflicts} immediate re-reads: ${closeErr.message}`);
              continue;
            }
            // A newer version applied meanwhile owns the view now.
            if (closeErr instanceof WarehouseError && closeErr.kind === 'stale') return finish('skipped', closeErr.message);
            // Still the original failure (the counts show the second failed transaction).
            return fail('permanent', err.message);
          }
          outcome.durations.transactionMs += now() - t3;
          outcome.transactions++;
          outcome.statements.finished += closeTx!.length;
          outcome.failedClosed = true;
          outcome.diagnostics = [...outcome.diagnostics, ...closed.diagnostics];
          return fail('permanent', `${err.message}; the view of data source ${closed.dataSourceId} now fails closed (VG308)`);
        }
      }
      // A stale answer after earlier split transactions committed is still "nothing left to do": the newer
      // version that won re-planned (and re-ran) every statement itself.
      return handleWarehouseError(err);
    }
  }

  function handleWarehouseError(err: WarehouseError): ApplyOutcome {
    switch (err.kind) {
      case 'stale':
        return finish('skipped', err.message);
      case 'transient':
        return fail('transient', err.message);
      case 'conflict':
        // Only reads get here (they never conflict); treat like a transient to be safe.
        return fail('transient', err.message);
      default:
        return fail('permanent', err.message);
    }
  }
}

async function refanOut(item: PolicyWorkItem, ids: readonly string[], digest: string, queue: WorkQueue): Promise<number> {
  const messages = ids
    .filter((id) => id !== item.dataSourceId)
    .map((dataSourceId) => policyMessage({ ...item, dataSourceId, fanOutDigest: digest }));
  await sendInBatches(queue, messages);
  return messages.length;
}

/**
 * The engine ran the transaction and refused one of its view statements. Not when the failing statement is
 * unknown (a DescribeStatement error: the batch may even have committed) or is the guard CALL (a layout
 * problem, not the view's): failing closed then could replace a correct view and record its version.
 */
function refusedViewDdl(err: WarehouseError, tx: readonly PlannedStatement[]): boolean {
  const failed = err.statementIndex === undefined ? undefined : tx[err.statementIndex];
  return failed?.role === 'ddl' || failed?.role === 'grant';
}

/**
 * The fail-closed counterpart of a plan the warehouse refused: [the same state CALL with the fail-closed view's
 * signature, DROP of a renamed view's old name, fail-closed DROP/CREATE/GRANT]. Null when the plan builds no
 * view (a deleted data source, a policy reaching no live view): nothing is left open then.
 */
function failClosedPlan(
  item: Exclude<WorkItem, { kind: 'user' }>,
  snapshot: CatalogSnapshot,
  plan: ViewChangePlan,
  refused: WarehouseError,
  deps: ApplyDeps,
): { statements: PlannedStatement[]; diagnostics: Diagnostic[]; dataSourceId: string } | null {
  if (plan.signature === null) return null;
  const storedLive = (id: string): DataSource | null => {
    const row = snapshot.dataSources.get(id);
    if (!row || row.deleted) return null;
    const r = parseDataSource(row.definition);
    return r.ok ? r.value : null;
  };
  const dataSourceId = item.dataSourceId;
  if (dataSourceId === null) return null;
  // Only a view that exists can keep serving an older definition: a data source registered for the first
  // time keeps the plain failure (redelivered, then the DLQ) and gets no view at all meanwhile.
  const current = storedLive(dataSourceId);
  if (!current || snapshot.dataSources.get(dataSourceId)?.viewSignature == null) return null;
  const ds = item.kind === 'datasource' ? item.definition : current;
  if (!ds) return null;
  const because = [diagnostic('VG308', `data source ${JSON.stringify(ds.id)}: the warehouse refused the compiled view: ${refused.message}`)];
  const compiled = compileFailClosedView(ds, deps.config, deps.dialect, because);
  if (compiled.statements.length === 0) return null;
  const ddl: PlannedStatement[] = [];
  // A rename: the old name would otherwise keep serving the previous definition.
  if (item.kind === 'datasource' && sameName(current, ds, deps) === false) ddl.push(...dropView(current, deps.config, deps.dialect));
  ddl.push(...compiled.statements);
  const viewSignature = serializeSignature(compiled.signature);
  const call =
    item.kind === 'datasource'
      ? planDatasourceStateCall(
          { datasourceId: dataSourceId, version: item.version, deleted: false, definition: item.definition, viewSignature, expectedEpoch: snapshot.epoch },
          deps.dialect,
        )
      : planPolicyStateCall(
          {
            policyId: item.policyId,
            version: item.version,
            deleted: item.deleted,
            definition: item.definition,
            datasourceId: dataSourceId,
            viewSignature,
            expectedEpoch: snapshot.epoch,
          },
          deps.dialect,
        );
  return { statements: [call, ...ddl], diagnostics: compiled.diagnostics, dataSourceId };
}

/** Undefined when a name cannot be quoted (such a view never existed). */
function sameName(a: DataSource, b: DataSource, deps: ApplyDeps): boolean | undefined {
  try {
    return viewName(a, deps.config, deps.dialect) === viewName(b, deps.config, deps.dialect);
  } catch {
    return undefined;
  }
}
