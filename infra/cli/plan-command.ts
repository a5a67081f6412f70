// `viewguard plan <file | dir>... [--sql] [--users a,b]`: read the events / desired state, plan them
// (shared/operations/plan.ts) and print per view what would happen, the users whose rows change and, with
// --sql, every statement the apply would run, transaction by transaction.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { plan, type Plan, type PlannedItem } from '../../shared/operations/plan.js';
import { desiredStateEvents, readPlanInput, type PlanFile } from '../../shared/operations/plan-input.js';
import { readProfiles, readStoredState } from '../../shared/operations/stored-state.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { UsageError } from './connect.js';
import { list, table } from './render.js';

/** Files as given; a directory contributes its *.json files (recursively), in name order. */
export function planFiles(paths: readonly string[]): PlanFile[] {
  const out: PlanFile[] = [];
  const visit = (path: string): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`cannot read ${path}`);
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        const child = join(path, name);
        if (statSync(child).isDirectory() || name.endsWith('.json')) visit(child);
      }
    } else out.push({ name: path, text: readFileSync(path, 'utf8') });
  };
  for (const p of paths) visit(p);
  return out;
}

export interface PlanCommandInput {
  paths: readonly string[];
  users?: readonly string[];
}

export async function runPlan(
  c: {
    warehouse: Parameters<typeof plan>[0]['warehouse'];
    dialect: Parameters<typeof plan>[0]['dialect'];
    config: Parameters<typeof plan>[0]['config'];
  },
  input: PlanCommandInput,
): Promise<Plan> {
  if (input.paths.length === 0)
    throw new UsageError('plan takes event files or desired-state directories: viewguard plan <file | dir>...');
  const read = readPlanInput(planFiles(input.paths));
  if (!read.ok) throw new DiagnosticError(read.diagnostics);
  const events = [...read.input.events];
  if (read.input.desired.length > 0) {
    const state = await readStoredState(c.warehouse, c.dialect);
    const profiles = await readProfiles(c.warehouse, c.dialect);
    for (const d of read.input.desired) events.push(...desiredStateEvents(d, state, profiles, new Date()));
  }
  return plan({ ...c, events, ...(input.users ? { users: input.users } : {}) });
}

/** Exit 1 when a view would fail closed. */
export const planHasFindings = (p: Plan): boolean => p.views.some((v) => v.action === 'fail-closed');

const by = (items: readonly PlannedItem[]): string =>
  list(items.map((i) => `${i.object} v${i.version}${i.outcome === 'stale' ? ' (stale: skipped)' : ''}`));

export function renderPlan(p: Plan, sql: boolean): string[] {
  const count = (a: string) => p.views.filter((v) => v.action === a).length;
  const out = [
    `plan: ${p.events} event(s) → views: ${count('create')} created, ${count('replace')} replaced, ${count('drop')}` +
      ` dropped, ${count('unchanged')} unchanged, ${count('fail-closed')} would fail closed`,
  ];
  if (p.views.length > 0) {
    out.push('views:');
    out.push(
      ...table(
        ['view', 'action', 'by', 'diagnostics'],
        p.views.map((v) => [
          v.view ?? `(data source ${v.dataSourceId})`,
          v.action,
          by(v.items),
          list(
            v.diagnostics
              .filter((d) => d.severity === 'error' || v.action === 'fail-closed')
              .map((d) => `${d.code} ${d.summary}`),
          ),
        ]),
      ),
    );
  }
  if (p.policyOnly.length > 0) out.push(`policies reaching no view (state only): ${by(p.policyOnly)}`);
  if (p.users.length > 0) out.push(`profiles: ${list(p.users.map((u) => `${u.user} v${u.version} ${u.outcome}`))}`);
  if (p.impact.length === 0) out.push(`users whose rows or columns change: none (of ${p.usersEvaluated} evaluated)`);
  else {
    out.push(`users whose rows or columns change (of ${p.usersEvaluated} evaluated):`);
    out.push(
      ...table(
        ['user', 'view', 'rows before', 'rows after', 'lost', 'gained', 'columns'],
        p.impact.map((i) => [
          i.user,
          i.view,
          i.rowsBefore ?? '(no view)',
          i.rowsAfter ?? '(no view)',
          i.rowsLost,
          i.rowsGained,
          i.error ? `cannot evaluate: ${i.error}` : i.columnsChanged ? 'changed' : 'same',
        ]),
      ),
    );
  }
  if (sql) out.push(...renderSql(p));
  return out;
}

function renderSql(p: Plan): string[] {
  const out: string[] = [];
  const items = [
    ...p.views.flatMap((v) => v.items.map((i) => [v.view ?? v.dataSourceId, i] as const)),
    ...p.policyOnly.map((i) => ['(no view)', i] as const),
  ];
  for (const [view, item] of items) {
    item.transactions.forEach((tx, n) => {
      out.push('', `-- ${view}: ${item.object} v${item.version}, transaction ${n + 1} of ${item.transactions.length}`);
      for (const s of tx) out.push(...statementLines(s));
    });
  }
  return out;
}

/** The statement and, as comments, its bound parameters (values travel bound, never in the text). */
function statementLines(s: SqlStatement): string[] {
  const params = Object.entries(s.params ?? {}).map(([k, v]) => `--   :${k} = ${JSON.stringify(v)}`);
  return [`${s.sql};`, ...params];
}
