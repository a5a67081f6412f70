// The one shape of a router Lambda (EventBridge rule → SQS FIFO): validate the envelope again for the
// route's category, turn it into work items, send them, count and log it — and on any failure log it and
// throw, so the bus retries and nothing is lost. Each lambdas/<category>/handler.ts only says what differs.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { routeToQueue } from '../../shared/routing/route-event.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import { ROUTES, type EventCategory } from '../../shared/routing/routing-table.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { SqsWorkQueue } from './sqs-work-queue.js';
import { requiredEnv } from './read-environment.js';

/** The Powertools instances of one router, for the dependencies it builds (client tracing, metric hooks). */
export interface RouterTools {
  tracer: Tracer;
  metrics: Metrics;
}

/** A catalog reader whose polling stops at a deadline (the Data API warehouse). */
export interface DeadlineWarehouse {
  withDeadline(deadline: number | undefined): Warehouse;
}

export interface RouterHandlerSpec {
  category: EventCategory;
  /** How the logs name the event: "<noun> event routed". */
  noun: string;
  /**
   * For a router that reads the catalog to decide its fan-out (policy): the warehouse, built on the first
   * invocation and reused by warm ones, and the dialect its SQL is written in. Routers that need no
   * warehouse leave it out, and so their bundles carry no Data API client.
   */
  catalog?: { warehouse: (tools: RouterTools) => DeadlineWarehouse; dialect: Dialect };
  /** A metric that also counts the work items one event became (the policy fan-out). */
  workItemsMetric?: (typeof METRIC)['policyFanOut'];
}

type RouterResult = { workItems: number };

// Stop polling a second before the Lambda deadline: a clean transient error instead of a timeout.
const DEADLINE_MARGIN_MS = 1000;

export function routerHandler(spec: RouterHandlerSpec) {
  // The routing table says which routers read the catalog (the stack gives those the warehouse settings).
  if (ROUTES.find((r) => r.category === spec.category)?.readsCatalog !== (spec.catalog !== undefined)) {
    throw new Error(`the ${spec.category} router and the routing table disagree on whether it reads the catalog`);
  }
  const logger = new Logger();
  const metrics = new Metrics();
  const tracer = new Tracer();
  const tools: RouterTools = { tracer, metrics };

  let built: { queue: SqsWorkQueue; warehouse?: DeadlineWarehouse } | undefined;
  const deps = () =>
    (built ??= {
      queue: new SqsWorkQueue({
        client: tracer.captureAWSv3Client(new SQSClient({})),
        queueUrl: requiredEnv(process.env, ENV.workQueueUrl),
      }),
      ...(spec.catalog ? { warehouse: spec.catalog.warehouse(tools) } : {}),
    });

  async function route(event: EventBridgeEvent<string, unknown>, context: Context): Promise<RouterResult> {
    const { queue, warehouse } = deps();
    const catalog =
      warehouse && spec.catalog
        ? {
            warehouse: warehouse.withDeadline(Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS),
            dialect: spec.catalog.dialect,
          }
        : {};
    let result;
    try {
      result = await routeToQueue(event.detail, spec.category, { queue, ...catalog });
    } catch (err) {
      logger.error(`${spec.noun} event not routed; the bus retries it`, {
        busEventId: event.id,
        detailType: event['detail-type'],
        reason: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
    const workItems = result.messages.length;
    metrics.addMetric(METRIC.eventsReceived, MetricUnit.Count, 1);
    if (spec.workItemsMetric) metrics.addMetric(spec.workItemsMetric, MetricUnit.Count, workItems);
    logger.info(`${spec.noun} event routed`, {
      eventId: result.event.id,
      type: result.event.type,
      subject: result.event.subject,
      workItems,
      sends: result.sends,
    });
    return { workItems };
  }

  return middy(route).use(captureLambdaHandler(tracer)).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
