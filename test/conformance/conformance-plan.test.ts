// The conformance check's plan (shared/conformance/conformance-plan.ts): generated from the real layout and
// compiler code, renamed to scratch schemas, every Redshift statement lint-clean — and the same plan for the
// PostgreSQL dialect runs on PGlite and the server with the same identities (the administrator; the system role
// as the owner), so the expected rows it compares on Redshift are the ones PostgreSQL really gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conformancePlan,
  expectedSampleRows,
  type CheckStep,
  type ConformancePlan,
} from '../../shared/conformance/conformance-plan.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { engines, type Engine } from '../support/engines.js';

const KEY = "scratch-k3y-with-'quote";
const multi: IntegrationConfig = {
  mode: 'multi',
  database: 'immuta',
  viewSchema: 'secure',
  systemUser: 'immuta_system_user',
  rawSources: [{ database: 'sales', schema: 'public' }],
};
const external = {
  schema: 'spectrum',
  table: 'events',
  columns: [
    { name: 'id', type: 'int8' },
    { name: 'at', type: 'timestamp' },
  ],
};

describe('the Redshift plan', () => {
  const plan = conformancePlan(multi, redshift, { run: 'abc123', hashKey: KEY, otherDatabase: 'sales', external });
  const all = [...plan.steps, ...plan.cleanup];

  it('covers every shape the issue lists, each as its own row', () => {
    expect(all.map((s) => s.id)).toEqual([
      'identity',
      'raw-fixture',
      'grants-and-create-user-in-batch',
      'layout-as-owner',
      'create-or-replace-function-by-owner',
      'security-definer-procedure',
      'bound-hash-key',
      'call-named-parameters-in-batch',
      'sample-secure-view',
      'bundled-view-ddl',
      'view-as-test-user',
      'raw-refused-to-test-user',
      'other-database-fixture',
      'late-binding-cross-database',
      'late-binding-external',
      'cleanup',
      'cleanup-other-database',
    ]);
    const sql = (id: string) =>
      all
        .find((s) => s.id === id)!
        .statements.map((s) => s.sql)
        .join('\n');
    expect(sql('call-named-parameters-in-batch')).toMatch(
      /^CALL "vgcheck_abc123_procedures"\."apply_datasource"\(CAST\(:p_id AS/m,
    );
    expect(sql('security-definer-procedure')).toMatch(/SECURITY DEFINER SET search_path = "vgcheck_abc123_system"/);
    expect(sql('create-or-replace-function-by-owner').match(/CREATE OR REPLACE FUNCTION/g)).toHaveLength(4);
    expect(sql('grants-and-create-user-in-batch')).toMatch(/CREATE USER "vgcheck_abc123_reader" PASSWORD DISABLE/);
    expect(sql('late-binding-cross-database')).toMatch(
      /FROM "sales"\."vgcheck_abc123_raw"\."sample" t .* WITH NO SCHEMA BINDING/,
    );
    expect(sql('late-binding-external')).toMatch(/FROM "spectrum"\."events" t .* WITH NO SCHEMA BINDING/);
    expect(sql('view-as-test-user')).toMatch(/^SET SESSION AUTHORIZATION 'vgcheck_abc123_reader'/);
    // The view set's shape: the view's DDL as bound arguments of run_pinned, no SET/RESET, no DDL text in the CALL.
    const bundled = all.find((s) => s.id === 'bundled-view-ddl')!.statements;
    expect(bundled.map((s) => s.sql)).toEqual([
      expect.stringMatching(/^CALL "vgcheck_abc123_procedures"\."run_pinned"\(CAST\(:p_1 AS varchar\(65535\)\)/),
    ]);
    expect(Object.values(bundled[0]!.params!).filter((v) => v !== null)).toEqual(
      all
        .find((s) => s.id === 'sample-secure-view')!
        .statements.filter((s) => !/^(SET|RESET) search_path/.test(s.sql))
        .map((s) => s.sql),
    );
    const key =
      String.raw`\(SELECT "hash_key" FROM "vgcheck_abc123_system"\."hash_key" WHERE "key_id" = ` +
      String.raw`\(SELECT MAX\("key_id"\) FROM "vgcheck_abc123_system"\."hash_key"\)\)`;
    expect(sql('sample-secure-view')).toMatch(
      new RegExp(String.raw`SHA2\(${key} \|\| CAST\(t\."flag" AS varchar\(5\)\), 256\)`),
    );
  });

  it("never touches the integration's own schemas, and never puts the key in SQL text", () => {
    for (const s of all)
      for (const st of s.statements) {
        expect(st.sql, s.id).not.toMatch(/"immuta_(system|functions|procedures)"|"secure"/);
        expect(st.sql).not.toContain(KEY);
      }
    expect(all.find((s) => s.id === 'bound-hash-key')!.statements[0]!.params).toEqual({ hash_key: KEY });
  });

  it("never touches a deployment's renamed schemas either (IntegrationConfig.schemas)", () => {
    const schemas = { system: 'gov_state', functions: 'gov_fn', procedures: 'gov_proc' };
    const renamed = conformancePlan({ ...multi, schemas }, redshift, {
      run: 'abc123',
      hashKey: KEY,
      otherDatabase: 'sales',
      external,
    });
    const sql = [...renamed.steps, ...renamed.cleanup].flatMap((s) => s.statements.map((st) => st.sql)).join('\n');
    expect(sql).not.toMatch(/"gov_(state|fn|proc)"|"immuta_(system|functions|procedures)"/);
    expect(sql).toMatch(/"vgcheck_abc123_system"/);
    expect(renamed.steps.map((s) => s.statements)).toEqual(plan.steps.map((s) => s.statements));
  });

  it('every statement passes the Redshift lint', () => {
    for (const s of all)
      for (const st of s.statements) expect(lintRedshift(st.sql), `${s.id}: ${st.sql.slice(0, 200)}`).toEqual([]);
  });

  it('skips, with the reason, what the configuration gives nothing to test', () => {
    const single = conformancePlan({ ...multi, mode: 'single', database: 'sales' }, redshift, {
      run: 'abc123',
      hashKey: KEY,
    });
    expect(single.steps.filter((s) => s.skip).map((s) => [s.id, s.skip])).toEqual([
      ['late-binding-cross-database', expect.stringMatching(/single-database mode/)],
      ['late-binding-external', expect.stringMatching(/no external schema/)],
    ]);
    expect(single.cleanup.map((s) => s.id)).toEqual(['cleanup']);
  });

  it('refuses a run id that could escape a name', () => {
    expect(() => conformancePlan(multi, redshift, { run: 'x"; drop', hashKey: KEY })).toThrow(/run id/);
  });
});

describe.each(engines)('the PostgreSQL plan runs on $name with the same identities', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  let plan: ConformancePlan;

  beforeAll(async () => {
    engine = await create();
    config = {
      mode: 'single',
      database: engine.database,
      viewSchema: 'secure',
      systemUser: engine.roleName('immuta_system_user'),
      rawSources: [],
    };
    await engine.query(postgres.createSystemRole(config.systemUser));
    await engine.query("SET timezone TO 'UTC'");
    plan = conformancePlan(config, postgres, { run: 'pg' + engine.roleName('x').slice(-6), hashKey: KEY });
  });
  afterAll(() => engine?.close());

  /** One step as one transaction (a Data API batch), as its identity; the last statement's rows as text. */
  async function run(step: CheckStep): Promise<unknown[][]> {
    let rows: unknown[][] = [];
    const statements = step.statements.slice(0, -1);
    const last = step.statements[step.statements.length - 1]!;
    await engine.asAdmin.query('BEGIN');
    try {
      if (step.identity === 'system')
        await engine.asAdmin.query(`SET LOCAL ROLE ${postgres.quoteIdent(config.systemUser)}`);
      for (const s of statements) await engine.asAdmin.query(s);
      rows = (await engine.asAdmin.query(last)).map((r) => Object.values(r));
      await engine.asAdmin.query('COMMIT');
    } catch (error) {
      await engine.asAdmin.query('ROLLBACK');
      throw error;
    } finally {
      await engine.asAdmin.query('RESET ROLE');
    }
    return rows;
  }

  it('every step ends as expected; cleanup leaves nothing behind', async () => {
    for (const step of plan.steps.filter((s) => !s.skip)) {
      if (step.expect.kind === 'refused') {
        await expect(run(step), step.id).rejects.toThrow(step.expect.error);
      } else {
        const rows = await run(step);
        if (step.expect.kind === 'rows') expect(rows, step.id).toEqual(step.expect.rows);
      }
    }
    expect(expectedSampleRows(KEY)[0]![1]).toMatch(/^[0-9a-f]{64}$/);
    for (const step of plan.cleanup) await run(step);
    const left = await engine.query<{ n: string }>(
      "SELECT CAST(COUNT(*) AS text) AS n FROM pg_namespace WHERE nspname LIKE 'vgcheck%'",
    );
    expect(left).toEqual([{ n: '0' }]);
    expect(await engine.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [plan.scratch.reader])).toEqual([]);
  });
});
