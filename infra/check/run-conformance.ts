// Runs a conformance plan (shared/conformance/conformance-plan.ts) through the Data API and judges each step:
// steps in order until one fails (what follows would only fail for the same reason and is reported as not run),
// then the cleanup steps ALWAYS — also after a failure or an exception — each reported in the table.
import type { CheckStep, ConformancePlan } from '../../shared/conformance/conformance-plan.js';
import type { CheckCredentials, CheckTarget, DataApiBatches, StepOutcome } from './data-api-batches.js';

export type Verdict = 'pass' | 'FAIL' | 'skipped' | 'not run';

export interface StepReport {
  id: string;
  title: string;
  identity: CheckStep['identity'];
  verdict: Verdict;
  detail: string;
}

export interface ConformanceTarget {
  target: CheckTarget;
  credentials: Record<CheckStep['identity'], CheckCredentials>;
}

/** Whether an outcome is what the step expects, and why not. */
export function judge(step: CheckStep, outcome: StepOutcome): { verdict: Verdict; detail: string } {
  const expect = step.expect;
  if (expect.kind === 'refused') {
    if (outcome.status === 'FAILED' && expect.error.test(outcome.error))
      return { verdict: 'pass', detail: `refused as expected: ${outcome.error}` };
    return {
      verdict: 'FAIL',
      detail:
        outcome.status === 'FINISHED'
          ? 'it was allowed: the test user read data it must never see'
          : `${outcome.status}: ${outcome.error}`,
    };
  }
  if (outcome.status !== 'FINISHED') return { verdict: 'FAIL', detail: `${outcome.status}: ${outcome.error}` };
  if (expect.kind === 'finish') return { verdict: 'pass', detail: `${step.statements.length} statement(s) FINISHED` };
  return compareRows(expect.rows, outcome.rows ?? []);
}

function compareRows(want: (string | null)[][], got: (string | null)[][]): { verdict: Verdict; detail: string } {
  if (got.length !== want.length) return { verdict: 'FAIL', detail: `${got.length} row(s), expected ${want.length}` };
  for (const [r, row] of want.entries()) {
    for (const [c, cell] of row.entries()) {
      if (got[r]![c] !== cell)
        return {
          verdict: 'FAIL',
          detail: `row ${r + 1}, column ${c + 1}: got ${JSON.stringify(got[r]![c])}, expected ${JSON.stringify(cell)}`,
        };
    }
  }
  return { verdict: 'pass', detail: `${got.length} row(s) as expected` };
}

async function runStep(batches: DataApiBatches, where: ConformanceTarget, step: CheckStep): Promise<StepReport> {
  const base = { id: step.id, title: step.title, identity: step.identity };
  if (step.skip) return { ...base, verdict: 'skipped', detail: step.skip };
  try {
    const outcome = await batches.run(
      { ...where.target, database: step.database ?? where.target.database },
      where.credentials[step.identity],
      step.statements,
      step.expect.kind === 'rows',
    );
    return { ...base, ...judge(step, outcome) };
  } catch (error) {
    // The Data API refused the call itself (credentials, permissions, throttling): the step failed.
    return {
      ...base,
      verdict: 'FAIL',
      detail: `the Data API refused the call: ${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

/** Every step's report, in order; `onReport` sees each as soon as it is known (progress). */
export async function runConformance(
  plan: ConformancePlan,
  batches: DataApiBatches,
  where: ConformanceTarget,
  onReport: (r: StepReport) => void = () => undefined,
): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const add = (r: StepReport): void => {
    reports.push(r);
    onReport(r);
  };
  let failed: string | undefined;
  try {
    for (const step of plan.steps) {
      if (failed) {
        add({
          id: step.id,
          title: step.title,
          identity: step.identity,
          verdict: 'not run',
          detail: `${failed} failed first`,
        });
        continue;
      }
      const r = await runStep(batches, where, step);
      if (r.verdict === 'FAIL') failed = step.id;
      add(r);
    }
  } finally {
    for (const step of plan.cleanup) add(await runStep(batches, where, step));
  }
  return reports;
}

/** The pass/fail table, one line per step. */
export function formatTable(reports: readonly StepReport[]): string {
  const rows = [
    ['#', 'check', 'as', 'result', 'detail'],
    ...reports.map((r, i) => [String(i + 1), r.id, r.identity, r.verdict, r.detail]),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ') + '  ------', ...rows.slice(1).map(line)].join(
    '\n',
  );
}
