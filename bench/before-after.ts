// The rows of the performance redesign's table (docs/performance.md "Before and after the redesign"), each
// with its number BEFORE (bench/baseline.json: one full run of the code before the redesign, kept in the
// repository) and AFTER (this run), so that bench/results.json carries both side by side.
import { readFile } from 'node:fs/promises';
import type { BenchSections } from './targets.js';

export interface BeforeAfterRow {
  what: string;
  target: string;
  before: number | null;
  after: number | null;
  unit: string;
}

/** The four numbers of one run; null where the run did not measure it. */
export type TableNumbers = Record<
  'filterHeavyRatio' | 'maskHeavyRatio' | 'transactions1000' | 'dataApiCalls1000' | 'databaseSeconds10000',
  number | null
>;

const ROWS: { key: keyof TableNumbers; what: string; target: string; unit: string }[] = [
  { key: 'filterHeavyRatio', what: 'filter-heavy view vs hand-inlined query, 1M rows', target: '≤ 1.05', unit: '×' },
  { key: 'maskHeavyRatio', what: 'mask-heavy view vs hand-inlined query, 1M rows', target: '≤ 1.05', unit: '×' },
  {
    key: 'transactions1000',
    what: 'transactions for a global policy reaching 1,000 views (combined consumer)',
    target: '≤ 25',
    unit: 'transactions',
  },
  {
    key: 'dataApiCalls1000',
    what: 'Data API calls for the same push (transactions + reads)',
    target: '≤ 30',
    unit: 'calls',
  },
  {
    key: 'databaseSeconds10000',
    what: 'database time for 10,000 views, local PostgreSQL (combined; extrapolated if unfinished)',
    target: '≤ 8',
    unit: 's',
  },
];

export function tableNumbers(s: BenchSections): TableNumbers {
  const ratio = (name: string): number | null =>
    s.queryOverhead?.cases.find((c) => c.name === name)?.viewOverInlined ?? null;
  const push = (views: number) => s.policyPush?.find((p) => p.views === views && p.consumer === 'combined');
  const p1 = push(1000);
  const p10 = push(10000);
  const db10 = p10 ? (p10.finished ? p10.databaseMs : (p10.extrapolated?.databaseMs ?? null)) : null;
  return {
    filterHeavyRatio: ratio('filter-heavy'),
    maskHeavyRatio: ratio('mask-heavy'),
    transactions1000: p1 ? p1.counts.transactions : null,
    dataApiCalls1000: p1 ? p1.dataApiCalls.total : null,
    databaseSeconds10000: db10 === null ? null : Math.round(db10 / 100) / 10,
  };
}

export async function beforeAfter(
  baselinePath: string,
  s: BenchSections,
): Promise<{ baseline: { run: string; note: string } | null; rows: BeforeAfterRow[] }> {
  type Baseline = { run: string; note: string; numbers: TableNumbers };
  let baseline: Baseline | null = null;
  try {
    baseline = JSON.parse(await readFile(baselinePath, 'utf8')) as Baseline;
  } catch {
    baseline = null;
  }
  const after = tableNumbers(s);
  return {
    baseline: baseline ? { run: baseline.run, note: baseline.note } : null,
    rows: ROWS.map((r) => ({
      what: r.what,
      target: r.target,
      unit: r.unit,
      before: baseline?.numbers[r.key] ?? null,
      after: after[r.key],
    })),
  };
}
