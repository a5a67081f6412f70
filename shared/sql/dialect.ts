// A SQL dialect: the one place where engines differ. The Redshift dialect extends the PostgreSQL one and
// overrides only what differs (sqlglot-style); callers never branch on the dialect name.
// Every identifier and literal in generated SQL goes through quoteIdent / quoteLiteral of the dialect.

export type DialectName = 'postgres' | 'redshift';

export interface Dialect {
  readonly name: DialectName;
  /** Longest identifier in bytes (UTF-8) the engine keeps without truncating. */
  readonly maxIdentifierBytes: number;
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
  /** The raw table reference; `crossDatabase` = multi-database mode (views live in another database). */
  rawTable(location: { database: string; schema: string; table: string }, crossDatabase: boolean): string;
  /** A complete CREATE [OR REPLACE] VIEW statement; `lateBinding` for external (Spectrum) tables. */
  createView(qualifiedName: string, query: string, options: { replace: boolean; lateBinding: boolean }): string;
}
