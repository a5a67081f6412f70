// Every operator command against Redshift through the Data API, mocked at the SDK boundary (aws-sdk-client-mock):
// the command line's --cluster/--db-user/--database and --redshift (deploy context) targets reach the Data API
// with that authentication; every statement the commands send passes the Redshift lint; the answers (shaped
// like the documented system views' columns) become the same findings as on PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import {
  BatchExecuteStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { fake, installFakeCluster, rd, sent } from './support/fake-redshift.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { EXIT, run, type CliIo } from '../../infra/cli/main.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';

const client = new RedshiftDataClient({ region: 'eu-west-1' });
beforeEach(installFakeCluster);

describe('viewguard against Redshift through the Data API (mocked at the SDK boundary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'viewguard-redshift-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = (...argv: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = {
      env: {},
      cwd: dir,
      out: (l) => void stdout.push(l),
      err: (l) => void stderr.push(l),
      redshiftClient: client,
    };
    return run([...argv, '--cluster', 'analytics', '--db-user', 'immuta_system_user', '--database', 'dev'], io).then(
      (code) => ({ code, stdout, stderr }),
    );
  };
  const lintAll = () => {
    const problems = sent.flatMap((s) =>
      lintRedshift(s.sql).map((d) => `${d.code} ${d.summary}: ${s.sql.slice(0, 200)}`),
    );
    expect(problems).toEqual([]);
  };

  beforeEach(() => {
    sent.length = 0;
    fake.probes = [];
    fake.edited = false;
  });

  it(
    'explain: the profile, decisions, counts and sample come back through GetStatementResult; every statement is ' +
      'lint-clean',
    async () => {
      const r = await cli('explain', 'orders', '--as', 'alice', '--json');
      expect(r.stderr).toEqual([]);
      expect(r.code).toBe(EXIT.ok);
      expect(JSON.parse(r.stdout.join('\n'))).toMatchObject({
        view: 'secure.orders',
        rows: 3,
        profile: { userId: 'alice', groups: ['analysts'] },
      });
      expect(sent[0]!.auth).toMatchObject({
        ClusterIdentifier: 'analytics',
        DbUser: 'immuta_system_user',
        Database: 'dev',
      });
      expect(rd).toHaveReceivedCommandWith(ExecuteStatementCommand, { StatementName: 'viewguard-cli' });
      lintAll();
    },
  );

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

  it(
    'drift: probe views are created and dropped in batches, the SVV views and catalog are read; an edited ' +
      'definition is reported (exit 1)',
    async () => {
      fake.edited = true;
      const r = await cli('drift', '--json');
      expect(r.stderr).toEqual([]);
      expect(r.code).toBe(EXIT.findings);
      const report = JSON.parse(r.stdout.join('\n')) as { findings: { kind: string; object: string }[] };
      expect(report.findings.map((f) => [f.kind, f.object])).toContainEqual(['view-edited', 'secure.orders']);
      expect(sent.some((s) => /^DROP VIEW IF EXISTS "immuta_system"\."vg_drift_probe_/.test(s.sql))).toBe(true);
      lintAll();
    },
  );

  it(
    'drift --repair re-applies the view through a guarded ' + 'BatchExecuteStatement, failing it closed first',
    async () => {
      fake.edited = true;
      await cli('drift', '--repair');
      const batches = rd.commandCalls(BatchExecuteStatementCommand).map((c) => c.args[0].input.Sqls!);
      const closed = batches.findIndex((b) => b.some((s) => /WHERE FALSE/.test(s) && s.includes('"secure"."orders"')));
      const real = batches.findIndex((b, i) => i > closed && b.some((s) => /^CREATE VIEW "secure"\."orders"/.test(s)));
      expect(closed).toBeGreaterThanOrEqual(0);
      expect(real).toBeGreaterThan(closed);
      expect(batches[closed]![0]).toMatch(/^CALL "immuta_procedures"\."apply_policy"/);
      lintAll();
    },
  );

  it(
    'audit: HAS_TABLE_PRIVILEGE over PG_USER, the SVV privilege views; a group grant and a default privilege are ' +
      'findings with Redshift REVOKE forms',
    async () => {
      const r = await cli('audit', '--json');
      expect(r.stderr).toEqual([]);
      expect(r.code).toBe(EXIT.findings);
      const report = JSON.parse(r.stdout.join('\n')) as {
        findings: { kind: string; principal: string; revoke: string[] }[];
      };
      expect(report.findings.map((f) => [f.kind, f.principal, f.revoke])).toEqual([
        // HAS_TABLE_PRIVILEGE says bob can read it; no grant read names him (on Redshift: through a group)
        ['read-raw', 'bob', []],
        ['read-raw', 'analysts', ['REVOKE SELECT ON TABLE "public"."orders" FROM GROUP "analysts"']],
        [
          'default-privilege',
          'bob',
          ['ALTER DEFAULT PRIVILEGES FOR USER "admin" IN SCHEMA "public" REVOKE SELECT ON TABLES FROM "bob"'],
        ],
      ]);
      for (const v of [
        'SVV_RELATION_PRIVILEGES',
        'SVV_SCHEMA_PRIVILEGES',
        'SVV_FUNCTION_PRIVILEGES',
        'svv_default_privileges',
        'svv_user_grants',
        'svv_role_grants',
        'HAS_TABLE_PRIVILEGE',
        'HAS_SCHEMA_PRIVILEGE',
      ]) {
        expect(
          sent.some((s) => s.sql.includes(v)),
          v,
        ).toBe(true);
      }
      lintAll();
    },
  );

  it('rebuild: routines and the view in guarded batches, each lint-clean', async () => {
    const r = await cli('rebuild');
    expect(r.stderr).toEqual([]);
    expect(r.stdout).toContain('[1/1] ds-orders: applied (1 transaction)');
    lintAll();
  });

  it(
    '--redshift reads the deploy context from cdk.json (and -c) and signs in as its system user or, with ' +
      '--as-admin, its administrator',
    async () => {
      writeFileSync(
        join(dir, 'cdk.json'),
        JSON.stringify({
          context: {
            'viewguard:clusterId': 'analytics',
            'viewguard:database': 'dev',
            'viewguard:dbUser': 'immuta_system_user',
            'viewguard:adminDbUser': 'awsuser',
            'viewguard:viewSchema': 'secure',
          },
        }),
      );
      const io = (out: string[]): CliIo => ({
        env: {},
        cwd: dir,
        out: (l) => void out.push(l),
        err: (l) => void out.push(l),
        redshiftClient: client,
      });
      const out: string[] = [];
      expect(await run(['explain', 'orders', '--as', 'alice', '--redshift'], io(out))).toBe(EXIT.ok);
      expect(sent[0]!.auth).toMatchObject({
        ClusterIdentifier: 'analytics',
        DbUser: 'immuta_system_user',
        Database: 'dev',
      });
      sent.length = 0;
      expect(await run(['audit', '--redshift', '--as-admin', '-c', 'viewguard:database=dev'], io(out))).toBe(
        EXIT.findings,
      );
      expect(sent[0]!.auth).toMatchObject({ DbUser: 'awsuser' });
      const bad: string[] = [];
      expect(await run(['audit', '--redshift', '-c', 'viewguard:viewSchema=immuta_system'], io(bad))).toBe(EXIT.usage);
      expect(bad[0]).toMatch(/invalid deploy context: .*viewSchema/);
    },
  );
});
