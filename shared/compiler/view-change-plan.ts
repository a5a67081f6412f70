// The view-change planner: one catalog work item (a data source change, or one policy change for one view)
// + the catalog read of that transaction → the statements of that one transaction:
//   [CALL immuta_procedures.apply_datasource(…) | apply_policy(…), view DDL…, GRANT…]
// The CALL comes first: it checks the epoch this plan was compiled against (write-skew guard) and refuses a
// stale data source version, rolling back the DDL with it (docs/architecture.md "One object change = one
// transaction").
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { CatalogSnapshot } from '../layout/catalog-reader.js';
import { liveDataSources, livePolicies, NO_DATA_SOURCE, storedDataSource } from '../layout/catalog-state.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../layout/state-call-plan.js';
import { affectedDataSources } from '../policy/applicable-policies.js';
import type { DataSource } from '../policy/data-source.js';
import type { Policy } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';
import type { PlannedStatement } from '../sql/statement.js';
import { compileView, dropView, viewName, type ViewCompileConfig } from './view-compiler.js';
import { parseSignature, serializeSignature, type ViewSignature } from './view-signature.js';

/**
 * What the planner reads of a catalog work item (the queue's work items, shared/routing/work-item.ts, carry
 * more): a data source's full desired state (definition null only for a delete that carries none), or one
 * policy's full desired state applied to the view of one data source — or, with `dataSourceId` null, to no view
 * (the policy reaches none yet): the plan then only stores the policy state.
 */
export type ViewChange =
  | { kind: 'datasource'; dataSourceId: string; version: number; deleted: boolean; definition: DataSource | null }
  | {
      kind: 'policy';
      policyId: string;
      version: number;
      deleted: boolean;
      definition: Policy | null;
      dataSourceId: string | null;
      /** affectedDigest() of the data sources the router fanned this change out to. */
      fanOutDigest?: string;
    };

export type DataSourceChange = Extract<ViewChange, { kind: 'datasource' }>;
export type PolicyChange = Extract<ViewChange, { kind: 'policy' }>;

export interface ViewChangePlan {
  /** 'stale': the catalog already holds this version or a newer one; run nothing. */
  skip?: 'stale';
  /** The guard CALL first, then the view's DDL; the transaction packer makes transactions of them. */
  statements: PlannedStatement[];
  diagnostics: Diagnostic[];
  /** Signature of the view the plan leaves behind; null when there is no view. */
  signature: ViewSignature | null;
  /** Present when this item is the first to store a new policy version: the full set it must reach. */
  affectedDataSourceIds?: string[];
  affectedDigest?: string;
  /** True when affectedDigest differs from the item's fanOutDigest (the caller enqueues the full set). */
  refanOut?: boolean;
  /**
   * The snapshot held only the item's own data source, but this item is the first to store a new policy
   * version and so must compute the policy's full reach: read every data source and plan again. Nothing
   * else is set (no statements).
   */
  needsCompleteCatalog?: true;
}

export interface PlanOptions {
  /**
   * False when the snapshot holds only the item's own data source (catalogReadStatement with an id, or its
   * part of a batch read: narrowSnapshot): enough for every plan except the first store of a new policy
   * version, which answers `needsCompleteCatalog`. Default true.
   */
  completeCatalog?: boolean;
}

/** Order-independent digest of a set of data source ids (the router computes the same for its fan-out). */
export function affectedDigest(ids: Iterable<string>): string {
  return createHash('sha256')
    .update(JSON.stringify([...new Set(ids)].sort()))
    .digest('hex');
}

const stale = (): ViewChangePlan => ({ skip: 'stale', statements: [], diagnostics: [], signature: null });

export function planViewChange(
  snapshot: CatalogSnapshot,
  item: ViewChange,
  config: ViewCompileConfig,
  dialect: Dialect,
  options: PlanOptions = {},
): ViewChangePlan {
  return item.kind === 'datasource'
    ? planDataSource(snapshot, item, config, dialect)
    : planPolicy(snapshot, item, config, dialect, options.completeCatalog ?? true);
}

function planDataSource(
  snapshot: CatalogSnapshot,
  item: DataSourceChange,
  config: ViewCompileConfig,
  dialect: Dialect,
): ViewChangePlan {
  const row = snapshot.dataSources.get(item.dataSourceId);
  if (row && row.version >= item.version) return stale();
  const stored = storedDataSource(snapshot, item.dataSourceId);
  const diagnostics: Diagnostic[] = [];
  const ddl: PlannedStatement[] = [];
  // A renamed (or deleted) data source leaves its old view behind unless we drop it here.
  const oldName = stored.live ? safeViewName(stored.live, config, dialect) : null;
  let signature: ViewSignature | null = null;

  if (item.deleted || item.definition === null) {
    // The view is where the stored definition put it (a delete that carries a definition may carry another name);
    // with nothing stored, the name the delete carries.
    const named = stored.any ?? item.definition;
    // A name that cannot be quoted never had a view.
    if (named && safeViewName(named, config, dialect)) ddl.push(...dropView(named, config, dialect));
  } else {
    const ds = item.definition;
    const newName = safeViewName(ds, config, dialect);
    const renamed = oldName !== null && oldName !== newName;
    if (renamed) ddl.push(...dropView(stored.live!, config, dialect));
    const live = livePolicies(snapshot);
    const compiled = compileView(
      ds,
      [...live.policies.values()],
      config,
      dialect,
      renamed ? null : parseSignature(stored.viewSignature),
      {
        failClosedBecause: live.unreadable,
      },
    );
    diagnostics.push(...compiled.diagnostics);
    ddl.push(...compiled.statements);
    signature = compiled.statements.length > 0 ? compiled.signature : null;
  }
  const call = planDatasourceStateCall(
    {
      datasourceId: item.dataSourceId,
      version: item.version,
      deleted: item.deleted,
      definition: item.definition,
      viewSignature: signature ? serializeSignature(signature) : null,
      expectedEpoch: snapshot.epoch,
    },
    dialect,
  );
  return { statements: [call, ...ddl], diagnostics, signature };
}

function planPolicy(
  snapshot: CatalogSnapshot,
  item: PolicyChange,
  config: ViewCompileConfig,
  dialect: Dialect,
  completeCatalog: boolean,
): ViewChangePlan {
  const storedRow = snapshot.policies.get(item.policyId);
  const storedVersion = storedRow?.version ?? -1;
  // The first store of a new version computes the policy's reach over EVERY data source: a partial
  // snapshot would compute a partial reach (and a wrong digest), so ask for the whole catalog instead.
  if (item.version > storedVersion && !completeCatalog) {
    return { statements: [], diagnostics: [], signature: null, needsCompleteCatalog: true };
  }
  const live = livePolicies(snapshot);
  // Converge on the newest state of this policy, whichever side holds it (an older item still rebuilds
  // the view: the procedure keeps the newer stored row).
  const carried = item.deleted ? null : item.definition;
  const effective: Policy | null = item.version >= storedVersion ? carried : (live.policies.get(item.policyId) ?? null);
  const policies = new Map(live.policies);
  if (effective) policies.set(item.policyId, effective);
  else policies.delete(item.policyId);

  const diagnostics: Diagnostic[] = [];
  let result: Pick<ViewChangePlan, 'affectedDataSourceIds' | 'affectedDigest' | 'refanOut'> = {};
  if (item.version > storedVersion) {
    // This transaction is the first to store this version: compute the full reach from the guarded read.
    // The stored state's reach (a narrowed or deleted policy must leave those views) and the new state's.
    const before = live.policies.get(item.policyId) ?? null;
    const ids = affectedDataSources(liveDataSources(snapshot), before, carried);
    const digest = affectedDigest(ids);
    result = { affectedDataSourceIds: ids, affectedDigest: digest, refanOut: digest !== item.fanOutDigest };
  }

  const stored = item.dataSourceId === null ? NO_DATA_SOURCE : storedDataSource(snapshot, item.dataSourceId);
  const ddl: PlannedStatement[] = [];
  let signature: ViewSignature | null = null;
  if (stored.live) {
    // A stored policy we cannot read might govern any view: fail closed rather than compile without it.
    const compiled = compileView(
      stored.live,
      [...policies.values()],
      config,
      dialect,
      parseSignature(stored.viewSignature),
      { failClosedBecause: live.unreadable },
    );
    diagnostics.push(...compiled.diagnostics);
    ddl.push(...compiled.statements);
    signature = compiled.statements.length > 0 ? compiled.signature : null;
  }
  const call = planPolicyStateCall(
    {
      policyId: item.policyId,
      version: item.version,
      deleted: item.deleted,
      definition: item.definition,
      // No live data source: the policy state is still stored, but there is no view to record.
      datasourceId: stored.live ? item.dataSourceId : null,
      viewSignature: signature ? serializeSignature(signature) : null,
      expectedEpoch: snapshot.epoch,
      storesNewVersion: item.version > storedVersion,
    },
    dialect,
  );
  return { statements: [call, ...ddl], diagnostics, signature, ...result };
}

export function safeViewName(ds: DataSource, config: ViewCompileConfig, dialect: Dialect): string | null {
  try {
    return viewName(ds, config, dialect);
  } catch {
    return null;
  }
}
