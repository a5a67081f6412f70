// What generated SQL travels as: text plus named parameters (`:name` in the text), so that values such as
// the hashing key are bound, never spliced into text that could be logged. The Data API takes the same
// `:name` form; the PostgreSQL adapters rewrite it to $n.
export type SqlParamValue = string | number | boolean | null;

export interface SqlStatement {
  sql: string;
  params?: Record<string, SqlParamValue>;
  /** Why this statement exists (plan comment, like atlas/pg-schema-diff); never contains secrets. */
  comment?: string;
}

export const stmt = (sql: string, comment?: string, params?: Record<string, SqlParamValue>): SqlStatement => ({
  sql,
  ...(comment ? { comment } : {}),
  ...(params ? { params } : {}),
});
