// Which policies apply to a data source, and which one wins where several compete.
//
// Matching:
// - local policy: applies to the data source whose id it names.
// - global policy: applies when it has no scope tags, or when one of its scope tags is (an ancestor of) a tag
//   on the data source or on one of its columns (`PII` matches `PII.Email`).
//   A global mask or row filter that targets a column (by name or by tag) applies only where such a column
//   exists — a global rule never breaks a data source that lacks the column. A LOCAL row filter whose column
//   is missing is kept (and fails the view closed in the compiler, VG302/VG301): it was meant for this table.
//   A global custom WHERE clause (filter or mask `where`) applies only where the columns/tags it names exist.
//
// Conflicts (see docs/policies.md):
// - masks, per column: a mask naming the column explicitly beats any mask by tag; among tag masks the deepest
//   matching target tag wins (`PII.Email` beats `PII`); ties → earliest createdAt, then smallest id.
// - row filters: every applicable one applies (ANDed).
// - subscription: local beats global; then the deepest matching scope tag (no tags = depth 0); then earliest
//   createdAt, then smallest id. No subscription policy → only individually approved users.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Column, DataSource } from './data-source.js';
import type { ColumnTarget, MaskPolicy, Policy, RowFilterPolicy, SubscriptionPolicy } from './policy.js';
import { tagDepth, tagIsUnder } from './tag.js';
import { clauseReferences } from './custom-where-scan.js';

export interface ColumnMask {
  column: Column;
  policy: MaskPolicy;
}

export interface ApplicablePolicies {
  /** The winning subscription policy, or null (= individually approved users only). */
  subscription: SubscriptionPolicy | null;
  /** The winning mask per column name (columns without a mask are absent). */
  masks: Map<string, ColumnMask>;
  /** All row filters that apply, in a stable order (createdAt, id). */
  rowFilters: RowFilterPolicy[];
  /** VG304 warnings naming the policies that lost a conflict. */
  diagnostics: Diagnostic[];
}

const allTags = (ds: DataSource): string[] => [...ds.tags, ...ds.columns.flatMap((c) => c.tags)];

/** Depth of the deepest scope tag of a global policy matching the data source; -1 = no match; 0 = untagged global. */
function scopeDepth(policy: Policy, ds: DataSource): number {
  if (policy.scope.kind === 'local') return policy.scope.dataSourceId === ds.id ? Number.MAX_SAFE_INTEGER : -1;
  const scopeTags = policy.scope.tags ?? [];
  if (scopeTags.length === 0) return 0;
  const dsTags = allTags(ds);
  let best = -1;
  for (const s of scopeTags) if (dsTags.some((t) => tagIsUnder(t, s))) best = Math.max(best, tagDepth(s));
  return best;
}

/** Columns a target names: by exact name, or every column carrying the tag or a tag under it. */
export function targetColumns(target: ColumnTarget, ds: DataSource): Column[] {
  return target.kind === 'column'
    ? ds.columns.filter((c) => c.name === target.name)
    : ds.columns.filter((c) => c.tags.some((t) => tagIsUnder(t, target.tag)));
}

/** Whether a policy applies to a data source (before conflict resolution). */
export function policyApplies(policy: Policy, ds: DataSource): boolean {
  if (scopeDepth(policy, ds) < 0) return false;
  if (policy.scope.kind === 'local') return true;
  if (policy.type === 'mask')
    return (
      targetColumns(policy.target, ds).length > 0 && (policy.where === undefined || clauseResolves(policy.where, ds))
    );
  // A global filter on a column applies only where the column exists; `never`, `usingPurpose` and custom WHERE
  // clauses apply to every matching data source (a clause naming a missing column fails that view closed).
  if (policy.type === 'rowFilter' && 'column' in policy.filter)
    return targetColumns(policy.filter.column, ds).length > 0;
  if (policy.type === 'rowFilter' && policy.filter.kind === 'where') return clauseResolves(policy.filter.clause, ds);
  return true;
}

/**
 * A global custom WHERE clause (row filter or a mask's `where`) applies only where the columns and
 * @columnTagged tags it names exist — like a global filter on a column. A clause that cannot be read applies
 * (and fails the view closed with its VG306), so a broken policy is never silently skipped.
 */
function clauseResolves(clause: string, ds: DataSource): boolean {
  const refs = clauseReferences(clause);
  if (refs === null) return true;
  return (
    refs.columns.every((c) => ds.columns.some((col) => col.name === c)) &&
    refs.tags.every((t) => targetColumns({ kind: 'tag', tag: t }, ds).length > 0)
  );
}

const byAge = (a: Policy, b: Policy): number =>
  Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Specificity of a mask on one column: explicit name beats every tag; deeper tag beats shallower. */
function maskRank(policy: MaskPolicy): number {
  return policy.target.kind === 'column' ? Number.MAX_SAFE_INTEGER : tagDepth(policy.target.tag);
}

/** Subscription policies that apply to the data source, the winner first (the conflict rule above). */
export function rankedSubscriptions(ds: DataSource, policies: readonly Policy[]): SubscriptionPolicy[] {
  const subs = policies.filter((p): p is SubscriptionPolicy => p.type === 'subscription' && policyApplies(p, ds));
  return subs.sort((a, b) => scopeDepth(b, ds) - scopeDepth(a, ds) || byAge(a, b));
}

/**
 * Per column name, the masks that apply to it, the winner first (the conflict rule above); unmasked columns are absent.
 */
export function rankedMasks(ds: DataSource, policies: readonly Policy[]): Map<string, MaskPolicy[]> {
  const candidates = new Map<string, MaskPolicy[]>();
  for (const p of policies) {
    if (p.type !== 'mask' || !policyApplies(p, ds)) continue;
    for (const c of targetColumns(p.target, ds)) candidates.set(c.name, [...(candidates.get(c.name) ?? []), p]);
  }
  const ranked = new Map<string, MaskPolicy[]>();
  for (const column of ds.columns) {
    const list = candidates.get(column.name);
    if (list)
      ranked.set(
        column.name,
        list.sort((a, b) => maskRank(b) - maskRank(a) || byAge(a, b)),
      );
  }
  return ranked;
}

export function applicablePolicies(ds: DataSource, policies: readonly Policy[]): ApplicablePolicies {
  const diagnostics: Diagnostic[] = [];

  const subs = rankedSubscriptions(ds, policies);
  const subscription = subs[0] ?? null;
  if (subs.length > 1) {
    diagnostics.push(
      diagnostic(
        'VG304',
        `subscription policy ${JSON.stringify(subscription!.id)} wins over ${subs
          .slice(1)
          .map((p) => JSON.stringify(p.id))
          .join(', ')}`,
        [],
        'warning',
      ),
    );
  }

  const masks = new Map<string, ColumnMask>();
  const ranked = rankedMasks(ds, policies);
  for (const column of ds.columns) {
    const list = ranked.get(column.name);
    if (!list) continue;
    masks.set(column.name, { column, policy: list[0]! });
    if (list.length > 1) {
      diagnostics.push(
        diagnostic(
          'VG304',
          `column ${JSON.stringify(column.name)}: mask ${JSON.stringify(list[0]!.id)} wins over ${list
            .slice(1)
            .map((p) => JSON.stringify(p.id))
            .join(', ')}`,
          [],
          'warning',
        ),
      );
    }
  }

  const rowFilters = policies
    .filter((p): p is RowFilterPolicy => p.type === 'rowFilter' && policyApplies(p, ds))
    .sort(byAge);
  return { subscription, masks, rowFilters, diagnostics };
}

/**
 * The data sources a policy change must reach: those the old state matched ∪ those the new state matches.
 * `before`/`after` are null for a create/delete. Returns ids in catalog order.
 */
export function affectedDataSources(
  catalog: readonly DataSource[],
  before: Policy | null,
  after: Policy | null,
): string[] {
  return catalog
    .filter((ds) => (before !== null && policyApplies(before, ds)) || (after !== null && policyApplies(after, ds)))
    .map((ds) => ds.id);
}
