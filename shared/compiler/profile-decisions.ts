// Per-user decisions over the one-row profile subquery `p` (docs/architecture.md "View compile contract"):
// each boolean is computed once per query, deduplicated by its SQL text; list columns that per-row tests need
// (groups, attributes, the user name) are selected as they are.
import { membershipSql, userEntitlements, type EntitlementKind } from '../layout/entitlement-rows.js';
import { activePurposeNeedle, attributeNeedle, containsConstantSql, groupNeedle, purposeNeedle } from '../layout/profile-encoding.js';
import type { UserCriteria } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';

/** Profile columns a per-row test may read (user_profile's columns). */
export type ProfileColumn = 'immuta__userid';

/**
 * Where one user's profile row and entitlement rows come from instead of the querying user's
 * (immuta_system.user_profile / user_entitlement): relations with the same columns, for operator tools.
 */
export interface ProfileSource {
  profile: string;
  entitlements: string;
}

export class ProfileDecisions {
  private readonly byExpr = new Map<string, string>();
  private readonly lists = new Set<ProfileColumn>();
  /**
   * `source`: the relations the one profile row and the entitlement rows come from — the querying user's
   * (`immuta_system.user_profile`, `user_entitlement`) unless given. Operator tools pass one user's stored
   * rows (or a profile not yet stored) so that the administrator can evaluate a view FOR that user
   * (shared/operations/profile-source.ts); never a view's DDL.
   */
  constructor(
    private readonly dialect: Dialect,
    private readonly source?: ProfileSource,
  ) {}

  /** A boolean over the profile row; returns `p.<alias>`. */
  decision(sqlExpr: string): string {
    let alias = this.byExpr.get(sqlExpr);
    if (!alias) {
      alias = `d${this.byExpr.size}`;
      this.byExpr.set(sqlExpr, alias);
    }
    return `p.${this.dialect.quoteIdent(alias)}`;
  }

  /**
   * "`valueSql` is one of the user's groups / values of `attribute`": a semi-join on the user's entitlement
   * rows, read once per query (never a per-row search of the encoded lists).
   */
  member(valueSql: string, kind: EntitlementKind, attribute?: string): string {
    return membershipSql(this.dialect, this.source?.entitlements ?? userEntitlements(this.dialect), valueSql, kind, attribute);
  }

  /** A profile column the row filters read per row; returns `p.<column>`. */
  list(column: ProfileColumn): string {
    this.lists.add(column);
    return `p.${this.dialect.quoteIdent(column)}`;
  }

  select(): string {
    const cols = [...this.byExpr].map(([expr, alias]) => `${expr} AS ${this.dialect.quoteIdent(alias)}`);
    for (const l of [...this.lists].sort()) cols.push(this.dialect.quoteIdent(l));
    // A user with no profile row gets no p row; a constant keeps the subquery valid when nothing is decided.
    if (cols.length === 0) cols.push(`TRUE AS ${this.dialect.quoteIdent('present')}`);
    // The fence keeps p a one-row subquery the engine evaluates once (per parallel participant) instead of
    // folding its expressions into the per-row join filter.
    const fence = this.dialect.profileSubqueryFence();
    const from = this.source?.profile ?? this.dialect.qualify(this.dialect.schemas.system, 'user_profile');
    return `SELECT ${cols.join(', ')} FROM ${from}${fence ? ` ${fence}` : ''}`;
  }
}

/** The user matches the criteria (never NULL). */
export function criteriaSql(dialect: Dialect, c: UserCriteria): string {
  const col = (name: string): string => dialect.quoteIdent(name);
  const terms = [
    ...c.groups.map((g) => containsConstantSql(dialect, col('groups'), groupNeedle(g))),
    ...Object.entries(c.attributes).flatMap(([k, vs]) => vs.map((v) => containsConstantSql(dialect, col('attributes'), attributeNeedle(k, v)))),
    ...c.purposes.map((p) => containsConstantSql(dialect, col('purposes'), purposeNeedle(p))),
  ];
  // COALESCE: a NULL list column means "no entitlements"; a decision is never NULL, so CASE branches and
  // NOT cannot flip on it.
  return `COALESCE((${terms.join(c.match === 'all' ? ' AND ' : ' OR ')}), FALSE)`;
}

/** The user acts under at least one of the purposes (current project carries it and it is acknowledged). */
export function usingPurposeSql(dialect: Dialect, purposes: readonly string[]): string {
  const terms = purposes.map((p) => containsConstantSql(dialect, dialect.quoteIdent('purposes'), activePurposeNeedle(p)));
  return `COALESCE((${terms.join(' OR ')}), FALSE)`;
}
