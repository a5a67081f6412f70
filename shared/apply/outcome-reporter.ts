// The one way an apply consumer reports each record of a batch — the apply Lambda (logs and EMF metrics,
// lambdas/aws/powertools-outcome-reporter.ts) and local mode (/status counters and log lines,
// infra/local/status-outcome-reporter.ts) implement the same port, and both run every record through
// reportRecord, so what counts as applied, skipped, failed or failed closed cannot drift between them.
import { ApplyFailure, type ApplyOutcome } from './apply-outcome.js';

/** The message a record came from, as both SQS records and local queue messages carry it. */
export interface ReportedMessage {
  messageId: string;
  attributes: { MessageGroupId?: string; ApproximateReceiveCount?: string };
}

export interface RecordFailure {
  messageId: string;
  groupId: string | undefined;
  receiveCount: number;
  /** `unexpected`: not an ApplyFailure (a bug or an infrastructure error); redelivered like a transient one. */
  failure: ApplyFailure['failureKind'] | 'unexpected';
  reason: string;
  /** The item's outcome when the apply loop got that far (an ApplyFailure carries it). */
  outcome?: ApplyOutcome;
}

export interface OutcomeReporter {
  /** Applied or skipped (`outcome.status`); applied with `failedClosed` is a view that shows no rows (VG301). */
  done(outcome: ApplyOutcome): void;
  /**
   * Failed: the message goes back to the queue (the DLQ after max receives); `outcome.failedClosed` when the view was
   * closed.
   */
  failed(failure: RecordFailure): void;
}

/** Run one record and report how it went; a failure is rethrown so that the FIFO batch rule sees it. */
export async function reportRecord(
  reporter: OutcomeReporter,
  message: ReportedMessage,
  run: () => Promise<ApplyOutcome>,
): Promise<ApplyOutcome> {
  let outcome: ApplyOutcome;
  try {
    outcome = await run();
  } catch (err) {
    reporter.failed({
      messageId: message.messageId,
      groupId: message.attributes.MessageGroupId,
      receiveCount: Number(message.attributes.ApproximateReceiveCount),
      failure: err instanceof ApplyFailure ? err.failureKind : 'unexpected',
      reason: err instanceof Error ? err.message : String(err),
      ...(err instanceof ApplyFailure ? { outcome: err.outcome } : {}),
    });
    throw err;
  }
  reporter.done(outcome);
  return outcome;
}
