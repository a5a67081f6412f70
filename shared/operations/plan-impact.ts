// Which users' visible rows or columns a plan changes: for each (view, user) pair a change can touch — every
// changed view × the users evaluated, every view × the users whose profile the plan changes — the view's SELECT
// before and after is evaluated FOR the user (profile-source.ts) and compared: counts, rows lost and gained
// (EXCEPT both ways; a row whose masked value changes is one lost and one gained), or a change of columns.
import type { ViewCompileConfig } from '../compiler/view-compiler.js';
import type { UserProfile } from '../policy/user-profile.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt } from '../sql/statement.js';
import { expectedView, type ExpectedView } from './expected-views.js';
import type { ProfileSource } from '../compiler/profile-decisions.js';
import { literalProfileSource, storedProfileSource } from './profile-source.js';
import type { StoredProfile, StoredState } from './stored-state.js';

export interface UserImpact {
  user: string;
  view: string;
  /** null: no view on that side (created / dropped). */
  rowsBefore: number | null;
  rowsAfter: number | null;
  /** Rows seen before and not after / after and not before (distinct rows); null when the columns differ. */
  rowsLost: number | null;
  rowsGained: number | null;
  columnsChanged: boolean;
  /** The query could not run (e.g. the raw table of a new data source does not exist yet). */
  error?: string;
}

export interface ImpactInput {
  warehouse: Warehouse;
  dialect: Dialect;
  config: ViewCompileConfig;
  before: StoredState;
  after: StoredState;
  views: readonly { dataSourceId: string; action: string }[];
  profiles: Map<string, StoredProfile>;
  newProfiles: Map<string, UserProfile | null>;
  users: readonly string[];
}

export async function userImpact(a: ImpactInput): Promise<UserImpact[]> {
  const changedViews = a.views.filter((v) => v.action !== 'unchanged').map((v) => v.dataSourceId);
  const allViews = [...new Set([...a.before.dataSources.keys(), ...a.after.dataSources.keys()])].sort();
  const pairs = new Map<string, [string, string]>();
  for (const user of a.users) {
    for (const id of a.newProfiles.has(user) ? allViews : changedViews)
      pairs.set(JSON.stringify([id, user]), [id, user]);
  }
  const out: UserImpact[] = [];
  for (const [id, user] of pairs.values()) {
    const impact = await pairImpact(a, id, user);
    if (impact) out.push(impact);
  }
  return out;
}

async function pairImpact(a: ImpactInput, id: string, user: string): Promise<UserImpact | null> {
  const was = viewFor(a, a.before, id, storedProfileSource(a.dialect, user));
  const source = a.newProfiles.has(user)
    ? literalProfileSource(a.dialect, user, a.newProfiles.get(user)!)
    : storedProfileSource(a.dialect, user);
  const will = viewFor(a, a.after, id, source);
  if (!was && !will) return null;
  const impact: UserImpact = {
    user,
    view: (will ?? was)!.displayName,
    rowsBefore: null,
    rowsAfter: null,
    rowsLost: null,
    rowsGained: null,
    columnsChanged: false,
  };
  const count = async (sql: string): Promise<number> =>
    Number((await a.warehouse.query(stmt(sql, 'plan: rows a user sees')))[0]?.n ?? 0);
  try {
    if (was) impact.rowsBefore = await count(`SELECT COUNT(*) AS n FROM (${was.compiled.query}) v`);
    if (will) impact.rowsAfter = await count(`SELECT COUNT(*) AS n FROM (${will.compiled.query}) v`);
    if (was && will) {
      impact.columnsChanged = JSON.stringify(was.compiled.signature) !== JSON.stringify(will.compiled.signature);
      if (!impact.columnsChanged) {
        const except = (x: ExpectedView, y: ExpectedView) =>
          `SELECT COUNT(*) AS n FROM (SELECT * FROM (${x.compiled.query}) x EXCEPT SELECT * FROM (` +
          `${y.compiled.query}) y) d`;
        impact.rowsLost = await count(except(was, will));
        impact.rowsGained = await count(except(will, was));
      }
    }
  } catch (e) {
    impact.error = e instanceof Error ? e.message : String(e);
  }
  const same =
    !impact.error &&
    !impact.columnsChanged &&
    impact.rowsBefore === impact.rowsAfter &&
    !impact.rowsLost &&
    !impact.rowsGained;
  return same ? null : impact;
}

function viewFor(a: ImpactInput, state: StoredState, id: string, source: ProfileSource): ExpectedView | null {
  const ds = state.dataSources.get(id);
  return ds ? expectedView(state, ds, a.config, a.dialect, source) : null;
}
