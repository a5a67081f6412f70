// A user's groups and attribute values also as rows, immuta_system.entitlement(immuta__userid, kind, attribute,
// value): what a view's per-row membership test joins with (docs/performance.md "Membership as a join"). The
// rows are decoded in SQL from the same encoded lists the profile row stores (profile-encoding.ts), by the one
// procedure call per user change, so the two can never be written apart. Only portable SQL: SPLIT_PART,
// LENGTH, REPLACE and a derived numbers relation (no generate_series: Redshift runs it on the leader node only,
// https://docs.aws.amazon.com/redshift/latest/dg/c_sql-functions-leader-node.html).
import type { Dialect } from '../sql/dialect.js';
import { USER_ENTITLEMENT_VIEW } from './warehouse-objects.js';

export const ENTITLEMENT_KINDS = { group: 'group', attribute: 'attribute' } as const;
export type EntitlementKind = keyof typeof ENTITLEMENT_KINDS;

/** Items per list the decoding reaches (10^4); apply_user refuses a longer list instead of storing part of it. */
export const MAX_LIST_ITEMS = 10_000;

/** The number of items of an encoded list `|a|b|` (`|` is the empty list): separators − 1. NULL for NULL. */
export function itemCountSql(dialect: Dialect, listSql: string): string {
  const lit = dialect.quoteLiteral('|');
  return `(LENGTH(${listSql}) - LENGTH(REPLACE(${listSql}, ${lit}, ${dialect.quoteLiteral('')})) - 1)`;
}

/** profile-encoding.ts unescapeItem in SQL: `%7C` and `%3D` first, `%25` last (an escaped `%` is never read again). */
function unescapeSql(dialect: Dialect, itemSql: string): string {
  const l = (s: string): string => dialect.quoteLiteral(s);
  return (
    `REPLACE(REPLACE(REPLACE(${itemSql}, ${l('%7C')}, ${l('|')}` + `), ${l('%3D')}, ${l('=')}), ${l('%25')}, ${l('%')})`
  );
}

/** 0 … 10^4 − 1 as a derived table `n(i)`, from four cross-joined digit lists. */
function numbersSql(): string {
  const digit = (a: string): string =>
    `(${Array.from({ length: 10 }, (_, k) => `SELECT ${k} AS ${a}`).join(' UNION ALL ')}) ${a}`;
  return (
    `(SELECT d0.d0 + 10 * d1.d1 + 100 * d2.d2 + 1000 * d3.d3 AS i FROM ${digit('d0')} CROSS JOIN ${digit('d1')} ` +
    `CROSS JOIN ${digit('d2')} CROSS JOIN ${digit('d3')}) n`
  );
}

/**
 * SELECT immuta__userid, kind, attribute, value rows of one user's encoded groups and attributes. `from` is the
 * relation the three expressions read (empty for procedure arguments); one row per list item (item i is part
 * i + 2 of SPLIT_PART: the list starts with a separator).
 */
export function entitlementRowsSql(
  dialect: Dialect,
  src: { userid: string; groups: string; attributes: string; from?: string },
): string {
  const l = (s: string): string => dialect.quoteLiteral(s);
  const item = (list: string): string => `SPLIT_PART(${list}, ${l('|')}, n.i + 2)`;
  const from = src.from ? `${src.from} CROSS JOIN ${numbersSql()}` : numbersSql();
  const groups =
    `SELECT ${src.userid} AS immuta__userid, ${l(ENTITLEMENT_KINDS.group)} AS kind, ${l('')} AS attribute, ` +
    `${unescapeSql(dialect, item(src.groups))} AS value FROM ${from} WHERE n.i < ` +
    `${itemCountSql(dialect, src.groups)}`;
  // An escaped attribute entry is `key=value` with no other raw `=`.
  const attributes =
    `SELECT ${src.userid}, ${l(ENTITLEMENT_KINDS.attribute)}, ` +
    `${unescapeSql(dialect, `SPLIT_PART(` + `${item(src.attributes)}, ` + `${l('=')}, 1)`)}, ` +
    `${unescapeSql(dialect, `SPLIT_PART(` + `${item(src.attributes)}, ` + `${l('=')}, 2)`)} FROM ${from} WHERE n.i ` +
    `< ${itemCountSql(dialect, src.attributes)}`;
  return `${groups} UNION ALL ${attributes}`;
}

/**
 * "The row's value is one of the user's values": `<value> IN (SELECT value FROM <entitlements> WHERE kind = …)`,
 * an uncorrelated IN that both planners run as a hashed subplan with the user's few rows as the build side,
 * read once per query. Values compare exactly (the dialect's exactTextKey keeps trailing blanks significant on
 * Redshift). A NULL row value is unknown — also for a user with no such values, although `NULL IN (<no rows>)`
 * is FALSE in SQL: so the IN is wrapped in `CASE WHEN <value> IS NULL THEN NULL ELSE … END`, where `NOT` of it
 * stays unknown and a mask's `where` masks. `reading: 'filter'` (a row filter's own condition, which only ever
 * hides rows, where FALSE and unknown are alike) keeps the bare IN, as `(…) = TRUE` so that no planner pulls it
 * up into a join: one test per row less on the analyst's hottest path.
 */
export function membershipSql(
  dialect: Dialect,
  entitlements: string,
  valueSql: string,
  kind: EntitlementKind,
  attribute?: string,
  reading: 'filter' | 'value' = 'value',
): string {
  const l = (s: string): string => dialect.quoteLiteral(s);
  const where = [
    `e.kind = ${l(ENTITLEMENT_KINDS[kind])}`,
    ...(attribute !== undefined ? [`e.attribute = ${l(attribute)}`] : []),
  ];
  const member =
    `${dialect.exactTextKey(valueSql)} IN (SELECT ${dialect.exactTextKey('e.value')} FROM ${entitlements} e WHERE ` +
    `${where.join(' AND ')})`;
  return reading === 'filter' ? `(${member}) = TRUE` : `CASE WHEN ${valueSql} IS NULL THEN NULL ELSE ${member} END`;
}

/** The current user's rows (what every view reads). */
export const userEntitlements = (dialect: Dialect): string =>
  dialect.qualify(dialect.schemas.system, USER_ENTITLEMENT_VIEW);
