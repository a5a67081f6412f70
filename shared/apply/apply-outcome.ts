// What applying one work item came to — the record every reporter reads (the Lambda's logs and metrics, the
// local /status) — and the failure that carries it. Every path that reports an item (the apply loop, a
// combined transaction, an unreadable message) starts from startOutcome, so no counter is left out of one.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { WorkItem } from '../routing/work-item.js';

export interface StatementCounts {
  /** Statements in transactions that committed. */
  finished: number;
  /** The statement a failed transaction failed on (one per failed transaction). */
  failed: number;
  /** The other statements of failed transactions: rolled back with it (Data API ABORTED/not run). */
  aborted: number;
}

export interface ApplyOutcome {
  status: 'applied' | 'skipped' | 'failed';
  kind: WorkItem['kind'] | 'unreadable';
  /** e.g. `policy:p1@view:ds1`. */
  object: string;
  version: number;
  eventId: string;
  /** Why it was skipped or failed (never a secret: warehouse messages are redacted by the adapters). */
  reason?: string;
  /** Plans tried (1 + conflicts re-read). */
  attempts: number;
  conflicts: number;
  transactions: number;
  statements: StatementCounts;
  /** Compiler diagnostics (VG301 = the view fails closed: visible in logs, metrics and status). */
  diagnostics: Diagnostic[];
  failedClosed: boolean;
  /** Items sent for views the router's fan-out missed. */
  refannedOut: number;
  durations: { readMs: number; planMs: number; transactionMs: number; totalMs: number };
  /** Event time → the last transaction FINISHED (applied only). */
  endToEndLagMs?: number;
  /**
   * Applied in one transaction together with other items of its batch (apply-work-batch.ts): how many items
   * that transaction held. `transactions` is then 1 for each of them (the same one).
   */
  combinedWith?: number;
  /** A view set (apply-view-set.ts): how many views the item carried. */
  views?: number;
}

export class ApplyFailure extends Error {
  constructor(
    readonly failureKind: 'transient' | 'permanent',
    readonly outcome: ApplyOutcome,
  ) {
    super(`${failureKind}: ${outcome.reason ?? 'unknown failure'}`);
    this.name = 'ApplyFailure';
  }
}

export type OutcomeIdentity = Pick<ApplyOutcome, 'kind' | 'object' | 'version' | 'eventId'>;

/** The outcome of one work item before anything ran: every counter at zero, no diagnostics, not failed closed. */
export function startOutcome(identity: OutcomeIdentity): ApplyOutcome {
  return {
    status: 'applied',
    ...identity,
    attempts: 0,
    conflicts: 0,
    transactions: 0,
    statements: { finished: 0, failed: 0, aborted: 0 },
    diagnostics: [],
    failedClosed: false,
    refannedOut: 0,
    durations: { readMs: 0, planMs: 0, transactionMs: 0, totalMs: 0 },
  };
}
