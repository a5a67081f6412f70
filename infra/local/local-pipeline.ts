// The whole pipeline in one process — the one place it is wired, reused by `npm start`, the demo, the tests
// and the bench:
//
//   receiveWebhook → ingest (shared/events/ingest.ts) → LocalEventBus (routing table → datasource/policy/user router)
//     → LocalFifoQueue (groups, dedup, visibility timeout, redelivery, DLQ) → consumer → apply loop → warehouse
//
// The routers and the apply loop are the same shared functions the Lambdas call; only the ports differ.
// The consumer decides a batch's failures with the apply Lambda's code (shared/apply/fifo-partial-batch.ts):
// a failed message and every later message of ITS group in the batch go back to the queue; other groups go on.
import { setTimeout as sleep } from 'node:timers/promises';
import { ingest, type IngestOutcome, type IngestRequest } from '../../shared/events/ingest.js';
import { dialectFor, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { LocalFifoQueue, type LocalFifoQueueOptions, type ReceivedMessage } from './local-fifo-queue.js';
import type { ApplyOutcome } from '../../shared/apply/apply-outcome.js';
import { processWorkBatch } from '../../shared/apply/apply-work-batch.js';
import { fifoFailureReason } from '../../shared/apply/fifo-partial-batch.js';
import { reportRecord } from '../../shared/apply/outcome-reporter.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import type { PolicyFanOut } from '../../shared/routing/route-policy.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { LocalEventBus } from './local-event-bus.js';
import { StatusOutcomeReporter } from './status-outcome-reporter.js';
import { keepInvisible, type HeartbeatOptions } from './visibility-heartbeat.js';

export interface LocalPipelineOptions {
  config: IntegrationConfig;
  /** Acting as the system role (local-warehouse.ts). */
  warehouse: Warehouse;
  /** The Standard Webhooks secret ("whsec_…"). */
  webhookSecret: string;
  queue?: LocalFifoQueueOptions;
  /** How long a failed message stays invisible, by its receive count. Default: none (visible at once). */
  retryDelayMs?: (receiveCount: number) => number;
  /** The receiver's clock for the signature tolerance. */
  now?: () => Date;
  dialect?: Dialect;
  /** Structured log lines (JSON-able objects). Default: none. */
  log?: (entry: Record<string, unknown>) => void;
  /** Immediate conflict re-reads in the apply loop (default 5). */
  maxConflictRetries?: number;
  /** How the policy router fans a change out (default DEFAULT_POLICY_FAN_OUT: view sets from 11 views). */
  policyFanOut?: PolicyFanOut;
  /** How the consumer keeps a batch it is working on invisible (visibility-heartbeat.ts). */
  heartbeat?: HeartbeatOptions;
}

export interface PipelineStatus {
  queueDepth: number;
  inFlight: number;
  dlqDepth: number;
  applied: number;
  failed: number;
  skipped: number;
  eventsReceived: number;
  /** Views left in their fail-closed form (StatusCounts.failedClosed). */
  failedClosed: number;
  lastError: { at: string; object: string; reason: string } | null;
}

export class LocalPipeline {
  readonly queue: LocalFifoQueue;
  readonly bus: LocalEventBus;
  readonly warehouse: Warehouse;
  readonly config: IntegrationConfig;
  /** How each record went: /status counters, the last error, log lines (status-outcome-reporter.ts). */
  readonly reporter: StatusOutcomeReporter;
  private eventsReceived = 0;
  private loop: { stop: boolean; done: Promise<void> } | undefined;
  private readonly dialect: Dialect;
  private readonly log: (entry: Record<string, unknown>) => void;

  constructor(private readonly options: LocalPipelineOptions) {
    this.queue = new LocalFifoQueue(options.queue);
    this.warehouse = options.warehouse;
    this.config = options.config;
    // The SQL names the config's own schemas (IntegrationConfig.schemas).
    this.dialect = dialectFor(options.dialect ?? postgres, options.config);
    this.log = options.log ?? (() => undefined);
    this.reporter = new StatusOutcomeReporter(this.log);
    this.bus = new LocalEventBus({
      warehouse: options.warehouse,
      dialect: this.dialect,
      queue: this.queue,
      ...(options.policyFanOut ? { policyFanOut: options.policyFanOut } : {}),
      onRouted: ({ event, messages }) => {
        this.eventsReceived++;
        this.log({
          level: 'info',
          message: 'event routed',
          eventId: event.id,
          type: event.type,
          subject: event.subject,
          workItems: messages.length,
        });
      },
    });
  }

  /** POST /webhooks: the raw body and headers exactly as received. */
  receiveWebhook(request: IngestRequest): Promise<IngestOutcome> {
    return ingest(request, {
      bus: this.bus,
      secrets: { get: async () => this.options.webhookSecret },
      now: this.options.now ?? (() => new Date()),
    });
  }

  /**
   * One receive (≤ batchSize messages) processed in order; returns how many were received. The batch's messages
   * stay invisible while it is worked on, however long that takes (visibility-heartbeat.ts).
   */
  async consumeOnce(batchSize = 10): Promise<number> {
    const batch = this.queue.receive(batchSize);
    if (batch.length === 0) return 0;
    const heartbeat = keepInvisible(
      this.queue,
      batch.map((m) => m.receiptHandle),
      this.options.heartbeat,
    );
    try {
      // As the apply Lambda does: group heads in one transaction where they can be, the rest one by one.
      const results = await processWorkBatch(batch, this.applyDeps(), async (message, run) => {
        await reportRecord(this.reporter, message, run);
        heartbeat.release(message.receiptHandle);
        this.queue.ack(message.receiptHandle);
      });
      for (const result of results) {
        if (result.status === 'processed') continue;
        heartbeat.release(result.record.receiptHandle);
        this.queue.fail(result.record.receiptHandle, fifoFailureReason(result), this.delay(result.record));
      }
    } finally {
      heartbeat.stop();
    }
    return batch.length;
  }

  /**
   * Consume until nothing is waiting or in flight (dead letters stay in the DLQ). `timeoutMs` bounds the
   * wall time (messages waiting out a retry delay are waited for).
   */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = await this.consumeOnce();
      if (received > 0) continue;
      const { depth, inFlight } = this.queue.counters();
      if (depth === 0 && inFlight === 0) return;
      if (Date.now() > deadline)
        throw new Error(`drain: ${depth} waiting and ${inFlight} in flight after ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** The consumer loop of `npm start`: poll, process, repeat until stop(). */
  start(pollMs = 50): void {
    if (this.loop) return;
    const state = { stop: false, done: Promise.resolve() };
    state.done = (async () => {
      while (!state.stop) {
        let received = 0;
        try {
          received = await this.consumeOnce();
        } catch (err) {
          this.log({
            level: 'error',
            message: 'consumer loop error',
            error: err instanceof Error ? err.message : String(err),
          });
        }
        if (received === 0 && !state.stop) await sleep(pollMs);
      }
    })();
    this.loop = state;
  }

  /** Stop the consumer after the batch in hand (graceful shutdown). */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    loop.stop = true;
    await loop.done;
    this.loop = undefined;
  }

  status(): PipelineStatus {
    const q = this.queue.counters();
    return {
      queueDepth: q.depth,
      inFlight: q.inFlight,
      dlqDepth: q.dlqDepth,
      ...this.reporter.counts,
      eventsReceived: this.eventsReceived,
      lastError: this.reporter.lastError,
    };
  }

  /** The last outcomes (newest last, at most 1,000), for the demo, the tests and the bench. */
  get outcomes(): readonly ApplyOutcome[] {
    return this.reporter.outcomes;
  }

  private applyDeps() {
    return {
      warehouse: this.warehouse,
      queue: this.queue,
      dialect: this.dialect,
      config: this.config,
      ...(this.options.maxConflictRetries !== undefined ? { maxConflictRetries: this.options.maxConflictRetries } : {}),
    };
  }

  private delay(message: ReceivedMessage): number {
    return this.options.retryDelayMs?.(Number(message.attributes.ApproximateReceiveCount)) ?? 0;
  }
}
