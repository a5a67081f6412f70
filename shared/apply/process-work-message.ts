// What the apply consumer does with one queue message, in the Lambda and locally alike: parse the body as a
// work item (a body we did not write is permanent) and run the apply loop (a view set: apply-view-set.ts).
import { ApplyFailure, startOutcome, type ApplyOutcome } from './apply-outcome.js';
import { applyViewSet } from './apply-view-set.js';
import { applyWorkItem, type ApplyDeps } from './apply-work-item.js';
import { isViewSet, parseWorkItem, WorkItemFormatError } from '../routing/work-item.js';

export async function processWorkMessage(body: string, deps: ApplyDeps): Promise<ApplyOutcome> {
  let item;
  try {
    item = parseWorkItem(body);
  } catch (err) {
    if (!(err instanceof WorkItemFormatError)) throw err;
    const outcome = startOutcome({
      kind: 'unreadable',
      object: '(unreadable work item)',
      version: -1,
      eventId: '(unknown)',
    });
    throw new ApplyFailure('permanent', { ...outcome, status: 'failed', reason: err.message });
  }
  return isViewSet(item) ? (await applyViewSet(item, deps)).outcome : applyWorkItem(item, deps);
}
