// npm run redshift-check against a mocked Data API (aws-sdk-client-mock, the SDK boundary only): a run where
// every statement behaves as Redshift should passes; a FAILED or ABORTED step fails with the engine's words and
// stops the run; result pages are all read; cleanup runs after a failure and after a refused call; rows that
// differ (e.g. Redshift rendering a boolean as 't') fail with the cell named. The plan's SQL itself runs on
// PostgreSQL in test/conformance/conformance-plan.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type Field,
} from '@aws-sdk/client-redshift-data';
import { main, deployContext } from '../../infra/check/redshift-check.js';
import { DataApiBatches } from '../../infra/check/data-api-batches.js';
import { expectedSampleRows } from '../../shared/conformance/conformance-plan.js';

const data = mockClient(RedshiftDataClient);
const CONTEXT = [
  '-c',
  'viewguard:clusterId=analytics',
  '-c',
  'viewguard:database=immuta',
  '-c',
  'viewguard:dbUser=immuta_system_user',
  '-c',
  'viewguard:adminDbUser=awsuser',
  '-c',
  'viewguard:viewSchema=secure',
  '-c',
  'viewguard:integrationMode=multi',
  '-c',
  'viewguard:rawSources=sales.public',
  '--run',
  'test1234',
];

interface Submitted {
  id: string;
  sqls: string[];
  input: Record<string, unknown>;
}

/**
 * A scripted Data API: `behave(sqls)` decides each submission's terminal status (and error), `rowsOf(sqls)` its
 * last statement's rows (served in pages of `pageSize`).
 */
function fakeDataApi(
  behave: (sqls: string[]) => { status: 'FINISHED' | 'FAILED' | 'ABORTED'; error?: string },
  rowsOf: (sqls: string[]) => (string | null)[][] = () => [],
  pageSize = 1,
) {
  const submitted: Submitted[] = [];
  const byId = new Map<string, Submitted>();
  const submit = (sqls: string[], input: Record<string, unknown>) => {
    const s = { id: `st-${submitted.length}`, sqls, input };
    submitted.push(s);
    byId.set(s.id, s);
    return { Id: s.id };
  };
  data.on(ExecuteStatementCommand).callsFake((input) => submit([input.Sql!], input));
  data.on(BatchExecuteStatementCommand).callsFake((input) => submit(input.Sqls!, input));
  const polls = new Map<string, number>();
  data.on(DescribeStatementCommand).callsFake(({ Id }: { Id: string }) => {
    const s = byId.get(Id)!;
    const n = (polls.get(Id) ?? 0) + 1;
    polls.set(Id, n);
    if (n === 1) return { Id, Status: 'STARTED' };
    const b = behave(s.sqls);
    return {
      Id,
      Status: b.status,
      ...(b.error ? { Error: b.error } : {}),
      ...(s.sqls.length > 1 ? { SubStatements: s.sqls.map((_, i) => ({ Id: `${Id}:${i + 1}` })) } : {}),
    };
  });
  data.on(GetStatementResultCommand).callsFake(({ Id, NextToken }: { Id: string; NextToken?: string }) => {
    const s = byId.get(Id.split(':')[0]!)!;
    const all = rowsOf(s.sqls);
    const start = NextToken ? Number(NextToken) : 0;
    const page = all
      .slice(start, start + pageSize)
      .map((r): Field[] => r.map((v) => (v === null ? { isNull: true } : { stringValue: v })));
    // Column metadata comes with the first page, as the Data API sends it.
    const columns =
      start === 0
        ? { ColumnMetadata: (all[0] ?? []).map((_, i) => ({ name: `c${i}`, label: `c${i}`, typeName: 'varchar' })) }
        : {};
    return {
      Records: page,
      ...columns,
      ...(start + pageSize < all.length ? { NextToken: String(start + pageSize) } : {}),
    };
  });
  return submitted;
}

/** What Redshift should answer: the identity query returns the system user, the reader sees the expected rows. */
const asRedshiftShould = (sqls: string[]) => {
  const all = sqls.join('\n');
  if (/^SELECT COUNT\(\*\) FROM "vgcheck_test1234_raw"/m.test(all))
    return { status: 'FAILED' as const, error: 'ERROR: permission denied for schema vgcheck_test1234_raw' };
  return { status: 'FINISHED' as const };
};
const rowsRedshiftShould = (key: () => string) => (sqls: string[]) => {
  const all = sqls.join('\n');
  if (all.startsWith('SELECT CAST(current_user')) return [['immuta_system_user']];
  if (all.includes('FROM "vgcheck_test1234_views"."sample"')) return expectedSampleRows(key());
  return [];
};

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      batches: new DataApiBatches(new RedshiftDataClient({}), { pollMs: 0, sleep: async () => undefined }),
    },
  };
}

/** The hashing key the run bound (the check draws a random one; the fake reads it from the bound parameter). */
const keyFrom = (submitted: Submitted[]) => () => {
  const withKey = submitted.find((s) =>
    (s.input.Parameters as { name: string; value: string }[] | undefined)?.some((p) => p.name === 'hash_key'),
  );
  return (withKey!.input.Parameters as { name: string; value: string }[]).find((p) => p.name === 'hash_key')!.value;
};

beforeEach(() => {
  data.reset();
});

describe('npm run redshift-check', () => {
  it('passes when every shape behaves as documented; each step runs as its identity, in its database', async () => {
    const submitted: Submitted[] = fakeDataApi(asRedshiftShould, (sqls) =>
      rowsRedshiftShould(keyFrom(submitted))(sqls),
    );
    const t = io();
    const code = await main(CONTEXT, t.io);
    const table = t.out.join('\n');
    expect(code, table).toBe(0);
    for (const id of [
      'identity',
      'grants-and-create-user-in-batch',
      'create-or-replace-function-by-owner',
      'security-definer-procedure',
      'call-named-parameters-in-batch',
      'view-as-test-user',
      'raw-refused-to-test-user',
      'late-binding-cross-database',
      'cleanup',
      'cleanup-other-database',
    ]) {
      expect(table).toMatch(new RegExp(`\\b${id}\\s+\\w+\\s+pass\\b`));
    }
    expect(table).toMatch(/late-binding-external\s+system\s+skipped/);
    // Identities: the system user through DbUser, the administrator for fixtures, users and the test user's view.
    const callBatch = submitted.find((s) => s.sqls[0]!.startsWith('CALL'))!;
    expect(callBatch.input).toMatchObject({
      ClusterIdentifier: 'analytics',
      Database: 'immuta',
      DbUser: 'immuta_system_user',
    });
    // Named parameters inside CALL arguments, renamed per statement of the batch.
    expect(callBatch.sqls[0]).toMatch(/CAST\(:s0_p_id AS varchar\(1024\)\)/);
    expect(callBatch.sqls[1]).toMatch(/CAST\(:s1_p_userid AS varchar\(1024\)\)/);
    expect((callBatch.input.Parameters as { name: string }[]).map((p) => p.name)).toEqual(
      expect.arrayContaining(['s0_p_id', 's1_p_userid']),
    );
    const fixture = submitted.find(
      (s) => s.sqls[0]!.startsWith('CREATE SCHEMA "vgcheck_test1234_raw"') && s.input.Database === 'sales',
    )!;
    expect(fixture.input).toMatchObject({ DbUser: 'awsuser' });
    // Cleanup drops every scratch schema and the test user.
    const cleanup = submitted.find((s) => s.sqls.some((q) => q.startsWith('DROP USER')))!;
    expect(cleanup.sqls.join('\n')).toMatch(
      /DROP SCHEMA IF EXISTS "vgcheck_test1234_views" CASCADE[\s\S]*DROP USER IF EXISTS "vgcheck_test1234_reader"/,
    );
    // Every ClientToken is fresh; the hashing key is bound, never in the text.
    expect(new Set(submitted.map((s) => s.input.ClientToken)).size).toBe(submitted.length);
    for (const s of submitted) expect(s.sqls.join('\n')).not.toContain(keyFrom(submitted)());
  });

  it.each(['FAILED', 'ABORTED'] as const)(
    'a %s step fails with the engine message, stops the run, and the cleanup still runs',
    async (status) => {
      const submitted: Submitted[] = fakeDataApi(
        (sqls) =>
          sqls.some((q) => q.startsWith('CREATE OR REPLACE PROCEDURE'))
            ? { status, error: 'ERROR: permission denied for language plpgsql' }
            : asRedshiftShould(sqls),
        (sqls) => rowsRedshiftShould(keyFrom(submitted))(sqls),
      );
      const t = io();
      expect(await main(CONTEXT, t.io)).toBe(1);
      const table = t.out.join('\n');
      expect(table).toMatch(
        new RegExp(
          `security-definer-procedure\\s+system\\s+FAIL\\s+${status}: ERROR: permission denied for language plpgsql`,
        ),
      );
      expect(table).toMatch(
        /call-named-parameters-in-batch\s+system\s+not run\s+security-definer-procedure failed first/,
      );
      expect(table).toMatch(/cleanup\s+admin\s+pass/);
      expect(submitted.some((s) => s.sqls.some((q) => q.startsWith('CALL')))).toBe(false);
    },
  );

  it('reads every result page (a one-page read would compare a truncated result)', async () => {
    const submitted: Submitted[] = fakeDataApi(
      asRedshiftShould,
      (sqls) => rowsRedshiftShould(keyFrom(submitted))(sqls),
      1,
    );
    const t = io();
    expect(await main(CONTEXT, t.io)).toBe(0);
    const viewReads = data.commandCalls(GetStatementResultCommand).filter((c) => c.args[0].input.Id!.includes(':'));
    expect(viewReads.map((c) => c.args[0].input.NextToken ?? null)).toEqual([null, '1']);
  });

  it('rows that differ fail with the cell named (Redshift rendering a boolean as t, say)', async () => {
    const submitted: Submitted[] = fakeDataApi(asRedshiftShould, (sqls) => {
      const rows = rowsRedshiftShould(keyFrom(submitted))(sqls);
      return sqls.join('\n').includes('"vgcheck_test1234_views"."sample"')
        ? rows.map((r) => [r[0]!, 'hash-of-t', ...r.slice(2)])
        : rows;
    });
    const t = io();
    expect(await main(CONTEXT, t.io)).toBe(1);
    expect(t.out.join('\n')).toMatch(
      /view-as-test-user\s+admin\s+FAIL\s+row 1, column 2: got "hash-of-t", expected "[0-9a-f]{64}"/,
    );
  });

  it(
    'a refused Data API call (no permission) fails the ' + 'step; the cleanup is still attempted and reported',
    async () => {
      fakeDataApi(asRedshiftShould, (sqls) => rowsRedshiftShould(() => '')(sqls));
      data.on(BatchExecuteStatementCommand).rejects(
        Object.assign(new Error('User is not authorized to perform redshift-data:BatchExecuteStatement'), {
          name: 'AccessDeniedException',
        }),
      );
      const t = io();
      expect(await main(CONTEXT, t.io)).toBe(1);
      const table = t.out.join('\n');
      expect(table).toMatch(/raw-fixture\s+admin\s+FAIL\s+the Data API refused the call: AccessDeniedException/);
      expect(table).toMatch(/cleanup\s+admin\s+FAIL\s+the Data API refused the call/);
      expect(
        data
          .commandCalls(BatchExecuteStatementCommand)
          .some((c) => c.args[0].input.Sqls!.some((q) => q.startsWith('DROP USER'))),
      ).toBe(true);
    },
  );

  it('an invalid deploy context is exit 2 with the key to fix, and no call is made', async () => {
    const t = io();
    expect(await main(['-c', 'viewguard:database=immuta'], t.io)).toBe(2);
    expect(t.err.join('\n')).toMatch(/viewguard:viewSchema|viewguard:clusterId/);
    expect(data.calls()).toHaveLength(0);
  });

  it(
    'takes the deploy context as npm run deploy does: cdk.json, then -c over it, --env selecting the environment ' +
      'file',
    () => {
      const cdk = JSON.stringify({
        context: { 'viewguard:env': 'dev', 'viewguard:database': 'dev', '@aws-cdk/x': true },
      });
      expect(
        deployContext(['-c', 'viewguard:database=immuta', '--env', 'prod', '--external', 'spectrum'], cdk),
      ).toEqual({
        context: { 'viewguard:env': 'prod', 'viewguard:database': 'immuta', '@aws-cdk/x': true },
        external: 'spectrum',
      });
    },
  );

  it(
    '--env reads infra/environments/<name>.json (its ' + 'cluster, region and identities), -c overriding a key',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vgenv-'));
      writeFileSync(
        join(dir, 'staging.json'),
        JSON.stringify({
          region: 'eu-west-1',
          clusterId: 'analytics',
          database: 'immuta',
          dbUser: 'immuta_system_user',
          adminDbUser: 'awsuser',
          integrationMode: 'multi',
          viewSchema: 'secure',
          rawSources: ['sales.public'],
        }),
      );
      const submitted: Submitted[] = fakeDataApi(asRedshiftShould, (sqls) =>
        rowsRedshiftShould(keyFrom(submitted))(sqls),
      );
      const t = io();
      const code = await main(['--env', 'staging', '-c', 'viewguard:adminDbUser=root', '--run', 'test1234'], {
        ...t.io,
        environmentsDir: dir,
        cdkJson: JSON.stringify({ context: { 'viewguard:env': 'dev' } }),
      });
      expect(code, t.out.join('\n')).toBe(0);
      expect(submitted.find((s) => s.sqls[0]!.startsWith('SELECT CAST(current_user'))!.input).toMatchObject({
        ClusterIdentifier: 'analytics',
        Database: 'immuta',
        DbUser: 'immuta_system_user',
      });
      expect(submitted.find((s) => s.sqls[0]!.startsWith('CREATE SCHEMA "vgcheck_test1234_raw"'))!.input).toMatchObject(
        {
          DbUser: 'root',
        },
      );
      // An unknown environment is a configuration error (VG901), before any call.
      data.reset();
      const u = io();
      expect(await main(['--env', 'nope'], { ...u.io, environmentsDir: dir })).toBe(2);
      expect(u.err.join('\n')).toMatch(/VG901 .*no environment "nope" \(available: staging/);
      expect(data.calls()).toHaveLength(0);
    },
  );

  it('the npm script entry point runs as a program (a context without a warehouse: exit 2, no AWS call)', () => {
    const root = resolve(import.meta.dirname, '..', '..');
    const r = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(root, 'infra', 'check', 'redshift-check.ts'),
        '-c',
        'viewguard:database=immuta',
      ],
      {
        cwd: mkdtempSync(join(tmpdir(), 'vgcheck-')),
        encoding: 'utf8',
        // tsx compiles the entry point first: tens of seconds on a loaded 2-core machine (a hang guard, not a speed
        // limit).
        timeout: 150_000,
      },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/redshift-check: invalid deploy context[\s\S]*viewguard:viewSchema/);
  });
});
