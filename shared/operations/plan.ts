// `viewguard plan`: what applying some events would do, without doing it. Each event is routed by the
// routers' own functions (a policy's reach from the catalog as it would be), each work item is planned by the
// apply loop's planner (planViewChange) against the catalog as the earlier items would have left it, and split
// into transactions by the apply loop's packer. Nothing is written: the guard procedures' effect on the state
// tables (docs/architecture.md "Procedures") is replayed in memory (`replayCall`) so that the next item sees it.
// Per view the result says whether it is created, replaced, dropped, unchanged or would fail closed, and for
// each user whose visible rows or columns change, how (the view's SELECT before and after, evaluated FOR the user
// by the administrator, profile-source.ts).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { WebhookEvent } from '../events/event-types.js';
import { planViewChange, type ViewChange, type ViewChangePlan } from '../compiler/view-change-plan.js';
import { serializeSignature } from '../compiler/view-signature.js';
import type { ViewCompileConfig } from '../compiler/view-compiler.js';
import type { CatalogSnapshot } from '../layout/catalog-reader.js';
import { dataSourceWorkItem, type DataSourceEvent } from '../routing/route-datasource.js';
import { policyWorkItems, type PolicyEvent } from '../routing/route-policy.js';
import { userWorkItem, type UserEvent } from '../routing/route-user.js';
import { packTransactions } from '../sql/transaction-packer.js';
import { workItemObject, type WorkItem } from '../routing/work-item.js';
import { routeFor } from '../routing/routing-table.js';
import type { UserProfile } from '../policy/user-profile.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import type { SqlStatement } from '../sql/statement.js';
import { expectedView, sameView, type ExpectedView } from './expected-views.js';
import { userImpact, type UserImpact } from './plan-impact.js';
import { readProfiles, readStoredState, storedState, type StoredProfile } from './stored-state.js';

export type ViewAction = 'create' | 'replace' | 'drop' | 'unchanged' | 'fail-closed';

export interface PlannedItem {
  /** e.g. `policy:p1@view:ds-customers` (workItemObject). */
  object: string;
  version: number;
  /** `stale`: the stored version is already as new; the apply would skip it. */
  outcome: 'planned' | 'stale';
  transactions: SqlStatement[][];
}

export interface ViewPlan {
  dataSourceId: string;
  /** `schema.name` after the change (before it, for a drop); null when there is no view either side. */
  view: string | null;
  action: ViewAction;
  /** The compiler's diagnostics for the view after the change (VG301 and its cause when it fails closed). */
  diagnostics: Diagnostic[];
  items: PlannedItem[];
}

export interface UserChange {
  user: string;
  version: number;
  outcome: 'update' | 'delete' | 'stale';
}

export interface Plan {
  events: number;
  views: ViewPlan[];
  /** Policy items that reach no view: they only store the policy state. */
  policyOnly: PlannedItem[];
  users: UserChange[];
  /** Users whose rows or columns change in a view (only pairs with a difference). */
  impact: UserImpact[];
  /** Users whose impact was evaluated (all with a profile, or --users). */
  usersEvaluated: number;
}

export interface PlanOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: ViewCompileConfig;
  events: readonly WebhookEvent[];
  /** Evaluate the impact for these users only (default: every stored profile and every user the events name). */
  users?: readonly string[];
}

const copy = <T>(v: T): T => (v === null || v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function cloneSnapshot(s: CatalogSnapshot): CatalogSnapshot {
  return {
    epoch: s.epoch,
    dataSources: new Map([...s.dataSources].map(([k, v]) => [k, { ...v }])),
    policies: new Map([...s.policies].map(([k, v]) => [k, { ...v }])),
  };
}

/** What the item's guard CALL stores when its transaction commits (apply_datasource / apply_policy). */
function replayCall(sim: CatalogSnapshot, item: ViewChange, plan: ViewChangePlan): void {
  const signature = plan.signature ? serializeSignature(plan.signature) : null;
  if (item.kind === 'datasource') {
    sim.dataSources.set(item.dataSourceId, {
      version: item.version,
      deleted: item.deleted,
      definition: copy(item.definition),
      viewSignature: signature,
    });
    sim.epoch++;
    return;
  }
  const row = sim.policies.get(item.policyId);
  if (!row || row.version < item.version) {
    sim.policies.set(item.policyId, {
      version: item.version,
      deleted: item.deleted,
      definition: copy(item.definition),
    });
    sim.epoch++;
  }
  const ds = item.dataSourceId === null ? undefined : sim.dataSources.get(item.dataSourceId);
  if (ds && !ds.deleted) ds.viewSignature = signature;
}

function workItems(event: WebhookEvent, sim: CatalogSnapshot): WorkItem[] {
  switch (routeFor(event.type)?.category) {
    case 'datasource':
      return [dataSourceWorkItem(event as DataSourceEvent)];
    case 'policy':
      return policyWorkItems(event as PolicyEvent, sim);
    case 'user':
      return [userWorkItem(event as UserEvent)];
    default:
      throw new Error(`no route for event type ${event.type}`);
  }
}

export async function plan(o: PlanOptions): Promise<Plan> {
  const before = await readStoredState(o.warehouse, o.dialect);
  const profiles = await readProfiles(o.warehouse, o.dialect);
  const sim = cloneSnapshot(before.snapshot);
  const items = new Map<string, PlannedItem[]>();
  const policyOnly: PlannedItem[] = [];
  const users: UserChange[] = [];
  const newProfiles = new Map<string, UserProfile | null>();
  const userVersion = new Map(profiles.map((p) => [p.userId, p.version]));

  for (const event of o.events) {
    for (const item of workItems(event, sim)) {
      if (item.kind === 'user') {
        const stale = (userVersion.get(item.userId) ?? -1) >= item.version;
        users.push({
          user: item.userId,
          version: item.version,
          outcome: stale ? 'stale' : item.deleted ? 'delete' : 'update',
        });
        if (!stale) {
          userVersion.set(item.userId, item.version);
          newProfiles.set(item.userId, item.profile);
        }
        continue;
      }
      const planned = planViewChange(sim, item, o.config, o.dialect);
      const entry: PlannedItem = {
        object: workItemObject(item),
        version: item.version,
        outcome: planned.skip === 'stale' ? 'stale' : 'planned',
        transactions:
          planned.skip === 'stale'
            ? []
            : packTransactions([{ statements: planned.statements, tag: item }], o.dialect).map((t) => t.statements),
      };
      if (item.dataSourceId === null) policyOnly.push(entry);
      else items.set(item.dataSourceId, [...(items.get(item.dataSourceId) ?? []), entry]);
      if (planned.skip !== 'stale') replayCall(sim, item, planned);
    }
  }

  const after = storedState(sim);
  const key = (v: ViewPlan) => v.view ?? v.dataSourceId;
  const views = [...items]
    .map(([id, list]) => viewPlan(id, list, before.dataSources.get(id), after.dataSources.get(id), before, after, o))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const evaluated =
    o.users ?? [...new Set([...profiles.filter((p) => !p.deleted).map((p) => p.userId), ...newProfiles.keys()])].sort();
  const impact = await userImpact({
    ...o,
    before,
    after,
    views,
    profiles: profileMap(profiles),
    newProfiles,
    users: evaluated,
  });
  return { events: o.events.length, views, policyOnly, users, impact, usersEvaluated: evaluated.length };
}

const profileMap = (profiles: readonly StoredProfile[]): Map<string, StoredProfile> =>
  new Map(profiles.map((p) => [p.userId, p]));

function viewPlan(
  id: string,
  list: PlannedItem[],
  dsBefore: Parameters<typeof expectedView>[1] | undefined,
  dsAfter: Parameters<typeof expectedView>[1] | undefined,
  before: ReturnType<typeof storedState>,
  after: ReturnType<typeof storedState>,
  o: PlanOptions,
): ViewPlan {
  const was: ExpectedView | null = dsBefore ? expectedView(before, dsBefore, o.config, o.dialect) : null;
  const will: ExpectedView | null = dsAfter ? expectedView(after, dsAfter, o.config, o.dialect) : null;
  let action: ViewAction;
  if (sameView(was, will)) action = 'unchanged';
  else if (will?.compiled.failedClosed) action = 'fail-closed';
  else if (will === null) action = 'drop';
  else action = was === null ? 'create' : 'replace';
  return {
    dataSourceId: id,
    view: (will ?? was)?.displayName ?? null,
    action,
    diagnostics: will?.compiled.diagnostics ?? [],
    items: list,
  };
}
