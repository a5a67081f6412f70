// The largest string an expression can produce, in both units an engine may count (characters, UTF-8 bytes),
// and whether it may contain a character outside ASCII. The compiler computes one for every masked column and
// asks the dialect (stringType / stringMisfit) whether the column's type can hold it: PostgreSQL counts
// characters, Redshift counts bytes and its CHAR takes single-byte characters only (docs/dialects.md).

export interface TextBound {
  /** Most characters; null = no limit known. */
  chars: number | null;
  /** Most UTF-8 bytes; null = no limit known. */
  bytes: number | null;
  /** A value may contain a character that takes more than one byte. */
  multiByte: boolean;
}

/** What NULL (or no branch at all) can produce. */
export const EMPTY_TEXT: TextBound = { chars: 0, bytes: 0, multiByte: false };

/** One known string. */
export function textOf(value: string): TextBound {
  const chars = [...value].length;
  const bytes = Buffer.byteLength(value, 'utf8');
  return { chars, bytes, multiByte: bytes > chars };
}

/** ASCII text of at most `width` characters (a number, date or hash rendered as text). */
export const asciiText = (width: number): TextBound => ({ chars: width, bytes: width, multiByte: false });

const max = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.max(a, b));

/** Any of several branches (CASE): the widest of each. */
export function eitherText(...bounds: TextBound[]): TextBound {
  return bounds.reduce(
    (a, b) => ({ chars: max(a.chars, b.chars), bytes: max(a.bytes, b.bytes), multiByte: a.multiByte || b.multiByte }),
    EMPTY_TEXT,
  );
}

const times = (n: number | null, k: number): number | null => (n === null ? null : n * k);
const plus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

/**
 * Every character of `source` may be replaced by `replacement` (partial masks: one mask character per hidden
 * character): at most as many characters, each at most as wide as the wider of the two.
 */
export function replacedEach(source: TextBound, replacement: string): TextBound {
  const r = textOf(replacement);
  return {
    chars: source.chars,
    bytes: times(source.bytes, Math.max(1, r.bytes ?? 1)),
    multiByte: source.multiByte || r.multiByte,
  };
}

/**
 * A regular-expression replace of every match: n characters hold at most n + 1 matches (empty matches
 * included), so the result has at most n + (n + 1)·r characters for a replacement of r characters — or at most
 * n (and n bytes times the replacement's width) when the pattern cannot match the empty string and the
 * replacement is at most one character.
 */
export function replacedMatches(source: TextBound, replacement: string, matchesEmpty: boolean): TextBound {
  const r = textOf(replacement);
  if (!matchesEmpty && (r.chars ?? 0) <= 1) return replacedEach(source, replacement);
  const count = (n: number | null, unit: number | null): number | null => plus(n, times(plus(n, 1), unit ?? 0));
  return {
    chars: count(source.chars, r.chars),
    bytes: count(source.bytes, r.bytes),
    multiByte: source.multiByte || r.multiByte,
  };
}
