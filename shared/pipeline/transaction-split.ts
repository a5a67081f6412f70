// The Data API runs at most 40 statements as one transaction (BatchExecuteStatement, brief §5;
// https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html). One object
// change is normally far below that (CALL + DROP/CREATE + GRANT). When a plan is longer it is split into
// ordered transactions, each safe on its own, by one rule:
//
//   The guard CALL (statement 0 of every catalog plan: epoch check + state write) goes into the LAST
//   transaction; the DDL before it keeps its order in the transactions before.
//
// Why that is safe: until the last transaction commits, the state row still holds the old version and
// signature, so any failure (or a conflict in the last transaction) makes the redelivery / retry re-plan
// from the old state and run every statement again — and every DDL statement the compiler emits is
// repeatable (DROP … IF EXISTS, CREATE OR REPLACE, CREATE after DROP IF EXISTS, GRANT). A version is never
// recorded as applied before all of its DDL is in place, so a later item is never skipped wrongly.
// What a split cannot give is atomic visibility: between the transactions analysts can see the earlier
// DDL (a view dropped and not yet re-created reads as missing — closed, not open). A guard-less statement
// never starts a transaction of its own before the CALL unless the plan is over the limit.
import type { SqlStatement } from '../sql/statement.js';

export const MAX_STATEMENTS_PER_TRANSACTION = 40;

const isGuardCall = (s: SqlStatement): boolean => /^CALL\s/i.test(s.sql);
const isSessionSet = (s: SqlStatement): boolean => /^SET\s/i.test(s.sql);
const isSessionReset = (s: SqlStatement): boolean => /^RESET\s/i.test(s.sql);

/**
 * Session settings that bracket the DDL (the compiler pins `search_path` to pg_catalog around the view DDL so
 * that no planted operator binds into a view) are repeated in EVERY part: each Data API batch is its own
 * session, and a pool may hand each part another connection, so a part must never rely on the previous
 * part's SET — a CREATE VIEW without the pin would be a hijack path.
 */
export function splitIntoTransactions(statements: readonly SqlStatement[], max = MAX_STATEMENTS_PER_TRANSACTION): SqlStatement[][] {
  if (statements.length === 0) return [];
  if (statements.length <= max) return [[...statements]];
  let rest = [...statements];
  const guard = rest[0] && isGuardCall(rest[0]) ? rest.shift() : undefined;
  const prefix: SqlStatement[] = [];
  while (rest.length > 0 && isSessionSet(rest[0]!)) prefix.push(rest.shift()!);
  const suffix: SqlStatement[] = [];
  while (rest.length > 0 && isSessionReset(rest[rest.length - 1]!)) suffix.unshift(rest.pop()!);
  const headCapacity = max - prefix.length - suffix.length;
  const lastCapacity = headCapacity - (guard ? 1 : 0);
  if (lastCapacity < 1) throw new RangeError(`a transaction of ${max} statements cannot hold the guard and the session settings`);
  const wrap = (body: SqlStatement[]) => [...prefix, ...body, ...suffix];
  // The last part: the guard, then the final DDL statements (typically the CREATE and its GRANT).
  const tailSize = Math.min(lastCapacity, rest.length);
  const head = rest.slice(0, rest.length - tailSize);
  const tail = rest.slice(rest.length - tailSize);
  const out: SqlStatement[][] = [];
  for (let i = 0; i < head.length; i += headCapacity) out.push(wrap(head.slice(i, i + headCapacity)));
  out.push([...(guard ? [guard] : []), ...wrap(tail)]);
  return out;
}
