// The Redshift Data API calls every viewguard function makes the same way, whoever calls them — the apply path
// and the policy router (redshift-data-warehouse.ts, which polls until a statement is done) and the bootstrap
// custom resource (lambdas/bootstrap/data-api-runner.ts, which submits and is polled by CloudFormation): who
// signs in where, and a finished statement's rows read page by page (reading one page silently truncates) and
// typed the way every warehouse adapter types them (shared/adapters/result-value-types.ts).
import {
  GetStatementResultCommand,
  type ColumnMetadata,
  type Field,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { int8Value } from './result-value-types.js';
import { WarehouseError, type Row } from '../ports/warehouse.js';

/** Where a statement runs and as whom: a cluster or a workgroup, with temporary credentials (dbUser) or a secret. */
export interface DataApiConnection {
  database: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  dbUser?: string;
  secretArn?: string;
}

/** The connection fields of ExecuteStatement / BatchExecuteStatement. */
export function connectionParameters(c: DataApiConnection) {
  return {
    Database: c.database,
    ...(c.clusterIdentifier ? { ClusterIdentifier: c.clusterIdentifier } : {}),
    ...(c.workgroupName ? { WorkgroupName: c.workgroupName } : {}),
    ...(c.dbUser ? { DbUser: c.dbUser } : {}),
    ...(c.secretArn ? { SecretArn: c.secretArn } : {}),
  };
}

/** Every row of a finished statement, all result pages; `onError` turns an API error into the caller's error. */
export async function readResultPages(
  client: RedshiftDataClient,
  id: string,
  onError: (err: unknown) => Error = (err) => err as Error,
): Promise<Row[]> {
  const rows: Row[] = [];
  let columns: ColumnMetadata[] | undefined;
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new GetStatementResultCommand({ Id: id, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
    } catch (err) {
      throw onError(err);
    }
    // Column metadata comes with the first page.
    columns = page.ColumnMetadata ?? columns;
    if (!columns) throw new WarehouseError('permanent', `GetStatementResult for ${id} returned no column metadata`);
    for (const record of page.Records ?? []) rows.push(toRow(record, columns));
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return rows;
}

/** One Data API record → a Row, typed by ColumnMetadata.typeName. */
export function toRow(record: Field[], columns: ColumnMetadata[]): Row {
  const row: Row = {};
  record.forEach((field, i) => {
    const col = columns[i];
    const key = col?.label || col?.name || `column${i}`;
    row[key] = fieldValue(field, (col?.typeName ?? '').toLowerCase(), key);
  });
  return row;
}

function fieldValue(field: Field, typeName: string, column: string): unknown {
  if (field.isNull) return null;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.longValue !== undefined) {
    // The JSON response is parsed into JS numbers before we see it: a BIGINT beyond 2^53 has already lost
    // digits. Fail loudly instead of returning a wrong number (cast such columns to VARCHAR in SQL).
    if (!Number.isSafeInteger(field.longValue)) {
      throw new WarehouseError('permanent', `column ${column} holds an integer beyond 2^53; select it as VARCHAR`);
    }
    return field.longValue;
  }
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.stringValue !== undefined) {
    // int8 may arrive as text in some result encodings; numeric/decimal/date/time stay text.
    if (typeName === 'int8' || typeName === 'bigint') return int8Value(field.stringValue);
    if (typeName === 'bool' || typeName === 'boolean') return field.stringValue === 't' || field.stringValue === 'true';
    return field.stringValue;
  }
  if (field.blobValue !== undefined) return field.blobValue;
  return null;
}
