// Section b's pushes BEFORE (bench/push-baseline.json: the run of the per-view code kept in the repository) and
// AFTER (this run), side by side in bench/results.json, one row per push (views × consumer).
import { readFile } from 'node:fs/promises';
import type { PushResult } from './policy-push.js';

interface PushNumbers {
  views: number;
  consumer: string;
  finished: boolean;
  viewsDone: number;
  transactions: number;
  reads: number;
  dataApiCalls: number;
  databaseMs: number;
  wallMs: number | null;
}

export interface PushBeforeAfter {
  baseline: { run: string; note: string } | null;
  rows: { views: number; consumer: string; before: PushNumbers | null; after: PushNumbers }[];
}

const numbers = (p: PushResult): PushNumbers => ({
  views: p.views,
  consumer: p.consumer,
  finished: p.finished,
  viewsDone: p.viewsDone,
  transactions: p.counts.transactions,
  reads: p.counts.reads,
  dataApiCalls: p.dataApiCalls.total,
  databaseMs: p.databaseMs,
  wallMs: p.wallMs,
});

export async function pushBeforeAfter(baselinePath: string, pushes: readonly PushResult[]): Promise<PushBeforeAfter> {
  type Baseline = { run: string; note: string; pushes: PushNumbers[] };
  const baseline: Baseline | null = await readFile(baselinePath, 'utf8').then(
    (text) => JSON.parse(text) as Baseline,
    () => null,
  );
  return {
    baseline: baseline ? { run: baseline.run, note: baseline.note } : null,
    rows: pushes.map((p) => ({
      views: p.views,
      consumer: p.consumer,
      before: baseline?.pushes.find((b) => b.views === p.views && b.consumer === p.consumer) ?? null,
      after: numbers(p),
    })),
  };
}
