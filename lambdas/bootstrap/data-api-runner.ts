// The few Data API calls the bootstrap needs, kept non-blocking so that the custom resource's isComplete handler
// can poll: submit a batch (idempotent through its ClientToken, so a re-submission returns the same statement),
// read its status, and run one short read. Connections and result pages: the shared client (data-api-client.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { connectionParameters, readResultPages } from '../../shared/adapters/data-api-client.js';
import type { SqlParamValue } from '../../shared/sql/statement.js';
import type { DatabaseIdentity } from '../../shared/contract/bootstrap-properties.js';

export interface DataApiTarget {
  clusterId?: string;
  workgroupName?: string;
  database: string;
}

export type StatementState =
  { state: 'running' } | { state: 'finished' } | { state: 'failed'; status: 'FAILED' | 'ABORTED'; error: string };

const connection = (target: DataApiTarget, identity: DatabaseIdentity) =>
  connectionParameters({
    database: target.database,
    clusterIdentifier: target.clusterId,
    workgroupName: target.workgroupName,
    ...identity,
  });

/** The Data API takes parameter values as strings; NULL is expressed by leaving the parameter out of the SQL. */
function parameters(params: Record<string, SqlParamValue>) {
  const entries = Object.entries(params);
  if (entries.length === 0) return {};
  return {
    Parameters: entries.map(([name, value]) => {
      if (value === null) throw new Error(`parameter ${name} is NULL; the Data API cannot bind NULL`);
      return { name, value: String(value) };
    }),
  };
}

export async function submitBatch(
  client: RedshiftDataClient,
  target: DataApiTarget,
  identity: DatabaseIdentity,
  sqls: string[],
  params: Record<string, SqlParamValue>,
  clientToken: string,
  statementName: string,
): Promise<string> {
  const out = await client.send(
    new BatchExecuteStatementCommand({
      ...connection(target, identity),
      Sqls: sqls,
      ...parameters(params),
      ClientToken: clientToken,
      StatementName: statementName,
    }),
  );
  if (!out.Id) throw new Error('BatchExecuteStatement returned no statement id');
  return out.Id;
}

export async function statementState(client: RedshiftDataClient, id: string): Promise<StatementState> {
  const out = await client.send(new DescribeStatementCommand({ Id: id }));
  switch (out.Status) {
    case 'FINISHED':
      return { state: 'finished' };
    case 'FAILED':
    case 'ABORTED':
      // Only the engine's message: the response also echoes bound parameters, which may be secret.
      return { state: 'failed', status: out.Status, error: out.Error ?? out.Status };
    case 'SUBMITTED':
    case 'PICKED':
    case 'STARTED':
      return { state: 'running' };
    default:
      throw new Error(`unexpected statement status ${String(out.Status)}`);
  }
}

export interface QueryOptions {
  /** Epoch ms after which polling stops with an error (the Lambda must answer before its own timeout). */
  deadline: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Run one read and return every row of every result page. */
export async function queryAll(
  client: RedshiftDataClient,
  target: DataApiTarget,
  identity: DatabaseIdentity,
  sql: string,
  opts: QueryOptions,
): Promise<Record<string, unknown>[]> {
  const wait = opts.sleep ?? sleep;
  const now = opts.now ?? Date.now;
  const started = await client.send(new ExecuteStatementCommand({ ...connection(target, identity), Sql: sql }));
  if (!started.Id) throw new Error('ExecuteStatement returned no statement id');
  for (;;) {
    const s = await statementState(client, started.Id);
    if (s.state === 'finished') break;
    if (s.state === 'failed') throw new Error(`inspection ${s.status}: ${s.error}`);
    if (now() >= opts.deadline) throw new Error('inspection did not finish before the deadline');
    await wait(opts.pollMs ?? 500);
  }
  return readResultPages(client, started.Id);
}
