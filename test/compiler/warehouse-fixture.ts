// The minimal warehouse layout the compiler tests need (system role, schemas, profile table, user_profile
// view, hash key, the two membership UDFs), built from the same names and profile encoding as
// docs/architecture.md. TODO(E1): replace with shared/layout/bootstrap-plan.ts once it lands.
import type { Engine } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import { encodeAttributes, encodeList } from '../../shared/layout/profile-encoding.js';
import type { UserProfileInput } from '../../shared/policy/user-profile.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';

export interface Warehouse {
  engine: Engine;
  systemRole: string;
  viewSchema: string;
  /** Run statements as the admin (see reclaimAdmin). */
  adminExec(statements: readonly SqlStatement[]): Promise<void>;
  adminQuery<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Run statements as the system role in one transaction (what the apply step does). */
  applyAsSystem(statements: readonly SqlStatement[]): Promise<void>;
  setProfile(profile: UserProfileInput): Promise<void>;
  hashKey: string;
}

// PGlite's RESET SESSION AUTHORIZATION leaves the last user in place (checked on 0.5.x), so after a user's
// query the harness's "admin" statements would run as that user. Naming the superuser explicitly restores it;
// on a real server the admin connection is separate and this is a no-op.
const reclaimAdmin = (engine: Engine): SqlStatement => stmt(`SET SESSION AUTHORIZATION ${d.quoteIdent(engine.asAdmin.role)}`);

export async function createWarehouse(engine: Engine, viewSchema = 'secure'): Promise<Warehouse> {
  const systemRole = engine.roleName('vg_system');
  const sys = d.quoteIdent(systemRole);
  const vs = d.quoteIdent(viewSchema);
  const hashKey = `k-${Math.random().toString(36).slice(2)}'"\\;`;
  const escape = (x: string): string => `replace(replace(replace(${x}, '%', '%25'), '|', '%7C'), '=', '%3D')`;
  await engine.exec([
    stmt(`CREATE ROLE ${sys} NOLOGIN`),
    stmt(`REVOKE ALL ON SCHEMA public FROM PUBLIC`),
    ...['immuta_system', 'immuta_functions', viewSchema].map((s) => stmt(`CREATE SCHEMA ${d.quoteIdent(s)} AUTHORIZATION ${sys}`)),
    stmt(`GRANT USAGE ON SCHEMA immuta_system, immuta_functions, ${vs} TO PUBLIC`),
    stmt(`CREATE TABLE immuta_system.profile (immuta__userid varchar(128) PRIMARY KEY, version int8 NOT NULL, deleted boolean NOT NULL DEFAULT false,
      groups text NOT NULL, attributes text NOT NULL, projects text NOT NULL, current_project text, purposes text NOT NULL, datasources text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`),
    stmt(`CREATE TABLE immuta_system.hash_key (key_id int8 PRIMARY KEY, hash_key text NOT NULL)`),
    stmt(`INSERT INTO immuta_system.hash_key VALUES (1, :k)`, undefined, { k: hashKey }),
    stmt(`ALTER TABLE immuta_system.profile OWNER TO ${sys}`),
    stmt(`ALTER TABLE immuta_system.hash_key OWNER TO ${sys}`),
    stmt(`CREATE VIEW immuta_system.user_profile WITH (security_barrier) AS SELECT * FROM immuta_system.profile WHERE immuta__userid = current_user AND NOT deleted`),
    stmt(`ALTER VIEW immuta_system.user_profile OWNER TO ${sys}`),
    stmt(`GRANT SELECT ON immuta_system.user_profile TO PUBLIC`),
    stmt(`CREATE FUNCTION immuta_functions.f_list_item(v varchar) RETURNS varchar LANGUAGE sql IMMUTABLE AS $f$ SELECT '|' || ${escape('v')} || '|' $f$`),
    stmt(`CREATE FUNCTION immuta_functions.f_attribute_item(k varchar, v varchar) RETURNS varchar LANGUAGE sql IMMUTABLE AS $f$ SELECT '|' || ${escape('k')} || '=' || ${escape('v')} || '|' $f$`),
    stmt(`ALTER FUNCTION immuta_functions.f_list_item(varchar) OWNER TO ${sys}`),
    stmt(`ALTER FUNCTION immuta_functions.f_attribute_item(varchar, varchar) OWNER TO ${sys}`),
  ]);
  return {
    engine,
    systemRole,
    viewSchema,
    hashKey,
    async adminExec(statements) {
      await engine.exec([reclaimAdmin(engine), ...statements]);
    },
    async adminQuery<T extends Record<string, unknown>>(sql: string) {
      await engine.exec([reclaimAdmin(engine)]);
      return engine.query<T>(sql);
    },
    async applyAsSystem(statements) {
      await engine.exec([reclaimAdmin(engine), stmt('BEGIN'), stmt(`SET LOCAL ROLE ${sys}`)]);
      try {
        await engine.exec(statements);
        await engine.exec([stmt('COMMIT')]);
      } catch (e) {
        await engine.exec([stmt('ROLLBACK')]);
        throw e;
      }
    },
    async setProfile(input) {
      const p = UserProfileSchema.parse(input);
      await engine.exec([
        reclaimAdmin(engine),
        stmt(
          `INSERT INTO immuta_system.profile (immuta__userid, version, groups, attributes, projects, current_project, purposes, datasources)
           VALUES (:u, :v, :g, :a, :pr, :cp, :pu, :ds)
           ON CONFLICT (immuta__userid) DO UPDATE SET version = EXCLUDED.version, groups = EXCLUDED.groups, attributes = EXCLUDED.attributes,
             projects = EXCLUDED.projects, current_project = EXCLUDED.current_project, purposes = EXCLUDED.purposes, datasources = EXCLUDED.datasources`,
          undefined,
          {
            u: p.userId,
            v: p.version,
            g: encodeList(p.groups),
            a: encodeAttributes(p.attributes),
            pr: encodeList(p.projects),
            cp: p.currentProject,
            pu: encodeList(p.purposes),
            ds: encodeList(p.dataSources),
          },
        ),
      ]);
    },
  };
}
