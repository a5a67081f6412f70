// The views the stored state calls for: one per live data source whose name can be quoted, compiled by the
// compiler from the stored policies exactly as the planner compiles it (a stored policy that no longer parses
// fails every view closed, view-change-plan.ts). `plan` compares two of these sets, `drift` compares one with
// the catalog, `rebuild` re-applies them.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ProfileSource } from '../compiler/profile-decisions.js';
import { compileViewQuery, viewName, type CompiledQuery, type ViewCompileConfig } from '../compiler/view-compiler.js';
import type { DataSource } from '../policy/data-source.js';
import type { Dialect } from '../sql/dialect.js';
import type { StoredState } from './stored-state.js';

export interface ExpectedView {
  dataSource: DataSource;
  /** Quoted, schema-qualified. */
  qualifiedName: string;
  /** `schema.name` as people write it. */
  displayName: string;
  compiled: CompiledQuery;
}

export const policyDiagnostics = (state: StoredState): Diagnostic[] =>
  state.unreadable.filter((d) => d.path[0] === 'policy_state');

/** The expected view of one data source; null when it has no view (deleted, or a name no view can carry). */
export function expectedView(
  state: StoredState,
  ds: DataSource,
  config: ViewCompileConfig,
  dialect: Dialect,
  profileSource?: ProfileSource,
): ExpectedView | null {
  let qualifiedName: string;
  try {
    qualifiedName = viewName(ds, config, dialect);
  } catch {
    return null;
  }
  const unreadable = policyDiagnostics(state);
  const compiled = compileViewQuery(ds, state.policies, config, dialect, {
    ...(unreadable.length > 0 ? { failClosedBecause: unreadable } : {}),
    ...(profileSource !== undefined ? { profileSource } : {}),
  });
  return { dataSource: ds, qualifiedName, displayName: `${config.viewSchema}.${ds.name}`, compiled };
}

/** Every expected view, by data source id (id order). */
export function expectedViews(
  state: StoredState,
  config: ViewCompileConfig,
  dialect: Dialect,
): Map<string, ExpectedView> {
  const out = new Map<string, ExpectedView>();
  for (const [id, ds] of state.dataSources) {
    const v = expectedView(state, ds, config, dialect);
    if (v) out.set(id, v);
  }
  return out;
}

/** Same view: same name, same binding (table or external), same SELECT, same column names and types. */
export function sameView(a: ExpectedView | null, b: ExpectedView | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.qualifiedName === b.qualifiedName &&
    a.dataSource.kind === b.dataSource.kind &&
    a.compiled.query === b.compiled.query &&
    JSON.stringify(a.compiled.signature) === JSON.stringify(b.compiled.signature)
  );
}
