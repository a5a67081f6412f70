import { PostgresDialect, stringLength } from './postgres-dialect.js';
import type { DeclaredType, DialectName } from './dialect.js';
import { asciiText, type TextBound } from './text-bound.js';
import { DiagnosticError, diagnostic } from '../diagnostics/diagnostic.js';

// Redshift differs from PostgreSQL here:
// - identifiers up to 127 bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html);
// - backslash is an escape character inside string literals, so both ' and \ are doubled — exactly what
//   Redshift's own QUOTE_LITERAL does (https://docs.aws.amazon.com/redshift/latest/dg/r_QUOTE_LITERAL.html);
//   there is no E'' syntax.
export class RedshiftDialect extends PostgresDialect {
  override readonly name: DialectName = 'redshift';
  override readonly maxIdentifierBytes: number = 127;

  override quoteLiteral(value: string): string {
    if (value.includes('\u0000')) throw new DiagnosticError([diagnostic('VG104', 'literal contains a NUL character')]);
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }

  // SHA2(string, 256) returns the lowercase hex text: https://docs.aws.amazon.com/redshift/latest/dg/SHA2.html
  override hashExpression(textExpr: string): string {
    return `SHA2(${textExpr}, 256)`;
  }

  // Redshift TEXT is VARCHAR(256); unbounded text is VARCHAR(65535) (the maximum):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html
  override textType(width: number | null): string {
    return `varchar(${width === null ? 65535 : width})`;
  }

  // --- string lengths: CHAR(n) and VARCHAR(n) are defined in bytes; a CHAR column holds single-byte characters
  // only; VARCHAR holds at most 65535 bytes; TEXT is VARCHAR(256)
  // (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html). A value that does not fit is a
  // query-time error or a truncation, so the compiler widens or refuses at compile time instead.
  override columnText(type: DeclaredType): TextBound {
    if (type.family !== 'string') return asciiText(type.textWidth ?? 0);
    const n = redshiftBytes(type.sql);
    return { chars: n, bytes: n, multiByte: !type.sql.startsWith('char(') };
  }

  override stringMisfit(typeSql: string, bound: TextBound): string | null {
    const n = redshiftBytes(typeSql);
    if (typeSql.startsWith('char(') && bound.multiByte)
      return `has characters of more than one byte; a Redshift ${typeSql} holds single-byte characters only`;
    if (bound.bytes === null || bound.bytes > n)
      return (
        `can take ${bound.bytes ?? 'any number of'} bytes; a Redshift ${typeSql} holds ${n} bytes (lengths count ` +
        `bytes)`
      );
    return null;
  }

  override stringType(preferred: string, bound: TextBound): string | null {
    if (this.stringMisfit(preferred, bound) === null) return preferred;
    return bound.bytes === null || bound.bytes > MAX_VARCHAR_BYTES ? null : `varchar(${Math.max(1, bound.bytes)})`;
  }

  // Multi-database mode: cross-database queries use database.schema.object:
  // https://docs.aws.amazon.com/redshift/latest/dg/cross-database-overview.html
  override rawTable(location: { database: string; schema: string; table: string }, crossDatabase: boolean): string {
    return crossDatabase
      ? this.qualify(location.database, location.schema, location.table)
      : this.qualify(location.schema, location.table);
  }

  // Cross-database grants are given connected to the raw database, on its own schema.
  override rawGrantTarget(
    raw: { database: string; schema: string },
    _viewsDatabase: string,
  ): { database: string; schema: string } {
    return raw;
  }

  // Spectrum: USAGE on the external schema is what lets a user (here the view owner) query its tables; SELECT
  // on them is refused ("operation not supported on external tables") unless Lake Formation governs them.
  // https://docs.aws.amazon.com/redshift/latest/dg/c-spectrum-external-tables.html
  override externalTablesNeedSelectGrant(): boolean {
    return false;
  }

  // No security_barrier in Redshift; views over external tables or another database's objects must be late-binding:
  // CREATE [ OR REPLACE ] VIEW name AS query [ WITH NO SCHEMA BINDING ]
  // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html
  override createView(
    qualifiedName: string,
    query: string,
    options: { replace: boolean; lateBinding: boolean },
  ): string {
    return (
      `CREATE ${options.replace ? 'OR REPLACE ' : ''}VIEW ${qualifiedName} AS ${query}` +
      `${options.lateBinding ? ' WITH NO SCHEMA BINDING' : ''}`
    );
  }

  // --- policy breadth hooks (docs/dialects.md)
  // REGEXP_REPLACE(source, pattern, replace_string, position, parameters) replaces EVERY occurrence; parameters
  // 'i' = case-insensitive. There is no occurrence argument, so "first match only" cannot be expressed (null):
  // https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_REPLACE.html
  override regexpReplace(
    source: string,
    pattern: string,
    replacement: string,
    options: { global: boolean; caseInsensitive: boolean },
  ): string | null {
    if (!options.global) return null;
    return (
      `REGEXP_REPLACE(${source}, ${pattern}, ${replacement}` +
      `${options.caseInsensitive ? `, 1, ${this.quoteLiteral('i')}` : ''})`
    );
  }

  // DATE_TRUNC('datepart', timestamp) takes "an expression that implicitly converts to a timestamp" and returns
  // TIMESTAMP (https://docs.aws.amazon.com/redshift/latest/dg/r_DATE_TRUNC.html); TIMESTAMPTZ converts to
  // TIMESTAMP in the SESSION time zone (https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html),
  // so a timestamptz is truncated in UTC explicitly — timestamptz AT TIME ZONE 'UTC' is the UTC TIMESTAMP, and
  // timestamp AT TIME ZONE 'UTC' the TIMESTAMPTZ of that UTC wall clock
  // (https://docs.aws.amazon.com/redshift/latest/dg/r_AT_TIME_ZONE.html). Otherwise a user in Asia/Kolkata would
  // see half-hour boundaries of a value rounded to the hour.
  override dateTrunc(unit: string, timestampExpr: string, withTimeZone: boolean): string {
    const utc = this.quoteLiteral('UTC');
    return withTimeZone
      ? `(DATE_TRUNC(${this.quoteLiteral(unit)}, (${timestampExpr} AT TIME ZONE ${utc})) AT TIME ZONE ${utc})`
      : `DATE_TRUNC(${this.quoteLiteral(unit)}, ${timestampExpr})`;
  }

  // GETDATE() runs on compute nodes (NOW() is leader-node only) but returns the date and time "in the current
  // session time zone (UTC by default)" (https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html), which any
  // user may change with SET timezone (https://docs.aws.amazon.com/redshift/latest/dg/r_timezone_config.html).
  // Cast to TIMESTAMPTZ it is read back in that same session zone — the true instant — and AT TIME ZONE 'UTC'
  // gives its UTC wall clock, whatever the session's zone.
  override utcNow(): string {
    return `(CAST(GETDATE() AS timestamptz) AT TIME ZONE ${this.quoteLiteral('UTC')})`;
  }

  // INTERVAL '30 day' (https://docs.aws.amazon.com/redshift/latest/dg/r_interval_literals.html): timestamp −
  // interval steps months by the calendar, like DATEADD.
  override interval(amount: number, unit: string): string {
    return `INTERVAL ${this.quoteLiteral(`${Math.trunc(amount)} ${unit}`)}`;
  }

  // STRTOL(num_string, 16) returns BIGINT (https://docs.aws.amazon.com/redshift/latest/dg/r_STRTOL.html);
  // MD5 returns the 32-character hex string (https://docs.aws.amazon.com/redshift/latest/dg/r_MD5.html).
  override hashBucket(textExpr: string): string {
    return `STRTOL(SUBSTRING(MD5(${textExpr}), 1, 8), 16)`;
  }

  // --- layout hooks (shared/layout/)
  // GETDATE() returns the current UTC timestamp (TIMESTAMP without time zone):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html
  override timestampType(): string {
    return 'timestamp';
  }

  override currentTimestamp(): string {
    return 'GETDATE()';
  }

  // Redshift has one lock mode: LOCK [ TABLE ] name takes ACCESS EXCLUSIVE (readers wait too):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_LOCK.html
  override lockExclusive(qualifiedTable: string): string {
    return `LOCK ${qualifiedTable}`;
  }

  // Redshift runs every transaction SERIALIZABLE: two racing first inserts make one fail with a
  // serialization error (retried as transient). A LOCK here would block every view reading the profile.
  override lockWriters(_qualifiedTable: string): string | null {
    return null;
  }

  // pg_catalog is searched first implicitly; the path names only the schema the definer owns:
  // https://docs.aws.amazon.com/redshift/latest/dg/stored-procedure-security-and-privileges.html
  override definerSettings(trustedSchema: string): string {
    return `SET search_path = ${this.quoteIdent(trustedSchema)}`;
  }

  // Redshift has no CREATE USER IF NOT EXISTS (the plan inspects first). PASSWORD DISABLE: the system user
  // signs in only through IAM (Data API DbUser / temporary credentials):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html
  override createSystemRole(name: string): string {
    return `CREATE USER ${this.quoteIdent(name)} PASSWORD DISABLE`;
  }

  // pg_roles does not list Redshift users; pg_namespace.nspowner is a usesysid:
  // https://docs.aws.amazon.com/redshift/latest/dg/r_PG_USER.html
  override roleCatalog(): { relation: string; nameColumn: string; idColumn: string } {
    return { relation: 'pg_catalog.pg_user', nameColumn: 'usename', idColumn: 'usesysid' };
  }

  // ALTER DEFAULT PRIVILEGES … ON PROCEDURES:
  // https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_DEFAULT_PRIVILEGES.html
  override procedurePrivilegeObjects(): string {
    return 'PROCEDURES';
  }

  // Redshift has no user-defined operators, so || cannot be redirected.
  override concat(left: string, right: string): string {
    return `${left} || ${right}`;
  }

  override builtin(name: string, args: string[]): string {
    return `${name.toUpperCase()}(${args.join(', ')})`;
  }

  // Redshift has no SET ROLE for users; a superuser switches with SET SESSION AUTHORIZATION:
  // https://docs.aws.amazon.com/redshift/latest/dg/r_SET_SESSION_AUTHORIZATION.html
  override actAs(role: string | null): string {
    return role === null ? 'SET SESSION AUTHORIZATION DEFAULT' : `SET SESSION AUTHORIZATION ${this.quoteLiteral(role)}`;
  }

  // CREATE FUNCTION takes only a volatility ({ VOLATILE | STABLE | IMMUTABLE }) before AS, no PARALLEL clause:
  // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_FUNCTION.html
  override parallelSafeFunction(): string | null {
    return null;
  }

  // Redshift ignores trailing blanks when it compares VARCHARs ('eu ' = 'eu'):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_Examples_with_character_types.html. A terminator makes
  // them count, so a membership test stays an exact match.
  override exactTextKey(textExpr: string): string {
    return `(${textExpr} || '|')`;
  }

  // The branch casts are a PostgreSQL planner matter: Redshift's SQL stays as it was (one CAST of the CASE),
  // so nothing about its CASE type resolution (CHAR and VARCHAR branches) is newly relied on.
  override castsEachCaseBranch(): boolean {
    return false;
  }
}

/** The longest VARCHAR: https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html */
const MAX_VARCHAR_BYTES = 65535;
/** TEXT columns are VARCHAR(256) on Redshift (same page). */
const TEXT_BYTES = 256;

const redshiftBytes = (typeSql: string): number => stringLength(typeSql) ?? TEXT_BYTES;

export const redshift = new RedshiftDialect();
