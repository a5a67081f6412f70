// The one place plans become transactions, for every runner: the apply loop (one work item), the combined
// batch (several items in one transaction), the bootstrap custom resource (Data API batches) and the local
// bootstrap script. The rules, all here:
//
// - At most MAX_STATEMENTS_PER_TRANSACTION statements per transaction, session statements included: the Data
//   API runs at most 40 statements as one transaction (BatchExecuteStatement, Sqls: 1..40 items).
// - A unit (one object change: its guard CALL and its DDL; or one bootstrap step) stays in one transaction.
//   Consecutive units of the same session share a transaction while they fit, unless one says `alone`.
// - Guards come first, in unit order, then the other statements in order; a transaction-wide guard (`opening`)
//   comes before them.
// - Statements that say `pinned` run with search_path pinned to pg_catalog (the dialect's pinSearchPath), so
//   what a view or routine binds to is resolved there only: SET before the first such statement of the
//   transaction, RESET after the last one — once per transaction. Each Data API batch is its own session and
//   a pool may hand each transaction another connection, so a transaction never relies on another one's SET.
// - A unit longer than a transaction is split guard-last: its DDL goes first, in order, in transactions of its
//   own, and its guard opens the last one with the final statements. Until that last transaction commits the
//   stored state keeps the old version, so any failure makes the retry re-plan and re-run everything, and
//   every DDL statement we emit is repeatable (DROP … IF EXISTS, CREATE OR REPLACE, CREATE after DROP, GRANT).
//   What a split cannot give is atomic visibility: a view dropped and not yet created reads as missing
//   (closed, not open).
import type { Dialect } from './dialect.js';
import { planned, stmt, type PlannedStatement, type SqlStatement } from './statement.js';

export const MAX_STATEMENTS_PER_TRANSACTION = 40;

/**
 * The Data API takes a statement of at most 100 KB (docs/dialects.md cites the page). The apply path
 * checks it before the call: a larger view is refused there (VG320) and fails closed, instead of failing at the
 * API on every redelivery. Counted in UTF-8 bytes, 100,000 of them.
 */
export const MAX_STATEMENT_BYTES = 100_000;

export const statementBytes = (s: SqlStatement): number => Buffer.byteLength(s.sql, 'utf8');

export interface PlanUnit<T> {
  statements: readonly PlannedStatement[];
  /** Units of different sessions never share a transaction (the bootstrap: who runs it, in which database). */
  session?: string;
  /** Shares its transaction with no other unit. */
  alone?: boolean;
  /** The caller's name for the unit (a work item, a bootstrap step), handed back with its transaction. */
  tag: T;
}

export interface PackedTransaction<T> {
  session: string;
  statements: PlannedStatement[];
  /** The units whose statements this transaction holds, in order (a split unit is in each of its parts). */
  units: T[];
}

/** Statements a transaction of these needs, the name-resolution pin included. */
export function transactionSize(statements: readonly PlannedStatement[]): number {
  return statements.length + (statements.some((s) => s.pinned) ? 2 : 0);
}

/**
 * `opening(i)`: a guard that opens the i-th transaction, ahead of every other statement and counted in its
 * size — a view set's one guard per transaction (shared/apply/apply-view-set.ts), whose units carry none.
 */
export function packTransactions<T>(
  units: readonly PlanUnit<T>[],
  dialect: Dialect,
  limit: number = MAX_STATEMENTS_PER_TRANSACTION,
  opening?: (index: number) => PlannedStatement,
): PackedTransaction<T>[] {
  const max = opening ? limit - 1 : limit;
  const out: PackedTransaction<T>[] = [];
  let open: PlanUnit<T>[] = [];
  const close = (): void => {
    if (open.length > 0) out.push(assemble(open, dialect));
    open = [];
  };
  for (const unit of units) {
    if (unit.statements.length === 0) continue;
    if (transactionSize(unit.statements) > max) {
      close();
      out.push(...split(unit, dialect, max));
      continue;
    }
    const last = open.at(-1);
    const joined = open.flatMap((u) => u.statements).concat(unit.statements);
    if (last && (last.session !== unit.session || last.alone || unit.alone || transactionSize(joined) > max)) close();
    open.push(unit);
  }
  close();
  return opening ? out.map((tx, i) => ({ ...tx, statements: [opening(i), ...tx.statements] })) : out;
}

/** Guards first, then the rest; the pin around the pinned span. */
function assemble<T>(units: readonly PlanUnit<T>[], dialect: Dialect): PackedTransaction<T> {
  const all = units.flatMap((u) => u.statements);
  const ordered = [...all.filter((s) => s.role === 'guard'), ...all.filter((s) => s.role !== 'guard')];
  const first = ordered.findIndex((s) => s.pinned);
  const statements =
    first < 0
      ? ordered
      : (() => {
          const last = ordered.findLastIndex((s) => s.pinned);
          const pin = dialect.pinSearchPath();
          return [
            ...ordered.slice(0, first),
            planned('session', stmt(pin.before, 'bind operators and functions in pg_catalog only')),
            ...ordered.slice(first, last + 1),
            planned('session', stmt(pin.after, 'restore the search_path')),
            ...ordered.slice(last + 1),
          ];
        })();
  return { session: units[0]!.session ?? '', statements, units: units.map((u) => u.tag) };
}

/** A unit over the limit: its DDL in ordered transactions first, its guard opening the last one. */
function split<T>(unit: PlanUnit<T>, dialect: Dialect, max: number): PackedTransaction<T>[] {
  const guards = unit.statements.filter((s) => s.role === 'guard');
  const rest = unit.statements.filter((s) => s.role !== 'guard');
  const capacity = max - (unit.statements.some((s) => s.pinned) ? 2 : 0);
  const lastCapacity = capacity - guards.length;
  if (lastCapacity < 1)
    throw new RangeError(`a transaction of ${max} statements cannot hold the guard and the session settings`);
  const tailSize = Math.min(lastCapacity, rest.length);
  const head = rest.slice(0, rest.length - tailSize);
  const part = (statements: PlannedStatement[]): PackedTransaction<T> => assemble([{ ...unit, statements }], dialect);
  const out: PackedTransaction<T>[] = [];
  for (let i = 0; i < head.length; i += capacity) out.push(part(head.slice(i, i + capacity)));
  out.push(part([...guards, ...rest.slice(rest.length - tailSize)]));
  return out;
}
