// policy.* event → one work message per view the change reaches, each in that view's group, so a policy
// change and the view's data source changes apply in one order. The reach is read from the catalog: views
// matched by the STORED policy (a narrowed or deleted policy must leave them) ∪ views the new state matches.
// A policy that reaches no view yet still has its state stored: one message in the group `policy:<id>`.
// The read can be stale by the time the items apply (a data source registered in between); the first item
// to store the new version re-checks the reach under the epoch guard (apply-work-item.ts, "re-fan-out").
import { affectedDigest } from '../compiler/view-change-plan.js';
import type { WebhookEventOf } from '../events/event-types.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { liveDataSources, storedPolicy } from '../layout/catalog-state.js';
import { affectedDataSources } from '../policy/applicable-policies.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { WorkMessage } from '../ports/work-queue.js';
import type { Dialect } from '../sql/dialect.js';
import { boundedKey, deduplicationId, viewGroupId } from './fifo-group-key.js';
import type { PolicyWorkItem } from './work-item.js';

export type PolicyEvent = WebhookEventOf<'policy.created' | 'policy.updated' | 'policy.deleted'>;

/** The group of a policy item that reaches no view: ordered per policy, apart from every view. */
export const policyGroupId = (policyId: string): string => boundedKey(`policy:${policyId}`);

/** The message for one policy item; apply-work-item's re-fan-out builds the same ids, so repeats dedup. */
export function policyMessage(item: PolicyWorkItem): WorkMessage {
  const object = item.dataSourceId === null ? `policy:${item.policyId}` : `policy:${item.policyId}/view:${item.dataSourceId}`;
  return {
    groupId: item.dataSourceId === null ? policyGroupId(item.policyId) : viewGroupId(item.dataSourceId),
    deduplicationId: deduplicationId(item.eventId, object),
    body: JSON.stringify(item),
  };
}

/** The items for one policy event against one catalog snapshot (pure: the tests drive it directly). */
export function policyWorkItems(event: PolicyEvent, snapshot: CatalogSnapshot): PolicyWorkItem[] {
  const carried = event.type === 'policy.deleted' ? null : event.data.policy;
  const policyId = carried?.id ?? (event.data as { id: string }).id;
  const version = carried?.version ?? (event.data as { version: number }).version;
  const ids = affectedDataSources(liveDataSources(snapshot), storedPolicy(snapshot, policyId), carried);
  const base = {
    kind: 'policy' as const,
    eventId: event.id,
    eventTime: event.time,
    policyId,
    version,
    deleted: carried === null,
    definition: carried,
    fanOutDigest: affectedDigest(ids),
  };
  if (ids.length === 0) return [{ ...base, dataSourceId: null }];
  return ids.map((dataSourceId) => ({ ...base, dataSourceId }));
}

export async function routePolicyEvent(event: PolicyEvent, warehouse: Warehouse, dialect: Dialect): Promise<WorkMessage[]> {
  const snapshot = parseCatalog(await warehouse.query(catalogReadStatement(dialect)));
  return policyWorkItems(event, snapshot).map(policyMessage);
}
