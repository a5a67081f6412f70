// The fail-closed counterpart of a view change that could not be applied: the warehouse refused one of its
// view statements (e.g. a custom WHERE the compiler accepted and the engine does not), or the apply path
// refused to send it (a statement over the Data API's size limit). The view must not keep serving its
// previous, less restrictive definition. Plans to try in order, each one transaction with the item's own guard
// CALL (so it commits only against the epoch the change was planned from):
//
// 1. the fail-closed view of the desired state (typed NULLs, WHERE FALSE; VG308, or VG320 when too large) —
//    DROP + CREATE, with a renamed data source's old view dropped too;
// 2. when a view cannot be dropped (`DROP VIEW` without CASCADE is refused while a user's own view depends on
//    ours), a deny-all view of the columns in place, replaced in place (VG321): the engine always accepts
//    CREATE OR REPLACE with the same column names and types, dependents or not.
//
// Nothing is planned when there is no view to close: a data source registered for the first time, a deleted
// one, or a policy reaching no live view.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { CatalogSnapshot } from '../layout/catalog-reader.js';
import { storedDataSource } from '../layout/catalog-state.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../layout/state-call-plan.js';
import type { Dialect } from '../sql/dialect.js';
import type { PlannedStatement } from '../sql/statement.js';
import { safeViewName, type ViewChange, type ViewChangePlan } from './view-change-plan.js';
import {
  compileDenyAllView,
  compileFailClosedView,
  dropView,
  type CompiledView,
  type ViewCompileConfig,
} from './view-compiler.js';
import { parseSignature, serializeSignature } from './view-signature.js';

export interface Refusal {
  /** The plan statement that was refused. */
  statement: PlannedStatement;
  /** Why, in words (the engine's message, redacted by the adapters; or the size check's). */
  reason: string;
  /** VG320: the apply path did not send it (too large for the Data API); VG308: the warehouse refused it. */
  code: 'VG308' | 'VG320';
}

export interface FailClosedPlan {
  statements: PlannedStatement[];
  diagnostics: Diagnostic[];
  dataSourceId: string;
  /** The code the item's failure reason names. */
  code: 'VG308' | 'VG320' | 'VG321';
}

export function planFailClosed(
  snapshot: CatalogSnapshot,
  item: ViewChange,
  refused: ViewChangePlan,
  refusal: Refusal,
  config: ViewCompileConfig,
  dialect: Dialect,
): FailClosedPlan[] {
  const dataSourceId = item.dataSourceId;
  if (refused.signature === null || dataSourceId === null) return [];
  const stored = storedDataSource(snapshot, dataSourceId);
  // Only a view that exists can keep serving an older definition.
  if (!stored.live || stored.viewSignature === null) return [];
  // The desired state: a data source item's own definition (the refused plan compiled it, so it has one).
  const ds = (item.kind === 'datasource' && item.definition) || stored.live;
  const plan = (
    compiled: CompiledView | null,
    code: FailClosedPlan['code'],
    ddl: PlannedStatement[] = [],
  ): FailClosedPlan[] => {
    // Null: the deny-all cannot render a recorded column. (A view the refused plan compiled has a name, so the
    // fail-closed view of it always has statements.)
    if (!compiled) return [];
    const call = guardCall(item, dataSourceId, serializeSignature(compiled.signature), snapshot.epoch, dialect);
    return [
      { statements: [call, ...ddl, ...compiled.statements], diagnostics: compiled.diagnostics, dataSourceId, code },
    ];
  };
  const plans: FailClosedPlan[] = [];
  if (refusal.statement.role !== 'drop') {
    const what =
      refusal.code === 'VG320' ? 'the compiled view is too large to send' : 'the warehouse refused the compiled view';
    const because = [diagnostic(refusal.code, `data source ${JSON.stringify(ds.id)}: ${what}: ${refusal.reason}`)];
    // A rename: the old name would otherwise keep serving the previous definition. (A new name no view can carry
    // compiles to no statements, so nothing is planned for it; a policy item's data source is the stored one.)
    const renamed = safeViewName(stored.live, config, dialect) !== safeViewName(ds, config, dialect);
    plans.push(
      ...plan(
        compileFailClosedView(ds, config, dialect, because),
        refusal.code,
        renamed ? dropView(stored.live, config, dialect) : [],
      ),
    );
  }
  const inPlace = parseSignature(stored.viewSignature);
  if (inPlace) {
    const because = [
      diagnostic(
        'VG321',
        `data source ${JSON.stringify(ds.id)}: its view cannot be dropped (${refusal.reason}); it was replaced in ` +
          `place by a deny-all view of its current columns`,
      ),
    ];
    plans.push(...plan(compileDenyAllView(stored.live, inPlace, config, dialect, because), 'VG321'));
  }
  return plans;
}

/** The item's own guard, recording the view the fail-closed plan leaves behind. */
function guardCall(
  item: ViewChange,
  dataSourceId: string,
  viewSignature: string,
  expectedEpoch: number,
  dialect: Dialect,
): PlannedStatement {
  return item.kind === 'datasource'
    ? planDatasourceStateCall(
        {
          datasourceId: dataSourceId,
          version: item.version,
          deleted: false,
          definition: item.definition,
          viewSignature,
          expectedEpoch,
        },
        dialect,
      )
    : planPolicyStateCall(
        {
          policyId: item.policyId,
          version: item.version,
          deleted: item.deleted,
          definition: item.definition,
          datasourceId: dataSourceId,
          viewSignature,
          expectedEpoch,
        },
        dialect,
      );
}
