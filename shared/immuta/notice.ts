// An Immuta webhook delivery is a short notice for people (`text`, `attachments[].text`, a loosely specified
// `metadata`), not the object's state. We never trust it for content: it only becomes a HINT — which kind of
// object to fetch again from Immuta's API, and its id when the notice names one. Anything we cannot read is
// a hint to refresh everything: a notice we misread must never leave access stale.
// The notification types and their meaning: docs/immuta.md "Notices → hints" (Immuta's webhooks page).

/** What a hint asks the fetcher to refresh. `all` = a full reconcile. */
export type HintKind = 'dataSource' | 'policy' | 'user' | 'allDataSources' | 'allPolicies' | 'allUsers' | 'all';

export interface Hint {
  kind: HintKind;
  /** The Immuta id the notice named (data source id, global policy id, user id), as text. */
  id?: string;
  /** The notification type we read, for logs. */
  notificationType?: string;
}

type Target = { one: 'dataSource' | 'policy' | 'user'; else: HintKind } | 'ignore';

const ds: Target = { one: 'dataSource', else: 'allDataSources' };
const policy: Target = { one: 'policy', else: 'allPolicies' };
const user: Target = { one: 'user', else: 'allUsers' };
const allUsers: Target = { one: 'user', else: 'allUsers' };

/**
 * Notification type → what to refresh. Data source notices also cover the data source's own (local) policies
 * and subscription; access notices change a user's approved data sources; projects, purposes and groups change
 * profiles; tags can move global policies onto other data sources, so they refresh everything.
 */
export const NOTIFICATION_TARGETS: Readonly<Record<string, Target>> = {
  modelCreated: ds,
  modelDeleted: ds,
  dataSourceUpdated: ds,
  dataSourceExpired: ds,
  modelTagAdded: ds,
  modelTagRemoved: ds,
  policyUpdated: ds,
  addedToProject: allUsers,
  deletedDatasourceRemovedFromProject: allUsers,
  expiredDatasourceRemovedFromProject: allUsers,
  globalPolicyCreated: policy,
  globalPolicyUpdated: policy,
  globalPolicyDeleted: policy,
  globalPolicyDisabled: policy,
  globalPolicyApproved: policy,
  modelAccessApproved: user,
  modelAccessRevoked: user,
  modelAccessUpdated: user,
  userCreated: user,
  userUpdated: user,
  userDeleted: user,
  userDisabled: user,
  groupUserAdded: user,
  groupUserDeleted: user,
  attributeAdded: user,
  attributeRemoved: user,
  attributeUpdated: user,
  switchedCurrentProject: user,
  acknowledgedAccess: user,
  projectUpdated: allUsers,
  purposeCreated: allUsers,
  purposeUpdated: allUsers,
  purposeDeleted: allUsers,
  // Informational: nothing a view or a profile depends on.
  apiKeyRevoked: 'ignore',
  bulkJobStatus: 'ignore',
  firstQuery: 'ignore',
  dataSourceExpiring: 'ignore',
  certificationRequired: 'ignore',
  conflictingGlobalPolicies: 'ignore',
};

const TYPE_FIELDS = ['notificationType', 'type', 'action', 'eventType', 'event'] as const;
const ID_FIELDS: Record<'dataSource' | 'policy' | 'user', readonly string[]> = {
  dataSource: ['dataSourceId', 'datasourceId', 'modelId', 'dataSource'],
  policy: ['policyId', 'globalPolicyId', 'policy'],
  user: ['userid', 'userId', 'username', 'user'],
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Where a notice may carry structured facts: the body itself and its `metadata` (an object or JSON text). */
function factSources(notice: Record<string, unknown>): Record<string, unknown>[] {
  const sources = [notice];
  let meta = notice.metadata;
  if (typeof meta === 'string') {
    try {
      meta = JSON.parse(meta);
    } catch {
      meta = undefined;
    }
  }
  if (isObject(meta)) sources.unshift(meta);
  return sources;
}

function firstString(sources: Record<string, unknown>[], fields: readonly string[]): string | undefined {
  for (const s of sources) {
    for (const f of fields) {
      const v = s[f];
      if (typeof v === 'string' && v.trim() !== '' && v.length <= 256) return v.trim();
      if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
      if (isObject(v) && (typeof v.id === 'number' || typeof v.id === 'string')) return String(v.id);
    }
  }
  return undefined;
}

/** The hints one parsed notice gives. Never throws; an unreadable notice is one `all` hint. */
export function noticeHints(json: unknown): Hint[] {
  if (!isObject(json)) return [{ kind: 'all' }];
  const sources = factSources(json);
  const type = firstString(sources, TYPE_FIELDS);
  const target = type === undefined ? undefined : NOTIFICATION_TARGETS[type];
  if (target === undefined) return [{ kind: 'all', ...(type ? { notificationType: type.slice(0, 100) } : {}) }];
  if (target === 'ignore') return [];
  const id = firstString(sources, ID_FIELDS[target.one]);
  return [
    id === undefined
      ? { kind: target.else, notificationType: type! }
      : { kind: target.one, id, notificationType: type! },
  ];
}
