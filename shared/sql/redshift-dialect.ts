import { PostgresDialect } from './postgres-dialect.js';
import type { DialectName } from './dialect.js';
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
}

export const redshift = new RedshiftDialect();
