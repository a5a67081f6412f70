// The apply loop for one work item (docs/architecture.md "One object change = one transaction"):
//
//   read the catalog snapshot → plan (view-change-plan / user-change-plan) → [re-fan-out] → runPlan
//
// and what each answer of runPlan means:
//   committed → applied;
//   conflict  → the catalog moved between our read and our guarded write: re-read and re-plan at once
//               (bounded; then transient, so the message is redelivered later);
//   stale     → a newer version is already applied: acknowledged as `skipped`;
//   refused   → a view statement was refused (by the warehouse, or before the call when it is too large for
//               the Data API): the view must not keep serving its previous, less restrictive definition, so
//               the compiler's fail-closed plan is applied first (compiler/fail-closed-plan.ts; VG308, VG320,
//               VG321; outcome.failedClosed → ViewsFailedClosed) and the item still fails, permanently, with
//               the reason. A policy item's redelivery re-plans (policies never skip as stale), fails again and
//               so reaches the DLQ; a data source item's version is recorded by the fail-closed guard, so its
//               redelivery is skipped as stale. Nothing open to close (a first registration): plain failure;
//   failed    → ApplyFailure('transient') is redelivered; ApplyFailure('permanent') is redelivered until
//               maxReceiveCount, then the DLQ.
//
// Re-fan-out (write skew): the router's fan-out was computed from a read that may be stale. The policy item
// whose transaction FIRST stores a new policy version re-computes the affected views from its own read; when
// that set differs from the router's (the carried digest), items for the whole set are sent BEFORE the
// transaction commits, so that a crash between the two cannot lose a view. Their dedup ids equal the router's,
// so views the router already reached are not enqueued twice within the dedup window.
import { diagnostic } from '../diagnostics/diagnostic.js';
import { planFailClosed, type Refusal } from '../compiler/fail-closed-plan.js';
import { planViewChange, type ViewChangePlan } from '../compiler/view-change-plan.js';
import type { ViewCompileConfig } from '../compiler/view-compiler.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { planUserDelete, planUserUpsert } from '../layout/user-change-plan.js';
import { WarehouseError } from '../ports/warehouse.js';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PlannedStatement } from '../sql/statement.js';
import { ApplyFailure, startOutcome, type ApplyOutcome } from './apply-outcome.js';
import { runPlan, type RunDeps, type RunResult } from './run-plan.js';
import { policyMessage } from '../routing/route-policy.js';
import { sendInBatches } from '../routing/send-work.js';
import { workItemObject, type PolicyWorkItem, type WorkItem } from '../routing/work-item.js';

export interface ApplyDeps extends RunDeps {
  /** Where re-fan-out items go (the work queue). */
  queue: WorkQueue;
  config: ViewCompileConfig;
  /** Immediate re-reads after a conflict before giving up as transient. Default 5. */
  maxConflictRetries?: number;
}

type CatalogItem = Exclude<WorkItem, { kind: 'user' }>;

/** What one attempt planned: the statements, and for a catalog item the read and plan they came from. */
interface Attempt {
  kind: 'planned';
  statements: PlannedStatement[];
  catalog?: { snapshot: CatalogSnapshot; plan: ViewChangePlan; item: CatalogItem };
}

export async function applyWorkItem(item: WorkItem, deps: ApplyDeps): Promise<ApplyOutcome> {
  const report = new ItemReport(item, deps);
  for (;;) {
    report.outcome.attempts++;
    const attempt = await plan(item, deps, report);
    let result = attempt.kind === 'planned' ? await runPlan(attempt.statements, deps, report.outcome) : attempt;
    if (result.kind === 'refused' && attempt.kind === 'planned' && attempt.catalog)
      result = await failClosed(attempt.catalog, result.refusal, deps, report);
    const settled = report.settle(result);
    if (settled) return settled;
  }
}

/** Read (catalog items), plan and re-fan-out — or the answer that ends the item before anything runs. */
async function plan(item: WorkItem, deps: ApplyDeps, report: ItemReport): Promise<Attempt | RunResult> {
  try {
    if (item.kind === 'user')
      return {
        kind: 'planned',
        statements: [
          item.deleted
            ? planUserDelete(item.userId, item.version, deps.dialect)
            : planUserUpsert(item.profile!, deps.dialect),
        ],
      };
    const { snapshot, plan } = await readAndPlan(item, deps, report);
    report.outcome.diagnostics = plan.diagnostics;
    report.outcome.failedClosed = plan.diagnostics.some((d) => d.code === 'VG301');
    if (plan.skip === 'stale') return { kind: 'stale', reason: `a version ≥ ${item.version} is already applied` };
    if (item.kind === 'policy' && plan.refanOut && plan.affectedDataSourceIds && plan.affectedDigest) {
      report.outcome.refannedOut += await refanOut(item, plan.affectedDataSourceIds, plan.affectedDigest, deps.queue);
    }
    return { kind: 'planned', statements: plan.statements, catalog: { snapshot, plan, item } };
  } catch (err) {
    // A read the warehouse refused: a stale answer is nothing to do; anything else fails (reads never conflict,
    // so a conflict is treated as transient to be safe).
    if (err instanceof WarehouseError && err.kind === 'stale') return { kind: 'stale', reason: err.message };
    if (err instanceof WarehouseError)
      return { kind: 'failed', failure: err.kind === 'permanent' ? 'permanent' : 'transient', reason: err.message };
    // A catalog row that does not parse, an identifier that cannot be quoted: redelivery cannot fix it.
    return { kind: 'failed', failure: 'permanent', reason: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * An item compiles its own view only: the epoch, its own data source's row and every policy are enough (one
 * read, so the snapshot is consistent). Only the policy item that FIRST stores a new version needs every data
 * source (the re-fan-out check); the planner says so, and the whole catalog is read once more and planned from
 * that read alone. A policy reaching no view always stores its state, so it reads everything at once.
 */
async function readAndPlan(
  item: CatalogItem,
  deps: ApplyDeps,
  report: ItemReport,
): Promise<{ snapshot: CatalogSnapshot; plan: ViewChangePlan }> {
  const now = deps.now ?? Date.now;
  for (let complete = item.dataSourceId === null; ; complete = true) {
    const t0 = now();
    const snapshot = parseCatalog(
      await deps.warehouse.query(
        complete ? catalogReadStatement(deps.dialect) : catalogReadStatement(deps.dialect, item.dataSourceId!),
      ),
    );
    const t1 = now();
    const plan = planViewChange(snapshot, item, deps.config, deps.dialect, { completeCatalog: complete });
    report.outcome.durations.readMs += t1 - t0;
    report.outcome.durations.planMs += now() - t1;
    if (!plan.needsCompleteCatalog) return { snapshot, plan };
    if (complete) throw new Error('planner asked for the complete catalog it already had');
  }
}

/**
 * A view statement was refused: apply the compiler's fail-closed plans in order (a plan whose own view statement
 * is refused gives way to the next). Whatever closes the view, the item still fails with the refusal's reason.
 */
async function failClosed(
  catalog: NonNullable<Attempt['catalog']>,
  refusal: Refusal,
  deps: ApplyDeps,
  report: ItemReport,
): Promise<RunResult> {
  const { snapshot, plan, item } = catalog;
  for (const close of planFailClosed(snapshot, item, plan, refusal, deps.config, deps.dialect)) {
    const result = await runPlan(close.statements, deps, report.outcome);
    if (result.kind === 'refused') continue;
    if (result.kind !== 'committed')
      return result.kind === 'failed' ? { kind: 'failed', failure: 'permanent', reason: refusal.reason } : result;
    report.outcome.failedClosed = true;
    report.outcome.diagnostics = [...report.outcome.diagnostics, ...close.diagnostics];
    return {
      kind: 'failed',
      failure: 'permanent',
      reason: `${refusal.reason}; the view of data source ${close.dataSourceId} now fails closed (${close.code})`,
    };
  }
  // Nothing closed: the refusal is the failure; one the apply path made itself is also a diagnostic.
  if (refusal.code === 'VG320')
    report.outcome.diagnostics = [...report.outcome.diagnostics, diagnostic('VG320', refusal.reason)];
  return { kind: 'failed', failure: 'permanent', reason: refusal.reason };
}

async function refanOut(
  item: PolicyWorkItem,
  ids: readonly string[],
  digest: string,
  queue: WorkQueue,
): Promise<number> {
  const messages = ids
    .filter((id) => id !== item.dataSourceId)
    .map((dataSourceId) => policyMessage({ ...item, dataSourceId, fanOutDigest: digest }));
  await sendInBatches(queue, messages);
  return messages.length;
}

/** The outcome of one item as it is being applied, and the way each answer ends it. */
class ItemReport {
  readonly outcome: ApplyOutcome;
  private readonly started: number;
  private readonly now: () => number;

  constructor(
    private readonly item: WorkItem,
    private readonly deps: ApplyDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.started = this.now();
    this.outcome = startOutcome({
      kind: item.kind,
      object: workItemObject(item),
      version: item.version,
      eventId: item.eventId,
    });
  }

  /**
   * The item's outcome for a final answer (throws ApplyFailure for a failure); undefined after a conflict within bounds
   * (re-read).
   */
  settle(result: RunResult): ApplyOutcome | undefined {
    switch (result.kind) {
      case 'committed':
        return this.finish('applied');
      case 'stale':
        // Also after earlier split transactions committed: the newer version re-ran every statement itself.
        return this.finish('skipped', result.reason);
      case 'conflict': {
        const max = this.deps.maxConflictRetries ?? 5;
        if (++this.outcome.conflicts > max)
          throw this.fail('transient', `still conflicting after ${max} immediate re-reads: ${result.reason}`);
        return undefined;
      }
      case 'refused':
        // A refusal with no catalog plan to close (never a user item: it has no view statements).
        throw this.fail('permanent', result.refusal.reason);
      case 'failed':
        throw this.fail(result.failure, result.reason);
    }
  }

  finish(status: ApplyOutcome['status'], reason?: string): ApplyOutcome {
    const end = this.now();
    this.outcome.status = status;
    if (reason !== undefined) this.outcome.reason = reason;
    this.outcome.durations.totalMs = end - this.started;
    if (status === 'applied') this.outcome.endToEndLagMs = Math.max(0, end - Date.parse(this.item.eventTime));
    return this.outcome;
  }

  fail(kind: 'transient' | 'permanent', reason: string): ApplyFailure {
    return new ApplyFailure(kind, this.finish('failed', reason));
  }
}
