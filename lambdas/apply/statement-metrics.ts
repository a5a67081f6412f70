// Data API statement metrics from the warehouse adapter's observation hook: one count per statement by its
// terminal status (FINISHED / FAILED / ABORTED — a batch counts each of its statements), and the latency
// from submit to the terminal status; and DataApiThrottled for every call refused at a Data API limit
// (rate, active statements or sessions — retried, but an alarm watches it). The adapter calls this; it never
// changes a statement's outcome.
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { StatementObservation } from '../aws/redshift-data-warehouse.js';

export function recordStatement(metrics: Metrics, o: StatementObservation): void {
  if (o.throttled) metrics.addMetric('DataApiThrottled', MetricUnit.Count, 1);
  // A tolerated polling failure: the statement is still running.
  if (o.outcome === 'POLL_RETRY') return;
  switch (o.outcome) {
    case 'FINISHED':
      metrics.addMetric('StatementsFinished', MetricUnit.Count, o.statementCount);
      break;
    case 'FAILED':
      // The Data API fails the batch on one statement and rolls back the rest with it.
      metrics.addMetric('StatementsFailed', MetricUnit.Count, 1);
      if (o.statementCount > 1) metrics.addMetric('StatementsAborted', MetricUnit.Count, o.statementCount - 1);
      break;
    case 'ABORTED':
      metrics.addMetric('StatementsAborted', MetricUnit.Count, o.statementCount);
      break;
    default:
      // Never reached a terminal status we saw (submit error, polling error, our deadline).
      metrics.addMetric('StatementsFailed', MetricUnit.Count, o.statementCount);
  }
  metrics.addMetric('StatementLatency', MetricUnit.Milliseconds, o.latencyMs);
}
