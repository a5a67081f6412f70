// Immuta's current state for a scope, as v1 objects: the data sources (with their subscription and own rules),
// the global policies and the user profiles the scope names — and which of OUR ids the answer is authoritative
// for, so that the diff may delete what Immuta no longer has. Any request that fails throws (the caller retries
// later): a partial answer is never taken for "deleted".
import { z } from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { DataSourceInput } from '../policy/data-source.js';
import type { PolicyInput } from '../policy/policy.js';
import type { UserProfileInput } from '../policy/user-profile.js';
import {
  AccessSchema,
  DataSourceSchema,
  DataSourceSummarySchema,
  DictionarySchema,
  GlobalPolicySchema,
  GroupSchema,
  MemberSchema,
  PolicyHandlerSchema,
  ProjectMemberSchema,
  ProjectSchema,
  TagListSchema,
  UserSchema,
  type ImmutaUser,
} from './api-shapes.js';
import type { ImmutaConnectorConfig } from './connector-config.js';
import { dataSourceId, dataSourcePolicyPrefix, globalPolicyPrefix } from './ids.js';
import type { ImmutaClient } from './immuta-client.js';
import { mapDataSource, type DataSourcePlacement } from './map-datasource.js';
import { isActive, mapDataSourcePolicies, mapGlobalPolicy } from './map-policies.js';
import { failClosedPolicy, Unmappable } from './map-rule.js';
import { mapUser, userKey, type UserContext } from './map-user.js';
import type { Hint } from './notice.js';

/**
 * Immuta ids to refresh per kind, or every object of that kind. Users are always read in full when any is in
 * scope; `refreshUsers` reads them for a data source change (a deleted data source or a new subscription type
 * changes the approvals the profiles list) without naming any.
 */
export interface SyncScope {
  dataSources: 'all' | string[];
  policies: 'all' | string[];
  users: 'all' | string[];
  refreshUsers?: boolean;
}

export const FULL_SCOPE: SyncScope = { dataSources: 'all', policies: 'all', users: 'all' };

const merge = (a: 'all' | string[], b: 'all' | string[]): 'all' | string[] =>
  a === 'all' || b === 'all' ? 'all' : [...new Set([...a, ...b])];

export function scopeOfHints(hints: readonly Hint[]): SyncScope {
  let scope: SyncScope = { dataSources: [], policies: [], users: [] };
  for (const h of hints) {
    const add: SyncScope =
      h.kind === 'all'
        ? FULL_SCOPE
        : h.kind === 'allDataSources'
          ? { dataSources: 'all', policies: [], users: [] }
          : h.kind === 'allPolicies'
            ? { dataSources: [], policies: 'all', users: [] }
            : h.kind === 'allUsers'
              ? { dataSources: [], policies: [], users: 'all' }
              : h.kind === 'dataSource'
                ? { dataSources: [h.id!], policies: [], users: [] }
                : h.kind === 'policy'
                  ? { dataSources: [], policies: [h.id!], users: [] }
                  : { dataSources: [], policies: [], users: [h.id!] };
    const refreshUsers = scope.refreshUsers === true || h.kind === 'dataSource' || h.kind === 'allDataSources';
    scope = {
      dataSources: merge(scope.dataSources, add.dataSources),
      policies: merge(scope.policies, add.policies),
      users: merge(scope.users, add.users),
      ...(refreshUsers ? { refreshUsers } : {}),
    };
  }
  return scope;
}

type Predicates = { dataSource(id: string): boolean; policy(id: string): boolean; user(userId: string): boolean };

export interface DesiredState {
  dataSources: Map<string, DataSourceInput>;
  policies: Map<string, PolicyInput>;
  users: Map<string, UserProfileInput>;
  /** Whether an id we hold may be deleted when it is not in the maps above. */
  covers: Predicates;
  /** Objects a notice named by id: a notice sync re-sends these even when the warehouse seems to hold them. */
  named: Predicates;
  /** How many Immuta objects were read (data sources, policies, users). */
  checked: number;
  diagnostics: Diagnostic[];
}

export interface FetchDeps {
  client: ImmutaClient;
  config: ImmutaConnectorConfig;
  placement: DataSourcePlacement;
}

const APPROVED_SUBSCRIPTIONS = new Set(['manual', 'approval']);
const all = <T, R>(items: readonly T[], fn: (t: T) => Promise<R>): Promise<R[]> => Promise.all(items.map(fn));

function handled(deps: FetchDeps, handlerType: string | undefined): boolean {
  return (
    deps.config.handlerTypes.length === 0 || handlerType === undefined || deps.config.handlerTypes.includes(handlerType)
  );
}

async function globalPolicies(deps: FetchDeps, ids: 'all' | string[]) {
  const { client } = deps;
  if (ids === 'all') {
    const json = await client.get(
      'policy/global',
      z.union([z.array(GlobalPolicySchema), z.object({ hits: z.array(GlobalPolicySchema) }).passthrough()]),
    );
    return { found: json === null ? [] : Array.isArray(json) ? json : json.hits, missing: [] as string[] };
  }
  const got = await all(ids, async (id) => ({
    id,
    policy: await client.get(`policy/global/${encodeURIComponent(id)}`, GlobalPolicySchema),
  }));
  return {
    found: got.flatMap((g) => (g.policy ? [g.policy] : [])),
    missing: got.filter((g) => !g.policy).map((g) => g.id),
  };
}

/** One data source with its dictionary, tags and own rules; null when Immuta no longer has it (or it is not ours). */
async function oneDataSource(deps: FetchDeps, id: string, out: DesiredState): Promise<void> {
  const { client } = deps;
  const path = encodeURIComponent(id);
  const ds = await client.get(`dataSource/${path}`, DataSourceSchema);
  if (!ds || ds.deleted === true || !handled(deps, ds.blobHandlerType)) return;
  const [dictionary, tags, handler] = await Promise.all([
    client.get(`dictionary/${path}`, DictionarySchema),
    client.get(`tag/datasource/${path}`, TagListSchema),
    client.get(`policy/handler/${path}`, PolicyHandlerSchema),
  ]);
  const mapped = mapDataSource(
    ds,
    dictionary,
    (tags ?? []).map((t) => t.name),
    deps.placement,
  );
  out.diagnostics.push(...mapped.diagnostics);
  if (!mapped.dataSource) return;
  out.dataSources.set(mapped.dataSource.id, mapped.dataSource);
  const policies = mapDataSourcePolicies(ds, handler?.jsonRules ?? null);
  out.diagnostics.push(...policies.diagnostics);
  if (mapped.failClosedReason) {
    const failure = new Unmappable(`data source ${ds.id} ${JSON.stringify(ds.name)}`, mapped.failClosedReason);
    const scope = { kind: 'local' as const, dataSourceId: mapped.dataSource.id };
    out.policies.set(
      `${mapped.dataSource.id}:failclosed`,
      failClosedPolicy(`${mapped.dataSource.id}:failclosed`, scope, ds.name, '1970-01-01T00:00:00.000Z', failure),
    );
    out.diagnostics.push(diagnostic('VG706', `${failure.rule}: ${failure.reason}; it fails closed (no rows)`));
    return;
  }
  for (const p of policies.policies) out.policies.set(p.id, p);
}

async function dataSourceIds(deps: FetchDeps): Promise<{ id: string; subscriptionType?: string }[]> {
  const summaries = await deps.client.list(
    'dataSource',
    DataSourceSummarySchema.extend({ subscriptionType: z.string().optional().nullable() }),
    {},
    deps.config.pageSize,
  );
  return summaries
    .filter((s) => s.deleted !== true && handled(deps, s.blobHandlerType))
    .map((s) => ({ id: s.id, ...(s.subscriptionType ? { subscriptionType: s.subscriptionType } : {}) }));
}

/** Groups, projects, purposes and individual approvals: what every profile is built from. */
async function userContext(deps: FetchDeps): Promise<UserContext> {
  const { client, config } = deps;
  const [groups, projects, sources] = await Promise.all([
    client.list('bim/group', GroupSchema, {}, config.pageSize),
    client.list('project', ProjectSchema, {}, config.pageSize),
    dataSourceIds(deps),
  ]);
  const groupsOf = new Map<string, string[]>();
  await all(groups, async (g) => {
    for (const m of await client.list(
      `bim/group/${encodeURIComponent(g.id)}/user`,
      MemberSchema,
      {},
      config.pageSize,
    )) {
      const k = userKey(m.iamid, m.userid);
      groupsOf.set(k, [...(groupsOf.get(k) ?? []), g.name]);
    }
  });
  const live = projects.filter((p) => p.deleted !== true);
  const purposes = new Map(
    live.map((p) => [p.name, (p.purposes ?? []).map((x) => (typeof x === 'string' ? x : x.name))]),
  );
  const names = new Map(live.flatMap((p) => [[p.id, p.name] as const, [p.name, p.name] as const]));
  const projectsOf = new Map<string, { name: string; acknowledged: boolean }[]>();
  await all(live, async (p) => {
    for (const m of await client.list(
      `project/${encodeURIComponent(p.id)}/members`,
      ProjectMemberSchema,
      {},
      config.pageSize,
    )) {
      const k = userKey(m.iamid, m.userid);
      projectsOf.set(k, [...(projectsOf.get(k) ?? []), { name: p.name, acknowledged: m.acknowledged === true }]);
    }
  });
  const approved = new Map<string, string[]>();
  const individually = sources.filter((s) => APPROVED_SUBSCRIPTIONS.has((s.subscriptionType ?? '').toLowerCase()));
  await all(individually, async (s) => {
    for (const a of await client.list(
      `dataSource/${encodeURIComponent(s.id)}/access`,
      AccessSchema,
      {},
      config.pageSize,
    )) {
      if (a.state !== undefined && a.state !== 'subscribed' && a.state !== 'owner') continue;
      const k = userKey(a.iamid, a.userid);
      approved.set(k, [...(approved.get(k) ?? []), dataSourceId(s.id)]);
    }
  });
  return {
    groupsOf: (k) => groupsOf.get(k) ?? [],
    projectsOf: (k) => projectsOf.get(k) ?? [],
    purposesOf: (name) => purposes.get(name) ?? [],
    projectName: (x) => names.get(x),
    approvedDataSources: (k) => approved.get(k) ?? [],
  };
}

/** Every user of the configured identity managers. */
async function immutaUsers(deps: FetchDeps): Promise<ImmutaUser[]> {
  const { client, config } = deps;
  const lists = await all(config.iamIds, (iam) =>
    client.list(`bim/iam/${encodeURIComponent(iam)}/user`, UserSchema, {}, config.pageSize),
  );
  return lists.flat();
}

/**
 * Users are always read in full, even for a notice that names one: only the whole list tells which profile
 * rows no Immuta user maps to any more (a user deleted, disabled, or whose Redshift name changed). Returns the
 * Redshift names of the users the scope named (by Immuta user id).
 */
async function addUsers(deps: FetchDeps, named: 'all' | string[], out: DesiredState): Promise<Set<string>> {
  const users = await immutaUsers(deps);
  out.checked += users.length;
  const ctx = await userContext(deps);
  const byName = new Map<string, { profile: UserProfileInput; from: string[]; immutaIds: string[] }>();
  for (const u of users) {
    const mapped = mapUser(u, ctx, deps.config.userName);
    out.diagnostics.push(...mapped.diagnostics);
    if (!mapped.profile) continue;
    const seen = byName.get(mapped.profile.userId);
    byName.set(mapped.profile.userId, {
      profile: mapped.profile,
      from: [...(seen?.from ?? []), `${u.iamid}/${u.userid}`],
      immutaIds: [...(seen?.immutaIds ?? []), u.userid],
    });
  }
  const namedNames = new Set<string>();
  for (const [name, { profile, from, immutaIds }] of byName) {
    if (named === 'all' || immutaIds.some((id) => named.includes(id))) namedNames.add(name);
    // Two Immuta users for one Redshift user: whose entitlements apply is unknowable — neither's.
    if (from.length > 1)
      out.diagnostics.push(
        diagnostic(
          'VG707',
          `Redshift user ${JSON.stringify(name)} is the name of several Immuta users (${from.join(', ')}); no profile`,
        ),
      );
    else out.users.set(name, profile);
  }
  return namedNames;
}

export async function fetchDesired(deps: FetchDeps, requested: SyncScope): Promise<DesiredState> {
  const none: Predicates = { dataSource: () => false, policy: () => false, user: () => false };
  const out: DesiredState = {
    dataSources: new Map(),
    policies: new Map(),
    users: new Map(),
    covers: none,
    named: none,
    checked: 0,
    diagnostics: [],
  };
  let scope = requested;
  // Policies first: a subscription policy (or one that is gone) changes the subscription of data sources.
  const gps = await globalPolicies(deps, scope.policies);
  out.checked += gps.found.length;
  if (
    scope.policies !== 'all' &&
    (gps.missing.length > 0 || gps.found.some((p) => p.type.toLowerCase() === 'subscription'))
  )
    scope = { ...scope, dataSources: 'all' };
  for (const gp of gps.found.filter(isActive)) {
    const mapped = mapGlobalPolicy(gp);
    out.diagnostics.push(...mapped.diagnostics);
    for (const p of mapped.policies) out.policies.set(p.id, p);
  }
  const dsIds = scope.dataSources === 'all' ? (await dataSourceIds(deps)).map((s) => s.id) : scope.dataSources;
  out.checked += dsIds.length;
  await all(dsIds, (id) => oneDataSource(deps, id, out));
  const readUsers =
    scope.users === 'all' || scope.users.length > 0 || scope.refreshUsers === true || scope.dataSources === 'all';
  const namedUsers = readUsers ? await addUsers(deps, scope.users, out) : new Set<string>();

  const dsScope = scope.dataSources;
  const gpScope = scope.policies;
  out.covers = {
    dataSource: (id) =>
      id.startsWith('immuta:ds:') && (dsScope === 'all' || dsScope.some((x) => id === dataSourceId(x))),
    policy: (id) =>
      (id.startsWith('immuta:ds:') &&
        (dsScope === 'all' || dsScope.some((x) => id.startsWith(dataSourcePolicyPrefix(x))))) ||
      (id.startsWith('immuta:gp:') && (gpScope === 'all' || gpScope.some((x) => id.startsWith(globalPolicyPrefix(x))))),
    user: () => readUsers,
  };
  const namedDs = requested.dataSources === 'all' ? [] : requested.dataSources;
  const namedGp = requested.policies === 'all' ? [] : requested.policies;
  out.named = {
    dataSource: (id) => namedDs.some((x) => id === dataSourceId(x)),
    policy: (id) =>
      namedDs.some((x) => id.startsWith(dataSourcePolicyPrefix(x))) ||
      namedGp.some((x) => id.startsWith(globalPolicyPrefix(x))),
    user: (userId) => requested.users !== 'all' && namedUsers.has(userId),
  };
  return out;
}
