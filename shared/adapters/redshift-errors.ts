// Classifies Redshift Data API failures into WarehouseError kinds. Two sources:
// 1. the API call itself threw (SDK exception names from @aws-sdk/client-redshift-data, throttling, 5xx,
//    network) — retryable ones are transient;
// 2. the statement ran and FAILED: DescribeStatement.Error carries the SQL error text. Our guard procedures
//    raise `viewguard:stale|conflict …`; Redshift's serializable isolation violation is error 1023
//    (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html); lock waits that time out,
//    deadlocks and cancellations are transient too. Everything else is permanent.
// Bound parameter values are redacted from every message (shared/adapters/postgres-error-classifier.ts).
import { WarehouseError, type WarehouseErrorKind } from '../ports/warehouse.js';
import { kindOfMessage, redactParameterValues, type FailedStatement } from './postgres-error-classifier.js';

const TRANSIENT_EXCEPTIONS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
  'InternalServerException',
  'ServiceUnavailableException',
  'DatabaseConnectionException',
  'QueryTimeoutException',
  // "The SQL statement encountered an environmental error while running" (SDK model doc).
  'ExecuteStatementException',
  'BatchExecuteStatementException',
  // Node / SDK transport failures.
  'TimeoutError',
  'RequestTimeout',
  'NetworkingError',
]);
// The subset that means "the Data API or the warehouse is at a limit" (request rate, active statements or
// sessions): counted as DataApiThrottled so that an alarm sees sustained throttling behind the retries.
const THROTTLING_EXCEPTIONS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
]);
const TRANSIENT_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

const TRANSIENT_SQL: [RegExp, string][] = [
  [/\b1023\b.*serializable|serializable isolation violation/is, 'serializable isolation violation (1023)'],
  [/lock timeout|could not obtain lock|lock not available|canceling statement due to lock timeout/i, 'lock timeout'],
  [/deadlock detected/i, 'deadlock'],
  [/statement timeout|query (?:was )?cancel+ed|cancel+ed on user'?s request|canceling statement/i, 'query cancelled'],
  [/connection (?:reset|refused|closed|lost)|server closed the connection|terminating connection/i, 'connection lost'],
  [/cluster (?:is )?(?:paused|resizing|rebooting|unavailable)|try again/i, 'warehouse unavailable'],
];

interface ApiErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Whether a Data API exception says a limit was hit (rate, active statements or sessions; HTTP 429). */
export function isThrottling(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ApiErrorShape;
  return THROTTLING_EXCEPTIONS.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429;
}

/** An exception thrown by a Data API call (Execute/Batch/Describe/GetStatementResult/Cancel). */
export function classifyDataApiException(
  err: unknown,
  operation: string,
  failed: FailedStatement = {},
): WarehouseError {
  if (err instanceof WarehouseError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ApiErrorShape;
  const name = e.name ?? 'Error';
  const message = redactParameterValues(e.message ?? String(err), failed.params);
  const status = e.$metadata?.httpStatusCode;
  const transient =
    TRANSIENT_EXCEPTIONS.has(name) ||
    (e.code !== undefined && TRANSIENT_ERRNOS.has(e.code)) ||
    e.$retryable !== undefined ||
    (status !== undefined && (status >= 500 || status === 429));
  const kind: WarehouseErrorKind = transient ? 'transient' : 'permanent';
  return new WarehouseError(kind, `${operation} failed: ${name}: ${message}`, failed.index);
}

/** A statement that reached FAILED: classify the SQL error text from DescribeStatement. */
export function classifySqlFailure(errorText: string, failed: FailedStatement = {}): WarehouseError {
  const message = redactParameterValues(errorText, failed.params);
  const where =
    failed.index === undefined ? '' : ` (statement ${failed.index}${failed.comment ? `: ${failed.comment}` : ''})`;
  const ours = kindOfMessage(errorText);
  if (ours) return new WarehouseError(ours, `${message}${where}`, failed.index);
  for (const [pattern, why] of TRANSIENT_SQL) {
    if (pattern.test(errorText)) return new WarehouseError('transient', `${why}: ${message}${where}`, failed.index);
  }
  return new WarehouseError('permanent', `${message}${where}`, failed.index);
}
