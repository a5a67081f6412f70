// Maps an error from PostgreSQL (pg or PGlite: both carry the SQLSTATE in `code`) to a WarehouseError kind
// for the apply loop. Our guard procedures raise messages that start with `viewguard:stale` /
// `viewguard:conflict` (docs/architecture.md); retryable SQLSTATEs and lost connections are transient;
// everything else is permanent. The message never carries parameter values: the engine can echo a bound
// value (e.g. `invalid input syntax for type integer: "…"`), so every value is redacted, and `detail`
// (which holds key values) is never copied.
import { WarehouseError, type WarehouseErrorKind } from '../ports/warehouse.js';
import type { SqlParamValue } from '../sql/statement.js';

// https://www.postgresql.org/docs/current/errcodes-appendix.html
const TRANSIENT_SQLSTATES: Record<string, string> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '55P03': 'lock not available (lock_timeout)',
  '57014': 'query canceled (statement_timeout)',
  '57P01': 'admin shutdown',
  '57P02': 'crash shutdown',
  '57P03': 'cannot connect now',
  '53300': 'too many connections',
};
// Class 08 = connection exception.
const isConnectionSqlState = (code: string): boolean => code.startsWith('08');
// Node socket errors (pg before/while connected) and pg's own connection messages.
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const CONNECTION_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'Client has encountered a connection error',
    'timeout exceeded when trying to connect',
    'Client was closed',
  ].join('|'),
  'i',
);

export interface FailedStatement {
  /** Index of the failing statement in the transaction; undefined for BEGIN/COMMIT/connect. */
  index?: number;
  /** The statement's plan comment (never secret). */
  comment?: string;
  /** Values bound to the failing statement (and any others in the transaction), to redact. */
  params?: readonly (Record<string, SqlParamValue> | undefined)[];
}

/** Replace every bound string value (and the quoted form of any value) in an engine message. */
export function redactParameterValues(message: string, params: FailedStatement['params']): string {
  let out = message;
  const values = new Set<string>();
  for (const p of params ?? []) for (const v of Object.values(p ?? {})) if (v !== null) values.add(String(v));
  // Longest first so that a value containing another is redacted whole.
  for (const v of [...values].sort((a, b) => b.length - a.length)) {
    if (v.length === 0) continue;
    // Short values (e.g. "1", "t") are not secrets and would shred the message everywhere; their quoted
    // echo is still redacted.
    out = v.length >= 3 ? out.split(v).join('[redacted]') : out.split(`"${v}"`).join('"[redacted]"');
  }
  return out;
}

export function kindOfMessage(message: string): WarehouseErrorKind | undefined {
  // Our procedures raise `viewguard:stale …` / `viewguard:conflict …`; the engine may prefix "ERROR: ".
  if (/(^|\s|:\s)viewguard:stale\b/.test(message)) return 'stale';
  if (/(^|\s|:\s)viewguard:conflict\b/.test(message)) return 'conflict';
  return undefined;
}

export function classifyPostgresError(err: unknown, failed: FailedStatement = {}): WarehouseError {
  if (err instanceof WarehouseError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const raw = typeof e.message === 'string' ? e.message : String(err);
  const message = redactParameterValues(raw, failed.params);
  const where =
    failed.index === undefined ? '' : ` (statement ${failed.index}${failed.comment ? `: ${failed.comment}` : ''})`;
  const ours = kindOfMessage(raw);
  if (ours) return new WarehouseError(ours, `${message}${where}`, failed.index);
  if (TRANSIENT_SQLSTATES[code] || isConnectionSqlState(code)) {
    const why = TRANSIENT_SQLSTATES[code] ?? 'connection exception';
    return new WarehouseError('transient', `${why} [${code}]: ${message}${where}`, failed.index);
  }
  if (CONNECTION_ERRNOS.has(code) || CONNECTION_MESSAGE.test(raw)) {
    return new WarehouseError(
      'transient',
      `connection lost${code ? ` [${code}]` : ''}: ${message}${where}`,
      failed.index,
    );
  }
  return new WarehouseError('permanent', `${code ? `[${code}] ` : ''}${message}${where}`, failed.index);
}
