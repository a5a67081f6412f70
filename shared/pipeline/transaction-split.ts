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

export function splitIntoTransactions(statements: readonly SqlStatement[], max = MAX_STATEMENTS_PER_TRANSACTION): SqlStatement[][] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError('a transaction must hold at least 2 statements to be split');
  if (statements.length === 0) return [];
  if (statements.length <= max) return [[...statements]];
  const [first, ...rest] = statements;
  const guard = first && isGuardCall(first) ? first : undefined;
  const ddl = guard ? rest : [...statements];
  if (!guard) {
    // No guard (e.g. a bootstrap-style script): plain ordered chunks.
    const out: SqlStatement[][] = [];
    for (let i = 0; i < ddl.length; i += max) out.push(ddl.slice(i, i + max));
    return out;
  }
  // The last transaction: the guard plus the final max-1 DDL statements (typically the CREATE + GRANTs).
  const tailSize = Math.min(max - 1, ddl.length);
  const head = ddl.slice(0, ddl.length - tailSize);
  const tail = ddl.slice(ddl.length - tailSize);
  const out: SqlStatement[][] = [];
  for (let i = 0; i < head.length; i += max) out.push(head.slice(i, i + max));
  out.push([guard, ...tail]);
  return out;
}
