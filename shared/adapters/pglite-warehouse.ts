// Warehouse over PGlite (PostgreSQL in-process: in memory, or a data directory that survives restarts).
// PGlite has one connection; its own transaction() holds that connection's lock so that concurrent callers
// cannot interleave statements into our transaction.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { WarehouseError, type Row, type Warehouse } from '../ports/warehouse.js';
import type { SqlStatement } from '../sql/statement.js';
import { toPositional } from './named-parameters.js';
import { classifyPostgresError } from './postgres-error-classifier.js';
import { RESULT_PARSERS } from './result-value-types.js';
import { settingStatements, type PostgresTransactionOptions } from './postgres-transaction-settings.js';

export type PGliteWarehouseOptions = PostgresTransactionOptions;

const ISOLATION: Record<NonNullable<PostgresTransactionOptions['isolation']>, string> = {
  'read committed': 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED',
  'repeatable read': 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ',
  serializable: 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
};

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
    let current = -1;
    let prepared: { text: string; values: unknown[] }[];
    try {
      prepared = statements.map((s, i) => {
        current = i;
        return toPositional(s.sql, s.params);
      });
    } catch (err) {
      throw new WarehouseError('permanent', `${(err as Error).message} (statement ${current})`, current);
    }
    current = -1;
    try {
      return await this.db.transaction(async (tx: Transaction) => {
        await tx.query(ISOLATION[this.options.isolation ?? 'read committed']);
        for (const s of settingStatements(this.options)) await tx.query(s.text, s.values);
        let rows: Row[] = [];
        for (const [i, p] of prepared.entries()) {
          current = i;
          const result = await tx.query<Row>(p.text, p.values, { parsers: RESULT_PARSERS });
          if (wantRows) rows = result.rows;
        }
        current = -1;
        return rows;
      });
    } catch (err) {
      throw classifyPostgresError(err, {
        index: current >= 0 ? current : undefined,
        comment: current >= 0 ? statements[current].comment : undefined,
        params: statements.map((s) => s.params),
      });
    }
  }
}
