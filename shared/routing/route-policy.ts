// policy.* event → one work message per view the change reaches, each in that view's group, so a policy
// change and the view's data source changes apply in one order. The reach is read from the catalog: views
// matched by the STORED policy (a narrowed or deleted policy must leave them) ∪ views the new state matches.
// A policy that reaches no view yet still has its state stored: one message in the group `policy:<id>`.
// The read can be stale by the time the items apply (a data source registered in between); the first item
// to store the new version re-checks the reach under the epoch guard (apply-work-item.ts, "re-fan-out").
// A change reaching many views (≥ `chunkFrom`) goes out as view sets instead: items of ≤ `viewsPerItem` views
// each, in the group `policy:<id>` — a policy push in few transactions (shared/apply/apply-view-set.ts).
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

/** How a policy change is fanned out: per view below `chunkFrom` views, else in view sets. */
export interface PolicyFanOut {
  /** The fewest views a change must reach to go out as view sets. */
  chunkFrom: number;
  /** The most views one item carries (its transactions must fit one apply invocation). */
  viewsPerItem: number;
}

/**
 * Default: a change reaching more views than one received batch of per-view items holds goes out in sets of
 * 370 views = 3 transactions of ≤ 128 views (shared/apply/apply-view-set.ts VIEWS_PER_TRANSACTION) — about 40 s
 * on a cluster by the cost model of docs/performance.md, within the apply Lambda's 120 s.
 */
export const DEFAULT_POLICY_FAN_OUT: PolicyFanOut = { chunkFrom: 11, viewsPerItem: 370 };

/** Ids bytes in one item at most: the SQS message (≤ 256 KiB) also carries the policy. */
const MAX_ID_BYTES_PER_ITEM = 100_000;

/** The message for one policy item; apply-work-item's re-fan-out builds the same ids, so repeats dedup. */
export function policyMessage(item: PolicyWorkItem): WorkMessage {
  if (item.dataSourceIds) {
    // The set's own digest names it: the same set from the same event is one message.
    const object = `policy:${item.policyId}/views:${affectedDigest(item.dataSourceIds)}`;
    return {
      groupId: policyGroupId(item.policyId),
      deduplicationId: deduplicationId(item.eventId, object),
      body: JSON.stringify(item),
    };
  }
  const object =
    item.dataSourceId === null ? `policy:${item.policyId}` : `policy:${item.policyId}/view:${item.dataSourceId}`;
  return {
    groupId: item.dataSourceId === null ? policyGroupId(item.policyId) : viewGroupId(item.dataSourceId),
    deduplicationId: deduplicationId(item.eventId, object),
    body: JSON.stringify(item),
  };
}

/** The items for one policy event against one catalog snapshot (pure: the tests drive it directly). */
export function policyWorkItems(
  event: PolicyEvent,
  snapshot: CatalogSnapshot,
  fanOut: PolicyFanOut = DEFAULT_POLICY_FAN_OUT,
): PolicyWorkItem[] {
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
  if (ids.length < fanOut.chunkFrom) return ids.map((dataSourceId) => ({ ...base, dataSourceId }));
  return viewSets(ids, fanOut.viewsPerItem).map((dataSourceIds) => ({ ...base, dataSourceId: null, dataSourceIds }));
}

/** `ids` in order, cut into sets of ≤ `max` ids and ≤ MAX_ID_BYTES_PER_ITEM bytes of ids. */
export function viewSets(ids: readonly string[], max: number): string[][] {
  const out: string[][] = [];
  let open: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const size = Buffer.byteLength(JSON.stringify(id), 'utf8') + 1;
    if (open.length > 0 && (open.length >= max || bytes + size > MAX_ID_BYTES_PER_ITEM)) {
      out.push(open);
      open = [];
      bytes = 0;
    }
    open.push(id);
    bytes += size;
  }
  if (open.length > 0) out.push(open);
  return out;
}

export async function routePolicyEvent(
  event: PolicyEvent,
  warehouse: Warehouse,
  dialect: Dialect,
  fanOut?: PolicyFanOut,
): Promise<WorkMessage[]> {
  const snapshot = parseCatalog(await warehouse.query(catalogReadStatement(dialect)));
  return policyWorkItems(event, snapshot, fanOut).map(policyMessage);
}
