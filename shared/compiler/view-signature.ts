// A view's signature: its column names and types in order. CREATE OR REPLACE VIEW keeps the view (and its
// grants) only when the signature is unchanged; otherwise the view must be dropped and created again.
// Stored as JSON text in immuta_system.datasource_state.view_signature.

export interface ViewSignature {
  columns: { name: string; type: string }[];
}

export function sameSignature(a: ViewSignature, b: ViewSignature): boolean {
  return a.columns.length === b.columns.length && a.columns.every((c, i) => c.name === b.columns[i]!.name && c.type === b.columns[i]!.type);
}

export const serializeSignature = (s: ViewSignature): string => JSON.stringify(s);

/** Parse a stored signature; null when absent or unreadable (the caller then drops and re-creates). */
export function parseSignature(text: string | null | undefined): ViewSignature | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (
      typeof v === 'object' && v !== null && Array.isArray((v as ViewSignature).columns) &&
      (v as ViewSignature).columns.every((c) => typeof c?.name === 'string' && typeof c?.type === 'string')
    ) {
      return { columns: (v as ViewSignature).columns.map((c) => ({ name: c.name, type: c.type })) };
    }
  } catch {
    /* unreadable → unknown */
  }
  return null;
}
