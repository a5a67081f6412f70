// Warehouse over the Redshift Data API. The Data API is asynchronous: submit (ExecuteStatement /
// BatchExecuteStatement), poll DescribeStatement until FINISHED / FAILED / ABORTED (FAILED and ABORTED
// both fail: ABORTED is easy to forget), then page GetStatementResult with NextToken (one page silently
// truncates).
//
// Parameters: the SDK model we ship (@aws-sdk/client-redshift-data 3.1169) documents `Parameters` on
// BatchExecuteStatement as ONE list shared by all statements of the batch, each of which must be referenced
// by at least one statement (BatchExecuteStatementInput.Parameters). So in a batch every statement's
// `:name` is renamed `:s<index>_<name>` — unique by construction, and two statements may bind the same name
// to different values. SqlParameter values are strings (Redshift converts them implicitly), so a null is
// written as the keyword NULL and an empty string as '' in the text (constants, never caller data), and
// booleans/numbers are sent as their text.
//
// ClientToken: a fresh token per submission, so that the SDK's own retries of one HTTP request cannot start
// the statement twice (idempotent for 8 h). It is deliberately NOT derived from the statement content: after
// a transient failure the caller's retry must really run again, not get the old FAILED statement back.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type DescribeStatementResponse,
  type RedshiftDataClient,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { WarehouseError, type Row, type Warehouse } from '../ports/warehouse.js';
import type { SqlStatement } from '../sql/statement.js';
import { ParameterMismatchError, toDataApi } from './named-parameters.js';
// BatchExecuteStatement takes 1..40 statements; the transaction packer splits a change, this only refuses more.
import { MAX_STATEMENTS_PER_TRANSACTION } from '../sql/transaction-packer.js';
import { connectionParameters, readResultPages } from './data-api-client.js';
import { classifyDataApiException, classifySqlFailure, isThrottling } from './redshift-errors.js';

/** How the Data API authenticates: exactly one of these (temporary credentials for a database user, or a secret). */
export type RedshiftTarget =
  | { database: string; clusterIdentifier: string; dbUser: string }
  | { database: string; secretArn: string; clusterIdentifier?: string }
  | { database: string; workgroupName: string; secretArn?: string };

export interface StatementObservation {
  operation: 'query' | 'transaction';
  statementId?: string;
  statementCount: number;
  /**
   * FINISHED, FAILED, ABORTED, DEADLINE (we stopped waiting) or SUBMIT_ERROR / POLL_ERROR; POLL_RETRY is not
   * terminal: a DescribeStatement failure we tolerated and polled again after.
   */
  outcome: 'FINISHED' | 'FAILED' | 'ABORTED' | 'DEADLINE' | 'SUBMIT_ERROR' | 'POLL_ERROR' | 'POLL_RETRY';
  /** Wall time from submit to the terminal status, as seen by us. */
  latencyMs: number;
  /** Redshift's own Duration (nanoseconds in the API) in milliseconds, when reported. */
  redshiftDurationMs?: number;
  resultRows?: number;
  errorKind?: WarehouseError['kind'];
  /** The call failed because a Data API limit was hit (isThrottling); on SUBMIT_ERROR, POLL_ERROR, POLL_RETRY. */
  throttled?: boolean;
}

export interface RedshiftDataWarehouseOptions {
  client: RedshiftDataClient;
  target: RedshiftTarget;
  /** Epoch ms after which we stop polling (e.g. Lambda deadline minus a margin) → transient error. */
  deadline?: number;
  /** Poll backoff: first delay, growth factor, cap. Defaults 100 ms, ×1.5, 2 s. */
  poll?: { initialDelayMs?: number; factor?: number; maxDelayMs?: number };
  /** Consecutive DescribeStatement failures tolerated (beyond the SDK's own retries). Default 3. */
  maxPollErrors?: number;
  /** Cancel a statement we stop waiting for (best effort). Default true. */
  cancelOnDeadline?: boolean;
  /** Metrics hook (the Lambda passes Powertools metrics here; this file does not import them). */
  observe?: (observation: StatementObservation) => void;
  statementName?: string;
  clientToken?: () => string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const TERMINAL = new Set(['FINISHED', 'FAILED', 'ABORTED']);

export class RedshiftDataWarehouse implements Warehouse {
  constructor(private readonly options: RedshiftDataWarehouseOptions) {
    const t = options.target as Record<string, unknown>;
    const modes = [
      t.dbUser !== undefined,
      t.workgroupName !== undefined,
      t.secretArn !== undefined && t.workgroupName === undefined,
    ];
    if (!t.database) throw new Error('Redshift target needs a database');
    if (modes.filter(Boolean).length !== 1) {
      throw new Error('Redshift target needs exactly one of: clusterIdentifier + dbUser, secretArn, workgroupName');
    }
    if (t.dbUser !== undefined && !t.clusterIdentifier)
      throw new Error('dbUser authentication needs clusterIdentifier');
  }

  /** The same warehouse with a polling deadline (epoch ms), e.g. per Lambda invocation. */
  withDeadline(deadline: number | undefined): RedshiftDataWarehouse {
    return new RedshiftDataWarehouse({ ...this.options, deadline });
  }

  async query(statement: SqlStatement): Promise<Row[]> {
    const { sql, parameters } = this.bind([statement], false)[0];
    const started = this.now();
    const id = await this.submit('query', 1, started, () =>
      this.options.client.send(
        new ExecuteStatementCommand({
          ...this.auth(),
          Sql: sql,
          ...(parameters.length > 0 ? { Parameters: parameters } : {}),
          ClientToken: this.token(),
          ...(this.options.statementName ? { StatementName: this.options.statementName } : {}),
        }),
      ),
    );
    const described = await this.await('query', id, [statement], started);
    if (!described.HasResultSet) return [];
    return this.readAll(id, [statement]);
  }

  async transaction(statements: SqlStatement[]): Promise<void> {
    if (statements.length === 0) return;
    if (statements.length > MAX_STATEMENTS_PER_TRANSACTION) {
      throw new WarehouseError(
        'permanent',
        `a transaction of ${statements.length} statements exceeds the BatchExecuteStatement limit of ` +
          `${MAX_STATEMENTS_PER_TRANSACTION}; the caller must split the change`,
      );
    }
    const bound = this.bind(statements, true);
    const parameters = bound.flatMap((b) => b.parameters);
    const started = this.now();
    const id = await this.submit('transaction', statements.length, started, () =>
      this.options.client.send(
        new BatchExecuteStatementCommand({
          ...this.auth(),
          Sqls: bound.map((b) => b.sql),
          ...(parameters.length > 0 ? { Parameters: parameters } : {}),
          ClientToken: this.token(),
          ...(this.options.statementName ? { StatementName: this.options.statementName } : {}),
        }),
      ),
    );
    await this.await('transaction', id, statements, started);
  }

  private auth() {
    return connectionParameters(this.options.target);
  }

  /** Rewrite each statement's parameters for the Data API (see the header). Throws before any call. */
  private bind(statements: SqlStatement[], batch: boolean): { sql: string; parameters: SqlParameter[] }[] {
    try {
      return toDataApi(statements, batch);
    } catch (err) {
      if (err instanceof ParameterMismatchError) throw new WarehouseError('permanent', err.message, err.statementIndex);
      throw err;
    }
  }

  private async submit(
    operation: StatementObservation['operation'],
    statementCount: number,
    started: number,
    call: () => Promise<{ Id?: string }>,
  ): Promise<string> {
    try {
      const out = await call();
      if (!out.Id) throw new Error('the Data API returned no statement Id');
      return out.Id;
    } catch (err) {
      const e = classifyDataApiException(err, operation === 'query' ? 'ExecuteStatement' : 'BatchExecuteStatement');
      this.observe({
        operation,
        statementCount,
        outcome: 'SUBMIT_ERROR',
        latencyMs: this.now() - started,
        errorKind: e.kind,
        throttled: isThrottling(err),
      });
      throw e;
    }
  }

  /** Poll DescribeStatement with backoff until a terminal status; throw a classified error unless FINISHED. */
  private async await(
    operation: StatementObservation['operation'],
    id: string,
    statements: SqlStatement[],
    started: number,
  ): Promise<DescribeStatementResponse> {
    const { initialDelayMs = 100, factor = 1.5, maxDelayMs = 2000 } = this.options.poll ?? {};
    const maxPollErrors = this.options.maxPollErrors ?? 3;
    const params = statements.map((s) => s.params);
    const base = { operation, statementId: id, statementCount: statements.length };
    let delay = initialDelayMs;
    let pollErrors = 0;
    for (;;) {
      let d: DescribeStatementResponse | undefined;
      try {
        d = await this.options.client.send(new DescribeStatementCommand({ Id: id }));
        pollErrors = 0;
      } catch (err) {
        const e = classifyDataApiException(err, 'DescribeStatement', { params });
        const throttled = isThrottling(err);
        if (e.kind !== 'transient' || ++pollErrors > maxPollErrors) {
          this.observe({
            ...base,
            outcome: 'POLL_ERROR',
            latencyMs: this.now() - started,
            errorKind: e.kind,
            throttled,
          });
          throw e;
        }
        if (throttled)
          this.observe({
            ...base,
            outcome: 'POLL_RETRY',
            latencyMs: this.now() - started,
            errorKind: e.kind,
            throttled,
          });
      }
      if (d?.Status && TERMINAL.has(d.Status)) {
        const latencyMs = this.now() - started;
        const redshiftDurationMs = d.Duration !== undefined && d.Duration >= 0 ? d.Duration / 1e6 : undefined;
        if (d.Status === 'FINISHED') {
          this.observe({ ...base, outcome: 'FINISHED', latencyMs, redshiftDurationMs, resultRows: d.ResultRows });
          return d;
        }
        const e = this.failure(d, statements);
        this.observe({
          ...base,
          outcome: d.Status as 'FAILED' | 'ABORTED',
          latencyMs,
          redshiftDurationMs,
          errorKind: e.kind,
        });
        throw e;
      }
      const deadline = this.options.deadline;
      if (deadline !== undefined && this.now() + delay > deadline) {
        if (this.options.cancelOnDeadline ?? true) {
          await this.options.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
        }
        const e = new WarehouseError(
          'transient',
          `statement ${id} still ${d?.Status ?? 'unknown'} at the deadline; cancelled (best effort), retry later`,
        );
        this.observe({ ...base, outcome: 'DEADLINE', latencyMs: this.now() - started, errorKind: e.kind });
        throw e;
      }
      await this.sleep(delay);
      delay = Math.min(maxDelayMs, Math.ceil(delay * factor));
    }
  }

  private failure(d: DescribeStatementResponse, statements: SqlStatement[]): WarehouseError {
    const params = statements.map((s) => s.params);
    // In a batch, the failing sub-statement says which one (Id suffix :n is 1-based).
    const subs = d.SubStatements ?? [];
    const failedSub = subs.find((s) => s.Status === 'FAILED' || (s.Error !== undefined && s.Error !== ''));
    let index: number | undefined;
    if (failedSub) {
      const suffix = /:(\d+)$/.exec(failedSub.Id ?? '');
      index = suffix ? Number(suffix[1]) - 1 : subs.indexOf(failedSub);
    } else if (statements.length === 1) index = 0;
    const failed = { index, comment: index !== undefined ? statements[index]?.comment : undefined, params };
    if (d.Status === 'ABORTED') {
      // Cancelled (by an operator, or by us at a deadline): nothing committed, so running it again is safe.
      return new WarehouseError('transient', `statement ${d.Id} was ABORTED; nothing was committed`, index);
    }
    return classifySqlFailure(failedSub?.Error || d.Error || 'statement FAILED without an error message', failed);
  }

  private readAll(id: string, statements: SqlStatement[]): Promise<Row[]> {
    return readResultPages(this.options.client, id, (err) =>
      classifyDataApiException(err, 'GetStatementResult', { params: statements.map((s) => s.params) }),
    );
  }

  private observe(o: StatementObservation): void {
    try {
      this.options.observe?.(o);
    } catch {
      // A metrics hook must never change the outcome of a statement.
    }
  }

  private token(): string {
    return (this.options.clientToken ?? randomUUID)();
  }
  private now(): number {
    return (this.options.now ?? Date.now)();
  }
  private sleep(ms: number): Promise<void> {
    return (this.options.sleep ?? sleep)(ms);
  }
}
