// Plain-text tables for the `viewguard` commands' human output (`--json` prints the result object instead).
export type Cell = string | number | boolean | null | undefined;

const show = (c: Cell): string => (c === null || c === undefined ? '-' : String(c));

/** Left-aligned columns, two spaces apart, a header line; `indent` before every line. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], indent = '  '): string[] {
  const cells = [header.map(show), ...rows.map((r) => r.map(show))];
  const widths = header.map((_h, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return cells.map(line).map((l) => l.trimEnd());
}

export const list = (xs: readonly string[]): string => (xs.length === 0 ? '-' : xs.join(', '));
