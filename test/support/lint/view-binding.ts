// Redshift's rules on what a view may reference, by binding (docs/dialects.md "late-binding views"):
// - an object of another database (`database.schema.table`) only through a late-binding or materialized view:
//   "You can't create regular views on objects of other databases in the cluster"
//   (https://docs.aws.amazon.com/redshift/latest/dg/cross-database_limitation.html);
// - a late-binding view (WITH NO SCHEMA BINDING) must qualify every table and view with a schema name
//   (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html, "WITH NO SCHEMA BINDING").
// The PostgreSQL parser sees the query of CREATE VIEW as a tree; its RangeVar nodes are the relations.

type Json = Record<string, unknown>;

interface Relations {
  relations: { catalog?: string; schema?: string; name: string }[];
  cteNames: Set<string>;
}

function collect(value: unknown, out: Relations): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Json)) {
    const n = child as Json;
    if (key === 'RangeVar' && n && typeof n === 'object') {
      out.relations.push({
        ...(typeof n.catalogname === 'string' ? { catalog: n.catalogname } : {}),
        ...(typeof n.schemaname === 'string' ? { schema: n.schemaname } : {}),
        name: String(n.relname),
      });
    } else if (key === 'CommonTableExpr' && n && typeof n.ctename === 'string') {
      out.cteNames.add(n.ctename);
    }
    collect(child, out);
  }
}

/** What is wrong with a CREATE VIEW's references for its binding (empty when nothing). */
export function viewBindingProblems(viewStmt: Json, lateBinding: boolean): string[] {
  const found: Relations = { relations: [], cteNames: new Set() };
  collect(viewStmt.query, found);
  const problems: string[] = [];
  for (const r of found.relations) {
    const shown = [r.catalog, r.schema, r.name].filter((p) => p !== undefined).join('.');
    if (r.catalog !== undefined && !lateBinding) {
      problems.push(`a view over ${shown} (another database) must be late-binding (WITH NO SCHEMA BINDING)`);
    }
    if (lateBinding && r.schema === undefined && !found.cteNames.has(r.name)) {
      problems.push(`a late-binding view must qualify every table with its schema (${shown})`);
    }
  }
  return problems;
}
