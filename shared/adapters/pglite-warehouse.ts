// Warehouse over PGlite (PostgreSQL in-process: in memory, or a data directory that survives restarts).
// PGlite has one connection; its own transaction() holds that connection's lock so that concurrent callers
// cannot interleave statements into our transaction.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Row, Warehouse } from '../ports/warehouse.js';
import type { SqlStatement } from '../sql/statement.js';
import { classifyTransactionFailure, runTransactionBody, toPositionalStatements } from './postgres-transaction-body.js';
import { setIsolationStatement, type PostgresTransactionOptions } from './postgres-transaction-settings.js';
import { RESULT_PARSERS } from './result-value-types.js';

export type PGliteWarehouseOptions = PostgresTransactionOptions;

export class PGliteWarehouse implements Warehouse {
  /** Takes ownership of `db`: close() closes it. */
  constructor(
    readonly db: PGlite,
    private readonly options: PGliteWarehouseOptions = {},
  ) {}

  /** Open PGlite on a data directory (persistent) or, without one, in memory. */
  static async open(dataDir?: string, options: PGliteWarehouseOptions = {}): Promise<PGliteWarehouse> {
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    return new PGliteWarehouse(db, options);
  }

  async query(statement: SqlStatement): Promise<Row[]> {
    return this.run([statement], true);
  }

  async transaction(statements: SqlStatement[]): Promise<void> {
    await this.run(statements, false);
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }

  private async run(statements: SqlStatement[], wantRows: boolean): Promise<Row[]> {
    const positional = toPositionalStatements(statements);
    try {
      return await this.db.transaction(async (tx: Transaction) => {
        await tx.query(setIsolationStatement(this.options));
        return runTransactionBody(
          statements,
          positional,
          this.options,
          wantRows,
          async (p) => (await tx.query<Row>(p.text, p.values, { parsers: RESULT_PARSERS })).rows,
        );
      });
    } catch (err) {
      throw classifyTransactionFailure(err, statements);
    }
  }
}
