// A scripted Redshift Data API behind aws-sdk-client-mock, for the Lambda tests: every submission gets an
// id; DescribeStatement answers the status scripted for that submission (FINISHED by default), and
// GetStatementResult returns the rows given for a query, in Data API record form.
import type { AwsStub } from 'aws-sdk-client-mock';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type Field,
  type RedshiftDataClient,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-redshift-data';

export type Terminal =
  { status: 'FINISHED' } | { status: 'FAILED'; error: string } | { status: 'ABORTED' } | { reject: Error };

export interface CatalogRowInput {
  kind: 'epoch' | 'datasource' | 'policy';
  id?: string;
  version: number;
  deleted?: boolean;
  definition?: unknown;
  viewSignature?: string | null;
}

const COLUMNS = [
  { name: 'kind', typeName: 'varchar' },
  { name: 'id', typeName: 'varchar' },
  { name: 'version', typeName: 'int8' },
  { name: 'deleted', typeName: 'bool' },
  { name: 'definition', typeName: 'varchar' },
  { name: 'view_signature', typeName: 'varchar' },
];

const str = (v: string | null | undefined): Field => (v == null ? { isNull: true } : { stringValue: v });

export function catalogRecords(rows: CatalogRowInput[]): Field[][] {
  return rows.map((r) => [
    { stringValue: r.kind },
    str(r.id),
    { longValue: r.version },
    r.kind === 'epoch' ? { isNull: true } : { booleanValue: r.deleted ?? false },
    str(r.definition === undefined ? null : JSON.stringify(r.definition)),
    str(r.viewSignature),
  ]);
}

export class DataApiFake {
  private next = 0;
  private readonly statuses = new Map<string, Terminal>();
  /** Scripted outcomes for the next batch submissions (transactions), in order; then FINISHED. */
  batches: Terminal[] = [];
  /** Scripted outcomes for the next single statements (catalog reads), in order; then FINISHED. */
  queries: Terminal[] = [];
  /** What a read returns. */
  catalog: CatalogRowInput[] = [{ kind: 'epoch', version: 1 }];

  constructor(rd: AwsStub<ServiceInputTypes, ServiceOutputTypes, RedshiftDataClient['config']>) {
    rd.on(BatchExecuteStatementCommand).callsFake(() => this.submit('b', this.batches.shift()));
    rd.on(ExecuteStatementCommand).callsFake(() => this.submit('q', this.queries.shift()));
    rd.on(DescribeStatementCommand).callsFake((input: { Id: string }) => {
      const t = this.statuses.get(input.Id)!;
      const base = { Id: input.Id, Duration: 3_000_000, HasResultSet: input.Id.startsWith('q') };
      if ('status' in t && t.status === 'FAILED') return { ...base, Status: 'FAILED', Error: t.error };
      return { ...base, Status: 'status' in t ? t.status : 'FINISHED' };
    });
    rd.on(GetStatementResultCommand).callsFake(() => ({
      ColumnMetadata: COLUMNS,
      Records: catalogRecords(this.catalog),
      TotalNumRows: this.catalog.length,
    }));
  }

  private submit(prefix: 'q' | 'b', t: Terminal | undefined): { Id: string } {
    const terminal = t ?? { status: 'FINISHED' };
    if ('reject' in terminal) throw terminal.reject;
    const id = `${prefix}-${++this.next}`;
    this.statuses.set(id, terminal);
    return { Id: id };
  }
}
