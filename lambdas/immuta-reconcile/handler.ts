// EventBridge Scheduler (every 15 minutes by default) or on demand (`aws lambda invoke`, any payload): list
// everything in Immuta, compare it with the state tables, emit an event for every difference — deletions
// included — and count what was checked and what changed. Anything changed means a notice was lost (or not
// sent): `ImmutaObjectsChanged` > 0 raises the drift alarm. A failure throws, so the scheduler retries.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { FULL_SCOPE } from '../../shared/immuta/fetch-state.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import { syncScope, type SyncDeps } from '../../shared/immuta/sync.js';
import { immutaSyncDeps } from '../aws/immuta-sync-deps.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
let deps: SyncDeps | undefined;

export interface ReconcileResult {
  checked: number;
  changed: number;
  diagnostics: number;
}

async function reconcile(): Promise<ReconcileResult> {
  deps ??= immutaSyncDeps(tracer, 'viewguard-immuta-reconcile');
  try {
    const report = await syncScope(FULL_SCOPE, 'reconcile', deps);
    metrics.addMetric(METRIC.immutaObjectsChecked, MetricUnit.Count, report.checked);
    metrics.addMetric(METRIC.immutaObjectsChanged, MetricUnit.Count, report.changed);
    metrics.addMetric(METRIC.immutaDiagnostics, MetricUnit.Count, report.diagnostics.length);
    const log = report.changed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
    log(report.changed > 0 ? 'VG711 reconcile found drift between Immuta and the warehouse' : 'reconcile: no drift', {
      checked: report.checked,
      changed: report.changed,
      events: report.events.map((e) => `${e.type} ${e.subject}`),
      diagnostics: report.diagnostics,
    });
    return { checked: report.checked, changed: report.changed, diagnostics: report.diagnostics.length };
  } catch (err) {
    metrics.addMetric(METRIC.immutaSyncFailed, MetricUnit.Count, 1);
    logger.error('VG709 reconcile failed; the scheduler retries', {
      reason: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
}

export const handler = middy(reconcile)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
