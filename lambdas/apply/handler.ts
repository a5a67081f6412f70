// SQS FIFO batch → for each message in order: parse the work item, run the apply loop against Redshift
// through the Data API, report. The FIFO partial-batch rule (shared/apply/fifo-partial-batch.ts, the same
// code the local consumer runs): the failing record AND every later record of ITS MESSAGE GROUP in the batch
// are reported as batchItemFailures (SQS redelivers them; after maxReceiveCount a message goes to the DLQ);
// records of other groups are still processed. The loop is shared/apply/apply-work-item.ts.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import type { ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { processWorkBatch } from '../../shared/apply/apply-work-batch.js';
import { batchItemFailures } from '../../shared/apply/fifo-partial-batch.js';
import { reportRecord } from '../../shared/apply/outcome-reporter.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { PowertoolsOutcomeReporter } from '../aws/powertools-outcome-reporter.js';
import { RedshiftDataWarehouse } from '../../shared/adapters/redshift-data-warehouse.js';
import { SqsWorkQueue } from '../aws/sqs-work-queue.js';
import { recordStatement } from '../aws/statement-metrics.js';
import {
  integrationSchemasFromEnv,
  redshiftTargetFromEnv,
  requiredEnv,
  viewCompileConfigFromEnv,
} from '../aws/read-environment.js';

const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();

// Built on first use and reused by warm invocations; the warehouse gets each invocation's deadline.
let base: { warehouse: RedshiftDataWarehouse; deps: Omit<ApplyDeps, 'warehouse'>; marginMs: number } | undefined;
function baseDeps() {
  if (base) return base;
  const env = process.env;
  base = {
    warehouse: new RedshiftDataWarehouse({
      client: tracer.captureAWSv3Client(new RedshiftDataClient({})),
      target: redshiftTargetFromEnv(env),
      statementName: 'viewguard-apply',
      observe: (o) => recordStatement(metrics, o),
    }),
    deps: {
      queue: new SqsWorkQueue({
        client: tracer.captureAWSv3Client(new SQSClient({})),
        queueUrl: requiredEnv(env, ENV.workQueueUrl),
      }),
      dialect: redshift.withSchemas(integrationSchemasFromEnv(env)),
      config: viewCompileConfigFromEnv(env),
    },
    marginMs: Number(env[ENV.deadlineMarginMs] ?? 5000),
  };
  return base;
}

const reporter = new PowertoolsOutcomeReporter(logger, metrics);

async function applyBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const b = baseDeps();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - b.marginMs;
  const deps: ApplyDeps = { ...b.deps, warehouse: b.warehouse.withDeadline(deadline) };
  // The group heads of the batch are applied in one transaction where they can be (processWorkBatch: one bad
  // view falls back to its own transaction); every failure is reported per record, never by failing the
  // invocation: the same redelivery, clearer logs.
  return {
    batchItemFailures: batchItemFailures(
      await processWorkBatch(event.Records, deps, (record, run) => reportRecord(reporter, record, run)),
    ),
  };
}

export const handler = middy(applyBatch)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
