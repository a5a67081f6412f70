// Per-user values of a view (docs/architecture.md "View compile contract"): each decision, the user name and
// the user's presence is an uncorrelated subquery over the profile row, which both engines evaluate once per
// query (PostgreSQL: an InitPlan) and read per row as a parameter — no join brings the profile to every raw row.
// Decisions are EXISTS tests: they never fail on a second row and are FALSE without one.
import { membershipSql, userEntitlements, type EntitlementKind } from '../layout/entitlement-rows.js';
import {
  activePurposeNeedle,
  attributeNeedle,
  containsConstantSql,
  groupNeedle,
  purposeNeedle,
} from '../layout/profile-encoding.js';
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

  /**
   * A boolean over the profile row (never NULL: criteria are COALESCEd), as `EXISTS (SELECT 1 FROM <profile>
   * WHERE <boolean>)`: evaluated once per query; the same value as the boolean on the user's one row.
   */
  decision(sqlExpr: string): string {
    return `EXISTS (SELECT 1 FROM ${this.profile()} WHERE ${sqlExpr})`;
  }

  /**
   * "`valueSql` is one of the user's groups / values of `attribute`": an IN on the user's entitlement rows,
   * hashed once per query (never a per-row search of the encoded lists).
   */
  member(valueSql: string, kind: EntitlementKind, attribute?: string, reading: 'filter' | 'value' = 'value'): string {
    return membershipSql(
      this.dialect,
      this.source?.entitlements ?? userEntitlements(this.dialect),
      valueSql,
      kind,
      attribute,
      reading,
    );
  }

  /**
   * A profile column a per-row test reads, once per query (MAX: one value whatever the row count, NULL without a row).
   */
  list(column: ProfileColumn): string {
    return `(SELECT MAX(${this.dialect.quoteIdent(column)}) FROM ${this.profile()})`;
  }

  /** The user has a profile row (no row: the view shows nothing). */
  present(): string {
    return `EXISTS (SELECT 1 FROM ${this.profile()})`;
  }

  private profile(): string {
    return this.source?.profile ?? this.dialect.qualify(this.dialect.schemas.system, 'user_profile');
  }
}

/** The user matches the criteria (never NULL). */
export function criteriaSql(dialect: Dialect, c: UserCriteria): string {
  const col = (name: string): string => dialect.quoteIdent(name);
  const terms = [
    ...c.groups.map((g) => containsConstantSql(dialect, col('groups'), groupNeedle(g))),
    ...Object.entries(c.attributes).flatMap(([k, vs]) =>
      vs.map((v) => containsConstantSql(dialect, col('attributes'), attributeNeedle(k, v))),
    ),
    ...c.purposes.map((p) => containsConstantSql(dialect, col('purposes'), purposeNeedle(p))),
  ];
  // COALESCE: a NULL list column means "no entitlements"; a decision is never NULL, so CASE branches and
  // NOT cannot flip on it.
  return `COALESCE((${terms.join(c.match === 'all' ? ' AND ' : ' OR ')}), FALSE)`;
}

/** The user acts under at least one of the purposes (current project carries it and it is acknowledged). */
export function usingPurposeSql(dialect: Dialect, purposes: readonly string[]): string {
  const terms = purposes.map((p) =>
    containsConstantSql(dialect, dialect.quoteIdent('purposes'), activePurposeNeedle(p)),
  );
  return `COALESCE((${terms.join(' OR ')}), FALSE)`;
}
