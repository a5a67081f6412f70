// EventBridge rule "policy.*" → validate the envelope again (the contract) → read the catalog through the
// Data API → one work item per view the change reaches (stored policy ∪ new policy), each in that view's
// FIFO group, or one item in `policy:<id>` when it reaches none → SQS, 10 per call. A failure throws, so
// the event is retried; items already sent dedup on their ids.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { ENV } from '../../infra/stack/lambda-environment.js';
import { routeToQueue, type RoutedEventResult } from '../../shared/pipeline/route-event.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { RedshiftDataWarehouse } from '../aws/redshift-data-warehouse.js';
import { SqsWorkQueue } from '../aws/sqs-work-queue.js';
import { recordStatement } from '../apply/statement-metrics.js';
import { redshiftTargetFromEnv, requiredEnv } from '../apply/warehouse-environment.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

let deps: { queue: SqsWorkQueue; warehouse: RedshiftDataWarehouse } | undefined;
function routerDeps() {
  deps ??= {
    queue: new SqsWorkQueue({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: requiredEnv(process.env, ENV.workQueueUrl) }),
    warehouse: new RedshiftDataWarehouse({
      client: tracer.captureAWSv3Client(new RedshiftDataClient({})),
      target: redshiftTargetFromEnv(process.env),
      statementName: 'viewguard-policy-router',
      observe: (o) => recordStatement(metrics, o),
    }),
  };
  return deps;
}

async function route(event: EventBridgeEvent<string, unknown>, context: Context): Promise<{ workItems: number }> {
  const d = routerDeps();
  // Stop polling a second before the Lambda deadline: a clean transient error instead of a timeout.
  const warehouse = d.warehouse.withDeadline(Date.now() + context.getRemainingTimeInMillis() - 1000);
  let result: RoutedEventResult;
  try {
    result = await routeToQueue(event.detail, 'policy', { queue: d.queue, warehouse, dialect: redshift });
  } catch (err) {
    logger.error('policy event not routed; the bus retries it', { busEventId: event.id, detailType: event['detail-type'], reason: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  metrics.addMetric('EventsReceived', MetricUnit.Count, 1);
  metrics.addMetric('PolicyFanOut', MetricUnit.Count, result.messages.length);
  logger.info('policy event routed', { eventId: result.event.id, type: result.event.type, subject: result.event.subject, workItems: result.messages.length, sends: result.sends });
  return { workItems: result.messages.length };
}

export const handler = middy(route).use(captureLambdaHandler(tracer)).use(injectLambdaContext(logger)).use(logMetrics(metrics));
