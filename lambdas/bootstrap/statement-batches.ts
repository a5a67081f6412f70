// The bootstrap plan as Data API batches. One BatchExecuteStatement is one transaction run by one database
// identity connected to one database, so a batch holds the steps of one identity and database (the
// transaction packer keeps the limit and adds the name-resolution pin). A statement with bound parameters
// (the hashing key) runs in a batch of its own: no other statement shares the batch that carries the key.
import type { BootstrapStep, RunAs } from '../../shared/layout/bootstrap-plan.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import type { PlannedStatement, SqlParamValue } from '../../shared/sql/statement.js';
import { MAX_STATEMENTS_PER_TRANSACTION, packTransactions } from '../../shared/sql/transaction-packer.js';

export interface StatementBatch {
  runAs: RunAs;
  /** The database to connect to; undefined = the integration database. */
  database?: string;
  statements: PlannedStatement[];
  /** Bound parameters of the batch (names without the colon). */
  params: Record<string, SqlParamValue>;
}

const binds = (step: BootstrapStep): boolean => Object.keys(step.statement.params ?? {}).length > 0;

export function toBatches(
  plan: readonly BootstrapStep[],
  dialect: Dialect,
  maxStatements = MAX_STATEMENTS_PER_TRANSACTION,
): StatementBatch[] {
  if (maxStatements < 1 || maxStatements > MAX_STATEMENTS_PER_TRANSACTION)
    throw new RangeError(`batch size must be 1..${MAX_STATEMENTS_PER_TRANSACTION}`);
  const units = plan.map((step) => ({
    statements: [step.statement],
    session: JSON.stringify([step.runAs, step.database ?? null]),
    alone: binds(step),
    tag: step,
  }));
  return packTransactions(units, dialect, maxStatements).map((tx) => {
    const { runAs, database } = tx.units[0]!;
    return {
      runAs,
      ...(database === undefined ? {} : { database }),
      statements: tx.statements,
      params: Object.assign({}, ...tx.statements.map((s) => s.params ?? {})) as Record<string, SqlParamValue>,
    };
  });
}
