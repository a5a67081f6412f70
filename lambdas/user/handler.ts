// EventBridge rule "user.*" → validate the envelope again (the contract) → one work item in the
// user's FIFO group (an entitlement change: no DDL) → SQS. A failure throws, so the event is retried and nothing is lost.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { ENV } from '../../infra/stack/lambda-environment.js';
import { routeToQueue, type RoutedEventResult } from '../../shared/pipeline/route-event.js';
import { SqsWorkQueue } from '../aws/sqs-work-queue.js';
import { requiredEnv } from '../apply/warehouse-environment.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

let queue: SqsWorkQueue | undefined;
const workQueue = (): SqsWorkQueue =>
  (queue ??= new SqsWorkQueue({ client: tracer.captureAWSv3Client(new SQSClient({})), queueUrl: requiredEnv(process.env, ENV.workQueueUrl) }));

async function route(event: EventBridgeEvent<string, unknown>): Promise<{ workItems: number }> {
  let result: RoutedEventResult;
  try {
    result = await routeToQueue(event.detail, 'user', { queue: workQueue() });
  } catch (err) {
    logger.error('user event not routed; the bus retries it', { busEventId: event.id, detailType: event['detail-type'], reason: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  metrics.addMetric('EventsReceived', MetricUnit.Count, 1);
  logger.info('user event routed', { eventId: result.event.id, type: result.event.type, subject: result.event.subject, workItems: result.messages.length });
  return { workItems: result.messages.length };
}

export const handler = middy(route).use(captureLambdaHandler(tracer)).use(injectLambdaContext(logger)).use(logMetrics(metrics));
