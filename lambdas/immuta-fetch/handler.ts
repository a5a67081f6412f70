// SQS hint queue → fetch what the hints name from Immuta's API → our contract events on the bus (only what
// differs is not the rule here: a notice said it changed, so every object of the scope is re-sent with a new
// version). The hints of one batch are merged into one scope. Any failure (Immuta down, the Data API, the bus)
// fails the whole batch: SQS redelivers after the visibility timeout and dead-letters after max receives,
// and the scheduled reconcile covers whatever a dead-lettered hint named.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { scopeOfHints } from '../../shared/immuta/fetch-state.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { Hint } from '../../shared/immuta/notice.js';
import { syncScope, type SyncDeps } from '../../shared/immuta/sync.js';
import { immutaSyncDeps } from '../aws/immuta-sync-deps.js';
import { HintMessageSchema } from '../aws/sqs-hint-sink.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
let deps: SyncDeps | undefined;

/** A message that is not a hint message could only be a bug or a hand-sent test: refresh everything. */
function hintsOf(body: string): Hint[] {
  try {
    return HintMessageSchema.parse(JSON.parse(body)).hints.map((h) => ({
      kind: h.kind,
      ...(h.id !== undefined ? { id: h.id } : {}),
    }));
  } catch {
    logger.warn('hint message not readable; refreshing everything');
    return [{ kind: 'all' }];
  }
}

async function fetchHints(event: SQSEvent): Promise<SQSBatchResponse> {
  deps ??= immutaSyncDeps(tracer, 'viewguard-immuta-fetch');
  const hints = event.Records.flatMap((r) => hintsOf(r.body));
  const scope = scopeOfHints(hints);
  try {
    const report = await syncScope(scope, 'notice', deps);
    metrics.addMetric(METRIC.immutaObjectsChecked, MetricUnit.Count, report.checked);
    metrics.addMetric(METRIC.immutaObjectsChanged, MetricUnit.Count, report.changed);
    metrics.addMetric(METRIC.immutaDiagnostics, MetricUnit.Count, report.diagnostics.length);
    logger.info('immuta hints synced', {
      scope,
      checked: report.checked,
      changed: report.changed,
      diagnostics: report.diagnostics,
    });
    return { batchItemFailures: [] };
  } catch (err) {
    metrics.addMetric(METRIC.immutaSyncFailed, MetricUnit.Count, 1);
    logger.error('VG709 immuta hints not synced; SQS redelivers them', {
      scope,
      reason: err instanceof Error ? err.message : String(err),
    });
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
}

export const handler = middy(fetchHints)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
