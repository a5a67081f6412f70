// What both local adapters (PGlite and `pg`) run for one transaction; only how a transaction is opened and
// closed differs (PGlite's transaction() holds its one connection's lock; `pg` sends BEGIN/COMMIT itself).
// Every statement is rewritten to $n form BEFORE the transaction opens: a mismatch is a bug and must not
// half-run. Inside the open transaction the settings run first, then the statements in order. A failure is
// classified with the failing statement's index and comment, and every bound value of the transaction is
// redacted from the engine's message — at COMMIT too (a deferred constraint can echo a value).
import { WarehouseError, type Row } from '../ports/warehouse.js';
import type { SqlStatement } from '../sql/statement.js';
import { toPositional } from './named-parameters.js';
import { classifyPostgresError } from './postgres-error-classifier.js';
import { settingStatements, type PostgresTransactionOptions } from './postgres-transaction-settings.js';

export interface PositionalStatement {
  text: string;
  values: unknown[];
}

/** Runs one statement on the open transaction and returns its rows. */
export type RunPositional = (statement: PositionalStatement) => Promise<Row[]>;

/** Every statement in $n form, or a permanent WarehouseError naming the first one whose parameters do not match. */
export function toPositionalStatements(statements: readonly SqlStatement[]): PositionalStatement[] {
  return statements.map((s, i) => {
    try {
      return toPositional(s.sql, s.params);
    } catch (err) {
      throw new WarehouseError('permanent', `${(err as Error).message} (statement ${i})`, i);
    }
  });
}

/** A failure of the transaction as a WarehouseError; `index` is the failing statement's, when it is one of ours. */
export function classifyTransactionFailure(
  err: unknown,
  statements: readonly SqlStatement[],
  index?: number,
): WarehouseError {
  return classifyPostgresError(err, {
    index,
    comment: index === undefined ? undefined : statements[index]?.comment,
    params: statements.map((s) => s.params),
  });
}

/** The settings, then the statements; the rows of the last statement when `wantRows`. */
export async function runTransactionBody(
  statements: readonly SqlStatement[],
  positional: readonly PositionalStatement[],
  options: PostgresTransactionOptions,
  wantRows: boolean,
  run: RunPositional,
): Promise<Row[]> {
  try {
    for (const s of settingStatements(options)) await run(s);
  } catch (err) {
    throw classifyTransactionFailure(err, statements);
  }
  let rows: Row[] = [];
  for (const [i, p] of positional.entries()) {
    try {
      const result = await run(p);
      if (wantRows) rows = result;
    } catch (err) {
      throw classifyTransactionFailure(err, statements, i);
    }
  }
  return rows;
}
