// The stored rows of a catalog snapshot read as the policy model: every reader of datasource_state and
// policy_state goes through here (the planners, the policy router, the fail-closed planner). Parsing and
// validating a definition costs ~10 µs, so each caller reads only what it uses: with 10,000 data sources a plan
// that parsed every one while compiling one view made a policy push O(N²).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { DataSource } from '../policy/data-source.js';
import type { Policy } from '../policy/policy.js';
import { parseDataSource, parsePolicy } from '../policy/validate.js';
import type { CatalogSnapshot } from './catalog-reader.js';

/**
 * A stored data source: `live` unless deleted, `any` even when deleted (its view name), and its view's signature text.
 */
export interface StoredDataSource {
  live: DataSource | null;
  any: DataSource | null;
  /** The recorded signature of the view in place (null: no view, or deleted). */
  viewSignature: string | null;
}

export const NO_DATA_SOURCE: StoredDataSource = { live: null, any: null, viewSignature: null };

export function storedDataSource(snapshot: CatalogSnapshot, id: string): StoredDataSource {
  const row = snapshot.dataSources.get(id);
  if (!row) return NO_DATA_SOURCE;
  const r = parseDataSource(row.definition);
  const any = r.ok ? r.value : null;
  return { live: row.deleted ? null : any, any, viewSignature: row.deleted ? null : row.viewSignature };
}

/** Live (not deleted) data sources whose stored definition parses; the rest have no view to reach. */
export function liveDataSources(snapshot: CatalogSnapshot): DataSource[] {
  const out: DataSource[] = [];
  for (const row of snapshot.dataSources.values()) {
    if (row.deleted) continue;
    const r = parseDataSource(row.definition);
    if (r.ok) out.push(r.value);
  }
  return out;
}

export interface LivePolicies {
  policies: Map<string, Policy>;
  /** Stored definitions that no longer parse: a view that may be governed by one fails closed. */
  unreadable: Diagnostic[];
}

export function livePolicies(snapshot: CatalogSnapshot): LivePolicies {
  const policies = new Map<string, Policy>();
  const unreadable: Diagnostic[] = [];
  for (const [id, row] of snapshot.policies) {
    if (row.deleted) continue;
    const r = parsePolicy(row.definition, ['policy_state', id]);
    if (r.ok) policies.set(id, r.value);
    else unreadable.push(...r.diagnostics);
  }
  return { policies, unreadable };
}

/** The stored, live policy `policyId`; null when absent, deleted or unreadable. */
export function storedPolicy(snapshot: CatalogSnapshot, policyId: string): Policy | null {
  const row = snapshot.policies.get(policyId);
  if (!row || row.deleted) return null;
  const r = parsePolicy(row.definition);
  return r.ok ? r.value : null;
}
