// The warehouse bootstrap custom resource (Provider framework).
// onEvent: inspect the warehouse once (as the administrator) and hand the inspection to isComplete.
// isComplete: plan from (config, inspection, hashing key) — deterministic, so every poll computes the same
// batches — then walk the batches in order: submit each with a ClientToken derived from the CloudFormation
// request and the batch (the Data API returns the same statement for the same token, so a re-submission is a
// no-op) and continue only once it FINISHED. FAILED or ABORTED fails the deployment with the engine's message.
// Delete drops the integration's schemas only when retainDataOnDelete is false.
import { createHash } from 'node:crypto';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { inspectStatement, parseInspection, systemRoleProblem } from '../../shared/layout/bootstrap-plan.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import {
  parseBootstrapProperties,
  signInOf,
  type BootstrapProperties,
} from '../../shared/contract/bootstrap-properties.js';
import { queryAll, statementState, submitBatch, type DataApiTarget } from './data-api-runner.js';
import { layoutPlan } from '../../shared/contract/bootstrap-plan-hash.js';
import { inspectionFromJson, inspectionToJson } from './inspection-json.js';
import { toBatches, type StatementBatch } from './statement-batches.js';
import { planTeardown } from './teardown-plan.js';

const logger = new Logger();
const data = new RedshiftDataClient({});
const secrets = new SecretsManagerClient({});

/** How long onEvent waits for the inspection read (its Lambda timeout is 2 minutes). */
const INSPECTION_DEADLINE_MS = 90_000;

type Event = CloudFormationCustomResourceEvent & { Inspection?: unknown };

export interface OnEventResult {
  PhysicalResourceId: string;
  Inspection?: ReturnType<typeof inspectionToJson>;
}

export interface IsCompleteResult {
  IsComplete: boolean;
  Data?: Record<string, string | number>;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Stable for the life of the resource: an update never replaces it, so CloudFormation never deletes it implicitly. */
function physicalId(p: BootstrapProperties): string {
  return (
    `viewguard-layout-` +
    `${sha256(JSON.stringify([p.target, p.integration.database, p.integration.viewSchema])).slice(0, 16)}`
  );
}

export async function onEvent(event: Event): Promise<OnEventResult> {
  const props = parseBootstrapProperties(event.ResourceProperties);
  const id = event.RequestType === 'Create' ? physicalId(props) : event.PhysicalResourceId;
  logger.info('bootstrap event', { requestType: event.RequestType, physicalId: id, planHash: props.planHash });
  if (event.RequestType === 'Delete') return { PhysicalResourceId: id };
  const rows = await queryAll(data, props.target, props.admin, inspectStatement(props.integration, redshift).sql, {
    deadline: Date.now() + INSPECTION_DEADLINE_MS,
  });
  const inspection = parseInspection(rows);
  // Fail the deployment now, with the fix, rather than create a system user nothing can sign in as.
  const refused = systemRoleProblem(props.integration, inspection, signInOf(props.system));
  if (refused) throw new DiagnosticError([refused]);
  return { PhysicalResourceId: id, Inspection: inspectionToJson(inspection) };
}

async function hashKey(secretArn: string): Promise<string> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!out.SecretString) throw new Error('bootstrap: the hashing key secret has no string value');
  return out.SecretString;
}

function batchToken(requestId: string, index: number, batch: StatementBatch): string {
  // Parameter values are left out on purpose: the token must not be derived from the key in a guessable way.
  const content = JSON.stringify([
    batch.runAs,
    batch.database ?? null,
    batch.statements.map((s) => s.sql),
    Object.keys(batch.params),
  ]);
  return sha256(`${requestId}\n${index}\n${content}`).slice(0, 32);
}

export async function isComplete(event: Event): Promise<IsCompleteResult> {
  const props = parseBootstrapProperties(event.ResourceProperties);
  if (event.RequestType === 'Delete' && props.retainDataOnDelete) {
    logger.info('stack deletion keeps the warehouse layout (retainDataOnDelete)');
    return { IsComplete: true };
  }
  const steps =
    event.RequestType === 'Delete'
      ? planTeardown(props.integration, redshift)
      : layoutPlan(
          props.integration,
          inspectionFromJson(event.Inspection),
          await hashKey(props.hashKeySecretArn),
          signInOf(props.system),
        );
  const batches = toBatches(steps, redshift);
  for (const [index, batch] of batches.entries()) {
    const target: DataApiTarget = { ...props.target, database: batch.database ?? props.target.database };
    const identity = batch.runAs === 'admin' ? props.admin : props.system;
    const name = `viewguard-bootstrap-${index + 1}-of-${batches.length}`;
    const statementId = await submitBatch(
      data,
      target,
      identity,
      batch.statements.map((s) => s.sql),
      batch.params,
      batchToken(event.RequestId, index, batch),
      name,
    );
    const state = await statementState(data, statementId);
    if (state.state === 'running') {
      logger.info('batch running', { batch: name, statementId });
      return { IsComplete: false };
    }
    if (state.state === 'failed') {
      const what = batch.statements
        .map((s) => s.comment ?? '')
        .filter(Boolean)
        .join('; ');
      throw new Error(`viewguard bootstrap ${name} (${batch.runAs}: ${what}) ${state.status}: ${state.error}`);
    }
  }
  logger.info('bootstrap complete', { batches: batches.length, statements: steps.length });
  return { IsComplete: true, Data: { PlanHash: props.planHash, Batches: batches.length, Statements: steps.length } };
}
