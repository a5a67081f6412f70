// Data API statement metrics from the warehouse adapter's observation hook: one count per statement by its
// terminal status (FINISHED / FAILED / ABORTED — a batch counts each of its statements), and the latency
// from submit to the terminal status; and DataApiThrottled for every call refused at a Data API limit
// (rate, active statements or sessions — retried, but an alarm watches it). The adapter calls this; it never
// changes a statement's outcome.
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { StatementObservation } from '../../shared/adapters/redshift-data-warehouse.js';

export function recordStatement(metrics: Metrics, o: StatementObservation): void {
  if (o.throttled) metrics.addMetric(METRIC.dataApiThrottled, MetricUnit.Count, 1);
  // A tolerated polling failure: the statement is still running.
  if (o.outcome === 'POLL_RETRY') return;
  switch (o.outcome) {
    case 'FINISHED':
      metrics.addMetric(METRIC.statementsFinished, MetricUnit.Count, o.statementCount);
      break;
    case 'FAILED':
      // The Data API fails the batch on one statement and rolls back the rest with it.
      metrics.addMetric(METRIC.statementsFailed, MetricUnit.Count, 1);
      if (o.statementCount > 1) metrics.addMetric(METRIC.statementsAborted, MetricUnit.Count, o.statementCount - 1);
      break;
    case 'ABORTED':
      metrics.addMetric(METRIC.statementsAborted, MetricUnit.Count, o.statementCount);
      break;
    default:
      // Never reached a terminal status we saw (submit error, polling error, our deadline).
      metrics.addMetric(METRIC.statementsFailed, MetricUnit.Count, o.statementCount);
  }
  metrics.addMetric(METRIC.statementLatency, MetricUnit.Milliseconds, o.latencyMs);
}
