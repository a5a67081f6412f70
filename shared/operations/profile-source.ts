// The profile row a view is evaluated against when the ADMINISTRATOR asks what one user sees: Redshift has no
// SET ROLE, and the user's credentials are never needed. A view reads the querying user's row through
// immuta_system.user_profile (`immuta__userid = current_user`); compileViewQuery's `profileSource` swaps that
// relation for one of these, and every per-user decision of the view (groups, attributes, purposes, approvals,
// the user name of minimization and @username) then comes from the named user's row. Nothing else in a
// compiled view depends on who runs it, so the rows are the ones the user would see.
import type { ProfileSource } from '../compiler/profile-decisions.js';
import { entitlementRowsSql } from '../layout/entitlement-rows.js';
import { activePurposes } from '../policy/purposes.js';
import type { UserProfile } from '../policy/user-profile.js';
import { encodeAttributes, encodeList, encodePurposes } from '../layout/profile-encoding.js';
import { TABLES, columnTypes, systemTable } from '../layout/warehouse-objects.js';
import type { Dialect } from '../sql/dialect.js';

/** user_profile's columns, in its order (bootstrap-plan.ts). */
const COLUMNS = [
  'immuta__userid',
  'groups',
  'attributes',
  'projects',
  'current_project',
  'purposes',
  'datasources',
] as const;
const ALIAS = 'profile_row';

/**
 * The user's stored rows, exactly as user_profile / user_entitlement would return them to them (none when deleted or
 * absent).
 */
export function storedProfileSource(dialect: Dialect, userId: string): ProfileSource {
  const cols = COLUMNS.map((c) => dialect.quoteIdent(c)).join(', ');
  const id = `${dialect.quoteIdent('immuta__userid')} = ${dialect.quoteLiteral(userId)}`;
  return {
    profile:
      `(SELECT ${cols} FROM ${systemTable(dialect, TABLES.profile)} WHERE ${id} AND NOT ` +
      `${dialect.quoteIdent('deleted')}) ${ALIAS}`,
    entitlements: `(SELECT kind, attribute, value FROM ${systemTable(dialect, TABLES.entitlement)} WHERE ${id})`,
  };
}

/**
 * A profile not stored yet (a user event in a plan), encoded as apply_user would store it
 * (user-change-plan.ts); `null` = the user is deleted: no row.
 */
export function literalProfileSource(dialect: Dialect, userId: string, profile: UserProfile | null): ProfileSource {
  const t = columnTypes(dialect);
  const lit = (v: string | null, type: string): string =>
    `CAST(${v === null ? 'NULL' : dialect.quoteLiteral(v)} AS ${type})`;
  const values: Record<(typeof COLUMNS)[number], string> = {
    immuta__userid: lit(userId, t.key),
    groups: lit(profile ? encodeList(profile.groups) : '|', t.text),
    attributes: lit(profile ? encodeAttributes(profile.attributes) : '|', t.text),
    projects: lit(profile ? encodeList(profile.projects) : '|', t.text),
    current_project: lit(profile?.currentProject ?? null, t.text),
    purposes: lit(profile ? encodePurposes(profile.purposes, activePurposes(profile)) : '|', t.text),
    datasources: lit(profile ? encodeList(profile.dataSources) : '|', t.text),
  };
  const select = COLUMNS.map((c) => `${values[c]} AS ${dialect.quoteIdent(c)}`).join(', ');
  const row = `(SELECT ${select}${profile === null ? ' WHERE FALSE' : ''}) ${ALIAS}`;
  // The entitlement rows decoded from that row by the same SQL apply_user runs.
  const decoded = entitlementRowsSql(dialect, {
    userid: `${ALIAS}.immuta__userid`,
    groups: `${ALIAS}.${dialect.quoteIdent('groups')}`,
    attributes: `${ALIAS}.${dialect.quoteIdent('attributes')}`,
    from: row,
  });
  return { profile: row, entitlements: `(${decoded})` };
}
