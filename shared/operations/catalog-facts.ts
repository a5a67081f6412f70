// What the warehouse's catalog says about our objects, read the same way on both engines into one shape:
// relations (with view definitions as the engine prints them), view columns, owners, and the grants on our
// relations, schemas and routines. The statements differ per engine and live side by side here:
//   PostgreSQL: pg_catalog with aclexplode(COALESCE(acl, acldefault(…))) so that default privileges count;
//   Redshift:   PG_VIEWS / PG_TABLES / PG_NAMESPACE / PG_PROC / PG_USER (leader-node catalog, queried alone)
//               and the SVV_*_PRIVILEGES views (queried alone): every view is cited in docs/operations.md.
// Each statement reads one kind of fact, so that no Redshift query mixes leader-node catalog tables with
// compute-node system views.
import type { DialectName } from '../sql/dialect.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';

export type GranteeKind = 'public' | 'user' | 'group' | 'role';

export interface RelationFact {
  schema: string;
  name: string;
  kind: 'view' | 'table' | 'other';
  owner: string | null;
  definition: string | null;
}
export interface ColumnFact {
  schema: string;
  relation: string;
  position: number;
  name: string;
  type: string;
}
export interface GrantFact {
  schema: string;
  /** The relation or routine; '' for a grant on the schema itself. */
  object: string;
  grantee: string;
  granteeKind: GranteeKind;
  privilege: string;
}
export interface SchemaFact {
  schema: string;
  owner: string | null;
}
export interface RoutineFact {
  schema: string;
  name: string;
  owner: string | null;
  source: string | null;
  securityDefiner: boolean;
}

export interface CatalogFacts {
  relations: RelationFact[];
  columns: ColumnFact[];
  relationGrants: GrantFact[];
  schemas: SchemaFact[];
  schemaGrants: GrantFact[];
  routines: RoutineFact[];
  routineGrants: GrantFact[];
}

type Statements = Record<keyof CatalogFacts, SqlStatement>;

/** `IN (:s1, :s2, …)` with every schema bound. */
function inList(column: string, schemas: readonly string[]): { sql: string; params: Record<string, string> } {
  const params = Object.fromEntries(schemas.map((s, i) => [`schema_${i + 1}`, s]));
  if (schemas.length === 0) return { sql: 'FALSE', params };
  return { sql: `${column} IN (${schemas.map((_s, i) => `:schema_${i + 1}`).join(', ')})`, params };
}

function postgresStatements(relationSchemas: readonly string[], routineSchemas: readonly string[]): Statements {
  const rel = inList('n.nspname', relationSchemas);
  const all = inList('n.nspname', [...new Set([...relationSchemas, ...routineSchemas])]);
  const fn = inList('n.nspname', routineSchemas);
  const grantee = (acl: string) =>
    `CASE WHEN ${acl}.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(${acl}.grantee) END AS grantee, ` +
    `CASE WHEN ${acl}.grantee = 0 THEN 'public' ELSE 'user' END AS grantee_kind, ${acl}.privilege_type AS privilege`;
  return {
    relations: stmt(
      'SELECT n.nspname AS schema_name, c.relname AS ' +
        "name, CASE WHEN c.relkind = 'v' THEN " +
        "'view' WHEN c.relkind IN ('r', 'p') THEN " +
        "'table' ELSE 'other' END AS kind, " +
        'pg_catalog.pg_get_userbyid(c.relowner) ' +
        'AS owner, CASE WHEN c.relkind = ' +
        "'v' THEN " +
        'pg_catalog.pg_get_viewdef(c.oid) ' +
        'END AS definition ' +
        `FROM pg_catalog.pg_class c JOIN ` +
        `pg_catalog.pg_namespace n ON n.oid = ` +
        `c.relnamespace WHERE ${rel.sql} AND ` +
        `c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
      'operator tools: relations in our schemas',
      rel.params,
    ),
    columns: stmt(
      'SELECT n.nspname AS schema_name, c.relname ' +
        'AS relation, a.attnum AS position, ' +
        'a.attname AS name, ' +
        'pg_catalog.format_type(a.atttypid, ' +
        'a.atttypmod) AS type ' +
        'FROM pg_catalog.pg_attribute a JOIN ' +
        'pg_catalog.pg_class c ON c.oid = ' +
        'a.attrelid JOIN ' +
        'pg_catalog.pg_namespace n ON n.oid = ' +
        'c.relnamespace ' +
        `WHERE ${rel.sql} AND c.relkind = 'v' AND a.attnum > 0 AND NOT a.attisdropped`,
      'operator tools: view columns',
      rel.params,
    ),
    relationGrants: stmt(
      `SELECT n.nspname AS schema_name, c.relname AS object, ${grantee('a')} FROM pg_catalog.pg_class c JOIN ` +
        `pg_catalog.pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL ` +
        `pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner))) a WHERE ${rel.sql} AND ` +
        `c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.grantee <> c.relowner`,
      'operator tools: grants on relations in our schemas',
      rel.params,
    ),
    schemas: stmt(
      `SELECT n.nspname AS schema_name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner FROM ` +
        `pg_catalog.pg_namespace n WHERE ${all.sql}`,
      'operator tools: our schemas',
      all.params,
    ),
    schemaGrants: stmt(
      `SELECT n.nspname AS schema_name, '' AS object, ${grantee('a')} FROM pg_catalog.pg_namespace n CROSS JOIN ` +
        `LATERAL pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a WHERE ${all.sql}` +
        ` AND a.grantee <> n.nspowner`,
      'operator tools: grants on our schemas',
      all.params,
    ),
    routines: stmt(
      'SELECT n.nspname AS ' +
        'schema_name, p.proname AS ' +
        'name, ' +
        'pg_catalog.pg_get_userbyid(p.proowner) AS ' +
        'owner, p.prosrc AS source, p.prosecdef ' +
        'AS security_definer ' +
        `FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE ${fn.sql}`,
      'operator tools: routines in our schemas',
      fn.params,
    ),
    routineGrants: stmt(
      `SELECT n.nspname AS schema_name, p.proname AS object, ${grantee('a')} FROM pg_catalog.pg_proc p JOIN ` +
        `pg_catalog.pg_namespace n ON n.oid = p.pronamespace CROSS JOIN LATERAL ` +
        `pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a WHERE ${fn.sql} AND ` +
        `a.grantee <> p.proowner`,
      'operator tools: grants on routines in our schemas',
      fn.params,
    ),
  };
}

// Redshift: PG_VIEWS, PG_TABLES, PG_NAMESPACE, PG_PROC, PG_USER are the PostgreSQL catalog Redshift exposes
// (https://docs.aws.amazon.com/redshift/latest/dg/c_intro_catalog_views.html); SVV_COLUMNS includes late-binding
// views (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_COLUMNS.html); the SVV_*_PRIVILEGES views list
// explicit grants with identity_type user / group / role / public
// (https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_RELATION_PRIVILEGES.html,
// https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_SCHEMA_PRIVILEGES.html,
// https://docs.aws.amazon.com/redshift/latest/dg/r_SVV_FUNCTION_PRIVILEGES.html). They show every identity only
// to superusers and users with ACCESS SYSTEM TABLE / SYSLOG ACCESS UNRESTRICTED.
function redshiftStatements(relationSchemas: readonly string[], routineSchemas: readonly string[]): Statements {
  const views = inList('schemaname', relationSchemas);
  const all = [...new Set([...relationSchemas, ...routineSchemas])];
  const nsAll = inList('n.nspname', all);
  const fn = inList('n.nspname', routineSchemas);
  const privileges = (view: string, object: string, schemas: readonly string[]) => {
    const where = inList('namespace_name', schemas);
    return stmt(
      `SELECT namespace_name AS schema_name, ${object} AS object, identity_name AS grantee, identity_type AS ` +
        `grantee_kind, privilege_type AS privilege FROM ${view} WHERE ${where.sql}`,
      `operator tools: ${view.toLowerCase()}`,
      where.params,
    );
  };
  const cols = inList('table_schema', relationSchemas);
  return {
    relations: stmt(
      `SELECT schemaname AS schema_name, viewname AS name, 'view' AS kind, viewowner AS owner, definition FROM ` +
        `pg_catalog.pg_views WHERE ${views.sql} UNION ALL SELECT schemaname, tablename, 'table', tableowner, NULL ` +
        `FROM pg_catalog.pg_tables WHERE ${views.sql}`,
      'operator tools: relations in our schemas',
      views.params,
    ),
    columns: stmt(
      'SELECT table_schema AS ' +
        'schema_name, table_name AS ' +
        'relation, ' +
        'ordinal_position AS position, ' +
        'column_name AS name, data_type AS type, ' +
        `character_maximum_length AS ` +
        `type_length, numeric_precision AS ` +
        `type_precision, numeric_scale AS ` +
        `type_scale FROM svv_columns WHERE ` +
        `${cols.sql}`,
      'operator tools: view columns',
      cols.params,
    ),
    relationGrants: privileges('SVV_RELATION_PRIVILEGES', 'relation_name', relationSchemas),
    schemas: stmt(
      `SELECT n.nspname AS schema_name, u.usename AS owner FROM pg_catalog.pg_namespace n LEFT JOIN ` +
        `pg_catalog.pg_user u ON u.usesysid = n.nspowner WHERE ${nsAll.sql}`,
      'operator tools: our schemas',
      nsAll.params,
    ),
    schemaGrants: privileges('SVV_SCHEMA_PRIVILEGES', "''", all),
    routines: stmt(
      'SELECT n.nspname AS schema_name, ' +
        'p.proname AS name, u.usename AS ' +
        'owner, p.prosrc AS source, ' +
        'p.prosecdef AS security_definer ' +
        `FROM pg_catalog.pg_proc p JOIN ` +
        `pg_catalog.pg_namespace n ON n.oid = ` +
        `p.pronamespace ` +
        `LEFT JOIN pg_catalog.pg_user u ON ` +
        `u.usesysid = p.proowner WHERE ${fn.sql}`,
      'operator tools: routines in our schemas',
      fn.params,
    ),
    routineGrants: privileges('SVV_FUNCTION_PRIVILEGES', 'function_name', routineSchemas),
  };
}

const BUILDERS: Record<DialectName, typeof postgresStatements> = {
  postgres: postgresStatements,
  redshift: redshiftStatements,
};

export function catalogFactStatements(
  dialect: Dialect,
  relationSchemas: readonly string[],
  routineSchemas: readonly string[],
): Statements {
  return BUILDERS[dialect.name](relationSchemas, routineSchemas);
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const bool = (v: unknown): boolean => v === true || v === 't' || v === 'true';
const kind = (v: unknown): GranteeKind => {
  const k = str(v).toLowerCase();
  return k === 'public' || k === 'group' || k === 'role' ? k : 'user';
};

/** A column type as one string: PostgreSQL's format_type, or Redshift's data_type with its length/precision. */
function columnType(r: Record<string, unknown>): string {
  const t = str(r.type);
  if (r.type_length != null) return `${t}(${str(r.type_length)})`;
  if (r.type_precision != null && /numeric|decimal/i.test(t))
    return `${t}(${str(r.type_precision)},${str(r.type_scale)})`;
  return t;
}

const grant = (r: Record<string, unknown>): GrantFact => ({
  schema: str(r.schema_name),
  object: str(r.object),
  grantee: kind(r.grantee_kind) === 'public' ? 'PUBLIC' : str(r.grantee),
  granteeKind: kind(r.grantee_kind),
  privilege: str(r.privilege).toUpperCase(),
});

export async function readCatalogFacts(
  query: (s: SqlStatement) => Promise<Record<string, unknown>[]>,
  dialect: Dialect,
  relationSchemas: readonly string[],
  routineSchemas: readonly string[],
): Promise<CatalogFacts> {
  const s = catalogFactStatements(dialect, relationSchemas, routineSchemas);
  return {
    relations: (await query(s.relations)).map((r) => ({
      schema: str(r.schema_name),
      name: str(r.name),
      kind: str(r.kind) as RelationFact['kind'],
      owner: nullable(r.owner),
      definition: nullable(r.definition),
    })),
    columns: (await query(s.columns)).map((r) => ({
      schema: str(r.schema_name),
      relation: str(r.relation),
      position: Number(r.position),
      name: str(r.name),
      type: columnType(r),
    })),
    relationGrants: (await query(s.relationGrants)).map(grant),
    schemas: (await query(s.schemas)).map((r) => ({ schema: str(r.schema_name), owner: nullable(r.owner) })),
    schemaGrants: (await query(s.schemaGrants)).map(grant),
    routines: (await query(s.routines)).map((r) => ({
      schema: str(r.schema_name),
      name: str(r.name),
      owner: nullable(r.owner),
      source: nullable(r.source),
      securityDefiner: bool(r.security_definer),
    })),
    routineGrants: (await query(s.routineGrants)).map(grant),
  };
}
