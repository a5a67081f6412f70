// How a user's entitlements are stored in immuta_system.profile: each list column is `|a|b|c|`, each item
// percent-escaped for `%`, `|` and `=` so that no item can contain a separator; attributes are
// `|key=value|key=value|`. Membership is then a plain substring test that every engine has:
// POSITION('|item|' IN column) > 0 (an escaped item has no `|`, so the needle can only match one whole item).
// Items are sorted and de-duplicated: a profile is a set, and equal sets must store equal text.
import type { Dialect } from '../sql/dialect.js';

const SEP = '|';

/** Escape one item: `%` first (so the escapes themselves stay unambiguous), then `|` and `=`. */
export function escapeItem(item: string): string {
  return item.replace(/%/g, '%25').replace(/\|/g, '%7C').replace(/=/g, '%3D');
}

export function unescapeItem(escaped: string): string {
  // One pass, so that an escape produced by `%25` is never read again as another escape.
  return escaped.replace(/%(25|7C|3D)/g, (_m, code: string) => (code === '25' ? '%' : code === '7C' ? '|' : '='));
}

const sortUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** `|a|b|`; the empty list is `|` (never matches a needle, and stays distinct from the list [""] = `||`). */
export function encodeList(items: Iterable<string>): string {
  const escaped = sortUnique([...items].map(escapeItem));
  return escaped.length === 0 ? SEP : `${SEP}${escaped.join(SEP)}${SEP}`;
}

export function decodeList(encoded: string): string[] {
  if (!encoded.startsWith(SEP) || !encoded.endsWith(SEP)) throw new Error('not an encoded list');
  if (encoded === SEP) return [];
  return encoded.slice(1, -1).split(SEP).map(unescapeItem);
}

/** `|key=value|`, one entry per (key, value) pair. */
export function encodeAttributes(attributes: Readonly<Record<string, readonly string[]>>): string {
  const pairs: string[] = [];
  for (const [key, values] of Object.entries(attributes)) {
    for (const value of values) pairs.push(`${escapeItem(key)}=${escapeItem(value)}`);
  }
  const sorted = sortUnique(pairs);
  return sorted.length === 0 ? SEP : `${SEP}${sorted.join(SEP)}${SEP}`;
}

export function decodeAttributes(encoded: string): Record<string, string[]> {
  if (!encoded.startsWith(SEP) || !encoded.endsWith(SEP)) throw new Error('not encoded attributes');
  const out: Record<string, string[]> = {};
  if (encoded === SEP) return out;
  for (const pair of encoded.slice(1, -1).split(SEP)) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new Error('attribute entry without =');
    const key = unescapeItem(pair.slice(0, eq));
    (out[key] ??= []).push(unescapeItem(pair.slice(eq + 1)));
  }
  return out;
}

/** The exact text to search for in a list column (groups, projects, purposes, datasources). */
export const listNeedle = (item: string): string => `${SEP}${escapeItem(item)}${SEP}`;
export const groupNeedle = listNeedle;
export const projectNeedle = listNeedle;
export const purposeNeedle = listNeedle;
export const dataSourceNeedle = listNeedle;
/**
 * The purposes column holds the acknowledged purposes (`|fraud|research|`) and, as extra items, the purposes
 * the user currently ACTS UNDER (shared/policy/purposes.ts) marked with a leading `=`: `|=fraud|fraud|research|`.
 * An escaped item never contains a raw `=`, so `|=x|` can only match an active-purpose item and `|x|` only an
 * acknowledged one. v1 readers that only look for `|x|` are unaffected.
 */
export function encodePurposes(acknowledged: Iterable<string>, active: Iterable<string>): string {
  const items = [
    ...new Set([...acknowledged].map(escapeItem)),
    ...new Set([...active].map((p) => `=${escapeItem(p)}`)),
  ].sort();
  return items.length === 0 ? SEP : `${SEP}${[...new Set(items)].join(SEP)}${SEP}`;
}
/** Needle of a purpose the user acts under (in the purposes column). */
export const activePurposeNeedle = (purpose: string): string => `${SEP}=${escapeItem(purpose)}${SEP}`;

/** The exact text to search for in the attributes column. */
export const attributeNeedle = (key: string, value: string): string =>
  `${SEP}${escapeItem(key)}=${escapeItem(value)}${SEP}`;

/** JS membership, the reference the SQL form is tested against. */
export const encodedContains = (encoded: string, needle: string): boolean => encoded.includes(needle);

// ---------------------------------------------------------------------------------------------- SQL

/** `POSITION(<needle> IN <column>) > 0` for a constant needle (quoted by the dialect). */
export function containsConstantSql(dialect: Dialect, columnSql: string, needle: string): string {
  return `POSITION(${dialect.quoteLiteral(needle)} IN ${columnSql}) > 0`;
}

/** SQL for the needle of a per-row value (a varchar expression): immuta_functions.f_list_item(<value>). */
export function listItemNeedleSql(dialect: Dialect, valueSql: string): string {
  return `${dialect.qualify(dialect.schemas.functions, LIST_ITEM_FUNCTION)}(${valueSql})`;
}

/** SQL for the attribute needle of a constant key and a per-row value: immuta_functions.f_attribute_item(k, v). */
export function attributeItemNeedleSql(dialect: Dialect, key: string, valueSql: string): string {
  return (
    `${dialect.qualify(dialect.schemas.functions, ATTRIBUTE_ITEM_FUNCTION)}(${dialect.quoteLiteral(key)}, ` +
    `${valueSql})`
  );
}

/** `POSITION(<needle sql> IN <column>) > 0`; a NULL row value gives NULL, which a filter treats as false. */
export const containsSql = (columnSql: string, needleSql: string): string =>
  `POSITION(${needleSql} IN ${columnSql}) > 0`;

export const LIST_ITEM_FUNCTION = 'f_list_item';
export const ATTRIBUTE_ITEM_FUNCTION = 'f_attribute_item';
