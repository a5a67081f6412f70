// The event bus port in one process: each entry is matched against the routing table (the same entries the
// CDK turns into EventBridge rules) and handed to that category's router, which puts the work on the queue.
// put() answers per entry, like PutEvents: an entry no rule matches, or whose router failed, is reported
// failed — ingest then answers 5xx and the sender retries, so nothing is acknowledged and lost.
import type { BusEntry, EventBus, PutResult } from '../../shared/ports/event-bus.js';
import type { WorkQueue } from '../../shared/ports/work-queue.js';
import { routeToQueue, type RoutedEventResult, type RouterDeps } from '../../shared/routing/route-event.js';
import { EVENT_SOURCE, routeFor } from '../../shared/routing/routing-table.js';

export interface LocalEventBusDeps extends RouterDeps {
  queue: WorkQueue;
  /** Observes each routed event (status counters, demo progress). */
  onRouted?: (result: RoutedEventResult) => void;
}

export class LocalEventBus implements EventBus {
  constructor(private readonly deps: LocalEventBusDeps) {}

  async put(entries: BusEntry[]): Promise<PutResult> {
    const failed: PutResult['failed'] = [];
    for (const [index, entry] of entries.entries()) {
      const route = entry.source === EVENT_SOURCE ? routeFor(entry.detailType) : undefined;
      if (!route) {
        failed.push({ index, code: 'NoMatchingRule', message: `no rule for ${entry.source} / ${entry.detailType}` });
        continue;
      }
      try {
        const result = await routeToQueue(entry.detail, route.category, this.deps);
        this.deps.onRouted?.(result);
      } catch (err) {
        failed.push({ index, code: 'RouterFailed', message: err instanceof Error ? err.message : String(err) });
      }
    }
    return { failed };
  }
}
