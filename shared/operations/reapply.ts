// Re-apply one view from the stored state, through the apply loop's own planner and packer. The planner's input
// is a work item that re-asserts what is stored: the newest stored version of one stored policy (its
// "carrier"), planned for this view. The planner compiles the view from every stored policy, and the plan's
// guard CALL (apply_policy with the stored version) stores nothing new — it checks the catalog epoch under the
// lock (so a change that lands meanwhile makes us re-read, never overwrite it with an older view) and records
// the view's signature, exactly as a redelivered policy item does. A catalog without any policy row gets one
// tombstone, REAPPLY_CARRIER (version 0, deleted: no view reads it), the first time.
//
// `failClosedFirst` (drift --repair of a view edited by hand): the view is first replaced by its fail-closed
// form in a transaction of its own, so that if the real view cannot be applied the hand-edited one is gone.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import {
  affectedDigest,
  planViewChange,
  type PolicyChange,
  type ViewChangePlan,
} from '../compiler/view-change-plan.js';
import { compileFailClosedView, type ViewCompileConfig } from '../compiler/view-compiler.js';
import { serializeSignature } from '../compiler/view-signature.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { planPolicyStateCall } from '../layout/state-call-plan.js';
import { packTransactions } from '../sql/transaction-packer.js';
import { parseDataSource, parsePolicy } from '../policy/validate.js';
import { WarehouseError, type Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import type { PlannedStatement } from '../sql/statement.js';

export const REAPPLY_CARRIER = 'viewguard.reapply';
const MAX_CONFLICTS = 5;

export interface ReapplyOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: ViewCompileConfig;
}

export interface ReapplyResult {
  dataSourceId: string;
  outcome: 'applied' | 'failed' | 'no view';
  failedClosedFirst: boolean;
  transactions: number;
  /** The compiler's diagnostics (VG301: the stored state itself makes the view fail closed). */
  diagnostics: Diagnostic[];
  error?: string;
}

/** The item that re-asserts the stored state for one view (see the header). */
export function reassertItem(snapshot: CatalogSnapshot, dataSourceId: string): PolicyChange {
  const carriers = [...snapshot.policies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [policyId, row] of carriers) {
    const parsed = row.deleted ? null : parsePolicy(row.definition);
    if (parsed && !parsed.ok) continue; // a carrier must be readable; the view fails closed on it anyway
    return {
      kind: 'policy',
      policyId,
      version: row.version,
      deleted: row.deleted,
      definition: parsed?.ok ? parsed.value : null,
      dataSourceId,
      fanOutDigest: affectedDigest([]),
    };
  }
  return {
    kind: 'policy',
    policyId: REAPPLY_CARRIER,
    version: 0,
    deleted: true,
    definition: null,
    dataSourceId,
    fanOutDigest: affectedDigest([]),
  };
}

async function planFor(
  o: ReapplyOptions,
  dataSourceId: string,
): Promise<{ snapshot: CatalogSnapshot; plan: ViewChangePlan; item: PolicyChange }> {
  let snapshot = parseCatalog(await o.warehouse.query(catalogReadStatement(o.dialect, dataSourceId)));
  let item = reassertItem(snapshot, dataSourceId);
  let plan = planViewChange(snapshot, item, o.config, o.dialect, { completeCatalog: false });
  if (plan.needsCompleteCatalog) {
    snapshot = parseCatalog(await o.warehouse.query(catalogReadStatement(o.dialect)));
    item = reassertItem(snapshot, dataSourceId);
    plan = planViewChange(snapshot, item, o.config, o.dialect);
  }
  return { snapshot, plan, item };
}

/** The fail-closed form of the view with the same guard CALL (apply-work-item.ts does the same for a refused view). */
function failClosedStatements(
  o: ReapplyOptions,
  snapshot: CatalogSnapshot,
  item: PolicyChange,
  because: Diagnostic,
): PlannedStatement[] | null {
  const row = snapshot.dataSources.get(item.dataSourceId!);
  const ds = row && !row.deleted ? parseDataSource(row.definition) : null;
  if (!ds?.ok) return null;
  const closed = compileFailClosedView(ds.value, o.config, o.dialect, [because]);
  if (closed.statements.length === 0) return null;
  const call = planPolicyStateCall(
    {
      policyId: item.policyId,
      version: item.version,
      deleted: item.deleted,
      definition: item.definition,
      datasourceId: item.dataSourceId,
      viewSignature: serializeSignature(closed.signature),
      expectedEpoch: snapshot.epoch,
    },
    o.dialect,
  );
  return [call, ...closed.statements];
}

async function run(o: ReapplyOptions, statements: PlannedStatement[]): Promise<number> {
  const txs = packTransactions([{ statements, tag: null }], o.dialect).map((t) => t.statements);
  for (const tx of txs) await o.warehouse.transaction(tx);
  return txs.length;
}

export async function reapplyView(
  o: ReapplyOptions,
  dataSourceId: string,
  failClosedFirst?: string,
): Promise<ReapplyResult> {
  const result: ReapplyResult = {
    dataSourceId,
    outcome: 'applied',
    failedClosedFirst: false,
    transactions: 0,
    diagnostics: [],
  };
  for (let conflicts = 0; ; conflicts++) {
    try {
      let { snapshot, plan, item } = await planFor(o, dataSourceId);
      result.diagnostics = plan.diagnostics;
      if (plan.signature === null) return { ...result, outcome: 'no view' };
      if (failClosedFirst !== undefined && !result.failedClosedFirst) {
        const closed = failClosedStatements(o, snapshot, item, diagnostic('VG802', failClosedFirst));
        if (closed) {
          result.transactions += await run(o, closed);
          result.failedClosedFirst = true;
          ({ plan } = await planFor(o, dataSourceId));
          result.diagnostics = plan.diagnostics;
        }
      }
      result.transactions += await run(o, plan.statements);
      return result;
    } catch (e) {
      if (e instanceof WarehouseError && e.kind === 'conflict' && conflicts < MAX_CONFLICTS) continue;
      return { ...result, outcome: 'failed', error: e instanceof Error ? e.message : String(e) };
    }
  }
}
