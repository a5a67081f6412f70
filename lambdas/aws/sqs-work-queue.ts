// WorkQueue over SQS FIFO SendMessageBatch. A batch holds at most 10 entries (and we also keep the batch's
// bodies under maxBatchBytes); SQS reports failures per entry, so only the failed entries are sent again,
// with backoff, and if any still fails we throw — the caller (a router Lambda) then fails its own input so
// nothing is lost. Entries failed through the sender's fault (SenderFault: bad
// parameters) are not retried: they cannot succeed. Order: entries are sent in the given order; a retry of
// a failed entry may land after later entries of other groups, never reordered within a group, because we
// stop sending a group's later entries once one of its entries has failed in that round. (Within ONE call
// SQS may still accept a later entry of a group whose earlier entry failed; we cannot unsend it, and it is
// harmless: every item carries the full state and version of its object, so the late older one is skipped
// as stale by the apply procedures.)
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';

export const MAX_BATCH_ENTRIES = 10;

export interface SqsWorkQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Rounds of sending for entries that failed with SenderFault false. Default 3. */
  maxAttempts?: number;
  /** Sum of body bytes per SendMessageBatch call. Default 256 KiB (conservative vs the SQS payload limit). */
  maxBatchBytes?: number;
  /** Delay before retry round n (1-based). Default 100 ms × 2^(n-1). */
  backoffMs?: (round: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FailedSend {
  groupId: string;
  deduplicationId: string;
  code: string;
  message: string;
  senderFault: boolean;
}

export class WorkQueueSendError extends Error {
  constructor(readonly failed: FailedSend[]) {
    super(
      `SQS rejected ${failed.length} message(s): ` +
        failed
          .slice(0, 5)
          .map((f) => `${f.groupId}/${f.deduplicationId}: ${f.code}${f.senderFault ? ' (sender fault)' : ''}`)
          .join('; '),
    );
    this.name = 'WorkQueueSendError';
  }
}

export class SqsWorkQueue implements WorkQueue {
  constructor(private readonly options: SqsWorkQueueOptions) {}

  async send(messages: WorkMessage[]): Promise<void> {
    for (const m of messages) {
      if (!m.groupId || m.groupId.length > 128)
        throw new RangeError(`MessageGroupId must be 1..128 characters (got ${m.groupId.length})`);
      if (!m.deduplicationId || m.deduplicationId.length > 128) {
        throw new RangeError(`MessageDeduplicationId must be 1..128 characters (got ${m.deduplicationId.length})`);
      }
    }
    const maxAttempts = this.options.maxAttempts ?? 3;
    let pending = messages;
    const permanent: FailedSend[] = [];
    let lastFailures: FailedSend[] = [];
    for (let round = 1; pending.length > 0 && round <= maxAttempts; round++) {
      if (round > 1) await this.sleep((this.options.backoffMs ?? ((n) => 100 * 2 ** (n - 1)))(round - 1));
      const retry: WorkMessage[] = [];
      lastFailures = [];
      // A group with a failed entry this round: hold back its later entries so they are retried after it.
      const blockedGroups = new Set<string>();
      for (const chunk of this.chunks(pending)) {
        const sendable = chunk.filter((m) => !blockedGroups.has(m.groupId));
        for (const m of chunk) if (blockedGroups.has(m.groupId)) retry.push(m);
        if (sendable.length === 0) continue;
        const entries: SendMessageBatchRequestEntry[] = sendable.map((m, i) => ({
          Id: `m${i}`,
          MessageBody: m.body,
          MessageGroupId: m.groupId,
          MessageDeduplicationId: m.deduplicationId,
        }));
        const out = await this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        );
        const failedById = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
        for (const [i, m] of sendable.entries()) {
          const f = failedById.get(`m${i}`);
          if (!f) continue;
          const failure = {
            groupId: m.groupId,
            deduplicationId: m.deduplicationId,
            code: f.Code ?? 'Unknown',
            message: f.Message ?? '',
            senderFault: f.SenderFault === true,
          };
          if (failure.senderFault) permanent.push(failure);
          else {
            retry.push(m);
            lastFailures.push(failure);
            blockedGroups.add(m.groupId);
          }
        }
      }
      // Keep the original order among the entries still to send.
      const order = new Map(messages.map((m, i) => [m, i]));
      pending = retry.sort((a, b) => order.get(a)! - order.get(b)!);
    }
    if (permanent.length > 0 || pending.length > 0) {
      const stillFailing = pending.map(
        (m) =>
          lastFailures.find((f) => f.deduplicationId === m.deduplicationId && f.groupId === m.groupId) ?? {
            groupId: m.groupId,
            deduplicationId: m.deduplicationId,
            code: 'NotSent',
            message: 'held back behind a failed entry of the same group',
            senderFault: false,
          },
      );
      throw new WorkQueueSendError([...permanent, ...stillFailing]);
    }
  }

  private *chunks(messages: WorkMessage[]): Generator<WorkMessage[]> {
    const maxBytes = this.options.maxBatchBytes ?? 256 * 1024;
    let chunk: WorkMessage[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = Buffer.byteLength(m.body, 'utf8');
      if (chunk.length > 0 && (chunk.length === MAX_BATCH_ENTRIES || bytes + size > maxBytes)) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(m);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  private sleep(ms: number): Promise<void> {
    return (this.options.sleep ?? sleep)(ms);
  }
}
