// How result values look to callers, the same on every warehouse adapter (PGlite, pg, Data API), so that the
// pipeline never branches on the engine: BIGINT is a JS number while it is a safe integer (epochs and
// versions are) and a decimal string beyond that (never a silently rounded number); NUMERIC/DECIMAL is a
// string (exact); dates and times are the engine's text (the Data API returns text too); booleans, other
// integers and floats are native; everything else (text, varchar, json) is what the driver gives.
export function int8Value(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

const identity = (text: string): string => text;

/** PostgreSQL type OIDs whose default parsing we override (pg_type.oid; stable across versions). */
export const RESULT_PARSERS: Record<number, (text: string) => unknown> = {
  20: int8Value, // int8
  1700: identity, // numeric
  1082: identity, // date
  1083: identity, // time
  1114: identity, // timestamp
  1184: identity, // timestamptz
  1266: identity, // timetz
};
