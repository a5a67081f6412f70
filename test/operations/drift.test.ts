// `viewguard drift` and `drift --repair` on real engines: a clean install has no drift; each kind of change an
// administrator can make by hand outside the pipeline is reported with what to do, `--repair` puts back what
// can be re-applied from the stored state (a view edited by hand is failed closed first), a second repair
// changes nothing, and the users (real login roles) see again exactly what policy allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { detectDrift, repairDrift, type DriftReport } from '../../shared/operations/drift.js';
import { EXIT, run } from '../../infra/cli/main.js';
import { anyoneSubscription } from '../breadth/policy-doc-examples.js';
import { createOperationsWorld, type OperationsWorld } from './support/operations-world.js';

const policy = (p: Record<string, unknown>) =>
  PolicySchema.parse({ version: 1, createdAt: '2024-06-01T00:00:00Z', name: String(p.id), ...p });
const summary = (r: DriftReport) => r.findings.map((f) => [f.kind, f.object, f.repair]);

describe.each(engines)('drift on $name', ({ create }) => {
  let w: OperationsWorld;
  let expectedAlice: unknown[];
  let expectedBob: unknown[];
  const drift = () => detectDrift({ warehouse: w.system, dialect: postgres, config: w.layout });
  const repair = async () => repairDrift({ warehouse: w.system, dialect: postgres, config: w.layout }, await drift());
  const seen = async () => [
    await w.users.alice.query('SELECT * FROM secure.customers ORDER BY id'),
    await w.users.bob.query('SELECT * FROM secure.customers ORDER BY id'),
  ];

  beforeAll(async () => {
    w = await createOperationsWorld(await create());
    await w.putDataSource(w.ds);
    await w.setPolicies([
      PolicySchema.parse(anyoneSubscription),
      policy({
        id: 'rf-us',
        scope: { kind: 'local', dataSourceId: 'ds-customers' },
        type: 'rowFilter',
        filter: { kind: 'values', column: { kind: 'column', name: 'country' }, values: ['US'] },
        exception: { groups: ['compliance'] },
      }),
      policy({
        id: 'mask-ssn',
        scope: { kind: 'global', tags: ['PII'] },
        type: 'mask',
        target: { kind: 'tag', tag: 'PII.SSN' },
        mask: { kind: 'hash' },
      }),
    ]);
    [expectedAlice, expectedBob] = await seen();
    expect(expectedAlice).toHaveLength(3);
  });
  afterAll(() => w?.close());

  const admin = (sql: string) => w.engine.query(sql);
  const sys = (name: string) => postgres.quoteIdent(name);

  it('a clean install has no drift, and the check leaves no probe behind', async () => {
    const report = await drift();
    expect(summary(report)).toEqual([]);
    expect(report.checked).toMatchObject({ views: 1, schemas: 4, routines: 7, profiles: 2 });
    expect(await admin("SELECT relname FROM pg_class WHERE relname LIKE 'vg_drift_probe_%'")).toEqual([]);
  });

  it(
    'a view edited by hand (same columns, no row filter) is reported, failed closed first and re-applied; a second ' +
      'run finds nothing',
    async () => {
      // The same view without its WHERE clause (subscription and row filter): same columns, every row. The
      // top-level WHERE is the one pg_get_viewdef puts on a line of its own (a decision's EXISTS has its own).
      const [{ def }] = await admin("SELECT pg_get_viewdef('secure.customers'::regclass) AS def");
      const open = String(def).slice(0, String(def).indexOf('\n  WHERE'));
      await admin(`CREATE OR REPLACE VIEW secure.customers AS ${open}`);
      expect(
        (await w.users.alice.query('SELECT id FROM secure.customers')).length,
        'the edit opened the view (grants kept)',
      ).toBe(5);
      const report = await drift();
      expect(summary(report)).toEqual([['view-edited', 'secure.customers', 'reapply view']]);
      expect(report.findings[0]!.diagnostic.code).toBe('VG802');
      const results = await repairDrift({ warehouse: w.system, dialect: postgres, config: w.layout }, report);
      expect(results).toEqual([
        {
          object: 'secure.customers',
          kind: 'view-edited',
          outcome: 'repaired',
          detail: 'failed closed first, then re-applied',
        },
      ]);
      expect(summary(await drift())).toEqual([]);
      expect(await repair()).toEqual([]);
      expect(await seen()).toEqual([expectedAlice, expectedBob]);
    },
  );

  it('grants added and revoked on our views and schemas are reported and reset', async () => {
    await admin(`GRANT INSERT ON secure.customers TO ${sys(w.role.alice)}`);
    await admin('GRANT CREATE ON SCHEMA immuta_functions TO PUBLIC');
    await admin(`GRANT SELECT ON immuta_system.profile TO ${sys(w.role.bob)}`);
    await admin('REVOKE EXECUTE ON FUNCTION immuta_functions.f_list_item(text) FROM PUBLIC');
    await admin(
      `GRANT EXECUTE ON PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, ` +
        `text) TO ${sys(w.role.alice)}`,
    );
    expect(summary(await drift()).sort()).toEqual(
      [
        ['grant-added', 'secure.customers', 'revoke'],
        ['grant-added', 'schema immuta_functions', 'revoke'],
        ['grant-added', 'immuta_system.profile', 'revoke'],
        ['grant-revoked', 'function immuta_functions.f_list_item', 'grant'],
        ['grant-added', 'procedure immuta_procedures.apply_user', 'revoke'],
      ].sort(),
    );
    await repair();
    expect(summary(await drift())).toEqual([]);
    expect(
      await admin(
        `SELECT has_table_privilege(${postgres.quoteLiteral(w.role.bob)}, 'immuta_system.profile', 'SELECT') AS p`,
      ),
    ).toEqual([{ p: false }]);
  });

  it('a dropped view, an extra view and a view handed to another owner are put back', async () => {
    await admin('DROP VIEW secure.customers');
    await admin('CREATE VIEW secure.leak AS SELECT * FROM raw.customers');
    expect(summary(await drift()).sort()).toEqual(
      [
        ['relation-extra', 'secure.leak', 'drop'],
        ['view-missing', 'secure.customers', 'reapply view'],
      ].sort(),
    );
    await repair();
    expect(summary(await drift())).toEqual([]);
    await admin(`ALTER VIEW secure.customers OWNER TO ${sys(w.role.alice)}`);
    expect(summary(await drift())).toEqual([['view-owner', 'secure.customers', 'reapply view']]);
    await repair();
    expect(summary(await drift())).toEqual([]);
    expect(await seen()).toEqual([expectedAlice, expectedBob]);
  });

  it('a routine replaced by hand is re-created', async () => {
    await admin(
      'CREATE OR REPLACE FUNCTION ' +
        'immuta_functions.f_list_item(text) ' +
        'RETURNS text IMMUTABLE AS $$ SELECT ' +
        "'|analysts|' $$ LANGUAGE sql",
    );
    expect(summary(await drift())).toEqual([
      ['routine-replaced', 'function immuta_functions.f_list_item', 'recreate routine'],
    ]);
    expect((await repair()).map((r) => [r.kind, r.outcome])).toEqual([['routine-replaced', 'repaired']]);
    expect(summary(await drift())).toEqual([]);
  });

  it('a schema handed to another owner is left to an administrator, with the statement to run', async () => {
    await admin(`ALTER SCHEMA immuta_functions OWNER TO ${sys(w.role.alice)}`);
    const report = await drift();
    expect(summary(report)).toEqual([['owner-changed', 'schema immuta_functions', 'admin']]);
    expect(report.findings[0]!.statements![0]!.sql).toBe(
      `ALTER SCHEMA "immuta_functions" OWNER TO ${sys(w.layout.systemUser)}`,
    );
    expect(
      (await repairDrift({ warehouse: w.system, dialect: postgres, config: w.layout }, report)).map((r) => [
        r.kind,
        r.outcome,
      ]),
    ).toEqual([['owner-changed', 'not repairable']]);
    await admin(report.findings[0]!.statements![0]!.sql);
    expect(summary(await drift())).toEqual([]);
  });

  it('a profile row changed outside the procedures is reported (repair: the control plane)', async () => {
    await admin(
      `UPDATE immuta_system.profile SET groups = '|compliance|analysts' WHERE immuta__userid = ` +
        `${postgres.quoteLiteral(w.role.alice)}`,
    );
    const report = await drift();
    expect(summary(report)).toEqual([[`profile-edited`, `profile ${w.role.alice}`, 'control plane']]);
    expect(report.findings[0]!.detail).toMatch(/\(groups\)/);
  });

  it('the command: exit 1 with findings, the repair in the output, exit 0 once clean', async () => {
    const out: string[] = [];
    const io = {
      env: {},
      cwd: '.',
      out: (l: string) => void out.push(l),
      err: (l: string) => void out.push(l),
      connect: async () => ({
        warehouse: w.system,
        dialect: postgres,
        config: w.layout,
        where: 'test',
        close: async () => {},
      }),
    };
    expect(await run(['drift'], io)).toBe(EXIT.findings);
    expect(out.join('\n')).toMatch(/profile-edited/);
    await w.engine.query(
      `UPDATE immuta_system.profile SET groups = '|analysts|' WHERE immuta__userid = ` +
        `${postgres.quoteLiteral(w.role.alice)}`,
    );
    out.length = 0;
    expect(await run(['drift'], io)).toBe(EXIT.ok);
    expect(out.at(-1)).toMatch(/^no drift/);
  });
  it('probes go many views per transaction; a view whose raw table is gone is reported on its own', async () => {
    const part = (id: string, name: string, table = 'customers') =>
      DataSourceSchema.parse({
        ...w.ds,
        id,
        name,
        location: { ...w.ds.location, table },
        tags: [],
        columns: w.ds.columns.filter((c) => ['id', 'name'].includes(c.name)).map((c) => ({ ...c, tags: [] })),
      });
    await admin('CREATE TABLE raw.gone (id int4, name varchar(40))');
    for (const [id, name, table] of [
      ['ds-a', 'a', 'customers'],
      ['ds-b', 'b', 'customers'],
      ['ds-gone', 'gone', 'gone'],
    ] as const)
      await w.putDataSource(part(id, name, table));
    let probeTransactions = 0;
    const counting = {
      query: (x: never) => w.system.query(x),
      transaction: async (t: Parameters<typeof w.system.transaction>[0]) => {
        if (t.some((x) => x.sql.startsWith('CREATE VIEW "immuta_system"."vg_drift_probe_'))) probeTransactions++;
        return w.system.transaction(t);
      },
    };
    expect((await detectDrift({ warehouse: counting, dialect: postgres, config: w.layout })).findings).toEqual([]);
    expect(probeTransactions, 'four views, one transaction').toBe(1);
    await admin('DROP TABLE raw.gone CASCADE');
    const report = await detectDrift({ warehouse: w.system, dialect: postgres, config: w.layout });
    expect(summary(report)).toEqual([['view-missing', 'secure.gone', 'reapply view']]);
    expect(await admin("SELECT relname FROM pg_class WHERE relname LIKE 'vg_drift_probe_%'")).toEqual([]);
    // the data source is deleted in the control plane: no view expected any more
    await w.applyItem({
      kind: 'datasource',
      dataSourceId: 'ds-gone',
      version: 2,
      deleted: true,
      definition: null,
    } as never);
    expect(summary(await drift())).toEqual([]);
  });
});
