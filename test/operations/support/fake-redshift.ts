// A fake Redshift cluster behind the Data API, mocked at the SDK boundary (aws-sdk-client-mock): it answers each
// statement by what it reads, with rows shaped like the documented system views' columns, and records every SQL
// text sent (for the lint) with its authentication.
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { encodeAttributes, encodeList } from '../../../shared/layout/profile-encoding.js';
import { EVENT_EXAMPLES } from '../../../shared/events/event-examples.js';

type Row = Record<string, string | number | boolean | null>;

export const rd = mockClient(RedshiftDataClient);

const orders = {
  ...EVENT_EXAMPLES['datasource.created'].data.dataSource,
  location: { database: 'dev', schema: 'public', table: 'orders' },
};
const mask = EVENT_EXAMPLES['policy.created'].data.policy;
export const sent: { sql: string; auth: Record<string, unknown> }[] = [];
/** Probe views the drift check created (their definitions are answered like the real view's). */
export const fake = { probes: [] as string[], edited: false };

/** The fake cluster's answer to one statement, by what it reads. */
function answer(sql: string): Row[] {
  if (sql.startsWith("SELECT 'epoch' AS kind")) {
    return [
      { kind: 'epoch', id: null, version: 7, deleted: null, definition: null, view_signature: null },
      {
        kind: 'datasource',
        id: 'ds-orders',
        version: 1,
        deleted: false,
        definition: JSON.stringify(orders),
        view_signature: null,
      },
      {
        kind: 'policy',
        id: mask.id,
        version: mask.version,
        deleted: false,
        definition: JSON.stringify(mask),
        view_signature: null,
      },
    ];
  }
  if (sql.includes('FROM "immuta_system"."profile"') && sql.startsWith('SELECT immuta__userid')) {
    return [
      {
        immuta__userid: 'alice',
        version: 3,
        deleted: false,
        groups: encodeList(['analysts']),
        attributes: encodeAttributes({ region: ['eu'] }),
        projects: '|',
        current_project: null,
        purposes: '|',
        datasources: '|',
      },
    ];
  }
  if (sql.startsWith('SELECT COUNT(*) AS n')) return [{ n: 3 }];
  if (sql.startsWith('SELECT CAST(v.')) return [{ c0: '1', c1: 'eu', c2: 'ab12', c3: '10.00' }];
  if (/ AS "d0"/.test(sql)) return [{ d0: true, d1: false }];
  if (sql.includes('pg_catalog.pg_views')) {
    const def = 'SELECT 1';
    return [
      {
        schema_name: 'secure',
        name: 'orders',
        kind: 'view',
        owner: 'immuta_system_user',
        definition: fake.edited ? 'SELECT 2' : def,
      },
      ...fake.probes.map((p) => ({
        schema_name: 'immuta_system',
        name: p,
        kind: 'view',
        owner: 'immuta_system_user',
        definition: def,
      })),
    ];
  }
  if (sql.includes('FROM svv_columns')) return [];
  if (sql.includes('FROM SVV_RELATION_PRIVILEGES') && sql.includes('relation_name AS object')) {
    return [
      { schema_name: 'secure', object: 'orders', grantee: 'public', grantee_kind: 'public', privilege: 'SELECT' },
      { schema_name: 'public', object: 'orders', grantee: 'analysts', grantee_kind: 'group', privilege: 'SELECT' },
      {
        schema_name: 'immuta_system',
        object: 'user_profile',
        grantee: 'public',
        grantee_kind: 'public',
        privilege: 'SELECT',
      },
    ];
  }
  if (sql.includes('FROM pg_catalog.pg_namespace n LEFT JOIN pg_catalog.pg_user')) {
    return ['immuta_system', 'immuta_functions', 'immuta_procedures', 'secure'].map((s) => ({
      schema_name: s,
      owner: 'immuta_system_user',
    }));
  }
  if (sql.includes('FROM SVV_SCHEMA_PRIVILEGES'))
    return ['immuta_system', 'immuta_functions', 'immuta_procedures', 'secure'].map((s) => ({
      schema_name: s,
      object: '',
      grantee: 'public',
      grantee_kind: 'public',
      privilege: 'USAGE',
    }));
  if (sql.includes('FROM pg_catalog.pg_proc')) return [];
  if (sql.includes("'read-raw' AS access"))
    return [
      {
        principal: 'bob',
        access: 'read-raw',
        schema_name: 'public',
        object: 'orders',
        granted: 'true',
        usable: 'true',
      },
    ];
  if (sql.includes('FROM svv_default_privileges'))
    return [{ owner: 'admin', schema_name: 'public', grantee: 'bob', grantee_kind: 'user', privilege: 'SELECT' }];
  if (sql.includes('FROM svv_user_grants')) return [];
  return [];
}

function field(v: Row[string]): Field {
  if (v === null) return { isNull: true };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'number') return { longValue: v };
  return { stringValue: v };
}

let results = new Map<string, Row[]>();
let n = 0;

/** Install the fake's handlers (call in beforeEach, after rd.reset()). */
export function installFakeCluster(): void {
  rd.reset();
  results = new Map();
  rd.on(ExecuteStatementCommand).callsFake((input: { Sql: string }) => {
    const { Sql, ...auth } = input;
    sent.push({ sql: Sql, auth });
    const id = `st-${++n}`;
    results.set(id, answer(Sql));
    return { Id: id };
  });
  rd.on(BatchExecuteStatementCommand).callsFake((input: { Sqls: string[] }) => {
    const { Sqls, ...auth } = input;
    for (const sql of Sqls) {
      sent.push({ sql, auth });
      const probe = /CREATE VIEW "immuta_system"\."(vg_drift_probe_[0-9a-f]+)"/.exec(sql);
      if (probe) fake.probes.push(probe[1]!);
    }
    return { Id: `batch-${++n}` };
  });
  rd.on(DescribeStatementCommand).callsFake((input: { Id: string }) => ({
    Id: input.Id,
    Status: 'FINISHED',
    HasResultSet: results.has(input.Id),
    ResultRows: results.get(input.Id)?.length ?? 0,
  }));
  rd.on(GetStatementResultCommand).callsFake((input: { Id: string }) => {
    const rows = results.get(input.Id) ?? [];
    const columns = rows.length > 0 ? Object.keys(rows[0]!) : ['x'];
    return {
      ColumnMetadata: columns.map((c) => ({ name: c, label: c, typeName: 'varchar' })),
      Records: rows.map((r) => columns.map((c) => field(r[c] ?? null))),
      TotalNumRows: rows.length,
    };
  });
}
