// POST /immuta (API Gateway REST, Lambda proxy): verify Immuta's SHA-256 signature over the raw body, turn the
// notice into hints, queue them, answer 202 — well inside the 10 s Immuta waits. No fetching here.
// The logic is shared/immuta/receive-notice.ts (the local server runs the same function).
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { receiveNotice, type NoticeDeps } from '../../shared/immuta/receive-notice.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import { requiredEnv } from '../aws/read-environment.js';
import { httpErrorBoundary } from '../aws/middleware/http-error-boundary.js';
import { SecretsManagerStore } from '../aws/secrets-manager-store.js';
import { SqsHintSink } from '../aws/sqs-hint-sink.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

let deps: NoticeDeps | undefined;
function noticeDeps(): NoticeDeps {
  const encoding = process.env[ENV.immutaSettings]
    ? (JSON.parse(process.env[ENV.immutaSettings]!) as { signatureEncoding?: NoticeDeps['encoding'] }).signatureEncoding
    : undefined;
  deps ??= {
    secrets: new SecretsManagerStore(tracer.captureAWSv3Client(new SecretsManagerClient({}))),
    secretName: requiredEnv(process.env, ENV.immutaNoticeSecretArn),
    hints: new SqsHintSink(
      tracer.captureAWSv3Client(new SQSClient({})),
      requiredEnv(process.env, ENV.immutaHintQueueUrl),
    ),
    ...(encoding ? { encoding } : {}),
  };
  return deps;
}

async function receive(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const outcome = await receiveNotice(
    { body: event.body, isBase64Encoded: event.isBase64Encoded, headers: event.headers },
    noticeDeps(),
  );
  if (outcome.status === 202) {
    logger.info('immuta notice queued', { hints: outcome.hints, diagnostics: outcome.diagnostics });
    metrics.addMetric(METRIC.immutaNoticesAccepted, MetricUnit.Count, 1);
  } else if (outcome.status < 500) {
    logger.warn('immuta notice rejected', { status: outcome.status, diagnostics: outcome.diagnostics });
    metrics.addMetric(METRIC.immutaNoticesRejected, MetricUnit.Count, 1);
  } else {
    logger.error('immuta notice not queued', {
      status: outcome.status,
      error: outcome.cause instanceof Error ? outcome.cause : { detail: String(outcome.cause) },
    });
    metrics.addMetric(METRIC.immutaNoticesFailed, MetricUnit.Count, 1);
  }
  return {
    statusCode: outcome.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(outcome.body),
  };
}

export const handler = middy(receive)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(httpErrorBoundary(logger));
