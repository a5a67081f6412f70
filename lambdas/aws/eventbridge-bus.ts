// The event bus port on EventBridge. PutEvents takes at most 10 entries and reports failures per entry
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): only the failed entries
// are retried, a few times with a short backoff (the sender is waiting), and whatever still failed is
// returned so the caller can answer 5xx. Whole-call errors (throttling, network) are retried by the SDK
// itself and then thrown.
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEntry, EventBus, PutResult } from '../../shared/ports/event-bus.js';

const MAX_ENTRIES_PER_CALL = 10;

export interface EventBridgeBusOptions {
  /** Calls per chunk including the first; failed entries only are re-sent. */
  maxAttempts?: number;
  /** Wait before retry n is backoffMs * 2^(n-1). */
  backoffMs?: number;
}

export class EventBridgeBus implements EventBus {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    options: EventBridgeBusOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? 50;
  }

  async put(entries: BusEntry[]): Promise<PutResult> {
    const failed: PutResult['failed'] = [];
    for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_CALL) {
      const chunk = entries.slice(start, start + MAX_ENTRIES_PER_CALL).map((entry, i) => ({ entry, index: start + i }));
      failed.push(...(await this.putChunk(chunk)));
    }
    return { failed };
  }

  private async putChunk(pending: { entry: BusEntry; index: number }[]): Promise<PutResult['failed']> {
    let lastFailures: PutResult['failed'] = [];
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs * 2 ** (attempt - 2));
      const response = await this.client.send(
        new PutEventsCommand({ Entries: pending.map((p) => this.toRequestEntry(p.entry)) }),
      );
      const results = response.Entries ?? [];
      const stillPending: typeof pending = [];
      lastFailures = [];
      pending.forEach((p, i) => {
        const r = results[i];
        // Fail closed: an entry without an EventId in the answer was not accepted, whatever the reason.
        if (r?.EventId && !r.ErrorCode) return;
        stillPending.push(p);
        lastFailures.push({
          index: p.index,
          code: r?.ErrorCode ?? 'MissingResult',
          message: r?.ErrorMessage ?? 'no result for this entry',
        });
      });
      pending = stillPending;
    }
    return pending.length === 0 ? [] : lastFailures;
  }

  private toRequestEntry(entry: BusEntry): PutEventsRequestEntry {
    return { EventBusName: this.busName, Source: entry.source, DetailType: entry.detailType, Detail: entry.detail };
  }
}
