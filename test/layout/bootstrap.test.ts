// The bootstrap plan on real engines: it installs the layout, and running it again changes nothing
// (pg-schema-diff's acceptance rule: plan → apply → inspect → re-plan is a no-op).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { inspectStatement, parseInspection, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { HASH_KEY, bootstrap, layoutConfig } from './layout-fixture.js';

const OUR_SCHEMAS = `('immuta_system', 'immuta_functions', 'immuta_procedures', 'secure')`;

/** Everything the bootstrap can touch, OIDs included (a DROP + CREATE would change them). */
async function catalogSnapshot(engine: Engine, config: IntegrationConfig): Promise<unknown> {
  const q = (sql: string) => engine.query(sql);
  return {
    schemas: await q(`SELECT oid::text, nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text AS acl
      FROM pg_namespace WHERE nspname IN ${OUR_SCHEMAS} ORDER BY nspname`),
    relations: await q(`SELECT c.oid::text, n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner,
        c.relacl::text AS acl, c.reloptions::text AS options,
        CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS viewdef
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ${OUR_SCHEMAS} ORDER BY 2, 3`),
    columns: await q(`SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ${OUR_SCHEMAS} AND a.attnum > 0 ORDER BY 1, a.attnum`),
    routines:
      await q(`SELECT p.oid::text, n.nspname, p.proname, p.prokind, pg_get_function_identity_arguments(p.oid) AS args,
        pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl, p.prosecdef, p.proconfig::text AS config, p.prosrc
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ${OUR_SCHEMAS} ORDER BY 2, 3`),
    defaultAcl: await q(`SELECT pg_get_userbyid(d.defaclrole) AS role,
          coalesce(n.nspname, '') AS schema, d.defaclobjtype, d.defaclacl::text AS acl
      FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3`),
    database: await q(`SELECT datacl::text AS acl FROM pg_database WHERE datname = current_database()`),
    roles: await q(`SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname = '${config.systemUser}'`),
    epoch: await q('SELECT epoch::text FROM immuta_system.catalog_epoch'),
    hashKeys: await q('SELECT key_id::text, hash_key FROM immuta_system.hash_key'),
  };
}

describe.each(engines)('bootstrap on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  beforeAll(async () => {
    engine = await create();
    config = layoutConfig(engine);
  });
  afterAll(() => engine?.close());

  it('installs the layout owned by the system role; running it again changes nothing', async () => {
    const first = await bootstrap(engine, config);
    expect(first.some((s) => /^CREATE ROLE/.test(s.statement.sql))).toBe(true);
    const before = await catalogSnapshot(engine, config);
    const s = before as {
      schemas: { owner: string }[];
      routines: { owner: string; prosecdef: boolean; proname: string }[];
    };
    expect(s.schemas.map((x) => x.owner)).toEqual([
      config.systemUser,
      config.systemUser,
      config.systemUser,
      config.systemUser,
    ]);
    expect(s.routines.map((r) => r.proname)).toEqual([
      'f_attribute_item',
      'f_list_item',
      'apply_datasource',
      'apply_policy',
      'apply_user',
      'delete_user',
      'run_pinned',
    ]);
    expect(s.routines.every((r) => r.owner === config.systemUser)).toBe(true);

    const second = await bootstrap(engine, config, 'a-different-key-must-not-replace-the-first');
    // The inspection saw the role: no CREATE ROLE, no ownership hand-over.
    expect(second.some((x) => /^CREATE ROLE|^ALTER SCHEMA/.test(x.statement.sql))).toBe(false);
    expect(await catalogSnapshot(engine, config)).toEqual(before);
  });

  it('hands over a schema someone else created', async () => {
    const other = await create();
    try {
      const cfg = layoutConfig(other);
      await other.exec([{ sql: 'CREATE SCHEMA secure' }, { sql: 'GRANT CREATE ON SCHEMA secure TO PUBLIC' }]);
      const steps = await bootstrap(other, cfg);
      expect(steps.some((x) => x.statement.sql.startsWith('ALTER SCHEMA "secure" OWNER TO'))).toBe(true);
      const [row] = await other.query<{ owner: string; public_create: boolean }>(
        `SELECT pg_get_userbyid(nspowner) AS owner, has_schema_privilege('public', oid, 'CREATE') AS public_create ` +
          `FROM pg_namespace WHERE nspname = 'secure'`,
      );
      expect(row).toEqual({ owner: cfg.systemUser, public_create: false });
    } finally {
      await other.close();
    }
  });
});

describe('bootstrap plan text', () => {
  const cfg: IntegrationConfig = {
    mode: 'multi',
    database: 'immuta',
    viewSchema: 'secure',
    systemUser: 'immuta_system_user',
    rawSources: [{ database: 'sales', schema: 'raw' }],
  };
  const none = { systemRoleExists: false, schemaOwners: new Map<string, string | null>() };
  for (const dialect of [postgres, redshift]) {
    it(
      `${dialect.name}: never PLPYTHONU, the key only as a parameter, raw grants where the dialect reads the raw ` +
        `database`,
      () => {
        const steps = planBootstrap(cfg, dialect, none, { hashKey: HASH_KEY });
        const all = steps.map((s) => s.statement.sql).join('\n');
        expect(all).not.toMatch(/plpython/i);
        expect(all).not.toContain(HASH_KEY);
        expect(JSON.stringify(steps.map((s) => s.statement.comment))).not.toContain(HASH_KEY);
        expect(steps.filter((s) => s.statement.params?.hash_key === HASH_KEY)).toHaveLength(1);
        // Redshift: connected to the raw database; PostgreSQL: on its postgres_fdw import schema here (docs/modes.md).
        const raw =
          dialect === redshift
            ? steps.filter((s) => s.database === 'sales')
            : steps.filter((s) => s.statement.sql.includes('SCHEMA "sales.raw"'));
        expect(raw.map((s) => [s.runAs, s.database])).toEqual([
          ['admin', dialect === redshift ? 'sales' : undefined],
          ['admin', dialect === redshift ? 'sales' : undefined],
          ['admin', dialect === redshift ? 'sales' : undefined],
        ]);
      },
    );
  }
  it('redshift: CREATE USER … PASSWORD DISABLE, LOCK without a mode, VARCHAR(65535), GETDATE()', () => {
    const all = planBootstrap(cfg, redshift, none, { hashKey: HASH_KEY })
      .map((s) => s.statement.sql)
      .join('\n');
    expect(all).toContain('CREATE USER "immuta_system_user" PASSWORD DISABLE');
    expect(all).toContain('LOCK "immuta_system"."catalog_epoch";');
    expect(all).toContain('varchar(65535)');
    expect(all).toContain('GETDATE()');
    expect(all).not.toMatch(/security_barrier|OPERATOR\(|pg_catalog\.now|IN EXCLUSIVE MODE/);
    expect(all).toContain('ON PROCEDURES');
  });
  it('inspection parses role and schema rows', () => {
    expect(
      parseInspection([
        { kind: 'role', name: 'x', owner: null },
        { kind: 'schema', name: 'secure', owner: 'bob' },
      ]),
    ).toEqual({
      systemRoleExists: true,
      schemaOwners: new Map([['secure', 'bob']]),
    });
    expect(inspectStatement(cfg, redshift).sql).toContain('pg_catalog.pg_user');
  });
});
