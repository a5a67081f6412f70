// Warehouse over a real PostgreSQL server through `pg` (a Pool, or one Client whose use we serialize).
// Each transaction runs on one connection: BEGIN → lock/statement timeouts → statements → COMMIT, with
// ROLLBACK on any error; reads run the same way so that they also give up on a blocked lock.
import pg from 'pg';
import { WarehouseError, type Row, type Warehouse } from '../ports/warehouse.js';
import type { SqlStatement } from '../sql/statement.js';
import { classifyPostgresError } from './postgres-error-classifier.js';
import { classifyTransactionFailure, runTransactionBody, toPositionalStatements } from './postgres-transaction-body.js';
import { beginStatement, type PostgresTransactionOptions } from './postgres-transaction-settings.js';
import { RESULT_PARSERS } from './result-value-types.js';

export type PostgresWarehouseOptions = PostgresTransactionOptions;

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    RESULT_PARSERS[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export class PostgresWarehouse implements Warehouse {
  // A single Client cannot run two transactions at once; queue them (a Pool hands out separate clients).
  private clientQueue: Promise<unknown> = Promise.resolve();

  /** Takes ownership of `db`: close() ends it. */
  constructor(
    private readonly db: pg.Pool | pg.Client,
    private readonly options: PostgresWarehouseOptions = {},
  ) {
    // An idle pooled connection that the server ends (restart, 57P01 admin shutdown, network) makes the pool
    // emit 'error'; unhandled, that would crash `npm start`. The pool drops the client and the next statement
    // connects again (or fails as transient), so there is nothing else to do here.
    if (db instanceof pg.Pool) db.on('error', () => undefined);
  }

  async query(statement: SqlStatement): Promise<Row[]> {
    return this.run([statement], true);
  }

  async transaction(statements: SqlStatement[]): Promise<void> {
    await this.run(statements, false);
  }

  async close(): Promise<void> {
    await this.db.end();
  }

  private run(statements: SqlStatement[], wantRows: boolean): Promise<Row[]> {
    if (this.db instanceof pg.Pool) {
      const pool = this.db;
      return (async () => {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (err) {
          throw classifyPostgresError(err);
        }
        let broken: Error | undefined;
        // The pool stops listening to a client's 'error' event while it is checked out, and a connection lost
        // mid-transaction emits one (besides failing the statement): unheard, that is an uncaught exception.
        const onError = (err: Error): void => void (broken ??= err);
        client.on('error', onError);
        try {
          return await this.runOn(client, statements, wantRows);
        } catch (err) {
          // A connection that failed mid-transaction is not returned to the pool.
          if (err instanceof WarehouseError && err.kind === 'transient' && /connection/i.test(err.message))
            broken ??= err;
          throw err;
        } finally {
          client.off('error', onError);
          client.release(broken);
        }
      })();
    }
    const client = this.db;
    const next = this.clientQueue.then(() => this.runOn(client, statements, wantRows));
    this.clientQueue = next.catch(() => undefined);
    return next;
  }

  private async runOn(client: pg.ClientBase, statements: SqlStatement[], wantRows: boolean): Promise<Row[]> {
    const positional = toPositionalStatements(statements);
    try {
      await client.query(beginStatement(this.options));
      const rows = await runTransactionBody(
        statements,
        positional,
        this.options,
        wantRows,
        async (p) => (await client.query({ text: p.text, values: p.values, types: typeParsers })).rows as Row[],
      );
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw classifyTransactionFailure(err, statements);
    }
  }
}
