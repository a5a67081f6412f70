// Rows are compared as multisets (a view has no order): every row the reference is certain of must be there,
// uncertain rows may be, and nothing else; an undefined expected cell accepts any value.
import type { Row } from '../support/reference/evaluator.js';

type Actual = (string | null)[];

const fits = (e: Row, a: Actual): boolean =>
  e.cells.length === a.length && e.cells.every((c, i) => c === undefined || c === a[i]);

export function compareRows(expected: Row[], actual: Actual[]): string | null {
  const left = [...actual];
  const take = (e: Row): boolean => {
    const i = left.findIndex((a) => fits(e, a));
    if (i < 0) return false;
    left.splice(i, 1);
    return true;
  };
  const missing = expected.filter((e) => e.certain).filter((e) => !take(e));
  for (const e of expected.filter((x) => !x.certain)) take(e);
  if (missing.length === 0 && left.length === 0) return null;
  const show = (cells: (string | null | undefined)[]): string =>
    JSON.stringify(cells.map((c) => (c === undefined ? '<any>' : c)));
  return [
    ...missing.map((e) => `missing row ${show(e.cells)}`),
    ...left.map((a) => `unexpected row ${show(a)}`),
    `expected ${expected.length} rows (${expected.filter((e) => !e.certain).length} uncertain), got ${actual.length}`,
  ].join('\n');
}
