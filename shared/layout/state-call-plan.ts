// The first statement of every catalog transaction: a CALL of the guard procedure that checks the epoch the
// change was compiled against and stores the new state (docs/architecture.md "One object change = one
// transaction"). Every value is a bound parameter; the CASTs give untyped Data API / $n parameters the
// procedure's argument types so that the call resolves the same way on both engines.
import type { Dialect } from '../sql/dialect.js';
import { planned, stmt, type PlannedStatement, type SqlParamValue, type SqlStatement } from '../sql/statement.js';
import { procedureArgs, type RoutineArg } from './routine-definitions.js';
import { PROCEDURES, procedureName } from './warehouse-objects.js';

/** `CALL schema.proc(CAST(:p_x AS type), …)` with one parameter per argument (named after the argument). */
export function callStatement(
  dialect: Dialect,
  procedure: string,
  args: RoutineArg[],
  values: Record<string, SqlParamValue>,
  comment: string,
): SqlStatement {
  const missing = args.filter((a) => !Object.hasOwn(values, a.name)).map((a) => a.name);
  if (missing.length > 0) throw new Error(`CALL ${procedure}: missing ${missing.join(', ')}`);
  const list = args.map((a) => `CAST(:${a.name} AS ${a.type})`).join(', ');
  const params: Record<string, SqlParamValue> = {};
  for (const a of args) params[a.name] = values[a.name] ?? null;
  return stmt(`CALL ${procedureName(dialect, procedure)}(${list})`, comment, params);
}

export interface DatasourceStateChange {
  datasourceId: string;
  version: number;
  deleted: boolean;
  /** The full data source definition (stored as JSON text); null for a tombstone without one. */
  definition: unknown;
  /** Signature of the view this transaction leaves behind (null when the view is dropped). */
  viewSignature: string | null;
  expectedEpoch: number;
}

/** The parameter of both guards that carries the epoch the change was planned against. */
const EXPECTED_EPOCH = 'p_expected_epoch';

const guard = (call: SqlStatement, bumpsEpoch: boolean): PlannedStatement => ({
  ...planned('guard', call),
  guard: { bumpsEpoch },
});

/** The same guard expecting another epoch: a combined transaction chains its guards (apply-work-batch.ts). */
export function withExpectedEpoch(statement: PlannedStatement, epoch: number): PlannedStatement {
  if (statement.role !== 'guard' || !statement.params || !Object.hasOwn(statement.params, EXPECTED_EPOCH))
    throw new Error('not a guard CALL');
  return { ...statement, params: { ...statement.params, [EXPECTED_EPOCH]: epoch } };
}

/**
 * The guards of one transaction expecting the epochs they will find when they run in order: the first `epoch`,
 * each later one `epoch` plus the bumps of the guards before it. Every other statement is kept as it is.
 */
export function chainExpectedEpochs(
  statements: readonly PlannedStatement[],
  epoch: number,
): { statements: PlannedStatement[]; epochAfter: number } {
  let expected = epoch;
  const out = statements.map((s) => {
    if (s.role !== 'guard') return s;
    const patched = withExpectedEpoch(s, expected);
    if (s.guard?.bumpsEpoch) expected++;
    return patched;
  });
  return { statements: out, epochAfter: expected };
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** The data source guard: every commit stores a new version, so it bumps the epoch. */
export function planDatasourceStateCall(change: DatasourceStateChange, dialect: Dialect): PlannedStatement {
  const call = callStatement(
    dialect,
    PROCEDURES.applyDatasource,
    procedureArgs(dialect).applyDatasource,
    {
      p_id: change.datasourceId,
      p_version: change.version,
      p_deleted: change.deleted,
      p_definition: json(change.definition),
      p_view_signature: change.viewSignature,
      [EXPECTED_EPOCH]: change.expectedEpoch,
    },
    `data source ${change.datasourceId} v${change.version}${change.deleted ? ' (deleted)' : ''}`,
  );
  return guard(call, true);
}

export interface PolicyStateChange {
  policyId: string;
  version: number;
  deleted: boolean;
  definition: unknown;
  /** The view this transaction replaces, whose signature is recorded; null for none. */
  datasourceId: string | null;
  viewSignature: string | null;
  expectedEpoch: number;
  /**
   * False when the catalog already holds this version or a newer one: apply_policy then leaves the epoch alone. Default
   * true.
   */
  storesNewVersion?: boolean;
}

export function planPolicyStateCall(change: PolicyStateChange, dialect: Dialect): PlannedStatement {
  const call = callStatement(
    dialect,
    PROCEDURES.applyPolicy,
    procedureArgs(dialect).applyPolicy,
    {
      p_id: change.policyId,
      p_version: change.version,
      p_deleted: change.deleted,
      p_definition: json(change.definition),
      p_datasource_id: change.datasourceId,
      p_view_signature: change.viewSignature,
      [EXPECTED_EPOCH]: change.expectedEpoch,
    },
    `policy ${change.policyId} v${change.version}${change.deleted ? ' (deleted)' : ''}`,
  );
  return guard(call, change.storesNewVersion ?? true);
}
