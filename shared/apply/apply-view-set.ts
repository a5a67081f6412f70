// A policy change for a VIEW SET (the router's fan-out to many views, shared/routing/route-policy.ts): one
// catalog read, every view planned from it, and the views packed into as few transactions as the 40-statement
// limit allows — docs/architecture.md "A policy pushed to many views" is the contract; in short:
//
// - Each transaction opens with ONE guard: `CALL apply_policy(policy, …, p_datasource_id NULL)`, which locks
//   the epoch, compares it with the epoch the views were planned against and (the first time) stores the
//   policy version — the same check every catalog transaction makes, once per transaction instead of per view.
// - A view replaced in place with the signature already stored needs nothing else: its CREATE OR REPLACE VIEW
//   alone (no GRANT: a replaced view keeps its privileges). A view whose signature changes keeps its own
//   apply_policy CALL (it records the new signature) with its DROP + CREATE + GRANT.
// - The views' DDL travels 16 statements to one `CALL run_pinned(…)` (shared/layout/pinned-runner.ts, the packer's
//   bundle), at most VIEWS_PER_TRANSACTION views per transaction: 1,000 views in 9 transactions, not 28.
// - The guards' expected epochs are chained through the transactions (the first one bumps the epoch when it
//   stores a new version), so a transaction compiled against an older catalog — whoever changed it — rolls
//   back as a whole (conflict: re-read, re-plan the views not yet committed). Every view is compiled with the
//   newest policy version either side holds (planViewChange), so a stale set never overwrites a newer view.
// - A view statement the warehouse refuses rolls its whole transaction back (a refused CALL that carried several
//   views first re-runs the set one statement per view, so that the refusal names its view); that one view then
//   takes the ordinary one-item path (apply-work-item.ts: it fails closed, VG308/VG320), the others are re-planned and
//   committed. A view that fails there is sent on as an item of its own (its own FIFO group), which reaches
//   the DLQ by itself: one bad view never holds back the set — nor the later sets of the policy's group,
//   whose views would otherwise keep serving the previous policy until the set's last redelivery.
// - The first store of a new version computes the policy's reach from the read (always the whole catalog) and
//   sends view sets for a reach wider than the router's before its first transaction commits (re-fan-out).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { planViewChange, type ViewChangePlan } from '../compiler/view-change-plan.js';
import { serializeSignature } from '../compiler/view-signature.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { storedDataSource } from '../layout/catalog-state.js';
import { pinnedRunner } from '../layout/pinned-runner.js';
import { chainExpectedEpochs, planPolicyStateCall } from '../layout/state-call-plan.js';
import { WarehouseError } from '../ports/warehouse.js';
import { DEFAULT_POLICY_FAN_OUT, policyMessage, viewSets } from '../routing/route-policy.js';
import { sendInBatches } from '../routing/send-work.js';
import { workItemObject, type PolicyWorkItem, type ViewSetWorkItem } from '../routing/work-item.js';
import type { PlannedStatement } from '../sql/statement.js';
import {
  MAX_STATEMENT_BYTES,
  MAX_STATEMENTS_PER_TRANSACTION,
  packTransactions,
  statementBytes,
} from '../sql/transaction-packer.js';
import { ApplyFailure, startOutcome, type ApplyOutcome } from './apply-outcome.js';
import { applyWorkItem, type ApplyDeps } from './apply-work-item.js';

/**
 * Views one transaction of a set replaces at most. A replaced view is locked until its transaction commits, and
 * analysts' queries of it wait that long: 128 views hold their locks for ~13 s by the cost model of
 * docs/performance.md (0.1 s per view statement) while the transaction's fixed cost (guard, commit, polling,
 * ~1 s) stays under a tenth of it. 1,000 views: 9 transactions.
 */
export const VIEWS_PER_TRANSACTION = 128;

/** One view of the set as planned: its statements (its own guard only when it records a new signature). */
interface PlannedView {
  id: string;
  statements: PlannedStatement[];
  /** The signature its guard records (undefined: no guard, the stored one stays). */
  records?: string | null;
  diagnostics: Diagnostic[];
}

interface SetPlan {
  views: PlannedView[];
  /** Views sent down the one-item path without trying the set: a statement over the Data API's size limit. */
  alone: string[];
  storesNewVersion: boolean;
  /** The first store found a reach other than the router's: the full set and its digest. */
  refanOut?: { ids: string[]; digest: string };
}

type SetStep =
  | { kind: 'done'; snapshot: CatalogSnapshot }
  | { kind: 'conflict'; reason: string; remaining: string[] }
  | { kind: 'refused'; view: string; remaining: string[] }
  /** A CALL carrying several views was refused: which one is not known until they run one statement each. */
  | { kind: 'refusedBundle'; remaining: string[] }
  | { kind: 'failed'; failure: 'transient' | 'permanent'; reason: string };

export interface ViewSetResult {
  outcome: ApplyOutcome;
  /** The snapshot as this item left it (what its transactions stored), for the next set of the same batch. */
  snapshot: CatalogSnapshot;
}

/** The whole catalog: a set may be the first store of a version, which computes the policy's full reach. */
export async function readWholeCatalog(deps: ApplyDeps, outcome: ApplyOutcome): Promise<CatalogSnapshot> {
  const now = deps.now ?? Date.now;
  const t0 = now();
  try {
    return parseCatalog(await deps.warehouse.query(catalogReadStatement(deps.dialect)));
  } finally {
    outcome.durations.readMs += now() - t0;
  }
}

/** Plan every view of `ids` from `snapshot` (see the file comment). */
export function planViewSet(
  snapshot: CatalogSnapshot,
  item: ViewSetWorkItem,
  ids: readonly string[],
  deps: ApplyDeps,
): SetPlan {
  const storesNewVersion = item.version > (snapshot.policies.get(item.policyId)?.version ?? -1);
  const plan: SetPlan = { views: [], alone: [], storesNewVersion };
  // The policy's reach (first store) is computed once, from the first view's plan; the other views are planned
  // as the opening guard leaves the catalog — the version stored — so each does not compute it again.
  const afterStore: CatalogSnapshot = storesNewVersion
    ? {
        ...snapshot,
        policies: new Map(snapshot.policies).set(item.policyId, {
          version: item.version,
          deleted: item.deleted,
          definition: item.definition,
        }),
      }
    : snapshot;
  for (const [k, id] of ids.entries()) {
    const p: ViewChangePlan = planViewChange(
      k === 0 ? snapshot : afterStore,
      { ...item, dataSourceId: id },
      deps.config,
      deps.dialect,
      { completeCatalog: true },
    );
    if (p.refanOut && p.affectedDataSourceIds && p.affectedDigest)
      plan.refanOut = { ids: p.affectedDataSourceIds, digest: p.affectedDigest };
    const [guard, ...ddl] = p.statements;
    if (ddl.some((s) => statementBytes(s) > MAX_STATEMENT_BYTES)) {
      plan.alone.push(id);
      continue;
    }
    const stored = storedDataSource(snapshot, id);
    const signature = p.signature ? serializeSignature(p.signature) : null;
    // The view's guard is kept only to record a signature other than the stored one; it never stores the
    // policy version (the transaction's opening guard did), so it never bumps the epoch.
    const records = stored.live !== null && signature !== stored.viewSignature;
    const statements = records && guard ? [{ ...guard, guard: { bumpsEpoch: false } }, ...ddl] : ddl;
    plan.views.push({ id, statements, diagnostics: p.diagnostics, ...(records ? { records: signature } : {}) });
  }
  return plan;
}

/** The guard opening transaction `index` of a set: the policy state CALL for no view; only the first one may bump. */
function openingGuard(item: ViewSetWorkItem, plan: SetPlan, deps: ApplyDeps): (index: number) => PlannedStatement {
  return (index) =>
    planPolicyStateCall(
      {
        policyId: item.policyId,
        version: item.version,
        deleted: item.deleted,
        definition: item.definition,
        datasourceId: null,
        viewSignature: null,
        expectedEpoch: 0, // set per transaction by chainExpectedEpochs
        storesNewVersion: plan.storesNewVersion && index === 0,
      },
      deps.dialect,
    );
}

/** Run the planned set's transactions in order until one fails; what is committed stays committed. */
export async function runViewSet(
  item: ViewSetWorkItem,
  plan: SetPlan,
  snapshot: CatalogSnapshot,
  deps: ApplyDeps,
  outcome: ApplyOutcome,
  bundle = true,
): Promise<SetStep> {
  const max = deps.maxStatementsPerTransaction ?? MAX_STATEMENTS_PER_TRANSACTION;
  const units = plan.views.filter((v) => v.statements.length > 0).map((v) => ({ statements: v.statements, tag: v }));
  // A set whose views all need nothing still stores the policy state once.
  const txs =
    units.length > 0
      ? packTransactions(units, deps.dialect, max, {
          opening: openingGuard(item, plan, deps),
          ...(bundle ? { bundle: pinnedRunner(deps.dialect), maxUnits: VIEWS_PER_TRANSACTION } : {}),
        })
      : [{ session: '', statements: [openingGuard(item, plan, deps)(0)], units: [] as PlannedView[] }];
  let after = snapshot;
  for (const [k, tx] of txs.entries()) {
    const chained = chainExpectedEpochs(tx.statements, after.epoch);
    try {
      await deps.warehouse.transaction(chained.statements);
    } catch (err) {
      outcome.statements.failed += 1;
      outcome.statements.aborted += tx.statements.length - 1;
      const remaining = txs.slice(k).flatMap((t) => t.units.map((v) => v.id));
      return failedStep(err, tx.statements, tx.units, remaining);
    }
    outcome.transactions++;
    outcome.statements.finished += tx.statements.length;
    after = committed(after, item, k === 0 && plan.storesNewVersion, tx.units, chained.epochAfter);
  }
  return { kind: 'done', snapshot: after };
}

/** The snapshot after a committed transaction of the set: what its guards stored, nothing else. */
function committed(
  snapshot: CatalogSnapshot,
  item: ViewSetWorkItem,
  stored: boolean,
  views: readonly PlannedView[],
  epoch: number,
): CatalogSnapshot {
  const dataSources = new Map(snapshot.dataSources);
  for (const v of views) {
    const row = dataSources.get(v.id);
    if (row && v.records !== undefined) dataSources.set(v.id, { ...row, viewSignature: v.records });
  }
  const policies = stored
    ? new Map(snapshot.policies).set(item.policyId, {
        version: item.version,
        deleted: item.deleted,
        definition: item.definition,
      })
    : snapshot.policies;
  return { epoch, dataSources, policies };
}

function failedStep(
  err: unknown,
  statements: readonly PlannedStatement[],
  views: readonly PlannedView[],
  remaining: string[],
): SetStep {
  const reason = err instanceof Error ? err.message : String(err);
  if (!(err instanceof WarehouseError)) return { kind: 'failed', failure: 'permanent', reason };
  // apply_policy never answers stale; either way the catalog moved: re-read.
  if (err.kind === 'conflict' || err.kind === 'stale') return { kind: 'conflict', reason, remaining };
  if (err.kind === 'transient') return { kind: 'failed', failure: 'transient', reason };
  // Refused: a view statement of a known view (not the guard: a layout problem, not the view's).
  const failed = err.statementIndex === undefined ? undefined : statements[err.statementIndex];
  if (failed?.bundled && failed.bundled.length > 1) return { kind: 'refusedBundle', remaining };
  const own = failed?.bundled?.[0] ?? failed;
  const view =
    own && own.role !== 'guard' && own.role !== 'session' ? views.find((v) => v.statements.includes(own)) : undefined;
  if (view) return { kind: 'refused', view: view.id, remaining };
  return { kind: 'failed', failure: 'permanent', reason };
}

/**
 * Apply a view set (see the file comment). `given`: a snapshot of the whole catalog this batch already read
 * (and advanced by the sets before this one); otherwise the item reads its own.
 */
export async function applyViewSet(
  item: ViewSetWorkItem,
  deps: ApplyDeps,
  given?: CatalogSnapshot,
): Promise<ViewSetResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const outcome = startOutcome({
    kind: item.kind,
    object: workItemObject(item),
    version: item.version,
    eventId: item.eventId,
  });
  outcome.views = item.dataSourceIds.length;
  const end = (failure?: 'transient' | 'permanent', reason?: string): ApplyFailure => {
    outcome.durations.totalMs = now() - started;
    if (reason !== undefined) outcome.reason = reason;
    outcome.status = failure ? 'failed' : 'applied';
    return new ApplyFailure(failure ?? 'permanent', outcome);
  };
  const read = async (): Promise<CatalogSnapshot> => {
    try {
      return await readWholeCatalog(deps, outcome);
    } catch (err) {
      throw end(
        err instanceof WarehouseError && err.kind !== 'permanent' ? 'transient' : 'permanent',
        err instanceof Error ? err.message : String(err),
      );
    }
  };
  const failures: { id: string; reason: string }[] = [];
  let snapshot = given ?? (await read());
  let remaining: string[] = [...item.dataSourceIds];
  // Views travel several to a CALL until a CALL is refused; then one statement each, so the refusal names its view.
  let bundle = true;
  for (;;) {
    outcome.attempts++;
    const t0 = now();
    const plan = planViewSet(snapshot, item, remaining, deps);
    outcome.durations.planMs += now() - t0;
    if (plan.refanOut) outcome.refannedOut += await refanOut(item, plan.refanOut, deps);
    const t1 = now();
    const step = await runViewSet(item, plan, snapshot, deps, outcome, bundle).finally(
      () => (outcome.durations.transactionMs += now() - t1),
    );
    if (step.kind === 'failed') throw end(step.failure, step.reason);
    if (step.kind === 'done') {
      outcome.diagnostics.push(...plan.views.flatMap((v) => v.diagnostics));
      failures.push(...(await oneByOne(item, plan.alone, deps, outcome)));
      // The one-item path changed the catalog in ways this snapshot does not follow: the next set reads again.
      snapshot = plan.alone.length === 0 ? step.snapshot : await read();
      break;
    }
    if (step.kind === 'conflict' && ++outcome.conflicts > (deps.maxConflictRetries ?? 5))
      throw end('transient', `still conflicting: ${step.reason}`);
    if (step.kind === 'refused') failures.push(...(await oneByOne(item, [step.view], deps, outcome)));
    if (step.kind === 'refusedBundle') bundle = false;
    // Re-plan what is not committed yet from a fresh read.
    remaining = [...step.remaining.filter((id) => step.kind !== 'refused' || id !== step.view), ...plan.alone];
    snapshot = await read();
  }
  outcome.failedClosed ||= outcome.diagnostics.some((d) => d.code === 'VG301');
  if (failures.length > 0) {
    try {
      await sendInBatches(
        deps.queue,
        failures.map((f) => policyMessage(single(item, f.id))),
      );
    } catch (err) {
      throw end(
        'transient',
        `${failures.map((f) => f.reason).join('; ')}; not sent on: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    outcome.reason = `${failures.map((f) => f.reason).join('; ')} — sent on as items of their own`;
  }
  end(undefined, outcome.reason);
  outcome.endToEndLagMs = Math.max(0, now() - Date.parse(item.eventTime));
  return { outcome, snapshot };
}

/** The same change for one view of the set: the router's per-view item. */
function single(item: ViewSetWorkItem, id: string): PolicyWorkItem {
  const { dataSourceIds: _set, ...rest } = item;
  return { ...rest, dataSourceId: id };
}

/** Views the set could not hold, each through the ordinary path (which fails it closed); their failures. */
async function oneByOne(
  item: ViewSetWorkItem,
  ids: readonly string[],
  deps: ApplyDeps,
  outcome: ApplyOutcome,
): Promise<{ id: string; reason: string }[]> {
  const failures: { id: string; reason: string }[] = [];
  for (const id of ids) {
    let one: ApplyOutcome;
    try {
      one = await applyWorkItem(single(item, id), deps);
    } catch (err) {
      if (!(err instanceof ApplyFailure)) throw err;
      one = err.outcome;
      failures.push({ id, reason: `view of data source ${id}: ${one.reason ?? 'failed'}` });
    }
    outcome.transactions += one.transactions;
    outcome.statements.finished += one.statements.finished;
    outcome.statements.failed += one.statements.failed;
    outcome.statements.aborted += one.statements.aborted;
    outcome.diagnostics.push(...one.diagnostics);
    outcome.failedClosed ||= one.failedClosed;
  }
  return failures;
}

/** The first store's reach is wider than the router's: view sets for the rest, before anything commits. */
async function refanOut(
  item: ViewSetWorkItem,
  reach: { ids: string[]; digest: string },
  deps: ApplyDeps,
): Promise<number> {
  const own = new Set(item.dataSourceIds);
  const rest = reach.ids.filter((id) => !own.has(id));
  const messages = viewSets(rest, DEFAULT_POLICY_FAN_OUT.viewsPerItem).map((dataSourceIds) =>
    policyMessage({ ...item, dataSourceIds, fanOutDigest: reach.digest }),
  );
  await sendInBatches(deps.queue, messages);
  return rest.length;
}
