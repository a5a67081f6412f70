// The outcome of one work item before anything ran — every counter at zero, no diagnostics, not failed
// closed — so that every path that reports an item (the apply loop, an unreadable message) starts from the
// same record and a new counter cannot be left out of one of them.
import type { ApplyOutcome } from './apply-work-item.js';

export type OutcomeIdentity = Pick<ApplyOutcome, 'kind' | 'object' | 'version' | 'eventId'>;

export function startOutcome(identity: OutcomeIdentity): ApplyOutcome {
  return {
    status: 'applied',
    ...identity,
    attempts: 0,
    conflicts: 0,
    transactions: 0,
    statements: { finished: 0, failed: 0, aborted: 0 },
    diagnostics: [],
    failedClosed: false,
    refannedOut: 0,
    durations: { readMs: 0, planMs: 0, transactionMs: 0, totalMs: 0 },
  };
}
