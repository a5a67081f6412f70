// The apply Lambda's outcome reporter: one EMF metric per record (Applied, Skipped or Failed; ViewsFailedClosed
// for a view left with no rows; EndToEndLag) and one JSON log line with what the operator needs to act.
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { ApplyOutcome } from '../../shared/apply/apply-outcome.js';
import type { OutcomeReporter, RecordFailure } from '../../shared/apply/outcome-reporter.js';

export class PowertoolsOutcomeReporter implements OutcomeReporter {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  done(outcome: ApplyOutcome): void {
    const fields = {
      object: outcome.object,
      version: outcome.version,
      eventId: outcome.eventId,
      statements: outcome.statements,
      transactions: outcome.transactions,
      conflicts: outcome.conflicts,
      refannedOut: outcome.refannedOut,
      durations: outcome.durations,
    };
    if (outcome.status === 'skipped') {
      this.metrics.addMetric(METRIC.skipped, MetricUnit.Count, 1);
      this.logger.info('work item skipped', { ...fields, reason: outcome.reason });
      return;
    }
    this.metrics.addMetric(METRIC.applied, MetricUnit.Count, 1);
    if (outcome.endToEndLagMs !== undefined)
      this.metrics.addMetric(METRIC.endToEndLag, MetricUnit.Milliseconds, outcome.endToEndLagMs);
    if (outcome.failedClosed) {
      // Applied, and an error the operator must see: the view shows no rows until the policy is fixed.
      this.metrics.addMetric(METRIC.viewsFailedClosed, MetricUnit.Count, 1);
      this.logger.error('view fails closed', { ...fields, diagnostics: outcome.diagnostics });
    } else {
      this.logger.info('work item applied', {
        ...fields,
        diagnostics: outcome.diagnostics.length > 0 ? outcome.diagnostics : undefined,
      });
    }
  }

  failed(f: RecordFailure): void {
    this.metrics.addMetric(METRIC.failed, MetricUnit.Count, 1);
    const outcome = f.outcome;
    // A refused view the apply loop replaced with its fail-closed form (VG308, VG320, VG321).
    if (outcome?.failedClosed) this.metrics.addMetric(METRIC.viewsFailedClosed, MetricUnit.Count, 1);
    this.logger.error('work item failed; SQS redelivers it (DLQ after max receives)', {
      messageId: f.messageId,
      messageGroupId: f.groupId,
      receiveCount: f.receiveCount,
      failure: f.failure,
      reason: f.reason,
      ...(outcome
        ? {
            object: outcome.object,
            version: outcome.version,
            eventId: outcome.eventId,
            statements: outcome.statements,
            conflicts: outcome.conflicts,
            failedClosed: outcome.failedClosed,
          }
        : {}),
      ...(outcome?.failedClosed ? { diagnostics: outcome.diagnostics } : {}),
    });
  }
}
