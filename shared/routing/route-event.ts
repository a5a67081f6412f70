// One entry point for every routed event (the local router and the tests): the routing table decides the
// category, the category's router turns the event into work messages.
import type { WebhookEvent } from '../events/event-types.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { WorkMessage, WorkQueue } from '../ports/work-queue.js';
import { routeFor, type EventCategory } from '../routing/routing-table.js';
import type { Dialect } from '../sql/dialect.js';
import { routeDataSourceEvent, type DataSourceEvent } from './route-datasource.js';
import { routePolicyEvent, type PolicyEvent, type PolicyFanOut } from './route-policy.js';
import { routeUserEvent, type UserEvent } from './route-user.js';
import { parseRoutedEvent } from './routed-event.js';
import { sendInBatches } from './send-work.js';

export interface RouterDeps {
  /** Read by the policy router only (the catalog decides the fan-out); the others need no warehouse. */
  warehouse?: Warehouse;
  dialect?: Dialect;
  /** How a policy change is fanned out (default DEFAULT_POLICY_FAN_OUT). */
  policyFanOut?: PolicyFanOut;
}

export async function routeEvent(event: WebhookEvent, deps: RouterDeps): Promise<WorkMessage[]> {
  const route = routeFor(event.type);
  switch (route?.category) {
    case 'datasource':
      return routeDataSourceEvent(event as DataSourceEvent);
    case 'policy':
      if (!deps.warehouse || !deps.dialect) throw new Error('the policy router needs the warehouse and its dialect');
      return routePolicyEvent(event as PolicyEvent, deps.warehouse, deps.dialect, deps.policyFanOut);
    case 'user':
      return routeUserEvent(event as UserEvent);
    default:
      throw new Error(`no route for event type ${event.type}`);
  }
}

export interface RoutedEventResult {
  event: WebhookEvent;
  messages: WorkMessage[];
  /** SendMessageBatch calls made. */
  sends: number;
}

/**
 * What a router does with one bus event, in the Lambda and locally alike: validate the envelope again for
 * this category → the work messages → the queue, 10 at a time. Throws on any failure so the bus retries.
 */
export async function routeToQueue(
  detail: unknown,
  category: EventCategory,
  deps: RouterDeps & { queue: WorkQueue },
): Promise<RoutedEventResult> {
  const event = parseRoutedEvent(detail, category);
  const messages = await routeEvent(event, deps);
  const sends = await sendInBatches(deps.queue, messages);
  return { event, messages, sends };
}
