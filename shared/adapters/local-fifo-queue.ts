// An in-process SQS FIFO queue for the local wiring and the tests, following the SQS FIFO documentation:
// - order holds within a message group; a receive returns as many messages of one group as it can (oldest
//   group first), then fills up from other groups; while any message of a group is in flight no other
//   message of that group is delivered
//   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html,
//   .../interleaving-multiple-ordered-message-groups.html);
// - a deduplication id seen within 5 minutes of its first send is accepted but not enqueued again, and stays
//   tracked after the message is deleted (.../FIFO-key-terms.html);
// - a received message becomes visible again after the visibility timeout, with ApproximateReceiveCount + 1;
//   once it has been received maxReceiveCount times and fails (or times out) again it moves to the DLQ,
//   here with the last failure reason attached; a redrive moves dead letters back (receive count reset).
// Time comes from an injectable clock so that tests control visibility and dedup windows.
import type { WorkMessage, WorkQueue } from '../ports/work-queue.js';

export interface LocalFifoQueueOptions {
  /** Default 30 s (the SQS default). */
  visibilityTimeoutMs?: number;
  /** Receives before a failing message moves to the DLQ. Default 5 (the brief's minimum). */
  maxReceiveCount?: number;
  /** Default 5 min (fixed in SQS). */
  dedupWindowMs?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
}

/** What a consumer gets: the SQS attribute names, so the local wiring can build SQS records from it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  groupId: string;
  deduplicationId: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SequenceNumber: string;
    MessageGroupId: string;
    MessageDeduplicationId: string;
  };
}

export interface DeadLetter {
  messageId: string;
  groupId: string;
  deduplicationId: string;
  body: string;
  receiveCount: number;
  /** The last failure reason reported for this message (or that its visibility timeout expired). */
  reason: string;
  deadLetteredAt: number;
}

export interface QueueCounters {
  /** Messages waiting (visible or not yet deliverable because their group is busy). */
  depth: number;
  inFlight: number;
  dlqDepth: number;
  sent: number;
  deduplicated: number;
  received: number;
  deleted: number;
  failed: number;
  deadLettered: number;
  redriven: number;
}

/** A Lambda-style batch consumer: return the ids that failed (partial batch response), optionally why. */
export type BatchConsumer = (
  batch: ReceivedMessage[],
) => Promise<{ batchItemFailures: { itemIdentifier: string; reason?: string }[] } | void>;

interface StoredMessage {
  messageId: string;
  sequence: number;
  groupId: string;
  deduplicationId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Set while in flight. */
  receiptHandle?: string;
  visibleAt?: number;
  lastFailure?: string;
  /** Failed with a delay: still invisible, but the reason is already known. */
  failedPending?: boolean;
}

export class LocalFifoQueue implements WorkQueue {
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly dedupWindowMs: number;
  private readonly clock: () => number;
  // Per group, its messages in send order (in-flight ones keep their place at the head).
  private readonly groups = new Map<string, StoredMessage[]>();
  private readonly dedupUntil = new Map<string, number>();
  private readonly dlq: DeadLetter[] = [];
  private sequence = 0;
  private receipts = 0;
  private readonly counts = { sent: 0, deduplicated: 0, received: 0, deleted: 0, failed: 0, deadLettered: 0, redriven: 0 };

  constructor(options: LocalFifoQueueOptions = {}) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.dedupWindowMs = options.dedupWindowMs ?? 5 * 60_000;
    this.clock = options.clock ?? Date.now;
    if (this.maxReceiveCount < 1) throw new RangeError('maxReceiveCount must be at least 1');
  }

  async send(messages: WorkMessage[]): Promise<void> {
    this.sendNow(messages);
  }

  /** Enqueue synchronously; returns how many were accepted as new and how many were duplicates. */
  sendNow(messages: WorkMessage[]): { enqueued: number; duplicates: number } {
    const now = this.clock();
    this.forgetExpiredDedupIds(now);
    let enqueued = 0;
    let duplicates = 0;
    for (const m of messages) {
      if (!m.groupId || m.groupId.length > 128) throw new RangeError(`MessageGroupId must be 1..128 characters`);
      if (!m.deduplicationId || m.deduplicationId.length > 128) throw new RangeError(`MessageDeduplicationId must be 1..128 characters`);
      if (this.dedupUntil.has(m.deduplicationId)) {
        duplicates++;
        this.counts.deduplicated++;
        continue;
      }
      this.dedupUntil.set(m.deduplicationId, now + this.dedupWindowMs);
      this.enqueue({
        messageId: `local-${++this.sequence}`,
        sequence: this.sequence,
        groupId: m.groupId,
        deduplicationId: m.deduplicationId,
        body: m.body,
        sentAt: now,
        receiveCount: 0,
      });
      enqueued++;
      this.counts.sent++;
    }
    return { enqueued, duplicates };
  }

  /** Receive up to `max` (1..10) messages, honouring group blocking and visibility. */
  receive(max = 10): ReceivedMessage[] {
    if (!Number.isInteger(max) || max < 1 || max > 10) throw new RangeError('MaxNumberOfMessages must be 1..10');
    const now = this.clock();
    this.expireVisibility(now);
    const out: ReceivedMessage[] = [];
    // Oldest group head first, so that no group starves.
    const candidates = [...this.groups.values()]
      .filter((msgs) => msgs.length > 0 && !msgs.some((m) => m.receiptHandle !== undefined))
      .sort((a, b) => a[0].sequence - b[0].sequence);
    for (const msgs of candidates) {
      // The group has nothing in flight, so its messages are deliverable in order from the head.
      for (const m of [...msgs]) {
        if (out.length >= max) break;
        if (m.receiveCount >= this.maxReceiveCount) {
          this.deadLetter(m, m.lastFailure ?? 'visibility timeout expired', now);
          continue;
        }
        m.receiveCount++;
        m.firstReceivedAt ??= now;
        m.receiptHandle = `rh-${m.messageId}-${++this.receipts}`;
        m.visibleAt = now + this.visibilityTimeoutMs;
        m.failedPending = false;
        this.counts.received++;
        out.push(this.view(m));
      }
      if (out.length >= max) break;
    }
    return out;
  }

  /** DeleteMessage. False when the receipt is no longer valid (e.g. it timed out and was redelivered). */
  ack(receiptHandle: string): boolean {
    const m = this.findInFlight(receiptHandle);
    if (!m) return false;
    this.remove(m);
    this.counts.deleted++;
    return true;
  }

  /**
   * Report a failure: the message becomes visible again after `visibleAfterMs` (default 0, like
   * ChangeMessageVisibility 0) with the reason remembered for the DLQ; after maxReceiveCount receives it
   * moves to the DLQ now.
   */
  fail(receiptHandle: string, reason: string, visibleAfterMs = 0): boolean {
    const m = this.findInFlight(receiptHandle);
    if (!m) return false;
    const now = this.clock();
    m.lastFailure = reason;
    this.counts.failed++;
    if (m.receiveCount >= this.maxReceiveCount) {
      this.deadLetter(m, reason, now);
      return true;
    }
    if (visibleAfterMs <= 0) {
      m.receiptHandle = undefined;
      m.visibleAt = undefined;
    } else {
      m.visibleAt = now + visibleAfterMs;
      m.failedPending = true;
    }
    return true;
  }

  /** ChangeMessageVisibility: extend (or shorten) the in-flight time of a received message. */
  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const m = this.findInFlight(receiptHandle);
    if (!m) return false;
    m.visibleAt = this.clock() + timeoutMs;
    return true;
  }

  deadLetters(): readonly DeadLetter[] {
    return this.dlq;
  }

  /**
   * Move dead letters back to the queue (oldest first), receive count reset. They are the same messages,
   * not new sends, so the dedup window does not drop them.
   */
  redrive(max = Infinity): number {
    const moved = this.dlq.splice(0, Math.min(max, this.dlq.length));
    for (const d of moved) {
      this.enqueue({
        messageId: d.messageId,
        sequence: ++this.sequence,
        groupId: d.groupId,
        deduplicationId: d.deduplicationId,
        body: d.body,
        sentAt: this.clock(),
        receiveCount: 0,
      });
      this.counts.redriven++;
    }
    return moved.length;
  }

  counters(): QueueCounters {
    this.expireVisibility(this.clock());
    let depth = 0;
    let inFlight = 0;
    for (const msgs of this.groups.values()) {
      for (const m of msgs) if (m.receiptHandle === undefined) depth++;
      else inFlight++;
    }
    return { depth, inFlight, dlqDepth: this.dlq.length, ...this.counts };
  }

  /**
   * Test/local helper: receive and hand batches to `consumer` until nothing is deliverable. Messages not
   * reported as failed are deleted; failed ones go back (and to the DLQ after maxReceiveCount). A consumer
   * that throws fails the whole batch. Stops with an error after `maxRounds` receives (a livelock guard).
   */
  async drain(consumer: BatchConsumer, options: { batchSize?: number; maxRounds?: number } = {}): Promise<{ rounds: number }> {
    const maxRounds = options.maxRounds ?? 10_000;
    let rounds = 0;
    for (;;) {
      const batch = this.receive(options.batchSize ?? 10);
      if (batch.length === 0) return { rounds };
      if (++rounds > maxRounds) throw new Error(`drain did not finish within ${maxRounds} receives`);
      let failures: Map<string, string>;
      try {
        const result = await consumer(batch);
        failures = new Map((result?.batchItemFailures ?? []).map((f) => [f.itemIdentifier, f.reason ?? 'reported as a batch item failure']));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        failures = new Map(batch.map((m) => [m.messageId, reason]));
      }
      for (const m of batch) {
        const reason = failures.get(m.messageId);
        if (reason === undefined) this.ack(m.receiptHandle);
        else this.fail(m.receiptHandle, reason);
      }
    }
  }

  /**
   * Like drain, one message at a time, with the FIFO partial-batch rule (Powertools SqsFifoPartialProcessor):
   * after the first failure in a batch, every later message of that batch is failed unprocessed.
   */
  async drainEach(handler: (message: ReceivedMessage) => Promise<void>, options: { batchSize?: number; maxRounds?: number } = {}) {
    return this.drain(async (batch) => {
      const batchItemFailures: { itemIdentifier: string; reason: string }[] = [];
      for (const m of batch) {
        if (batchItemFailures.length > 0) {
          batchItemFailures.push({ itemIdentifier: m.messageId, reason: 'not processed: an earlier message in the FIFO batch failed' });
          continue;
        }
        try {
          await handler(m);
        } catch (err) {
          batchItemFailures.push({ itemIdentifier: m.messageId, reason: err instanceof Error ? err.message : String(err) });
        }
      }
      return { batchItemFailures };
    }, options);
  }

  private enqueue(m: StoredMessage): void {
    const list = this.groups.get(m.groupId);
    if (list) list.push(m);
    else this.groups.set(m.groupId, [m]);
  }

  private remove(m: StoredMessage): void {
    const list = this.groups.get(m.groupId)!;
    list.splice(list.indexOf(m), 1);
    if (list.length === 0) this.groups.delete(m.groupId);
  }

  private deadLetter(m: StoredMessage, reason: string, now: number): void {
    this.remove(m);
    this.dlq.push({
      messageId: m.messageId,
      groupId: m.groupId,
      deduplicationId: m.deduplicationId,
      body: m.body,
      receiveCount: m.receiveCount,
      reason,
      deadLetteredAt: now,
    });
    this.counts.deadLettered++;
  }

  private findInFlight(receiptHandle: string): StoredMessage | undefined {
    this.expireVisibility(this.clock());
    for (const msgs of this.groups.values()) for (const m of msgs) if (m.receiptHandle === receiptHandle) return m;
    return undefined;
  }

  private expireVisibility(now: number): void {
    for (const msgs of this.groups.values()) {
      for (const m of msgs) {
        if (m.receiptHandle !== undefined && m.visibleAt !== undefined && m.visibleAt <= now) {
          m.receiptHandle = undefined;
          m.visibleAt = undefined;
          // A reported failure keeps its reason; silence until the timeout is a failure of its own.
          if (!m.failedPending) m.lastFailure = 'visibility timeout expired';
          m.failedPending = false;
        }
      }
    }
  }

  private forgetExpiredDedupIds(now: number): void {
    for (const [id, until] of this.dedupUntil) if (until <= now) this.dedupUntil.delete(id);
  }

  private view(m: StoredMessage): ReceivedMessage {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle!,
      body: m.body,
      groupId: m.groupId,
      deduplicationId: m.deduplicationId,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
        SequenceNumber: String(m.sequence).padStart(20, '0'),
        MessageGroupId: m.groupId,
        MessageDeduplicationId: m.deduplicationId,
      },
    };
  }
}
