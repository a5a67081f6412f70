import {
  DEFAULT_INTEGRATION_SCHEMAS,
  type DeclaredType,
  type Dialect,
  type DialectName,
  type IntegrationSchemas,
} from './dialect.js';
import { asciiText, type TextBound } from './text-bound.js';
import { DiagnosticError, diagnostic } from '../diagnostics/diagnostic.js';

// PostgreSQL: NAMEDATALEN is 64, so identifiers longer than 63 bytes would be silently truncated — two
// long names could then collide. We reject them instead (VG102).
export class PostgresDialect implements Dialect {
  readonly name: DialectName = 'postgres';
  readonly maxIdentifierBytes: number = 63;
  schemas: IntegrationSchemas = DEFAULT_INTEGRATION_SCHEMAS;

  withSchemas(schemas: IntegrationSchemas): this {
    // A copy of this very dialect (same class, so the same engine) with other names; the original is shared.
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    return Object.assign(copy, this, {
      schemas: Object.freeze({ system: schemas.system, functions: schemas.functions, procedures: schemas.procedures }),
    });
  }

  quoteIdent(name: string): string {
    if (name.length === 0) throw new DiagnosticError([diagnostic('VG101', 'identifier is empty')]);
    // Control characters (NUL, newlines, ...) are legal in quoted PostgreSQL identifiers but a NUL truncates
    // the C string and the rest confuse logs and catalogs; no real table needs them.
    if (/[\u0000-\u001f\u007f]/.test(name)) {
      throw new DiagnosticError([
        diagnostic('VG103', `identifier ${JSON.stringify(name)} contains a control character`),
      ]);
    }
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > this.maxIdentifierBytes) {
      throw new DiagnosticError([
        diagnostic(
          'VG102',
          `identifier ${JSON.stringify(name)} is ${bytes} bytes; ${this.name} keeps at most ${this.maxIdentifierBytes}`,
        ),
      ]);
    }
    return `"${name.replace(/"/g, '""')}"`;
  }

  qualify(...parts: string[]): string {
    return parts.map((p) => this.quoteIdent(p)).join('.');
  }

  quoteLiteral(value: string): string {
    if (value.includes('\u0000')) throw new DiagnosticError([diagnostic('VG104', 'literal contains a NUL character')]);
    // standard_conforming_strings is on (the default since 9.1): only the quote needs doubling. A literal
    // containing a backslash is written as E'' so that it means the same if the setting were ever off.
    if (value.includes('\\')) return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    return `'${value.replace(/'/g, "''")}'`;
  }

  // https://www.postgresql.org/docs/current/functions-binarystring.html (sha256 returns bytea; encode to hex).
  hashExpression(textExpr: string): string {
    return `encode(sha256(convert_to(${textExpr}, 'UTF8')), 'hex')`;
  }

  textType(width: number | null): string {
    return width === null ? 'text' : `varchar(${width})`;
  }

  // --- string lengths: PostgreSQL's char(n)/varchar(n) count characters and hold any character; text has no
  // limit (https://www.postgresql.org/docs/current/datatype-character.html).
  columnText(type: DeclaredType): TextBound {
    if (type.family !== 'string') return asciiText(type.textWidth ?? 0);
    const n = stringLength(type.sql);
    return n === null ? { chars: null, bytes: null, multiByte: true } : { chars: n, bytes: 4 * n, multiByte: true };
  }

  stringMisfit(typeSql: string, bound: TextBound): string | null {
    const n = stringLength(typeSql);
    if (n === null) return null;
    return bound.chars === null || bound.chars > n
      ? `can be ${bound.chars ?? 'any number of'} characters long; ${typeSql} holds ${n}`
      : null;
  }

  stringType(preferred: string, bound: TextBound): string | null {
    if (this.stringMisfit(preferred, bound) === null) return preferred;
    return bound.chars === null ? 'text' : `varchar(${Math.max(1, bound.chars)})`;
  }

  // PostgreSQL has no cross-database references. The local stand-in of multi-database mode reaches the other
  // database through postgres_fdw: its schema is IMPORTed into a local schema named by foreignImportSchema
  // (docs/modes.md); the reference is that local schema and the table.
  rawTable(location: { database: string; schema: string; table: string }, crossDatabase: boolean): string {
    return crossDatabase
      ? this.qualify(foreignImportSchema(location.database, location.schema), location.table)
      : this.qualify(location.schema, location.table);
  }

  // Another database's schema is read through its imported foreign tables, in the views' database.
  rawGrantTarget(
    raw: { database: string; schema: string },
    viewsDatabase: string,
  ): { database: string; schema: string } {
    return raw.database === viewsDatabase
      ? raw
      : { database: viewsDatabase, schema: foreignImportSchema(raw.database, raw.schema) };
  }

  // Foreign tables (the stand-in of external tables) need SELECT like any table; GRANT … ON ALL TABLES IN
  // SCHEMA and default privileges ON TABLES cover foreign tables
  // (https://www.postgresql.org/docs/current/sql-grant.html).
  externalTablesNeedSelectGrant(): boolean {
    return true;
  }

  // security_barrier stops user-supplied (possibly leaky) predicates from running before the view's own
  // filters. It must be repeated on CREATE OR REPLACE: omitting it silently resets the option.
  createView(qualifiedName: string, query: string, options: { replace: boolean; lateBinding: boolean }): string {
    return `CREATE ${options.replace ? 'OR REPLACE ' : ''}VIEW ${qualifiedName} WITH (security_barrier) AS ${query}`;
  }

  // --- policy breadth hooks (docs/dialects.md)
  // regexp_replace(source, pattern, replacement, flags): 'g' every match (else the first only), 'i' case-insensitive.
  // https://www.postgresql.org/docs/current/functions-matching.html#FUNCTIONS-POSIX-REGEXP
  regexpReplace(
    source: string,
    pattern: string,
    replacement: string,
    options: { global: boolean; caseInsensitive: boolean },
  ): string | null {
    const flags = `${options.global ? 'g' : ''}${options.caseInsensitive ? 'i' : ''}`;
    return `regexp_replace(${source}, ${pattern}, ${replacement}${flags ? `, ${this.quoteLiteral(flags)}` : ''})`;
  }

  // date_trunc(unit, timestamptz, 'UTC') truncates in UTC whatever the session TimeZone (as Redshift does, which
  // keeps timestamptz in UTC): https://www.postgresql.org/docs/current/functions-datetime.html#FUNCTIONS-DATETIME-TRUNC
  dateTrunc(unit: string, timestampExpr: string, withTimeZone: boolean): string {
    return (
      `date_trunc(${this.quoteLiteral(unit)}, ${timestampExpr}` +
      `${withTimeZone ? `, ${this.quoteLiteral('UTC')}` : ''})`
    );
  }

  // The interval is subtracted from the UTC wall clock (timestamp arithmetic, no zone), and the result is read
  // back as UTC for a timestamptz column. timestamptz − interval would step months and days on the SESSION's
  // calendar (https://www.postgresql.org/docs/current/functions-datetime.html): a user in another zone would move
  // the boundary near a month end or a daylight-saving change.
  timeAgo(amount: number, unit: string, columnType: 'timestamptz' | 'timestamp' | 'date'): string {
    const utc = `(${this.utcNow()} - ${this.interval(amount, unit)})`;
    return columnType === 'timestamptz' ? `(${utc} AT TIME ZONE ${this.quoteLiteral('UTC')})` : utc;
  }

  // now() is the transaction's start (an absolute instant); AT TIME ZONE 'UTC' gives its UTC wall clock.
  utcNow(): string {
    return `(now() AT TIME ZONE ${this.quoteLiteral('UTC')})`;
  }

  interval(amount: number, unit: string): string {
    return `CAST(${this.quoteLiteral(`${Math.trunc(amount)} ${unit}`)} AS interval)`;
  }

  // The first 8 hex digits of md5 as an unsigned 32-bit number: 'x' || hex → bit(32) → int8.
  hashBucket(textExpr: string): string {
    return `CAST(CAST(${this.quoteLiteral('x')} || substr(md5(${textExpr}), 1, 8) AS bit(32)) AS int8)`;
  }

  // --- layout hooks (shared/layout/)
  timestampType(): string {
    return 'timestamptz';
  }

  currentTimestamp(): string {
    return 'pg_catalog.now()';
  }

  // EXCLUSIVE conflicts with itself and with every writer, but not with plain SELECTs (ACCESS SHARE): the
  // catalog read keeps running while a guarded transaction holds the epoch.
  lockExclusive(qualifiedTable: string): string {
    return `LOCK TABLE ${qualifiedTable} IN EXCLUSIVE MODE`;
  }

  // SHARE ROW EXCLUSIVE is self-conflicting, so two first inserts of one key cannot race into a unique
  // violation; SELECTs still run (READ COMMITTED would otherwise let both see "no row").
  lockWriters(qualifiedTable: string): string | null {
    return `LOCK TABLE ${qualifiedTable} IN SHARE ROW EXCLUSIVE MODE`;
  }

  // pg_catalog first so that built-ins win, pg_temp explicitly last so that a caller's temporary objects
  // can never shadow ours (https://www.postgresql.org/docs/current/sql-createfunction.html, "Writing
  // SECURITY DEFINER Functions Safely").
  definerSettings(trustedSchema: string): string {
    return `SET search_path = pg_catalog, ${this.quoteIdent(trustedSchema)}, pg_temp`;
  }

  // NOLOGIN: locally the pipeline acts as the system role through SET ROLE; nobody can log in as it.
  createSystemRole(name: string): string {
    return `CREATE ROLE ${this.quoteIdent(name)} NOLOGIN`;
  }

  roleCatalog(): { relation: string; nameColumn: string; idColumn: string } {
    return { relation: 'pg_catalog.pg_roles', nameColumn: 'rolname', idColumn: 'oid' };
  }

  // PostgreSQL's FUNCTIONS (= ROUTINES) also covers procedures:
  // https://www.postgresql.org/docs/current/sql-alterdefaultprivileges.html
  procedurePrivilegeObjects(): string {
    return 'FUNCTIONS';
  }

  // Operators resolve through the caller's search_path when a SQL function is inlined; an exact-type
  // operator in a schema the caller controls would otherwise win over pg_catalog's.
  concat(left: string, right: string): string {
    return `${left} OPERATOR(pg_catalog.||) ${right}`;
  }

  builtin(name: string, args: string[]): string {
    return `pg_catalog.${name}(${args.join(', ')})`;
  }

  // SET ROLE: objects created afterwards are owned by `role` (a superuser may take any role).
  actAs(role: string | null): string {
    return role === null ? 'RESET ROLE' : `SET ROLE ${this.quoteIdent(role)}`;
  }

  // Every relation we reference is schema-qualified, so pg_catalog alone is enough; pg_temp is never searched
  // for functions or operators. Session-level SET + RESET (not SET LOCAL) because the bootstrap script may run
  // outside a transaction; inside one, a failure rolls the SET back with everything else.
  pinSearchPath(): { before: string; after: string } {
    return { before: 'SET search_path TO pg_catalog', after: 'RESET search_path' };
  }

  // A function without a PARALLEL label is PARALLEL UNSAFE, and the planner decides parallel safety before it
  // inlines SQL functions: a view whose row filter calls one ran in a single process while the same query
  // written by hand got workers (docs/performance.md, section a). Our UDFs only call replace/concat:
  // https://www.postgresql.org/docs/current/parallel-safety.html#PARALLEL-LABELING
  parallelSafeFunction(): string | null {
    return 'PARALLEL SAFE';
  }

  // text and varchar equality is exact here (trailing blanks count).
  exactTextKey(textExpr: string): string {
    return textExpr;
  }

  // A CASE whose branches differ in length (varchar(16) and an untyped 'masked') has no length, so the outer
  // CAST to varchar(16) or numeric(12,2) ran per row; with every branch cast, the parser finds the CASE already
  // of that type and length and leaves the outer CAST out of the view, and a branch that already has the type
  // is not cast at all (docs/performance.md, "Mask-heavy overhead").
  castsEachCaseBranch(): boolean {
    return true;
  }
}

/** n of `varchar(n)` / `char(n)`; null for `text` (the three string spellings the compiler emits). */
export function stringLength(typeSql: string): number | null {
  const m = /^(?:varchar|char)\((\d+)\)$/.exec(typeSql);
  if (m) return Number(m[1]);
  if (typeSql === 'text') return null;
  throw new Error(`not a string type: ${typeSql}`);
}

/**
 * The local schema that holds database `database`'s schema `schema` imported through postgres_fdw (multi-database
 * mode on PostgreSQL): both parts with `%` → `%25` and `.` → `%2E`, joined by one `.` — e.g. `sales.public`.
 * Injective: an escaped part has no `.`, so the name splits back into exactly one (database, schema).
 */
export function foreignImportSchema(database: string, schema: string): string {
  const escape = (part: string): string => part.replace(/%/g, '%25').replace(/\./g, '%2E');
  return `${escape(database)}.${escape(schema)}`;
}

export const postgres = new PostgresDialect();
