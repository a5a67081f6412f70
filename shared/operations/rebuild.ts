// `viewguard rebuild`: recompute and re-apply everything the warehouse holds for us from the stored state —
// after a restore, a snapshot copy to a new cluster or an engine upgrade. First the routines (the views call the
// functions), then every live data source's view, in data source id order, each in its own bounded transaction(s)
// through the apply loop's planner (reapply.ts: guarded, a concurrent change wins). Profiles are data the views
// read as they are: they are checked (the canonical form drift checks), never rewritten. Resumable: the caller
// passes the last data source id it finished and gets a callback after each view.
import type { IntegrationConfig } from '../layout/integration-config.js';
import {
  functionDefinitions,
  procedureDefinitions,
  routineSignature,
  type RoutineDefinition,
} from '../layout/routine-definitions.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { planned, stmt, type PlannedStatement } from '../sql/statement.js';
import { packTransactions } from '../sql/transaction-packer.js';
import { reapplyView, type ReapplyResult } from './reapply.js';
import { readStoredState } from './stored-state.js';

export interface RebuildOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: IntegrationConfig;
  /** Resume after this data source id (the last one a previous run finished). */
  resumeAfter?: string;
  /** Called after each view: index (1-based) of total, and its result. */
  progress?: (done: number, total: number, result: ReapplyResult) => void | Promise<void>;
}

export interface RebuildReport {
  routines: number;
  views: ReapplyResult[];
  /** Data sources skipped because a previous run finished them (resume). */
  skipped: number;
  total: number;
}

/**
 * What the bootstrap runs for routines (all of them, or `only` these): CREATE OR REPLACE, run pinned (the
 * transaction packer brackets them with the name-resolution pin), and the grant (functions: PUBLIC may execute)
 * or revoke (procedures: the system role only).
 */
export function routineStatements(dialect: Dialect, only?: readonly RoutineDefinition[]): PlannedStatement[] {
  const out: PlannedStatement[] = [];
  for (const r of only ?? [...functionDefinitions(dialect), ...procedureDefinitions(dialect)]) {
    out.push(
      planned('ddl', r.create, { pinned: true }),
      planned(
        'grant',
        r.kind === 'function'
          ? stmt(`GRANT EXECUTE ON FUNCTION ${routineSignature(r)} TO PUBLIC`, 'functions: executable by PUBLIC')
          : stmt(`REVOKE EXECUTE ON PROCEDURE ${routineSignature(r)} FROM PUBLIC`, 'procedures: system role only'),
        { pinned: true },
      ),
    );
  }
  return out;
}

export async function rebuild(o: RebuildOptions): Promise<RebuildReport> {
  for (const tx of packTransactions([{ statements: routineStatements(o.dialect), tag: null }], o.dialect))
    await o.warehouse.transaction(tx.statements);
  const state = await readStoredState(o.warehouse, o.dialect);
  const ids = [...state.dataSources.keys()].sort();
  const todo = o.resumeAfter === undefined ? ids : ids.filter((id) => id > o.resumeAfter!);
  const report: RebuildReport = {
    routines: functionDefinitions(o.dialect).length + procedureDefinitions(o.dialect).length,
    views: [],
    skipped: ids.length - todo.length,
    total: ids.length,
  };
  for (const id of todo) {
    const result = await reapplyView(o, id);
    report.views.push(result);
    await o.progress?.(report.skipped + report.views.length, ids.length, result);
  }
  return report;
}
