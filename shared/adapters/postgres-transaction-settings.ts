// Settings every local (PostgreSQL / PGlite) transaction starts with, shared by both adapters.
// lock_timeout: a view replace (ACCESS EXCLUSIVE) queued behind a long analyst query blocks every new
// reader of that view until it gets its lock; giving up after a bounded wait turns that into a
// transient error (55P03) and a later retry instead of an outage.
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface PostgresTransactionOptions {
  /** Milliseconds a statement may wait for a lock before failing with 55P03 (transient). Default 5000. */
  lockTimeoutMs?: number;
  /** Milliseconds a statement may run before failing with 57014 (transient). Default: no limit. */
  statementTimeoutMs?: number;
  /** Default 'read committed' (PostgreSQL's default; our procedures serialize on the epoch lock). */
  isolation?: IsolationLevel;
}

const ISOLATION_LEVEL_SQL: Record<IsolationLevel, string> = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/** Opens the transaction (the `pg` adapter sends its own BEGIN). */
export function beginStatement(options: PostgresTransactionOptions): string {
  return `BEGIN ISOLATION LEVEL ${ISOLATION_LEVEL_SQL[options.isolation ?? 'read committed']}`;
}

/** The first statement of a transaction someone else opened (PGlite's transaction() sends BEGIN itself). */
export function setIsolationStatement(options: PostgresTransactionOptions): string {
  return `SET TRANSACTION ISOLATION LEVEL ${ISOLATION_LEVEL_SQL[options.isolation ?? 'read committed']}`;
}

/** set_config(…, true) is SET LOCAL with a bound value: nothing is spliced into text. */
export function settingStatements(options: PostgresTransactionOptions): { text: string; values: string[] }[] {
  const out = [
    { text: "SELECT set_config('lock_timeout', $1, true)", values: [`${ms(options.lockTimeoutMs ?? 5000)}ms`] },
  ];
  if (options.statementTimeoutMs !== undefined) {
    out.push({
      text: "SELECT set_config('statement_timeout', $1, true)",
      values: [`${ms(options.statementTimeoutMs)}ms`],
    });
  }
  return out;
}

function ms(value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`timeout must be a non-negative integer of milliseconds, got ${value}`);
  return value;
}
