// The warehouse port: Redshift through the Data API in AWS, PGlite or a PostgreSQL server locally and in tests.
import type { SqlStatement } from '../sql/statement.js';

/**
 * One result row. Every adapter types values the same way (shared/adapters/result-value-types.ts): BIGINT
 * → number while safe (else a decimal string, or an error on the Data API, whose JSON cannot carry it),
 * NUMERIC → string, dates/times → the engine's text, booleans/integers/floats native, NULL → null.
 */
export type Row = Record<string, unknown>;

/**
 * How a failed transaction should be handled by the caller.
 * - stale:     our guard procedure found a newer version already applied → acknowledge, nothing to do.
 * - conflict:  the catalog changed between read and write (epoch guard) → re-read, recompile, retry.
 * - transient: throttling, ActiveStatementsExceeded, serialization failure (Redshift 1023 / PG 40001),
 *              lock timeout, connection loss → retry later (redelivery).
 * - permanent: anything else (bad SQL, missing table) → fails the message; DLQ after max receives.
 */
export type WarehouseErrorKind = 'stale' | 'conflict' | 'transient' | 'permanent';

export class WarehouseError extends Error {
  constructor(
    readonly kind: WarehouseErrorKind,
    message: string,
    readonly statementIndex?: number,
  ) {
    super(message);
    this.name = 'WarehouseError';
  }
}

export interface Warehouse {
  /** Run one read statement and return every row (all result pages). */
  query(statement: SqlStatement): Promise<Row[]>;
  /**
   * Run statements in order as ONE transaction (Data API: one BatchExecuteStatement, ≤40 statements).
   * Resolves when committed; rejects with WarehouseError when anything failed (all rolled back).
   */
  transaction(statements: SqlStatement[]): Promise<void>;
  /** Release connections (PGlite / pg adapters; the Data API has none). Optional so fakes need not add it. */
  close?(): Promise<void>;
}
