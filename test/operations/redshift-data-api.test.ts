// Every operator command against Redshift through the Data API, mocked at the SDK boundary (aws-sdk-client-mock):
// the command line's --cluster/--db-user/--database and --redshift (deploy context) targets reach the Data API
// with that authentication; every statement the commands send passes the Redshift lint; the answers (shaped
// like the documented system views' columns) become the same findings as on PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { lintRedshift } from '../../shared/lint/redshift-lint.js';
import { EXIT, run, type CliIo } from '../../infra/cli/main.js';
import { encodeAttributes, encodeList } from '../../shared/layout/profile-encoding.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';

type Row = Record<string, string | number | boolean | null>;

const rd = mockClient(RedshiftDataClient);
const client = new RedshiftDataClient({ region: 'eu-west-1' });

const orders = { ...EVENT_EXAMPLES['datasource.created'].data.dataSource, location: { database: 'dev', schema: 'public', table: 'orders' } };
const mask = EVENT_EXAMPLES['policy.created'].data.policy;
const sent: { sql: string; auth: Record<string, unknown> }[] = [];
let probes: string[] = [];
let edited = false;

/** The fake cluster's answer to one statement, by what it reads. */
function answer(sql: string): Row[] {
  if (sql.startsWith("SELECT 'epoch' AS kind")) {
    return [
      { kind: 'epoch', id: null, version: 7, deleted: null, definition: null, view_signature: null },
      { kind: 'datasource', id: 'ds-orders', version: 1, deleted: false, definition: JSON.stringify(orders), view_signature: null },
      { kind: 'policy', id: mask.id, version: mask.version, deleted: false, definition: JSON.stringify(mask), view_signature: null },
    ];
  }
  if (sql.includes('FROM "immuta_system"."profile"') && sql.startsWith('SELECT immuta__userid')) {
    return [{ immuta__userid: 'alice', version: 3, deleted: false, groups: encodeList(['analysts']), attributes: encodeAttributes({ region: ['eu'] }), projects: '|', current_project: null, purposes: '|', datasources: '|' }];
  }
  if (sql.startsWith('SELECT COUNT(*) AS n')) return [{ n: 3 }];
  if (sql.startsWith('SELECT CAST(v.')) return [{ c0: '1', c1: 'eu', c2: 'ab12', c3: '10.00' }];
  if (/ AS "d0"/.test(sql)) return [{ d0: true, d1: false }];
  if (sql.includes('pg_catalog.pg_views')) {
    const def = 'SELECT 1';
    return [
      { schema_name: 'secure', name: 'orders', kind: 'view', owner: 'immuta_system_user', definition: edited ? 'SELECT 2' : def },
      ...probes.map((p) => ({ schema_name: 'immuta_system', name: p, kind: 'view', owner: 'immuta_system_user', definition: def })),
    ];
  }
  if (sql.includes('FROM svv_columns')) return [];
  if (sql.includes('FROM SVV_RELATION_PRIVILEGES') && sql.includes('relation_name AS object')) {
    return [
      { schema_name: 'secure', object: 'orders', grantee: 'public', grantee_kind: 'public', privilege: 'SELECT' },
      { schema_name: 'public', object: 'orders', grantee: 'analysts', grantee_kind: 'group', privilege: 'SELECT' },
      { schema_name: 'immuta_system', object: 'user_profile', grantee: 'public', grantee_kind: 'public', privilege: 'SELECT' },
    ];
  }
  if (sql.includes('FROM pg_catalog.pg_namespace n LEFT JOIN pg_catalog.pg_user')) {
    return ['immuta_system', 'immuta_functions', 'immuta_procedures', 'secure'].map((s) => ({ schema_name: s, owner: 'immuta_system_user' }));
  }
  if (sql.includes('FROM SVV_SCHEMA_PRIVILEGES')) return ['immuta_system', 'immuta_functions', 'immuta_procedures', 'secure'].map((s) => ({ schema_name: s, object: '', grantee: 'public', grantee_kind: 'public', privilege: 'USAGE' }));
  if (sql.includes('FROM pg_catalog.pg_proc')) return [];
  if (sql.includes("'read-raw' AS access")) return [{ principal: 'bob', access: 'read-raw', schema_name: 'public', object: 'orders', granted: 'true', usable: 'true' }];
  if (sql.includes('FROM svv_default_privileges')) return [{ owner: 'admin', schema_name: 'public', grantee: 'bob', grantee_kind: 'user', privilege: 'SELECT' }];
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

beforeEach(() => {
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
      if (probe) probes.push(probe[1]!);
    }
    return { Id: `batch-${++n}` };
  });
  rd.on(DescribeStatementCommand).callsFake((input: { Id: string }) => ({ Id: input.Id, Status: 'FINISHED', HasResultSet: results.has(input.Id), ResultRows: results.get(input.Id)?.length ?? 0 }));
  rd.on(GetStatementResultCommand).callsFake((input: { Id: string }) => {
    const rows = results.get(input.Id) ?? [];
    const columns = rows.length > 0 ? Object.keys(rows[0]!) : ['x'];
    return { ColumnMetadata: columns.map((c) => ({ name: c, label: c, typeName: 'varchar' })), Records: rows.map((r) => columns.map((c) => field(r[c] ?? null))), TotalNumRows: rows.length };
  });
});

describe('viewguard against Redshift through the Data API (mocked at the SDK boundary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'viewguard-redshift-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (...argv: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = { env: {}, cwd: dir, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), redshiftClient: client };
    return run([...argv, '--cluster', 'analytics', '--db-user', 'immuta_system_user', '--database', 'dev'], io).then((code) => ({ code, stdout, stderr }));
  };
  const lintAll = () => {
    const problems = sent.flatMap((s) => lintRedshift(s.sql).map((d) => `${d.code} ${d.summary}: ${s.sql.slice(0, 200)}`));
    expect(problems).toEqual([]);
  };

  beforeEach(() => {
    sent.length = 0;
    probes = [];
    edited = false;
  });

  it('explain: the profile, decisions, counts and sample come back through GetStatementResult; every statement is lint-clean', async () => {
    const r = await cli('explain', 'orders', '--as', 'alice', '--json');
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout.join('\n'))).toMatchObject({ view: 'secure.orders', rows: 3, profile: { userId: 'alice', groups: ['analysts'] } });
    expect(sent[0]!.auth).toMatchObject({ ClusterIdentifier: 'analytics', DbUser: 'immuta_system_user', Database: 'dev' });
    expect(rd).toHaveReceivedCommandWith(ExecuteStatementCommand, { StatementName: 'viewguard-cli' });
    lintAll();
  });

  it('plan: a policy event file is planned against the Data API catalog; no DDL is sent', async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(EVENT_EXAMPLES['policy.updated']));
    const r = await cli('plan', file, '--sql');
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout.join('\n')).toMatch(/CALL "immuta_procedures"\."apply_policy"/);
    expect(rd).not.toHaveReceivedCommand(BatchExecuteStatementCommand);
    lintAll();
  });

  it('drift: probe views are created and dropped in batches, the SVV views and catalog are read; an edited definition is reported (exit 1)', async () => {
    edited = true;
    const r = await cli('drift', '--json');
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(EXIT.findings);
    const report = JSON.parse(r.stdout.join('\n')) as { findings: { kind: string; object: string }[] };
    expect(report.findings.map((f) => [f.kind, f.object])).toContainEqual(['view-edited', 'secure.orders']);
    expect(sent.some((s) => /^DROP VIEW IF EXISTS "immuta_system"\."vg_drift_probe_/.test(s.sql))).toBe(true);
    lintAll();
  });

  it('drift --repair re-applies the view through a guarded BatchExecuteStatement, failing it closed first', async () => {
    edited = true;
    await cli('drift', '--repair');
    const batches = rd.commandCalls(BatchExecuteStatementCommand).map((c) => c.args[0].input.Sqls!);
    const closed = batches.findIndex((b) => b.some((s) => /WHERE FALSE/.test(s) && s.includes('"secure"."orders"')));
    const real = batches.findIndex((b, i) => i > closed && b.some((s) => /^CREATE VIEW "secure"\."orders"/.test(s)));
    expect(closed).toBeGreaterThanOrEqual(0);
    expect(real).toBeGreaterThan(closed);
    expect(batches[closed]![0]).toMatch(/^CALL "immuta_procedures"\."apply_policy"/);
    lintAll();
  });

  it('audit: HAS_TABLE_PRIVILEGE over PG_USER, the SVV privilege views; a group grant and a default privilege are findings with Redshift REVOKE forms', async () => {
    const r = await cli('audit', '--json');
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(EXIT.findings);
    const report = JSON.parse(r.stdout.join('\n')) as { findings: { kind: string; principal: string; revoke: string[] }[] };
    expect(report.findings.map((f) => [f.kind, f.principal, f.revoke])).toEqual([
      // HAS_TABLE_PRIVILEGE says bob can read it; no grant read names him (on Redshift: through a group)
      ['read-raw', 'bob', []],
      ['read-raw', 'analysts', ['REVOKE SELECT ON TABLE "public"."orders" FROM GROUP "analysts"']],
      ['default-privilege', 'bob', ['ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "public" REVOKE SELECT ON TABLES FROM "bob"']],
    ]);
    for (const v of ['SVV_RELATION_PRIVILEGES', 'SVV_SCHEMA_PRIVILEGES', 'SVV_FUNCTION_PRIVILEGES', 'svv_default_privileges', 'svv_user_grants', 'svv_role_grants', 'HAS_TABLE_PRIVILEGE', 'HAS_SCHEMA_PRIVILEGE']) {
      expect(sent.some((s) => s.sql.includes(v)), v).toBe(true);
    }
    lintAll();
  });

  it('rebuild: routines and the view in guarded batches, each lint-clean', async () => {
    const r = await cli('rebuild');
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toContain('[1/1] ds-orders: applied (1 transaction)');
    lintAll();
  });

  it('--redshift reads the deploy context from cdk.json (and -c) and signs in as its system user or, with --as-admin, its administrator', async () => {
    writeFileSync(
      join(dir, 'cdk.json'),
      JSON.stringify({ context: { 'viewguard:clusterId': 'analytics', 'viewguard:database': 'dev', 'viewguard:dbUser': 'immuta_system_user', 'viewguard:adminDbUser': 'awsuser', 'viewguard:viewSchema': 'secure' } }),
    );
    const io = (out: string[]): CliIo => ({ env: {}, cwd: dir, out: (l) => void out.push(l), err: (l) => void out.push(l), redshiftClient: client });
    const out: string[] = [];
    expect(await run(['explain', 'orders', '--as', 'alice', '--redshift'], io(out))).toBe(EXIT.ok);
    expect(sent[0]!.auth).toMatchObject({ ClusterIdentifier: 'analytics', DbUser: 'immuta_system_user', Database: 'dev' });
    sent.length = 0;
    expect(await run(['audit', '--redshift', '--as-admin', '-c', 'viewguard:database=dev'], io(out))).toBe(EXIT.findings);
    expect(sent[0]!.auth).toMatchObject({ DbUser: 'awsuser' });
    const bad: string[] = [];
    expect(await run(['audit', '--redshift', '-c', 'viewguard:viewSchema=immuta_system'], io(bad))).toBe(EXIT.usage);
    expect(bad[0]).toMatch(/invalid deploy context: .*viewSchema/);
  });
});
