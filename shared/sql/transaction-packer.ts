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
// - A caller may hand a `bundle` (a view set does: shared/apply/apply-view-set.ts): consecutive pinned statements
//   without parameters then travel several to one CALL of a procedure that runs them with the same pin as its
//   own setting (shared/layout/pinned-runner.ts), so a transaction of 40 statements holds far more than 37
//   views. A statement the bundle cannot carry (too long, bound parameters) stays a statement of its own under
//   SET/RESET as above. The CALL keeps the statements it carries (`bundled`), so a refusal still names them.
import type { Dialect } from './dialect.js';
import { planned, stmt, type PlannedStatement, type SqlStatement } from './statement.js';

export const MAX_STATEMENTS_PER_TRANSACTION = 40;

/**
 * The Data API takes a statement of at most 100 KB (docs/dialects.md cites the page). The apply path
 * checks it before the call: a larger view is refused there (VG320) and fails closed, instead of failing at the
 * API on every redelivery. Counted in UTF-8 bytes, 100,000 of them.
 */
export const MAX_STATEMENT_BYTES = 100_000;

export const statementBytes = (s: SqlStatement): number => Buffer.byteLength(s.sql); // UTF-8, Buffer's default

export interface PlanUnit<T> {
  statements: readonly PlannedStatement[];
  /** Units of different sessions never share a transaction (the bootstrap: who runs it, in which database). */
  session?: string;
  /** Shares its transaction with no other unit. */
  alone?: boolean;
  /** The caller's name for the unit (a work item, a bootstrap step), handed back with its transaction. */
  tag: T;
}

/**
 * How pinned statements travel several to one statement (see the file comment). `call` builds the CALL for at
 * most `perCall` statements, each of at most `maxBytes` UTF-8 bytes; the packer keeps the statements of one CALL
 * together within MAX_STATEMENT_BYTES.
 */
export interface Bundle {
  perCall: number;
  maxBytes: number;
  call(statements: readonly PlannedStatement[]): PlannedStatement;
}

export interface PackOptions {
  /**
   * A guard that opens the i-th transaction, ahead of every other statement and counted in its size — a view
   * set's one guard per transaction (shared/apply/apply-view-set.ts), whose units carry none.
   */
  opening?: (index: number) => PlannedStatement;
  bundle?: Bundle;
  /** At most this many units share a transaction (a view set bounds how long one transaction holds its views). */
  maxUnits?: number;
}

export interface PackedTransaction<T> {
  session: string;
  statements: PlannedStatement[];
  /** The units whose statements this transaction holds, in order (a split unit is in each of its parts). */
  units: T[];
}

/** Statements a transaction of these needs, the name-resolution pin (or the bundles) included. */
export function transactionSize(statements: readonly PlannedStatement[], bundle?: Bundle): number {
  const carried = bundle ? grouped(ordered(statements), bundle) : statements;
  // A CALL (an array here) carries its own pin; a statement still pinned needs the SET/RESET pair.
  return carried.length + (carried.some((s) => !Array.isArray(s) && s.pinned) ? 2 : 0);
}

export function packTransactions<T>(
  units: readonly PlanUnit<T>[],
  dialect: Dialect,
  limit: number = MAX_STATEMENTS_PER_TRANSACTION,
  options: PackOptions = {},
): PackedTransaction<T>[] {
  const { opening, bundle, maxUnits = Infinity } = options;
  const max = opening ? limit - 1 : limit;
  const out: PackedTransaction<T>[] = [];
  let open: PlanUnit<T>[] = [];
  const close = (): void => {
    if (open.length > 0) out.push(assemble(open, dialect, bundle));
    open = [];
  };
  for (const unit of units) {
    if (unit.statements.length === 0) continue;
    if (transactionSize(unit.statements, bundle) > max) {
      close();
      out.push(...split(unit, dialect, max));
      continue;
    }
    const last = open.at(-1);
    const joined = open.flatMap((u) => u.statements).concat(unit.statements);
    const full = open.length >= maxUnits || transactionSize(joined, bundle) > max;
    if (last && (last.session !== unit.session || last.alone || unit.alone || full)) close();
    open.push(unit);
  }
  close();
  return opening ? out.map((tx, i) => ({ ...tx, statements: [opening(i), ...tx.statements] })) : out;
}

/** Guards first, then the rest in order. */
const ordered = (all: readonly PlannedStatement[]): PlannedStatement[] => [
  ...all.filter((s) => s.role === 'guard'),
  ...all.filter((s) => s.role !== 'guard'),
];

/**
 * The statements grouped as they will be sent: runs of consecutive pinned statements the bundle can carry (each
 * run one CALL of up to `perCall`, within MAX_STATEMENT_BYTES), every other statement on its own. Counting needs
 * only the grouping; the CALLs are built once, when the transaction is assembled.
 */
function grouped(statements: readonly PlannedStatement[], bundle: Bundle): (PlannedStatement | PlannedStatement[])[] {
  const out: (PlannedStatement | PlannedStatement[])[] = [];
  let run: PlannedStatement[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (run.length > 0) out.push(run);
    run = [];
    bytes = 0;
  };
  for (const s of statements) {
    const size = statementBytes(s);
    if (!s.pinned || s.params || size > bundle.maxBytes) {
      flush();
      out.push(s);
      continue;
    }
    if (run.length === bundle.perCall || bytes + size > MAX_STATEMENT_BYTES) flush();
    run.push(s);
    bytes += size;
  }
  flush();
  return out;
}

/** The pin (SET … RESET) around the span of statements still pinned, once. */
function withPin(statements: PlannedStatement[], dialect: Dialect): PlannedStatement[] {
  const first = statements.findIndex((s) => s.pinned);
  if (first < 0) return statements;
  const last = statements.findLastIndex((s) => s.pinned);
  const pin = dialect.pinSearchPath();
  return [
    ...statements.slice(0, first),
    planned('session', stmt(pin.before, 'bind operators and functions in pg_catalog only')),
    ...statements.slice(first, last + 1),
    planned('session', stmt(pin.after, 'restore the search_path')),
    ...statements.slice(last + 1),
  ];
}

/** Guards first, then the rest (bundled when the caller gave a bundle); the pin around what is still pinned. */
function assemble<T>(units: readonly PlanUnit<T>[], dialect: Dialect, bundle?: Bundle): PackedTransaction<T> {
  const all = ordered(units.flatMap((u) => u.statements));
  const sent = bundle ? grouped(all, bundle).map((s) => (Array.isArray(s) ? bundle.call(s) : s)) : all;
  const statements = withPin(sent, dialect);
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
