// What the operator tools compare the warehouse with: the state the pipeline stored (immuta_system's state
// tables and the profile table), read with the apply loop's own catalog read and parsed with the same schemas.
// A stored definition that no longer parses is kept as a diagnostic: the planner fails such views closed.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../layout/catalog-reader.js';
import { decodeAttributes, decodeList } from '../layout/profile-encoding.js';
import { TABLES, systemTable } from '../layout/warehouse-objects.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { DataSource } from '../policy/data-source.js';
import type { Policy } from '../policy/policy.js';
import { parseDataSource, parsePolicy } from '../policy/validate.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';

export interface StoredState {
  snapshot: CatalogSnapshot;
  /** Live (not deleted) data sources that parse, by id, in id order. */
  dataSources: Map<string, DataSource>;
  /** Live policies that parse, in id order. */
  policies: Policy[];
  /** Stored definitions that no longer parse (VG201 / VG202 with the state table and id in the path). */
  unreadable: Diagnostic[];
}

const byKey = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function storedState(snapshot: CatalogSnapshot): StoredState {
  const dataSources = new Map<string, DataSource>();
  const policies: Policy[] = [];
  const unreadable: Diagnostic[] = [];
  for (const [id, row] of byKey(snapshot.dataSources)) {
    if (row.deleted) continue;
    const r = parseDataSource(row.definition, ['datasource_state', id]);
    if (r.ok) dataSources.set(id, r.value);
    else unreadable.push(...r.diagnostics);
  }
  for (const [id, row] of byKey(snapshot.policies)) {
    if (row.deleted) continue;
    const r = parsePolicy(row.definition, ['policy_state', id]);
    if (r.ok) policies.push(r.value);
    else unreadable.push(...r.diagnostics);
  }
  return { snapshot, dataSources, policies, unreadable };
}

/** One consistent read of the epoch, every data source and every policy (the apply loop's statement). */
export async function readStoredState(warehouse: Warehouse, dialect: Dialect): Promise<StoredState> {
  return storedState(parseCatalog(await warehouse.query(catalogReadStatement(dialect))));
}

/** A profile row as stored (lists decoded); `raw` keeps the stored text for the canonical-form check. */
export interface StoredProfile {
  userId: string;
  version: number;
  deleted: boolean;
  groups: string[];
  attributes: Record<string, string[]>;
  projects: string[];
  currentProject: string | null;
  /** Acknowledged purposes. */
  purposes: string[];
  /** Purposes the user acts under (the `=`-marked items, computed when the profile was written). */
  activePurposes: string[];
  dataSources: string[];
  raw: Record<ProfileListColumn, string | null>;
}

export const PROFILE_LIST_COLUMNS = ['groups', 'attributes', 'projects', 'purposes', 'datasources'] as const;
export type ProfileListColumn = (typeof PROFILE_LIST_COLUMNS)[number];

/** Every profile row (tombstones too), or one user's (`userId` bound, never spliced). */
export function profileReadStatement(dialect: Dialect, userId?: string): SqlStatement {
  const sql =
    `SELECT immuta__userid, version, deleted, ` +
    `groups, attributes, projects, ` +
    `current_project, purposes, ` +
    `datasources FROM ` +
    `${systemTable(dialect, TABLES.profile)}` +
    (userId === undefined ? ' ORDER BY immuta__userid' : ' WHERE immuta__userid = :user_id');
  return userId === undefined
    ? stmt(sql, 'operator tools: every stored profile')
    : stmt(sql, 'operator tools: one stored profile', { user_id: userId });
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const orEmpty = <T>(fn: () => T, empty: T): T => {
  try {
    return fn();
  } catch {
    return empty;
  }
};

export function parseProfileRow(row: Record<string, unknown>): StoredProfile {
  const raw = Object.fromEntries(PROFILE_LIST_COLUMNS.map((c) => [c, text(row[c])])) as Record<
    ProfileListColumn,
    string | null
  >;
  const list = (c: ProfileListColumn): string[] => orEmpty(() => decodeList(raw[c] ?? '|'), []);
  const purposeItems = list('purposes');
  return {
    userId: String(row.immuta__userid),
    version: Number(row.version),
    deleted: row.deleted === true || row.deleted === 't' || row.deleted === 'true',
    groups: list('groups'),
    attributes: orEmpty(() => decodeAttributes(raw.attributes ?? '|'), {}),
    projects: list('projects'),
    currentProject: text(row.current_project),
    // An active purpose is stored as the escaped item prefixed with a raw `=` (profile-encoding.ts).
    purposes: purposeItems.filter((p) => !p.startsWith('=')),
    activePurposes: purposeItems.filter((p) => p.startsWith('=')).map((p) => p.slice(1)),
    dataSources: list('datasources'),
    raw,
  };
}

export async function readProfiles(warehouse: Warehouse, dialect: Dialect): Promise<StoredProfile[]> {
  return (await warehouse.query(profileReadStatement(dialect))).map(parseProfileRow);
}

export async function readProfile(
  warehouse: Warehouse,
  dialect: Dialect,
  userId: string,
): Promise<StoredProfile | null> {
  const rows = await warehouse.query(profileReadStatement(dialect, userId));
  return rows.length === 0 ? null : parseProfileRow(rows[0]!);
}
