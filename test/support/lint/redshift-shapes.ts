// Shapes the PostgreSQL parser accepts and Redshift does not (each with its AWS page), checked on the parse tree
// or, where the tree forgets the spelling, on the scanner's tokens:
// - IS TRUE / IS FALSE / IS UNKNOWN only as a predicate in a WHERE clause, never in a select list
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_Boolean_type.html);
// - LOCK [ TABLE ] name [, …] — no IN … MODE, no NOWAIT, no ONLY
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_LOCK.html);
// - CREATE USER needs PASSWORD and takes only Redshift's options; CREATE ROLE takes none
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html, r_ALTER_USER.html, r_CREATE_ROLE.html);
// - GRANT … ON LANGUAGE: USAGE only, on sql / plpgsql (https://docs.aws.amazon.com/redshift/latest/dg/r_GRANT.html);
//   plpythonu exists on Redshift but viewguard refuses it (Python UDFs reach end of support: VG407).
type Json = Record<string, unknown>;

/** Number of BooleanTest nodes (IS [NOT] TRUE/FALSE/UNKNOWN) that are not inside a WHERE clause. */
export function booleanTestsOutsideWhere(value: unknown, inWhere = false): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + booleanTestsOutsideWhere(v, inWhere), 0);
  if (!value || typeof value !== 'object') return 0;
  let count = 0;
  for (const [key, child] of Object.entries(value as Json)) {
    if (key === 'BooleanTest' && !inWhere) count++;
    if (key === 'SelectStmt' || key === 'UpdateStmt' || key === 'DeleteStmt') {
      for (const [field, part] of Object.entries(child as Json))
        count += booleanTestsOutsideWhere(part, field === 'whereClause');
      continue;
    }
    count += booleanTestsOutsideWhere(child, inWhere);
  }
  return count;
}

/** LOCK spellings the tree cannot show: `IN <mode> MODE` (the default mode looks the same as ACCESS EXCLUSIVE). */
export function lockProblems(lock: Json, tokens: readonly string[]): string[] {
  const problems: string[] = [];
  if (tokens.some((t) => t.toUpperCase() === 'MODE')) problems.push('LOCK … IN <mode> MODE');
  if (lock.nowait) problems.push('LOCK … NOWAIT');
  for (const r of (lock.relations as Json[] | undefined) ?? []) {
    if ((r.RangeVar as Json | undefined)?.inh !== true) problems.push('LOCK ONLY');
  }
  return problems;
}

/** DefElem names the parser gives each Redshift user option (CREATE/ALTER USER). */
const USER_OPTIONS = new Set(['password', 'createdb', 'superuser', 'validUntil', 'connectionlimit', 'addroleto']);

/** What a CREATE USER/ROLE/GROUP or ALTER USER cannot say on Redshift. */
export function roleProblems(kind: 'CreateRoleStmt' | 'AlterRoleStmt', n: Json): string[] {
  const options = ((n.options as Json[] | undefined) ?? []).map((o) => String((o.DefElem as Json).defname));
  const problems: string[] = [];
  const stmtType = String(n.stmt_type ?? 'ROLESTMT_USER');
  if (kind === 'CreateRoleStmt' && stmtType === 'ROLESTMT_ROLE') {
    for (const o of options) problems.push(`CREATE ROLE option ${o} (Redshift roles take none)`);
    return problems;
  }
  if (kind === 'CreateRoleStmt' && stmtType === 'ROLESTMT_GROUP') {
    for (const o of options.filter((o) => o !== 'rolemembers')) problems.push(`CREATE GROUP option ${o}`);
    return problems;
  }
  for (const o of options.filter((o) => !USER_OPTIONS.has(o)))
    problems.push(`user option ${o === 'canlogin' ? 'LOGIN/NOLOGIN' : o}`);
  if (kind === 'CreateRoleStmt' && !options.includes('password'))
    problems.push('CREATE USER without PASSWORD (Redshift requires PASSWORD … or PASSWORD DISABLE)');
  return problems;
}

const LANGUAGES = new Set(['sql', 'plpgsql']);

/** GRANT/REVOKE … ON LANGUAGE: what Redshift lacks (unsupported) and what viewguard refuses (refused). */
export function languageGrantProblems(n: Json): { unsupported: string[]; refused: string[] } {
  const names = ((n.objects as Json[] | undefined) ?? []).map((o) =>
    String((o.String as Json | undefined)?.sval ?? '').toLowerCase(),
  );
  const privileges = ((n.privileges as Json[] | undefined) ?? []).map((p) =>
    String((p.AccessPriv as Json).priv_name ?? ''),
  );
  const unsupported: string[] = [];
  const refused: string[] = [];
  if (privileges.length === 0 || privileges.some((p) => p !== 'usage'))
    unsupported.push('privileges other than USAGE on a language');
  for (const name of names) {
    if (name.startsWith('plpython'))
      refused.push(
        `USAGE ON LANGUAGE ${name}: viewguard never grants a Python language (Python UDFs reach end of support)`,
      );
    else if (!LANGUAGES.has(name)) unsupported.push(`language ${name}`);
  }
  return { unsupported, refused };
}
