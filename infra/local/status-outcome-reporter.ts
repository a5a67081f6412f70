// Local mode's outcome reporter: the counters and the last error that GET /status shows, the last outcomes
// (for the demo, the tests and the bench), and one structured log line per record — what the apply Lambda
// reports as metrics and logs, counted the same way (shared/apply/outcome-reporter.ts).
import type { ApplyOutcome } from '../../shared/apply/apply-outcome.js';
import type { OutcomeReporter, RecordFailure } from '../../shared/apply/outcome-reporter.js';

export interface StatusCounts {
  applied: number;
  failed: number;
  skipped: number;
  /**
   * Views left in their fail-closed form (no rows until the cause is fixed), as the apply Lambda's
   * `ViewsFailedClosed` counts them: at compile time (the item applied, VG301) and at apply time when a view
   * was refused (the item failed, VG308 / VG320 / VG321) — once per delivery.
   */
  failedClosed: number;
}

export type LastError = { at: string; object: string; reason: string } | null;

export class StatusOutcomeReporter implements OutcomeReporter {
  readonly counts: StatusCounts = { applied: 0, failed: 0, skipped: 0, failedClosed: 0 };
  lastError: LastError = null;
  /** The last outcomes (newest last, at most 1,000). */
  readonly outcomes: ApplyOutcome[] = [];

  constructor(private readonly log: (entry: Record<string, unknown>) => void) {}

  done(outcome: ApplyOutcome): void {
    this.remember(outcome);
    if (outcome.status === 'skipped') this.counts.skipped++;
    else this.counts.applied++;
    if (outcome.failedClosed) {
      this.counts.failedClosed++;
      // Fail closed is applied (the view has no rows) AND an error the operator must see.
      const reason = outcome.diagnostics.map((d) => `${d.code}: ${d.summary}`).join('; ');
      this.lastError = { at: new Date().toISOString(), object: outcome.object, reason };
      this.log({
        level: 'warn',
        message: 'view fails closed',
        object: outcome.object,
        version: outcome.version,
        diagnostics: outcome.diagnostics,
      });
    }
    this.log({
      level: 'info',
      message: outcome.status === 'skipped' ? 'work item skipped' : 'work item applied',
      object: outcome.object,
      version: outcome.version,
      eventId: outcome.eventId,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      statements: outcome.statements,
      conflicts: outcome.conflicts,
      refannedOut: outcome.refannedOut,
      totalMs: outcome.durations.totalMs,
    });
  }

  failed(f: RecordFailure): void {
    this.counts.failed++;
    const outcome = f.outcome;
    if (outcome) this.remember(outcome);
    // A refused view the apply loop replaced with its fail-closed form.
    if (outcome?.failedClosed) this.counts.failedClosed++;
    this.lastError = {
      at: new Date().toISOString(),
      object: outcome?.object ?? f.groupId ?? f.messageId,
      reason: f.reason,
    };
    this.log({
      level: 'error',
      message: 'work item failed; it will be redelivered (DLQ after max receives)',
      object: outcome?.object ?? f.groupId,
      receiveCount: f.receiveCount,
      failure: f.failure,
      reason: f.reason,
      ...(outcome?.failedClosed ? { failedClosed: true, diagnostics: outcome.diagnostics } : {}),
    });
  }

  private remember(outcome: ApplyOutcome): void {
    this.outcomes.push(outcome);
    if (this.outcomes.length > 1000) this.outcomes.splice(0, this.outcomes.length - 1000);
  }
}
