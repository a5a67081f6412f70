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

/**
 * What a plan statement is, so that nothing downstream recognises a statement by its text:
 * - guard:   the CALL that checks the catalog epoch a change was planned against and stores its new state;
 *            it commits with the DDL it guards (`guard` says which epoch it expects and whether it bumps it);
 * - state:   a state write without an epoch check (a user's profile);
 * - ddl:     creates, replaces or hands over an object (views, schemas, tables, routines, roles);
 * - drop:    drops an object (a view whose columns change, a renamed or deleted data source's view, a schema);
 * - grant:   GRANT / REVOKE / default privileges;
 * - write:   rows written by the plan itself (the epoch seed, the hashing key);
 * - session: a session setting the transaction packer adds (the name-resolution pin, acting as a role).
 */
export type StatementRole = 'guard' | 'state' | 'ddl' | 'drop' | 'grant' | 'write' | 'session';

export interface PlannedStatement extends SqlStatement {
  role: StatementRole;
  /**
   * The statement must run with name resolution pinned to pg_catalog (the dialect's pinSearchPath): what it
   * creates binds operators and functions for ever. The packer brackets such statements, once per transaction.
   */
  pinned?: true;
  /**
   * Set on a guard: whether its commit bumps the catalog epoch (so a later guard of the same transaction expects one
   * more).
   */
  guard?: { bumpsEpoch: boolean };
  /**
   * Set on a CALL the transaction packer made to carry several pinned statements (its `bundle`): the statements
   * it runs, in order, so that a refusal of the CALL still names what it held.
   */
  bundled?: readonly PlannedStatement[];
}

export function planned(
  role: StatementRole,
  statement: SqlStatement,
  options: { pinned?: boolean } = {},
): PlannedStatement {
  return { ...statement, role, ...(options.pinned ? { pinned: true as const } : {}) };
}
