// The bus entry for one accepted event: source `viewguard.webhooks`, DetailType = the event type (the
// routing table's rules match on it), Detail = the validated envelope as JSON.
import type { BusEntry } from '../ports/event-bus.js';
import { EVENT_SOURCE } from '../routing/routing-table.js';
import type { WebhookEvent } from './event-types.js';

/**
 * EventBridge accepts an entry only when Source + DetailType + Detail (UTF-8 bytes) stay below 256 KiB:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export const MAX_BUS_ENTRY_BYTES = 256 * 1024;

export function toBusEntry(event: WebhookEvent): BusEntry {
  return { source: EVENT_SOURCE, detailType: event.type, detail: JSON.stringify(event) };
}

export function busEntrySize(entry: BusEntry): number {
  return Buffer.byteLength(entry.source) + Buffer.byteLength(entry.detailType) + Buffer.byteLength(entry.detail);
}
