// A SQL dialect: the one place where engines differ. The Redshift dialect extends the PostgreSQL one and
// overrides only what differs (sqlglot-style); callers never branch on the dialect name.
// Every identifier and literal in generated SQL goes through quoteIdent / quoteLiteral of the dialect.

import type { TextBound } from './text-bound.js';

export type DialectName = 'postgres' | 'redshift';

/**
 * The schemas the integration keeps its own objects in: state tables and the profile (system), SQL UDFs
 * (functions), stored procedures (procedures). Configurable per deployment (IntegrationConfig.schemas, validated
 * in shared/layout/integration-config.ts); a dialect carries the names of the layout it writes SQL for.
 */
export interface IntegrationSchemas {
  readonly system: string;
  readonly functions: string;
  readonly procedures: string;
}

export const DEFAULT_INTEGRATION_SCHEMAS: IntegrationSchemas = Object.freeze({
  system: 'immuta_system',
  functions: 'immuta_functions',
  procedures: 'immuta_procedures',
});

/** A declared column type as the compiler knows it (shared/policy/column-type.ts). */
export interface DeclaredType {
  sql: string;
  family: string;
  textWidth: number | null;
}

export interface Dialect {
  readonly name: DialectName;
  /** Longest identifier in bytes (UTF-8) the engine keeps without truncating. */
  readonly maxIdentifierBytes: number;
  /** The integration's schema names every generated statement uses (the defaults unless withSchemas). */
  readonly schemas: IntegrationSchemas;
  /** The same dialect, writing SQL for a layout with these schema names. */
  withSchemas(schemas: IntegrationSchemas): Dialect;
  /** Quote one identifier (never a dotted path). Throws DiagnosticError (VG101-VG103) when it cannot be safe. */
  quoteIdent(name: string): string;
  /** Quote a dotted path: each part through quoteIdent. */
  qualify(...parts: string[]): string;
  /** Quote a string literal. Throws DiagnosticError (VG104) for a NUL byte. */
  quoteLiteral(value: string): string;

  // --- view compiler hooks (shared/compiler/view-compiler.ts); each engine overrides, callers never branch.
  /** SQL for the lowercase hex SHA-256 of a text expression (the key is already prepended by the caller). */
  hashExpression(textExpr: string): string;
  /** The text type used for a masked column of at most `width` characters; null = unbounded. */
  textType(width: number | null): string;
  /**
   * The raw table reference; `crossDatabase` = the table is in another database than the views (multi-database mode).
   */
  rawTable(location: { database: string; schema: string; table: string }, crossDatabase: boolean): string;
  // --- string lengths (text-bound.ts): the one place that knows how an engine counts a string's length.
  /** The widest value a column of `type` holds, as text (a non-string type: its ASCII rendering). */
  columnText(type: DeclaredType): TextBound;
  /** Why a value within `bound` does not fit the string type `typeSql` on this engine; null when it does. */
  stringMisfit(typeSql: string, bound: TextBound): string | null;
  /** `preferred` (a string type) when it holds `bound`, else the narrowest varchar that does; null when none can. */
  stringType(preferred: string, bound: TextBound): string | null;
  /**
   * A complete CREATE [OR REPLACE] VIEW statement; `lateBinding` for external (Spectrum) tables and objects of another
   * database.
   */
  createView(qualifiedName: string, query: string, options: { replace: boolean; lateBinding: boolean }): string;

  // --- policy breadth hooks (masks and row filters, shared/compiler/); docs/dialects.md.
  /**
   * Regular-expression replace of a string expression; `pattern` and `replacement` are quoted literals.
   * null = the engine cannot do it with these options (the caller fails closed).
   */
  regexpReplace(
    source: string,
    pattern: string,
    replacement: string,
    options: { global: boolean; caseInsensitive: boolean },
  ): string | null;
  /**
   * DATE_TRUNC of a timestamp expression to `unit` (a fixed keyword); `withTimeZone` = the expression is timestamptz
   * (truncated in UTC).
   */
  dateTrunc(unit: string, timestampExpr: string, withTimeZone: boolean): string;
  /**
   * The query time minus `amount` `unit`s, comparable with a column of `columnType` ('timestamptz' | 'timestamp' |
   * 'date'; timestamp and date hold UTC wall-clock values). Computed on the UTC calendar whatever the session's
   * TimeZone, so a user who runs SET timezone sees the same rows (docs/dialects.md "session time zone").
   */
  timeAgo(amount: number, unit: string, columnType: 'timestamptz' | 'timestamp' | 'date'): string;
  /** The query time as a UTC wall-clock timestamp, whatever the session's TimeZone. */
  utcNow(): string;
  /** An interval literal of `amount` `unit`s. */
  interval(amount: number, unit: string): string;
  /** An integer in [0, 2^32) from the first 32 bits of MD5 of a text expression (same value on every engine). */
  hashBucket(textExpr: string): string;

  // --- layout hooks (shared/layout/: bootstrap, procedures, state tables); each engine overrides.
  /** Where the system role's read grants on a raw schema go (database to connect to, schema to grant on). */
  rawGrantTarget(
    raw: { database: string; schema: string },
    viewsDatabase: string,
  ): { database: string; schema: string };
  /** Whether tables of an external schema are read through SELECT grants (false: USAGE on the schema is all). */
  externalTablesNeedSelectGrant(): boolean;
  /** Type of a timestamp column written by the procedures. */
  timestampType(): string;
  /** The current time as the procedures write it. */
  currentTimestamp(): string;
  /** Statement that serializes writers of `table` (the epoch guard); readers may or may not wait. */
  lockExclusive(qualifiedTable: string): string;
  /** Statement that serializes upserts on `table` without blocking readers; null when the engine has none. */
  lockWriters(qualifiedTable: string): string | null;
  /** The `SET search_path = …` clause of a SECURITY DEFINER routine; `trustedSchema` is writable only by its owner. */
  definerSettings(trustedSchema: string): string;
  /** CREATE statement for the integration's system role/user (no password: it never logs in with one). */
  createSystemRole(name: string): string;
  /** The catalog relation listing roles/users, its name column and the id column pg_namespace.nspowner refers to. */
  roleCatalog(): { relation: string; nameColumn: string; idColumn: string };
  /** The object keyword of ALTER DEFAULT PRIVILEGES that covers stored procedures. */
  procedurePrivilegeObjects(): string;
  /** A text concatenation that a caller's search_path cannot redirect (used in SQL function bodies). */
  concat(left: string, right: string): string;
  /** A call of a built-in function that a caller's search_path cannot redirect. */
  builtin(name: string, args: string[]): string;
  /**
   * Statement that makes the rest of an admin session act as `role` (objects created are owned by it); null = back to
   * the admin.
   */
  actAs(role: string | null): string;
  /**
   * Statements that bracket DDL run by the system role so that the operators and functions a new view or
   * routine binds to are resolved in pg_catalog only: a user who can create objects in a schema on the
   * session's search_path (PUBLIC's CREATE on `public` in Redshift and PostgreSQL ≤ 14) could otherwise plant
   * a better-matching `=`/`||`/function that the view binds to for ever (test/security/search-path-hijack).
   */
  pinSearchPath(): { before: string; after: string };
  /**
   * The label that lets the planner run a query calling our scalar SQL UDFs (pure: replace/concat only) in
   * parallel workers; null when the engine has no such clause.
   */
  parallelSafeFunction(): string | null;
  /**
   * The text a membership test compares for `textExpr` (both sides of `IN (SELECT …)`): equal exactly when
   * the strings are equal character for character, trailing blanks included.
   */
  exactTextKey(textExpr: string): string;
  /**
   * Whether a masked column's CASE casts each branch to the column's output type (the outer CAST stays): the
   * planner then sees the CASE already typed, length included, and drops the outer CAST instead of running it
   * per row.
   */
  castsEachCaseBranch(): boolean;
}
