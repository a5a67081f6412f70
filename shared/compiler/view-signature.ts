// A view's signature: its column names and types in order. CREATE OR REPLACE VIEW keeps the view (and its
// grants) only when the signature is unchanged; otherwise the view must be dropped and created again.
// Stored as JSON text in immuta_system.datasource_state.view_signature.
// `lateBinding` (present only when true): the view was created WITH NO SCHEMA BINDING (external tables, or a
// table of another database in multi-database mode).
// A change of binding is a change of signature, so the view is dropped and created rather than replaced:
// the Redshift CREATE VIEW page documents OR REPLACE only for an identical column set and says nothing of
// turning a late-binding view into a bound one or back
// (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html).

export interface ViewSignature {
  columns: { name: string; type: string }[];
  lateBinding?: true;
}

export function sameSignature(a: ViewSignature, b: ViewSignature): boolean {
  return (
    (a.lateBinding ?? false) === (b.lateBinding ?? false) &&
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => c.name === b.columns[i]!.name && c.type === b.columns[i]!.type)
  );
}

export const serializeSignature = (s: ViewSignature): string => JSON.stringify(s);

type Stored = { columns?: unknown; lateBinding?: unknown } | null;

// Once the name is read, c is an object: no `?.` for the type.
const isColumn = (c: unknown): c is { name: string; type: string } =>
  typeof (c as { name?: unknown } | null)?.name === 'string' && typeof (c as { type?: unknown }).type === 'string';

/** Parse a stored signature; null when absent or unreadable (the caller then drops and re-creates). */
export function parseSignature(text: string | null | undefined): ViewSignature | null {
  let v: Stored = null;
  try {
    // Absent parses as JSON null ("null") or not at all ("undefined"): unknown either way.
    v = JSON.parse(String(text)) as Stored;
  } catch {
    // not JSON: v stays null, unknown below
  }
  const columns = v?.columns;
  if (!Array.isArray(columns) || !columns.every(isColumn)) return null;
  const out = columns.map((c) => ({ name: c.name, type: c.type }));
  return v!.lateBinding === true ? { columns: out, lateBinding: true } : { columns: out };
}
