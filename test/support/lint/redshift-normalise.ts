// Redshift-only syntax the PostgreSQL parser cannot read is rewritten away before parsing. The list is
// deliberately short; every rewrite keeps the statement's meaning for what the lint checks.
//
// 1. `CREATE [OR REPLACE] VIEW … AS query WITH NO SCHEMA BINDING` — late-binding views
//    (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html): the trailing clause is removed.
// 2. `CREATE [OR REPLACE] PROCEDURE name(…) NONATOMIC AS $$…$$` — non-atomic procedures
//    (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_PROCEDURE.html): the keyword is removed.
// 3. `CREATE USER … PASSWORD DISABLE` (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html):
//    becomes PostgreSQL's `PASSWORD NULL` (same meaning: no password login).
// 4. `ALTER DEFAULT PRIVILEGES … ON PROCEDURES`
//    (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_DEFAULT_PRIVILEGES.html): becomes `ON ROUTINES`,
//    PostgreSQL's spelling for the same object class.
// 5. `:name` parameters (the Redshift Data API form) become `$n`, found with the PostgreSQL scanner so that a
//    ':' inside a string, quoted identifier, comment or `::` cast is never touched.
import { scanSync } from 'libpg-query';

export interface Normalised {
  sql: string;
  /** Which rewrites were applied (for diagnostics and tests). */
  applied: (
    'no-schema-binding' | 'nonatomic' | 'password-disable' | 'default-privileges-procedures' | 'named-parameters'
  )[];
}

const LATE_BINDING = /\s+WITH\s+NO\s+SCHEMA\s+BINDING\s*;?\s*$/i;
const VIEW_START = /^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW\s/i;
const PROCEDURE_START = /^\s*CREATE\s+(OR\s+REPLACE\s+)?PROCEDURE\s/i;
const NONATOMIC = /\)\s*NONATOMIC\s+AS\s/i;
const USER_START = /^\s*(CREATE|ALTER)\s+USER\s/i;
const PASSWORD_DISABLE = /\sPASSWORD\s+DISABLE\b/i;
const ADP_START = /^\s*ALTER\s+DEFAULT\s+PRIVILEGES\s/i;
const ON_PROCEDURES = /\sON\s+PROCEDURES\b/i;

export function normaliseRedshift(input: string): Normalised {
  const applied: Normalised['applied'] = [];
  let sql = input;
  if (VIEW_START.test(sql) && LATE_BINDING.test(sql)) {
    sql = sql.replace(LATE_BINDING, '');
    applied.push('no-schema-binding');
  }
  if (PROCEDURE_START.test(sql)) {
    // Only the first ')…NONATOMIC AS' — the one closing the argument list, before the body starts.
    const bodyStart = sql.indexOf('$');
    const m = NONATOMIC.exec(sql);
    if (m && (bodyStart < 0 || m.index < bodyStart)) {
      sql = sql.slice(0, m.index) + ') AS ' + sql.slice(m.index + m[0].length);
      applied.push('nonatomic');
    }
  }
  if (USER_START.test(sql) && PASSWORD_DISABLE.test(sql)) {
    sql = sql.replace(PASSWORD_DISABLE, ' PASSWORD NULL');
    applied.push('password-disable');
  }
  if (ADP_START.test(sql) && ON_PROCEDURES.test(sql)) {
    sql = sql.replace(ON_PROCEDURES, ' ON ROUTINES');
    applied.push('default-privileges-procedures');
  }
  const rewritten = rewriteNamedParameters(sql);
  if (rewritten !== sql) {
    sql = rewritten;
    applied.push('named-parameters');
  }
  return { sql, applied };
}

function rewriteNamedParameters(sql: string): string {
  let tokens;
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return sql; // the parser will report the problem
  }
  const names: string[] = [];
  let out = '';
  let last = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const colon = tokens[i]!;
    const ident = tokens[i + 1]!;
    if (colon.text !== ':' || ident.start !== colon.end) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ident.text)) continue;
    // Scanner offsets are bytes; slice on a Buffer so multi-byte text before the parameter stays aligned.
    let n = names.indexOf(ident.text);
    if (n < 0) n = names.push(ident.text) - 1;
    out += byteSlice(sql, last, colon.start) + `$${n + 1}`;
    last = ident.end;
    i++;
  }
  return names.length === 0 ? sql : out + byteSlice(sql, last);
}

function byteSlice(s: string, start: number, end?: number): string {
  return Buffer.from(s, 'utf8').subarray(start, end).toString('utf8');
}
