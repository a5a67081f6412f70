// One plan's statements through the transaction packer to the warehouse, and what that came to. The Data API's
// statement size limit is checked here for the whole plan before anything is sent, so an oversize view is a
// refusal (it fails closed with VG320) rather than an API error on every redelivery, and no part of a split plan
// commits before a later part is found too large.
import type { Refusal } from '../compiler/fail-closed-plan.js';
import { WarehouseError } from '../ports/warehouse.js';
import type { PlannedStatement } from '../sql/statement.js';
import {
  MAX_STATEMENT_BYTES,
  MAX_STATEMENTS_PER_TRANSACTION,
  packTransactions,
  statementBytes,
} from '../sql/transaction-packer.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import type { ApplyOutcome } from './apply-outcome.js';

export interface RunDeps {
  warehouse: Warehouse;
  dialect: Dialect;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Default 40 (the Data API's BatchExecuteStatement limit). */
  maxStatementsPerTransaction?: number;
}

export type RunResult =
  | { kind: 'committed' }
  /** The guard found the catalog changed since the read: re-read and re-plan. */
  | { kind: 'conflict'; reason: string }
  /** The guard found this version (or a newer one) applied. */
  | { kind: 'stale'; reason: string }
  /** A view statement of the plan (`at` = its index in the plan) was refused. */
  | { kind: 'refused'; at: number; refusal: Refusal }
  | { kind: 'failed'; failure: 'transient' | 'permanent'; reason: string };

/** Refuses to send a plan with a statement over the size limit; otherwise runs its transactions in order. */
export async function runPlan(
  statements: readonly PlannedStatement[],
  deps: RunDeps,
  outcome: ApplyOutcome,
): Promise<RunResult> {
  const oversize = statements.findIndex((s) => statementBytes(s) > MAX_STATEMENT_BYTES);
  if (oversize >= 0) {
    const s = statements[oversize]!;
    const reason =
      `statement ${oversize}${s.comment ? ` (${s.comment})` : ''} is ${statementBytes(s)} bytes; the Data API ` +
      `takes at most ${MAX_STATEMENT_BYTES}`;
    return { kind: 'refused', at: oversize, refusal: { statement: s, reason, code: 'VG320' } };
  }
  const now = deps.now ?? Date.now;
  const started = now();
  try {
    for (const { statements: tx } of packTransactions(
      [{ statements, tag: null }],
      deps.dialect,
      deps.maxStatementsPerTransaction ?? MAX_STATEMENTS_PER_TRANSACTION,
    )) {
      try {
        await deps.warehouse.transaction(tx);
      } catch (err) {
        outcome.statements.failed += 1;
        outcome.statements.aborted += tx.length - 1;
        // Whatever the plan compiled to, it did not commit.
        outcome.failedClosed = false;
        return answer(err, tx, statements);
      }
      outcome.transactions++;
      outcome.statements.finished += tx.length;
    }
    return { kind: 'committed' };
  } finally {
    outcome.durations.transactionMs += now() - started;
  }
}

function answer(err: unknown, tx: readonly PlannedStatement[], plan: readonly PlannedStatement[]): RunResult {
  if (!(err instanceof WarehouseError))
    return { kind: 'failed', failure: 'permanent', reason: err instanceof Error ? err.message : String(err) };
  switch (err.kind) {
    case 'conflict':
    case 'stale':
      return { kind: err.kind, reason: err.message };
    case 'transient':
      return { kind: 'failed', failure: 'transient', reason: err.message };
    case 'permanent': {
      // The engine ran the transaction and refused one of its view statements. Not when the failing statement
      // is unknown (a DescribeStatement error: the batch may even have committed) or is the guard CALL (a layout
      // problem, not the view's): failing closed then could replace a correct view and record its version.
      const failed = err.statementIndex === undefined ? undefined : tx[err.statementIndex];
      if (failed && (failed.role === 'ddl' || failed.role === 'drop' || failed.role === 'grant')) {
        return {
          kind: 'refused',
          at: plan.indexOf(failed),
          refusal: { statement: failed, reason: err.message, code: 'VG308' },
        };
      }
      return { kind: 'failed', failure: 'permanent', reason: err.message };
    }
  }
}
