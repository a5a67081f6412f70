// Human output of `viewguard drift`, `audit` and `rebuild` (shared/operations/): one table each, then what to do.
import type { AuditReport } from '../../shared/operations/audit.js';
import type { DriftReport, RepairResult } from '../../shared/operations/drift.js';
import type { RebuildReport } from '../../shared/operations/rebuild.js';
import type { ReapplyResult } from '../../shared/operations/reapply.js';
import { list, table } from './render.js';

export function renderDrift(r: DriftReport, repaired?: { results: RepairResult[]; after: DriftReport }): string[] {
  const c = r.checked;
  const out = [
    `checked ${c.views} view(s), ${c.relations} relation(s), ${c.schemas} schema(s), ${c.routines} routine(s), ` +
      `${c.profiles} profile(s)`,
  ];
  if (r.findings.length === 0) return [...out, 'no drift'];
  out.push(`drift: ${r.findings.length} finding(s)`);
  out.push(
    ...table(
      ['kind', 'object', 'what differs', 'repair'],
      r.findings.map((f) => [f.kind, f.object, f.detail, f.repair]),
    ),
  );
  const admin = r.findings.filter((f) => f.repair === 'admin' && f.statements?.length);
  if (admin.length > 0)
    out.push('an administrator must run:', ...admin.flatMap((f) => f.statements!.map((s) => `  ${s.sql};`)));
  if (repaired) {
    out.push(
      'repair:',
      ...table(
        ['object', 'kind', 'outcome', 'detail'],
        repaired.results.map((x) => [x.object, x.kind, x.outcome, x.detail]),
      ),
    );
    out.push(
      repaired.after.findings.length === 0
        ? 'after the repair: no drift'
        : `after the repair: ${repaired.after.findings.length} finding(s) left (` +
            `${list([...new Set(repaired.after.findings.map((f) => f.kind))])})`,
    );
  } else {
    out.push('run `viewguard drift --repair` to re-apply what the stored state can put back');
  }
  return out;
}

export function renderAudit(r: AuditReport): string[] {
  const out = [`audited ${r.rawTables} registered raw table(s) and the integration's schemas, tables and procedures`];
  for (const n of r.notAudited)
    out.push(`not audited: data source ${n.dataSourceId} is in database ${n.database} (run the audit connected to it)`);
  if (r.findings.length === 0) return [...out, 'no bypass found'];
  out.push(`${r.findings.length} finding(s):`);
  out.push(
    ...table(
      ['kind', 'principal', 'object', 'how'],
      r.findings.map((f) => [f.kind, f.principal || '-', f.object, f.via.join('; ')]),
    ),
  );
  out.push('to close them (as an administrator):');
  out.push(
    ...[...new Set(r.findings.flatMap((f) => f.revoke))].map((s) => `  ${s}${s.startsWith('viewguard') ? '' : ';'}`),
  );
  return out;
}

export const progressLine = (done: number, total: number, r: ReapplyResult): string =>
  `[${done}/${total}] ${r.dataSourceId}: ${r.outcome}` +
  `${r.outcome === 'applied' ? ` (${r.transactions} transaction` + `${r.transactions === 1 ? '' : 's'})` : ''}` +
  `${r.error ? ` — ${r.error}` : ''}` +
  `${r.diagnostics.some((d) => d.code === 'VG301') ? ' — fails closed (VG301)' : ''}`;

export function renderRebuild(r: RebuildReport): string[] {
  const failed = r.views.filter((v) => v.outcome === 'failed');
  return [
    `rebuild: ${r.routines} routine(s) re-created; ${r.views.length - failed.length} of ${r.total} view(s) ` +
      `re-applied${r.skipped ? ` (${r.skipped} finished by an earlier run)` : ''}; ${failed.length} failed`,
    ...failed.map((f) => `  ${f.dataSourceId}: ${f.error}`),
  ];
}
