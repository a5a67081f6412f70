// Splits an ordered bootstrap plan into Data API batches. One BatchExecuteStatement is one transaction of at most
// 40 statements, run by one database identity connected to one database
// (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html), so a batch ends
// where the plan switches identity (administrator / system user) or database, or at 40 statements.
// A statement with bound parameters (the hashing key) runs in a batch of its own: the Data API requires every
// parameter of a batch to be referenced by one of its statements, and isolating it keeps the key's batch minimal.
import type { BootstrapStep, RunAs } from '../../shared/layout/bootstrap-plan.js';
import type { SqlParamValue, SqlStatement } from '../../shared/sql/statement.js';

export const MAX_BATCH_STATEMENTS = 40;

export interface StatementBatch {
  runAs: RunAs;
  /** The database to connect to; undefined = the integration database. */
  database?: string;
  statements: SqlStatement[];
  /** Bound parameters of the batch (names without the colon). */
  params: Record<string, SqlParamValue>;
}

/**
 * `pin` (the dialect's pinSearchPath) brackets every system-user batch, so what the system user creates binds
 * operators and functions in pg_catalog only (test/security/search-path-hijack); it takes two of the 40 places.
 */
export function toBatches(
  plan: readonly BootstrapStep[],
  maxStatements = MAX_BATCH_STATEMENTS,
  pin?: { before: string; after: string },
): StatementBatch[] {
  if (maxStatements < 1 || maxStatements > MAX_BATCH_STATEMENTS) throw new RangeError(`batch size must be 1..${MAX_BATCH_STATEMENTS}`);
  const batches = collect(plan, pin ? Math.max(1, maxStatements - 2) : maxStatements);
  if (!pin) return batches;
  return batches.map((b) =>
    b.runAs === 'system' && Object.keys(b.params).length === 0
      ? { ...b, statements: [{ sql: pin.before, comment: 'bind in pg_catalog only' }, ...b.statements, { sql: pin.after, comment: 'restore the search_path' }] }
      : b,
  );
}

function collect(plan: readonly BootstrapStep[], maxStatements: number): StatementBatch[] {
  const batches: StatementBatch[] = [];
  let current: StatementBatch | undefined;
  for (const step of plan) {
    const { runAs, statement, database } = step;
    const where = database === undefined ? {} : { database };
    if (statement.params !== undefined && Object.keys(statement.params).length > 0) {
      batches.push({ runAs, ...where, statements: [statement], params: { ...statement.params } });
      current = undefined;
      continue;
    }
    if (!current || current.runAs !== runAs || current.database !== database || current.statements.length >= maxStatements) {
      current = { runAs, ...where, statements: [], params: {} };
      batches.push(current);
    }
    current.statements.push(statement);
  }
  return batches;
}
