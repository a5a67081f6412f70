import type { Dialect, DialectName } from './dialect.js';
import { DiagnosticError, diagnostic } from '../diagnostics/diagnostic.js';

// PostgreSQL: NAMEDATALEN is 64, so identifiers longer than 63 bytes would be silently truncated — two
// long names could then collide. We reject them instead (VG102).
export class PostgresDialect implements Dialect {
  readonly name: DialectName = 'postgres';
  readonly maxIdentifierBytes: number = 63;

  quoteIdent(name: string): string {
    if (name.length === 0) throw new DiagnosticError([diagnostic('VG101', 'identifier is empty')]);
    // Control characters (NUL, newlines, ...) are legal in quoted PostgreSQL identifiers but a NUL truncates
    // the C string and the rest confuse logs and catalogs; no real table needs them.
    if (/[\u0000-\u001f\u007f]/.test(name)) {
      throw new DiagnosticError([diagnostic('VG103', `identifier ${JSON.stringify(name)} contains a control character`)]);
    }
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > this.maxIdentifierBytes) {
      throw new DiagnosticError([
        diagnostic('VG102', `identifier ${JSON.stringify(name)} is ${bytes} bytes; ${this.name} keeps at most ${this.maxIdentifierBytes}`),
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
}

export const postgres = new PostgresDialect();
