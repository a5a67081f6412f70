// The Redshift Data API behind aws-sdk-client-mock, backed by a REAL engine: every submitted statement is
// executed on PGlite (acting as the system role, like the Data API's DbUser), so the SQL the apply Lambda
// generates is never mocked — only the API around it is. Per submission a fault can be injected at the SDK
// boundary, the way the Data API shows it:
//   throttle / activeStatements  BatchExecuteStatement throws (nothing ran);
//   failed                       the batch reaches FAILED with that error text (nothing ran);
//   aborted                      the batch reaches ABORTED (nothing ran: cancelled by an operator);
//   hang                         the batch stays STARTED; CancelStatement turns it ABORTED (nothing ran);
//   describeErrors               the batch RAN (committed), then DescribeStatement throws `count` times;
//   run                          the batch runs; a SQL error makes it FAILED with the engine's message and the
//                                failing sub-statement (`<id>:<n>`, 1-based) — its transaction rolled back.
// A statement over 100,000 bytes is refused at submission with a ValidationException, as the Data API refuses a
// query string over its 100 KB limit (nothing ran).
// Results are returned in Data API record form (longValue / booleanValue / stringValue / isNull), paged with
// NextToken so that a reader that stops after one page loses rows.
import type { AwsStub } from 'aws-sdk-client-mock';
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ResourceNotFoundException,
  ValidationException,
  type ColumnMetadata,
  type DescribeStatementResponse,
  type Field,
  type RedshiftDataClient,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type SqlParameter,
  type SubStatementData,
} from '@aws-sdk/client-redshift-data';
import type { PGlite } from '@electric-sql/pglite';
import { toPositional } from '../../../shared/adapters/named-parameters.js';
import type { SqlParamValue } from '../../../shared/sql/statement.js';

export type DataApiFault =
  | { kind: 'run' }
  | { kind: 'throttle' }
  | { kind: 'activeStatements' }
  | { kind: 'failed'; error: string }
  | { kind: 'aborted' }
  | { kind: 'hang' }
  | { kind: 'describeErrors'; count: number; error?: () => Error };

export interface Submission {
  /** 0-based over all submissions of this kind. */
  index: number;
  operation: 'batch' | 'query';
  sqls: string[];
  /** Parameters by their Data API name (`s<i>_<name>` in a batch). */
  parameters: Record<string, string>;
}

interface StatementState {
  status: 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';
  error?: string;
  failedSub?: number;
  sqls: string[];
  hasResultSet: boolean;
  columns?: ColumnMetadata[];
  records?: Field[][];
  describeErrors: number;
  describeError?: () => Error;
}

const PAGE = 50;

/** PostgreSQL type oids → the Data API's typeName for the columns our readers look at. */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  1043: 'varchar',
  1114: 'timestamp',
};

function field(v: unknown): Field {
  if (v === null || v === undefined) return { isNull: true };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'bigint') return { longValue: Number(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { longValue: v } : { doubleValue: v };
  if (v instanceof Date) return { stringValue: v.toISOString() };
  return { stringValue: String(v) };
}

export class PgliteDataApi {
  private next = 0;
  private readonly statements = new Map<string, StatementState>();
  readonly submissions: Submission[] = [];
  /** Decides each batch's fault (default: run). Set per test. */
  onBatch: (s: Submission) => DataApiFault = () => ({ kind: 'run' });
  /** Decides each single statement's fault (catalog reads). */
  onQuery: (s: Submission) => DataApiFault = () => ({ kind: 'run' });
  /** Ids the caller cancelled. */
  readonly cancelled: string[] = [];
  private batchCount = 0;
  private queryCount = 0;

  constructor(
    rd: AwsStub<ServiceInputTypes, ServiceOutputTypes, RedshiftDataClient['config']>,
    private readonly db: PGlite,
  ) {
    rd.on(BatchExecuteStatementCommand).callsFake((input: { Sqls: string[]; Parameters?: SqlParameter[] }) =>
      this.submit('batch', input.Sqls, input.Parameters),
    );
    rd.on(ExecuteStatementCommand).callsFake((input: { Sql: string; Parameters?: SqlParameter[] }) =>
      this.submit('query', [input.Sql], input.Parameters),
    );
    // Every answer is a promise, as from the real client (callers may chain .catch on send()).
    rd.on(DescribeStatementCommand).callsFake(async (input: { Id: string }) => this.describe(input.Id));
    rd.on(CancelStatementCommand).callsFake(async (input: { Id: string }) => {
      const s = this.statements.get(input.Id);
      this.cancelled.push(input.Id);
      if (s && s.status === 'STARTED') s.status = 'ABORTED';
      return { Status: true };
    });
    rd.on(GetStatementResultCommand).callsFake(async (input: { Id: string; NextToken?: string }) => {
      const s = this.statements.get(input.Id);
      if (!s || s.status !== 'FINISHED' || !s.hasResultSet)
        throw new ResourceNotFoundException({
          message: `no result for ${input.Id}`,
          Message: `no result for ${input.Id}`,
          $metadata: {},
          ResourceId: input.Id,
        });
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const records = s.records!.slice(start, start + PAGE);
      const more = start + PAGE < s.records!.length;
      return {
        ...(start === 0 ? { ColumnMetadata: s.columns } : {}),
        Records: records,
        TotalNumRows: s.records!.length,
        ...(more ? { NextToken: String(start + PAGE) } : {}),
      };
    });
  }

  /** Batches that reached FINISHED (ran and committed). */
  get committedBatches(): number {
    return [...this.statements.entries()].filter(([id, s]) => id.startsWith('b') && s.status === 'FINISHED').length;
  }

  private async submit(
    operation: 'batch' | 'query',
    sqls: string[],
    parameters: SqlParameter[] = [],
  ): Promise<{ Id: string }> {
    const submission: Submission = {
      index: operation === 'batch' ? this.batchCount++ : this.queryCount++,
      operation,
      sqls,
      parameters: Object.fromEntries(parameters.map((p) => [p.name!, p.value!])),
    };
    this.submissions.push(submission);
    if (sqls.some((q) => Buffer.byteLength(q, 'utf8') > 100_000)) {
      throw new ValidationException({
        message: 'Cannot process query string larger than 100kB',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const fault = (operation === 'batch' ? this.onBatch : this.onQuery)(submission);
    if (fault.kind === 'throttle')
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    if (fault.kind === 'activeStatements')
      throw new ActiveStatementsExceededException({
        message: 'Active statements exceeded the allowed quota (200)',
        $metadata: {},
      });
    const id = `${operation === 'batch' ? 'b' : 'q'}-${++this.next}`;
    const state: StatementState = { status: 'STARTED', sqls, hasResultSet: false, describeErrors: 0 };
    this.statements.set(id, state);
    if (fault.kind === 'failed') Object.assign(state, { status: 'FAILED', error: fault.error });
    else if (fault.kind === 'aborted') state.status = 'ABORTED';
    else if (fault.kind === 'hang') state.status = 'STARTED';
    else {
      if (fault.kind === 'describeErrors')
        Object.assign(state, { describeErrors: fault.count, describeError: fault.error });
      await this.execute(state, submission);
    }
    return { Id: id };
  }

  /** One batch = one transaction (BatchExecuteStatement semantics); a query runs on its own. */
  private async execute(state: StatementState, s: Submission): Promise<void> {
    const params: Record<string, SqlParamValue> = s.parameters;
    let current = 0;
    try {
      await this.db.transaction(async (tx) => {
        for (const [i, sql] of s.sqls.entries()) {
          current = i;
          // The Data API names parameters in the text; the engine takes $n. Redshift literals escape backslashes.
          // A batch shares one parameter list (each name used by its statement only: `s<i>_<name>`).
          const own = Object.fromEntries(
            Object.entries(params).filter(([name]) => new RegExp(`:${name}(?![A-Za-z0-9_])`).test(sql)),
          );
          const p = toPositional(sql, own, { backslashEscapesInStrings: true });
          const result = await tx.query<Record<string, unknown>>(p.text, p.values);
          if (s.operation === 'query' && result.fields.length > 0) {
            state.hasResultSet = true;
            state.columns = result.fields.map((f) => ({
              name: f.name,
              label: f.name,
              typeName: TYPE_NAMES[f.dataTypeID] ?? 'varchar',
            }));
            state.records = result.rows.map((row) => result.fields.map((f) => field(row[f.name])));
          }
        }
      });
      state.status = 'FINISHED';
    } catch (err) {
      Object.assign(state, { status: 'FAILED', error: `ERROR: ${(err as Error).message}`, failedSub: current });
    }
  }

  private describe(id: string): DescribeStatementResponse {
    const s = this.statements.get(id);
    if (!s)
      throw new ResourceNotFoundException({
        message: `statement ${id} not found`,
        Message: `statement ${id} not found`,
        $metadata: {},
        ResourceId: id,
      });
    if (s.describeErrors > 0) {
      s.describeErrors--;
      throw (
        s.describeError?.() ??
        Object.assign(new Error('We encountered an internal error'), {
          name: 'InternalServerException',
          $metadata: { httpStatusCode: 500 },
        })
      );
    }
    const base: DescribeStatementResponse = {
      Id: id,
      Status: s.status,
      Duration: 2_000_000,
      HasResultSet: s.hasResultSet,
      ResultRows: s.records?.length ?? -1,
    };
    if (s.status !== 'FAILED') return base;
    const subs: SubStatementData[] | undefined =
      s.sqls.length > 1 && s.failedSub !== undefined
        ? s.sqls.map((q, i) => ({
            Id: `${id}:${i + 1}`,
            QueryString: q,
            Status: i < s.failedSub! ? 'FINISHED' : i === s.failedSub ? 'FAILED' : 'ABORTED',
            ...(i === s.failedSub ? { Error: s.error } : {}),
          }))
        : undefined;
    return { ...base, Error: s.error, ...(subs ? { SubStatements: subs } : {}) };
  }
}
