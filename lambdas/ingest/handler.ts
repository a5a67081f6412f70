// POST /webhooks (API Gateway REST, Lambda proxy): verify and validate the webhook on its raw bytes, put it
// on the custom bus, answer 202 { id } — or 4xx with coded diagnostics, or 5xx so the sender retries.
// The logic is shared/events/ingest.ts (the local server runs the same function).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import { objectVersion } from '../../shared/events/event-types.js';
import { ingest, type IngestDeps, type IngestOutcome } from '../../shared/events/ingest.js';
import { EventBridgeBus } from '../aws/eventbridge-bus.js';
import { httpErrorBoundary } from '../aws/middleware/http-error-boundary.js';
import { requiredEnv } from '../aws/read-environment.js';
import { SecretsManagerStore } from '../aws/secrets-manager-store.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

// Built on first use, then reused by every warm invocation (the secret cache lives in the store).
let deps: IngestDeps | undefined;
function ingestDeps(): IngestDeps {
  if (deps) return deps;
  const maxBody = process.env[ENV.maxBodyBytes];
  deps = {
    bus: new EventBridgeBus(
      tracer.captureAWSv3Client(new EventBridgeClient({})),
      requiredEnv(process.env, ENV.eventBusName),
    ),
    secrets: new SecretsManagerStore(tracer.captureAWSv3Client(new SecretsManagerClient({}))),
    secretName: requiredEnv(process.env, ENV.webhookSecretArn),
    now: () => new Date(),
    ...(maxBody ? { maxBodyBytes: Number(maxBody) } : {}),
  };
  return deps;
}

function report(outcome: IngestOutcome): void {
  const codes = outcome.diagnostics.map((d) => d.code);
  if (outcome.status === 202 && outcome.event) {
    const { id, type, subject } = outcome.event;
    const accepted = { eventId: id, type, subject, version: objectVersion(outcome.event) };
    if (outcome.diagnostics.length)
      logger.warn('webhook accepted with warnings', { ...accepted, diagnostics: outcome.diagnostics });
    else logger.info('webhook accepted', accepted);
    metrics.addMetric(METRIC.webhooksAccepted, MetricUnit.Count, 1);
  } else if (outcome.status < 500) {
    logger.warn('webhook rejected', { status: outcome.status, diagnostics: outcome.diagnostics });
    metrics.addMetadata('codes', codes.join(','));
    metrics.addMetric(METRIC.webhooksRejected, MetricUnit.Count, 1);
  } else {
    logger.error('webhook not accepted; the sender will retry', {
      status: outcome.status,
      diagnostics: outcome.diagnostics,
      eventId: outcome.event?.id,
      error: outcome.cause instanceof Error ? outcome.cause : { detail: outcome.cause },
    });
    metrics.addMetric(METRIC.webhooksFailed, MetricUnit.Count, 1);
  }
}

async function receiveWebhook(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const outcome = await ingest(
    { body: event.body, isBase64Encoded: event.isBase64Encoded, headers: event.headers },
    ingestDeps(),
  );
  report(outcome);
  return {
    statusCode: outcome.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(outcome.body),
  };
}

export const handler = middy(receiveWebhook)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(httpErrorBoundary(logger));
