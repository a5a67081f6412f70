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
//
// Cost per call (a 10,000-view policy push puts 10,000 groups in the queue at once): receive is O(k log n)
// for k messages delivered, ack/fail/changeVisibility O(log n) — a min-heap of the groups that can deliver
// (keyed by their head's sequence: oldest head first), a min-heap of visibility deadlines, and an index of
// in-flight receipt handles; dedup ids expire oldest first. Nothing scans every group or message.
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';

export interface LocalFifoQueueOptions {
  /** Default 30 s (the SQS default). */
  visibilityTimeoutMs?: number;
  /** Receives before a failing message moves to the DLQ. Default 5 (the work queue's setting in the stack). */
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

/**
 * One message group: its messages in send order from `head` (removed ones leave a hole until the head passes
 * them). Messages in flight are always the first live ones (a group delivers from its head, and only while
 * nothing of it is in flight), at most 10 of them, so finding one to remove is a short scan from the head.
 */
interface Group {
  id: string;
  slots: (StoredMessage | undefined)[];
  head: number;
  size: number;
  inFlight: number;
  /** In the ready heap under its current head's sequence. */
  queued: boolean;
}

/** A binary min-heap (the standard array layout). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** A visibility deadline; stale once the message was deleted, re-received or its deadline changed. */
interface Deadline {
  at: number;
  message: StoredMessage;
  receiptHandle: string;
}

export class LocalFifoQueue implements WorkQueue {
  /** How long a received message stays invisible (the queue's VisibilityTimeout). */
  readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly dedupWindowMs: number;
  private readonly clock: () => number;
  private readonly groups = new Map<string, Group>();
  // Groups that can deliver (messages, none in flight), oldest head first, so that no group starves.
  private readonly ready = new MinHeap<{ sequence: number; group: Group }>((a, b) => a.sequence < b.sequence);
  private readonly deadlines = new MinHeap<Deadline>((a, b) => a.at < b.at);
  private readonly inFlight = new Map<string, StoredMessage>();
  private stored = 0;
  // Insertion order = expiry order (a fixed window), so expired ids are always at the front.
  private readonly dedupUntil = new Map<string, number>();
  private readonly dlq: DeadLetter[] = [];
  private sequence = 0;
  private receipts = 0;
  private readonly counts = {
    sent: 0,
    deduplicated: 0,
    received: 0,
    deleted: 0,
    failed: 0,
    deadLettered: 0,
    redriven: 0,
  };

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
      if (!m.deduplicationId || m.deduplicationId.length > 128)
        throw new RangeError(`MessageDeduplicationId must be 1..128 characters`);
      const until = this.dedupUntil.get(m.deduplicationId);
      // The expiry is checked here too: pruning stops at the first live id and is only a memory bound.
      if (until !== undefined && until > now) {
        duplicates++;
        this.counts.deduplicated++;
        continue;
      }
      this.dedupUntil.delete(m.deduplicationId);
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
    while (out.length < max) {
      const entry = this.ready.pop();
      if (!entry) break;
      const g = entry.group;
      g.queued = false;
      // A group that was emptied or deleted meanwhile is not deliverable (a later enqueue queues it again).
      if (this.groups.get(g.id) !== g || g.size === 0 || g.inFlight > 0) continue;
      this.compact(g);
      // The group has nothing in flight, so its messages are deliverable in order from the head. (Removing a
      // dead letter here neither compacts the slots nor re-queues the group: we are iterating it.)
      for (let i = g.head; i < g.slots.length && out.length < max; i++) {
        const m = g.slots[i];
        if (!m) continue;
        if (m.receiveCount >= this.maxReceiveCount) {
          this.deadLetter(m, m.lastFailure ?? 'visibility timeout expired', now, false);
          continue;
        }
        m.receiveCount++;
        m.firstReceivedAt ??= now;
        m.receiptHandle = `rh-${m.messageId}-${++this.receipts}`;
        m.visibleAt = now + this.visibilityTimeoutMs;
        m.failedPending = false;
        g.inFlight++;
        this.inFlight.set(m.receiptHandle, m);
        this.deadlines.push({ at: m.visibleAt, message: m, receiptHandle: m.receiptHandle });
        this.counts.received++;
        out.push(this.view(m));
      }
      if (this.groups.get(g.id) === g) this.queueIfReady(g);
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
      this.makeVisible(m);
    } else {
      m.visibleAt = now + visibleAfterMs;
      m.failedPending = true;
      this.deadlines.push({ at: m.visibleAt, message: m, receiptHandle });
    }
    return true;
  }

  /** ChangeMessageVisibility: extend (or shorten) the in-flight time of a received message. */
  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const m = this.findInFlight(receiptHandle);
    if (!m) return false;
    m.visibleAt = this.clock() + timeoutMs;
    this.deadlines.push({ at: m.visibleAt, message: m, receiptHandle });
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
    return {
      depth: this.stored - this.inFlight.size,
      inFlight: this.inFlight.size,
      dlqDepth: this.dlq.length,
      ...this.counts,
    };
  }

  private enqueue(m: StoredMessage): void {
    let g = this.groups.get(m.groupId);
    if (!g) {
      g = { id: m.groupId, slots: [], head: 0, size: 0, inFlight: 0, queued: false };
      this.groups.set(m.groupId, g);
    }
    g.slots.push(m);
    g.size++;
    this.stored++;
    this.queueIfReady(g);
  }

  private queueIfReady(g: Group): void {
    if (g.queued || g.size === 0 || g.inFlight > 0) return;
    // The head cannot change while the group is queued: only delivered (in-flight) messages are removed.
    let head = g.head;
    while (!g.slots[head]) head++;
    g.queued = true;
    this.ready.push({ sequence: g.slots[head]!.sequence, group: g });
  }

  /** Back to visible (not in flight), in its place at the head of its group. */
  private makeVisible(m: StoredMessage): void {
    if (m.receiptHandle !== undefined) {
      this.inFlight.delete(m.receiptHandle);
      const g = this.groups.get(m.groupId)!;
      g.inFlight--;
      this.queueIfReady(g);
    }
    m.receiptHandle = undefined;
    m.visibleAt = undefined;
  }

  /** `settle` false while receive iterates the group's slots. */
  private remove(m: StoredMessage, settle = true): void {
    const g = this.groups.get(m.groupId)!;
    if (m.receiptHandle !== undefined) {
      this.inFlight.delete(m.receiptHandle);
      g.inFlight--;
      m.receiptHandle = undefined;
      m.visibleAt = undefined;
    }
    // In flight or being delivered: among the first live slots (see Group).
    let i = g.head;
    while (i < g.slots.length && g.slots[i] !== m) i++;
    if (i === g.slots.length) throw new Error(`local FIFO queue: message ${m.messageId} is not in its group`);
    g.slots[i] = undefined;
    g.size--;
    this.stored--;
    while (g.head < g.slots.length && !g.slots[g.head]) g.head++;
    if (g.size === 0) {
      this.groups.delete(g.id);
      return;
    }
    if (!settle) return;
    this.compact(g);
    this.queueIfReady(g);
  }

  /**
   * Drop the holes before the head now and then (amortised O(1)), so a long-lived group does not grow without bound.
   */
  private compact(g: Group): void {
    if (g.head > 1024 && g.head * 2 > g.slots.length) {
      g.slots = g.slots.slice(g.head);
      g.head = 0;
    }
  }

  private deadLetter(m: StoredMessage, reason: string, now: number, settle = true): void {
    this.remove(m, settle);
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
    return this.inFlight.get(receiptHandle);
  }

  private expireVisibility(now: number): void {
    for (let d = this.deadlines.peek(); d !== undefined && d.at <= now; d = this.deadlines.peek()) {
      this.deadlines.pop();
      const m = d.message;
      // Stale: deleted, visible again, re-received, or its deadline moved (a newer entry stands for it).
      if (m.receiptHandle !== d.receiptHandle || m.visibleAt !== d.at) continue;
      // A reported failure keeps its reason; silence until the timeout is a failure of its own.
      if (!m.failedPending) m.lastFailure = 'visibility timeout expired';
      m.failedPending = false;
      this.makeVisible(m);
    }
  }

  private forgetExpiredDedupIds(now: number): void {
    for (const [id, until] of this.dedupUntil) {
      if (until > now) break;
      this.dedupUntil.delete(id);
    }
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
