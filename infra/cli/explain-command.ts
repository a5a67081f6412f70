// `viewguard explain <view> --as <user> [--sample N]`: human output of shared/operations/explain.ts.
import type { Explanation } from '../../shared/operations/explain.js';
import { list, table } from './render.js';

export function renderExplanation(e: Explanation): string[] {
  const out = [`${e.view} as ${e.user} (data source ${e.dataSourceId})`];
  const p = e.profile;
  if (p === null) out.push('profile: none stored (or deleted): the user sees no rows of any view');
  else {
    const attributes = Object.entries(p.attributes).map(([k, vs]) => `${k}=${vs.join('|')}`);
    out.push(
      `profile v${p.version}: groups ${list(p.groups)}; attributes ${list(attributes)}; projects ` +
        `${list(p.projects)} (current ${p.currentProject ?? '-'}); purposes ${list(p.purposes)} (acting under ` +
        `${list(p.activePurposes)}); approved for ${list(p.dataSources)}`,
    );
  }
  const s = e.subscription;
  out.push(
    `subscription: ${s.policy ?? '(none)'} — ${s.access} → ${s.admitted ? 'admitted' : 'NOT admitted'}` +
      `${s.losers.length ? ` (lost: ${list(s.losers)})` : ''}`,
  );
  out.push('columns:');
  out.push(
    ...table(
      ['column', 'type', 'policy', 'mask', 'condition', 'this user gets', 'lost'],
      e.columns.map((c) =>
        c.mask
          ? [c.column, c.type, c.mask.policy, c.mask.function, c.mask.condition, c.mask.forUser, list(c.mask.losers)]
          : [c.column, c.type, '-', '-', '-', 'clear', '-'],
      ),
    ),
  );
  if (e.rowFilters.length === 0) out.push('row filters: none');
  else {
    out.push('row filters (all apply, ANDed):');
    out.push(
      ...table(
        ['policy', 'filter', 'exception', 'rows alone'],
        e.rowFilters.map((f) => [
          f.policy,
          f.filter,
          f.liftedByException === null ? '-' : f.liftedByException ? 'lifts it' : 'does not apply',
          f.rowsAlone,
        ]),
      ),
    );
  }
  out.push(
    `rows: ${e.rows} (${e.rowsBeforeFilters} before row filters)${e.failedClosed ? ' — the view FAILS CLOSED' : ''}`,
  );
  for (const d of e.diagnostics) out.push(`${d.code} (${d.severity}) ${d.summary}`);
  if (e.sample.rows.length > 0) {
    out.push(`sample (${e.sample.rows.length} row${e.sample.rows.length === 1 ? '' : 's'}):`);
    out.push(...table(e.sample.columns, e.sample.rows));
  }
  return out;
}
