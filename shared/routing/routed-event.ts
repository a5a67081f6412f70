// The router Lambdas receive the envelope again from the bus (EventBridge `detail`, or the local router).
// It was validated at ingest, but the bus is a trust boundary of its own (a replay, a hand-put test event, a
// rule matching more than we meant), so each router validates it against the contract again, for the
// category it serves, and rejects anything else with a precise message.
import { formatIssues } from '../diagnostics/zod-issues.js';
import { EVENT_SCHEMAS, isEventType, type WebhookEvent } from '../events/event-types.js';
import { routeFor, type EventCategory } from '../routing/routing-table.js';

export class RoutedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoutedEventError';
  }
}

/** `detail` as EventBridge delivers it (an object) or as JSON text. */
export function parseRoutedEvent(detail: unknown, category: EventCategory): WebhookEvent {
  let json = detail;
  if (typeof detail === 'string') {
    try {
      json = JSON.parse(detail);
    } catch {
      throw new RoutedEventError('event detail is not JSON');
    }
  }
  const type = json !== null && typeof json === 'object' ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !isEventType(type))
    throw new RoutedEventError(`unknown event type ${JSON.stringify(String(type).slice(0, 100))}`);
  if (routeFor(type)?.category !== category)
    throw new RoutedEventError(`event type ${type} is not routed to the ${category} router`);
  const r = EVENT_SCHEMAS[type].safeParse(json);
  if (!r.success) {
    throw new RoutedEventError(`event ${type} violates the contract: ${formatIssues(r.error, '(event)')}`);
  }
  return r.data as WebhookEvent;
}
