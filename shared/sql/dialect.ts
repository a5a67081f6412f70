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
}
