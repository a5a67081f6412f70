// What the privilege audit reads, per engine, into one shape (audit.ts turns it into findings):
//   access   — who CAN, as the engine decides it (the authority): read each registered raw table, create in our
//              schemas, write or read our state tables, execute our procedures, act as the system role;
//   grants   — the explicit grants on those objects (to explain HOW: directly, PUBLIC, a group or role);
//   members  — which roles/groups each principal inherits from; owners; default privileges on raw schemas.
// PostgreSQL: has_any_column_privilege / has_schema_privilege / has_table_privilege / has_function_privilege /
// pg_has_role over pg_roles (predefined roles and superusers excluded) and aclexplode of the catalog ACLs.
// Redshift: HAS_TABLE_PRIVILEGE and HAS_SCHEMA_PRIVILEGE over PG_USER and the catalog (leader-node functions:
// these queries read nothing else), SVV_RELATION_PRIVILEGES, SVV_SCHEMA_PRIVILEGES, SVV_FUNCTION_PRIVILEGES,
// SVV_DEFAULT_PRIVILEGES, SVV_USER_GRANTS, SVV_ROLE_GRANTS (each queried alone). Every page is cited in
// docs/operations.md "audit".
import { schemasOf, type IntegrationConfig } from '../layout/integration-config.js';
import { USER_PROFILE_VIEW } from '../layout/warehouse-objects.js';
import type { Dialect, DialectName } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';
import type { GranteeKind } from './catalog-facts.js';

/** What a principal can do that bypasses or changes the secure views. */
export type AccessKind =
  'read-raw' | 'create-in-schema' | 'write-state' | 'read-state' | 'execute-procedure' | 'act-as-system';

export interface AccessFact {
  /** False: the privilege is there but USAGE on the schema is not (yet): one GRANT away. */
  usable: boolean;
  principal: string;
  principalKind: Exclude<GranteeKind, 'public'>;
  access: AccessKind;
  schema: string;
  object: string;
}
export interface AuditGrant {
  schema: string;
  object: string;
  grantee: string;
  granteeKind: GranteeKind;
  privilege: string;
}
export interface Membership {
  principal: string;
  /** A role or group the principal inherits privileges from (transitively). */
  via: string;
}
export interface DefaultPrivilege {
  owner: string;
  /** '' = every schema (a global default). */
  schema: string;
  grantee: string;
  granteeKind: GranteeKind;
}
export interface AuditFacts {
  access: AccessFact[];
  grants: AuditGrant[];
  members: Membership[];
  owners: { schema: string; object: string; owner: string }[];
  defaults: DefaultPrivilege[];
}

export interface RawTable {
  schema: string;
  table: string;
}

export interface AuditScope {
  config: IntegrationConfig;
  /** Registered raw tables in the database the audit is connected to. */
  rawTables: readonly RawTable[];
  /** Raw schemas to check default privileges in (configured raw sources and the schemas of raw tables). */
  rawSchemas: readonly string[];
}

type Statements = Record<'access' | 'grants' | 'members' | 'owners' | 'defaults', SqlStatement[]>;

class Params {
  readonly values: Record<string, string> = {};
  private n = 0;
  bind(v: string): string {
    const name = `p${++this.n}`;
    this.values[name] = v;
    return `:${name}`;
  }
  list(vs: readonly string[]): string {
    return vs.length === 0 ? 'NULL' : vs.map((v) => this.bind(v)).join(', ');
  }
}

/** `(schema = :a AND name = :b) OR …`; FALSE for none. */
function tableFilter(p: Params, schemaCol: string, nameCol: string, tables: readonly RawTable[]): string {
  return tables.length === 0
    ? 'FALSE'
    : `(${tables.map((t) => `(${schemaCol} = ${p.bind(t.schema)} AND ${nameCol} = ${p.bind(t.table)})`).join(' OR ')})`;
}

// The config's own schemas (immuta_* unless renamed, IntegrationConfig.schemas).
const OUR_SCHEMAS = (c: IntegrationConfig) => [
  schemasOf(c).system,
  schemasOf(c).functions,
  schemasOf(c).procedures,
  c.viewSchema,
];

function postgresStatements(s: AuditScope): Statements {
  const p = new Params();
  const sys = p.bind(s.config.systemUser);
  // Login users, groups and roles alike (PostgreSQL has one kind); not predefined roles (they are reported as
  // the membership they give), not superusers, not the system role.
  const who = `r.oid >= 16384 AND NOT r.rolsuper AND r.rolname <> ${sys}`;
  const rel = 'pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace';
  const state =
    `n.nspname = ${p.bind(schemasOf(s.config).system)} AND c.relkind IN ('r', 'p') AND c.relname <> ` +
    `${p.bind(USER_PROFILE_VIEW)}`;
  const access = [
    `SELECT r.rolname AS principal, 'read-raw' AS access, n.nspname AS schema_name, c.relname AS object, ` +
      `pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE') AS usable FROM ${rel} CROSS JOIN pg_catalog.pg_roles r ` +
      `WHERE ${who} AND ${tableFilter(p, 'n.nspname', 'c.relname', s.rawTables)} AND ` +
      `pg_catalog.has_any_column_privilege(r.oid, c.oid, 'SELECT')`,
    `SELECT r.rolname, 'create-in-schema', n.nspname, '', TRUE FROM pg_catalog.pg_namespace n CROSS JOIN ` +
      `pg_catalog.pg_roles r WHERE ${who} AND n.nspname IN (${p.list(OUR_SCHEMAS(s.config))}) AND ` +
      `pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')`,
    `SELECT r.rolname, 'write-state', n.nspname, c.relname, TRUE FROM ${rel} CROSS JOIN pg_catalog.pg_roles r ` +
      `WHERE ${who} AND ${state} AND pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')`,
    `SELECT r.rolname, 'read-state', n.nspname, c.relname, TRUE FROM ${rel} CROSS JOIN pg_catalog.pg_roles r WHERE ` +
      `${who} AND ${state} AND pg_catalog.has_any_column_privilege(r.oid, c.oid, 'SELECT')`,
    `SELECT r.rolname, 'execute-procedure', n.nspname, f.proname, TRUE FROM pg_catalog.pg_proc f JOIN ` +
      `pg_catalog.pg_namespace n ON n.oid = f.pronamespace CROSS JOIN pg_catalog.pg_roles r WHERE ${who} AND ` +
      `n.nspname = ${p.bind(schemasOf(s.config).procedures)} AND f.prosecdef AND ` +
      `pg_catalog.has_function_privilege(r.oid, f.oid, 'EXECUTE')`,
    `SELECT r.rolname, 'act-as-system', '', CAST(${sys} AS text), TRUE FROM pg_catalog.pg_roles r JOIN ` +
      `pg_catalog.pg_roles s ON s.rolname = ${sys} WHERE ${who} AND pg_catalog.pg_has_role(r.oid, s.oid, 'MEMBER')`,
  ].join('\nUNION ALL\n');
  const acl = (x: string) =>
    `CASE WHEN ${x}.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(${x}.grantee) END AS grantee, CASE ` +
    `WHEN ${x}.grantee = 0 THEN 'public' ELSE 'user' END AS grantee_kind, ${x}.privilege_type AS privilege`;
  const objects =
    `(${tableFilter(p, 'n.nspname', 'c.relname', s.rawTables)} OR n.nspname = ${p.bind(schemasOf(s.config).system)}` +
    `)`;
  const grants = [
    `SELECT n.nspname AS schema_name, c.relname AS object, ${acl('a')} FROM ${rel} CROSS JOIN LATERAL ` +
      `pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a WHERE ${objects}`,
    `SELECT n.nspname, c.relname, ${acl('a')} FROM ${rel} JOIN pg_catalog.pg_attribute t ON t.attrelid = c.oid ` +
      `CROSS JOIN LATERAL pg_catalog.aclexplode(t.attacl) a WHERE ${objects} AND t.attacl IS NOT NULL`,
    `SELECT n.nspname, '', ${acl('a')} FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL ` +
      `pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a WHERE n.nspname IN (` +
      `${p.list(OUR_SCHEMAS(s.config))})`,
    `SELECT n.nspname, f.proname, ${acl('a')} FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid = ` +
      `f.pronamespace CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(f.proacl, pg_catalog.acldefault('f', ` +
      `f.proowner))) a WHERE n.nspname = ${p.bind(schemasOf(s.config).procedures)}`,
  ].join('\nUNION ALL\n');
  const members =
    `SELECT r.rolname AS principal, g.rolname AS via FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_roles g ON ` +
    `g.oid <> r.oid WHERE ${who} AND pg_catalog.pg_has_role(r.oid, g.oid, 'USAGE')`;
  const owners = [
    `SELECT n.nspname AS schema_name, c.relname AS object, pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM ` +
      `${rel} WHERE ${objects}`,
    `SELECT n.nspname, '', pg_catalog.pg_get_userbyid(n.nspowner) FROM pg_catalog.pg_namespace n WHERE n.nspname ` +
      `IN (${p.list(OUR_SCHEMAS(s.config))})`,
  ].join('\nUNION ALL\n');
  const defaults =
    `SELECT pg_catalog.pg_get_userbyid(d.defaclrole) AS owner, COALESCE(n.nspname, '') AS schema_name, ${acl('a')} ` +
    `FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN ` +
    `LATERAL pg_catalog.aclexplode(d.defaclacl) a WHERE d.defaclobjtype = 'r' AND a.privilege_type = 'SELECT' AND ` +
    `a.grantee <> d.defaclrole AND (d.defaclnamespace = 0 OR n.nspname IN (${p.list(s.rawSchemas)}))`;
  const one = (sql: string, what: string) => [stmt(sql, `audit: ${what}`, p.values)];
  return {
    access: one(access, 'who can'),
    grants: one(grants, 'grants'),
    members: one(members, 'memberships'),
    owners: one(owners, 'owners'),
    defaults: one(defaults, 'default privileges'),
  };
}

// Redshift. https://docs.aws.amazon.com/redshift/latest/dg/r_HAS_TABLE_PRIVILEGE.html (with PG_TABLES and PG_USER,
// as its own example does), https://docs.aws.amazon.com/redshift/latest/dg/r_HAS_SCHEMA_PRIVILEGE.html (returns
// text, so it is selected and read here, not filtered on),
// https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_RELATION_PRIVILEGES.html,
// r_SVV_SCHEMA_PRIVILEGES.html, r_SVV_FUNCTION_PRIVILEGES.html, r_SVV_DEFAULT_PRIVILEGES.html, r_SVV_USER_GRANTS.html,
// r_SVV_ROLE_GRANTS.html. Redshift users are not roles: a user cannot be a member of the system user, so
// act-as-system has no Redshift form. Group membership (PG_GROUP.grolist, an array) is not read: a user who
// reads a raw table only through a group is reported with the group's grant (the group is a finding itself).
function redshiftStatements(s: AuditScope): Statements {
  const p = new Params();
  const sys = p.bind(s.config.systemUser);
  const who = `NOT u.usesuper AND u.usename <> ${sys}`;
  const qualified = "QUOTE_IDENT(t.schemaname) || '.' || QUOTE_IDENT(t.tablename)";
  const state = `t.schemaname = ${p.bind(schemasOf(s.config).system)} AND t.tablename <> ${p.bind(USER_PROFILE_VIEW)}`;
  const userTables = `pg_catalog.pg_tables t CROSS JOIN pg_catalog.pg_user u WHERE ${who}`;
  const access = [
    stmt(
      `SELECT u.usename AS principal, 'read-raw' AS access, t.schemaname AS schema_name, t.tablename AS object, ` +
        `'true' AS granted, HAS_SCHEMA_PRIVILEGE(u.usename, t.schemaname, 'usage') AS usable FROM ${userTables} AND ` +
        `${tableFilter(p, 't.schemaname', 't.tablename', s.rawTables)} AND HAS_TABLE_PRIVILEGE(u.usename, ` +
        `${qualified}, 'select')`,
      'audit: who can read raw tables',
      p.values,
    ),
    stmt(
      `SELECT u.usename AS principal, 'create-in-schema' AS access, n.nspname AS schema_name, '' AS object, ` +
        `HAS_SCHEMA_PRIVILEGE(u.usename, n.nspname, 'create') AS granted FROM pg_catalog.pg_namespace n CROSS JOIN ` +
        `pg_catalog.pg_user u WHERE ${who} AND n.nspname IN (${p.list(OUR_SCHEMAS(s.config))})`,
      'audit: who can create in our schemas',
      p.values,
    ),
    stmt(
      `SELECT u.usename AS principal, 'write-state' AS access, t.schemaname AS schema_name, t.tablename AS object, ` +
        `'true' AS granted FROM ${userTables} AND ${state} AND (HAS_TABLE_PRIVILEGE(u.usename, ${qualified}, ` +
        `'insert') OR HAS_TABLE_PRIVILEGE(u.usename, ${qualified}, 'update') OR HAS_TABLE_PRIVILEGE(u.usename, ` +
        `${qualified}, 'delete'))`,
      'audit: who can write our state tables',
      p.values,
    ),
    stmt(
      `SELECT u.usename AS principal, 'read-state' AS access, t.schemaname AS schema_name, t.tablename AS object, ` +
        `'true' AS granted FROM ${userTables} AND ${state} AND HAS_TABLE_PRIVILEGE(u.usename, ${qualified}, 'select')`,
      'audit: who can read our state tables',
      p.values,
    ),
  ];
  const ours = p.list(OUR_SCHEMAS(s.config));
  const privileges = (view: string, object: string, where: string) =>
    stmt(
      `SELECT namespace_name AS schema_name, ${object} AS object, identity_name AS grantee, identity_type AS ` +
        `grantee_kind, privilege_type AS privilege FROM ${view} WHERE ${where}`,
      `audit: ${view.toLowerCase()}`,
      p.values,
    );
  const grants = [
    privileges(
      'SVV_RELATION_PRIVILEGES',
      'relation_name',
      `(${tableFilter(p, 'namespace_name', 'relation_name', s.rawTables)} OR namespace_name = ` +
        `${p.bind(schemasOf(s.config).system)})`,
    ),
    privileges('SVV_SCHEMA_PRIVILEGES', "''", `namespace_name IN (${ours})`),
    privileges(
      'SVV_FUNCTION_PRIVILEGES',
      'function_name',
      `namespace_name = ${p.bind(schemasOf(s.config).procedures)}`,
    ),
  ];
  const members = [
    stmt('SELECT user_name AS principal, role_name AS via FROM svv_user_grants', 'audit: roles granted to users'),
    stmt(
      'SELECT role_name AS principal, granted_role_name AS via FROM svv_role_grants',
      'audit: roles granted to roles',
    ),
  ];
  const owners = [
    stmt(
      `SELECT t.schemaname AS schema_name, t.tablename AS object, t.tableowner AS owner FROM pg_catalog.pg_tables ` +
        `t WHERE ${tableFilter(p, 't.schemaname', 't.tablename', s.rawTables)} OR t.schemaname = ` +
        `${p.bind(schemasOf(s.config).system)}`,
      'audit: owners',
      p.values,
    ),
  ];
  const defaults = [
    stmt(
      `SELECT owner_name AS owner, COALESCE(schema_name, '') AS schema_name, grantee_name AS grantee, grantee_type ` +
        `AS grantee_kind, privilege_type AS privilege FROM svv_default_privileges WHERE object_type = 'RELATION' AND ` +
        `privilege_type = 'SELECT' AND (schema_name IS NULL OR schema_name IN (${p.list(s.rawSchemas)}))`,
      'audit: default privileges',
      p.values,
    ),
  ];
  return { access, grants, members, owners, defaults };
}

const BUILDERS: Record<DialectName, (s: AuditScope) => Statements> = {
  postgres: postgresStatements,
  redshift: redshiftStatements,
};

export function auditStatements(dialect: Dialect, scope: AuditScope): Statements {
  return BUILDERS[dialect.name](scope);
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const granteeKind = (v: unknown): GranteeKind => {
  const k = str(v).toLowerCase();
  return k === 'public' || k === 'group' || k === 'role' ? k : 'user';
};
const yes = (v: unknown): boolean => v === true || ['t', 'true'].includes(str(v).toLowerCase());

/** Only the parameters a statement's text names (a shared Params object binds more). */
function bound(s: SqlStatement): SqlStatement {
  if (!s.params) return s;
  const used = Object.fromEntries(
    Object.entries(s.params).filter(([k]) => new RegExp(`:${k}(?![0-9A-Za-z_])`).test(s.sql)),
  );
  return { ...s, params: used };
}

export async function readAuditFacts(
  query: (s: SqlStatement) => Promise<Record<string, unknown>[]>,
  dialect: Dialect,
  scope: AuditScope,
): Promise<AuditFacts> {
  const s = auditStatements(dialect, scope);
  const all = async (list: SqlStatement[]) => (await Promise.all(list.map((x) => query(bound(x))))).flat();
  const principalKinds = new Map<string, GranteeKind>();
  const grants = (await all(s.grants)).map((r) => ({
    schema: str(r.schema_name),
    object: str(r.object),
    grantee: granteeKind(r.grantee_kind) === 'public' ? 'PUBLIC' : str(r.grantee),
    granteeKind: granteeKind(r.grantee_kind),
    privilege: str(r.privilege).toUpperCase(),
  }));
  for (const g of grants) if (g.granteeKind !== 'public') principalKinds.set(g.grantee, g.granteeKind);
  return {
    access: (await all(s.access))
      .filter((r) => r.granted === undefined || yes(r.granted))
      .map((r) => ({
        usable: r.usable === undefined || yes(r.usable),
        principal: str(r.principal),
        principalKind: 'user' as const,
        access: str(r.access) as AccessKind,
        schema: str(r.schema_name),
        object: str(r.object),
      })),
    grants,
    members: (await all(s.members)).map((r) => ({ principal: str(r.principal), via: str(r.via) })),
    owners: (await all(s.owners)).map((r) => ({
      schema: str(r.schema_name),
      object: str(r.object),
      owner: str(r.owner),
    })),
    defaults: (await all(s.defaults)).map((r) => ({
      owner: str(r.owner),
      schema: str(r.schema_name),
      grantee: granteeKind(r.grantee_kind) === 'public' ? 'PUBLIC' : str(r.grantee),
      granteeKind: granteeKind(r.grantee_kind),
    })),
  };
}
