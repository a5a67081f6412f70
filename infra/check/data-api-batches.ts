// The conformance check's Data API calls: one step = one ExecuteStatement (one statement) or one
// BatchExecuteStatement (several, one transaction), polled until FINISHED, FAILED or ABORTED, and — when the
// step compares rows — every result page of its LAST statement (a batch's sub-statement `<id>:<n>`), read with
// the functions' own Data API client (connection fields, every result page). Parameters go through the same
// renaming as the apply path (toDataApi).
// Unlike the apply adapter (shared/adapters/redshift-data-warehouse.ts) this returns outcomes instead of
// classifying errors for retries: the check reports what the cluster said, it never retries.
import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { connectionParameters, readResultPages } from '../../shared/adapters/data-api-client.js';
import { toDataApi } from '../../shared/adapters/named-parameters.js';
import type { SqlStatement } from '../../shared/sql/statement.js';

export interface CheckTarget {
  clusterId?: string;
  workgroupName?: string;
  database: string;
}

export type CheckCredentials = { dbUser: string } | { secretArn: string };

export type StepOutcome =
  | { status: 'FINISHED'; statementId: string; rows?: (string | null)[][] }
  | { status: 'FAILED' | 'ABORTED' | 'TIMEOUT'; statementId?: string; error: string };

export interface BatchOptions {
  pollMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A result value as the check compares it: text, or null (every compared column is CAST to text). */
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class DataApiBatches {
  constructor(
    private readonly client: RedshiftDataClient,
    private readonly options: BatchOptions = {},
  ) {}

  /** Run `statements` as one step; `rows` = read every page of the last statement's result. */
  async run(
    target: CheckTarget,
    credentials: CheckCredentials,
    statements: readonly SqlStatement[],
    rows: boolean,
  ): Promise<StepOutcome> {
    const connection = connectionParameters({
      database: target.database,
      ...(target.clusterId ? { clusterIdentifier: target.clusterId } : {}),
      ...(target.workgroupName ? { workgroupName: target.workgroupName } : {}),
      ...credentials,
    });
    const bound = toDataApi(statements, statements.length > 1);
    const parameters = bound.flatMap((b) => b.parameters);
    const common = {
      ...connection,
      ClientToken: randomUUID(),
      StatementName: 'viewguard-redshift-check',
      ...(parameters.length ? { Parameters: parameters } : {}),
    };
    const out =
      bound.length === 1
        ? await this.client.send(new ExecuteStatementCommand({ ...common, Sql: bound[0]!.sql }))
        : await this.client.send(new BatchExecuteStatementCommand({ ...common, Sqls: bound.map((b) => b.sql) }));
    if (!out.Id) throw new Error('the Data API returned no statement id');
    return this.await(out.Id, rows);
  }

  private async await(id: string, rows: boolean): Promise<StepOutcome> {
    const sleep = this.options.sleep ?? ((ms: number) => pause(ms));
    const now = this.options.now ?? Date.now;
    const deadline = now() + (this.options.timeoutMs ?? 300_000);
    for (;;) {
      const d = await this.client.send(new DescribeStatementCommand({ Id: id }));
      if (d.Status === 'FINISHED') {
        if (!rows) return { status: 'FINISHED', statementId: id };
        const last = d.SubStatements?.length ? d.SubStatements[d.SubStatements.length - 1]!.Id! : id;
        return { status: 'FINISHED', statementId: id, rows: await this.rows(last) };
      }
      // FAILED and ABORTED are both terminal; a failed batch names the sub-statement in its error.
      if (d.Status === 'FAILED' || d.Status === 'ABORTED')
        return { status: d.Status, statementId: id, error: d.Error ?? d.Status };
      if (now() >= deadline)
        return {
          status: 'TIMEOUT',
          statementId: id,
          error: `still ${d.Status ?? 'unknown'} after ${this.options.timeoutMs ?? 300_000} ms`,
        };
      await sleep(this.options.pollMs ?? 1000);
    }
  }

  private async rows(id: string): Promise<(string | null)[][]> {
    return (await readResultPages(this.client, id)).map((row) => Object.values(row).map(text));
  }
}
