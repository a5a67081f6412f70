// SQS SendMessageBatch takes at most 10 messages; a policy fanned out to 1,000 views is 100 calls. Sent in
// order, one batch at a time, so that a failure stops before later batches (the router's invocation fails
// and EventBridge retries the whole event; messages already sent dedup on their ids).
import type { WorkMessage, WorkQueue } from '../ports/work-queue.js';

export const MAX_MESSAGES_PER_SEND = 10;

export async function sendInBatches(queue: WorkQueue, messages: readonly WorkMessage[]): Promise<number> {
  let calls = 0;
  for (let start = 0; start < messages.length; start += MAX_MESSAGES_PER_SEND) {
    await queue.send(messages.slice(start, start + MAX_MESSAGES_PER_SEND));
    calls++;
  }
  return calls;
}
