// What the apply consumer does with one queue message, in the Lambda and locally alike: parse the body as a
// work item (a body we did not write is permanent) and run the apply loop.
import { applyWorkItem, ApplyFailure, type ApplyDeps, type ApplyOutcome } from './apply-work-item.js';
import { parseWorkItem, WorkItemFormatError } from './work-item.js';

export async function processWorkMessage(body: string, deps: ApplyDeps): Promise<ApplyOutcome> {
  let item;
  try {
    item = parseWorkItem(body);
  } catch (err) {
    if (!(err instanceof WorkItemFormatError)) throw err;
    throw new ApplyFailure('permanent', {
      status: 'failed',
      kind: 'unreadable',
      object: '(unreadable work item)',
      version: -1,
      eventId: '(unknown)',
      reason: err.message,
      attempts: 0,
      conflicts: 0,
      transactions: 0,
      statements: { finished: 0, failed: 0, aborted: 0 },
      diagnostics: [],
      failedClosed: false,
      refannedOut: 0,
      durations: { readMs: 0, planMs: 0, transactionMs: 0, totalMs: 0 },
    });
  }
  return applyWorkItem(item, deps);
}
