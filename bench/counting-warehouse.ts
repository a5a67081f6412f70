// A Warehouse decorator that counts what the pipeline sends, as the Redshift Data API would see it:
//   a read        = one ExecuteStatement call (1 SQL statement);
//   a transaction = one BatchExecuteStatement call (its statements run as one transaction).
// It also sums the time spent waiting on the database (client-observed: round trip + server work) so that
// "database time" can be told apart from compile, queue and bookkeeping time in the same run.
import type { Row, Warehouse } from '../shared/ports/warehouse.js';
import type { SqlStatement } from '../shared/sql/statement.js';
import { nowMs } from './stats.js';

export interface WarehouseCounts {
  reads: number;
  readRows: number;
  readMs: number;
  transactions: number;
  failedTransactions: number;
  statements: number;
  /** Statements whose text starts with CREATE/DROP/ALTER/GRANT/REVOKE (view DDL and grants). */
  ddlStatements: number;
  transactionMs: number;
}

const DDL = /^\s*(CREATE|DROP|ALTER|GRANT|REVOKE)\b/i;

export class CountingWarehouse implements Warehouse {
  counts: WarehouseCounts = CountingWarehouse.zero();
  /** Wall-clock end (nowMs) of every committed transaction, with its statements (latency tracing). */
  onCommit?: (statements: readonly SqlStatement[], at: number) => void;

  constructor(private readonly inner: Warehouse) {}

  static zero(): WarehouseCounts {
    return {
      reads: 0,
      readRows: 0,
      readMs: 0,
      transactions: 0,
      failedTransactions: 0,
      statements: 0,
      ddlStatements: 0,
      transactionMs: 0,
    };
  }

  reset(): void {
    this.counts = CountingWarehouse.zero();
  }

  async query(statement: SqlStatement): Promise<Row[]> {
    const t0 = nowMs();
    try {
      const rows = await this.inner.query(statement);
      this.counts.readRows += rows.length;
      return rows;
    } finally {
      this.counts.reads++;
      this.counts.readMs += nowMs() - t0;
    }
  }

  async transaction(statements: SqlStatement[]): Promise<void> {
    const t0 = nowMs();
    this.counts.transactions++;
    this.counts.statements += statements.length;
    this.counts.ddlStatements += statements.filter((s) => DDL.test(s.sql)).length;
    try {
      await this.inner.transaction(statements);
      this.onCommit?.(statements, nowMs());
    } catch (err) {
      this.counts.failedTransactions++;
      throw err;
    } finally {
      this.counts.transactionMs += nowMs() - t0;
    }
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
