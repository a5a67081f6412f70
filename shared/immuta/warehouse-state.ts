// What the warehouse has applied, read from the state tables (the same read the apply loop plans from, plus the
// profile table): the reconciler compares Immuta with it, and every version the connector gives is above the
// stored one, so a version only ever goes forward whatever the clocks did.
import { catalogReadStatement, parseCatalog } from '../layout/catalog-reader.js';
import { encodeAttributes, encodeList, encodePurposes } from '../layout/profile-encoding.js';
import { TABLES, systemTable } from '../layout/warehouse-objects.js';
import { activePurposes } from '../policy/purposes.js';
import { UserProfileSchema, type UserProfileInput } from '../policy/user-profile.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';

export interface StoredObject {
  version: number;
  deleted: boolean;
  /** Data sources and policies: the stored JSON definition. Users: the stored profile columns (encoded). */
  definition: unknown;
}

export interface WarehouseState {
  dataSources: Map<string, StoredObject>;
  policies: Map<string, StoredObject>;
  users: Map<string, StoredObject>;
}

export function profileReadStatement(dialect: Dialect): SqlStatement {
  return stmt(
    `SELECT immuta__userid, version, deleted, groups, attributes, projects, current_project, purposes, datasources ` +
      `FROM ${systemTable(dialect, TABLES.profile)}`,
    'profile read: every user (reconcile)',
  );
}

/** The profile columns a user's profile is stored as: what apply_user would write for it. */
export function encodedProfile(input: UserProfileInput): Record<string, string | null> {
  const p = UserProfileSchema.parse(input);
  return {
    groups: encodeList(p.groups),
    attributes: encodeAttributes(p.attributes),
    projects: encodeList(p.projects),
    current_project: p.currentProject,
    purposes: encodePurposes(p.purposes, activePurposes(p)),
    datasources: encodeList(p.dataSources),
  };
}

const toInt = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v));
const toBool = (v: unknown): boolean => v === true || v === 't' || v === 'true';

/** Where a sync reads what the warehouse applied (the state tables; an in-memory model in the property test). */
export interface StateReader {
  read(): Promise<WarehouseState>;
}

export const warehouseStateReader = (warehouse: Warehouse, dialect: Dialect): StateReader => ({
  read: () => readWarehouseState(warehouse, dialect),
});

export async function readWarehouseState(warehouse: Warehouse, dialect: Dialect): Promise<WarehouseState> {
  const [catalogRows, profileRows] = await Promise.all([
    warehouse.query(catalogReadStatement(dialect)),
    warehouse.query(profileReadStatement(dialect)),
  ]);
  const catalog = parseCatalog(catalogRows);
  const users = new Map<string, StoredObject>();
  for (const r of profileRows) {
    const version = toInt(r.version);
    if (!Number.isSafeInteger(version))
      throw new Error(`profile: version of ${String(r.immuta__userid)} is not an integer`);
    const text = (k: string): string | null => (r[k] === null || r[k] === undefined ? null : String(r[k]));
    users.set(String(r.immuta__userid), {
      version,
      deleted: toBool(r.deleted),
      definition: {
        groups: text('groups'),
        attributes: text('attributes'),
        projects: text('projects'),
        current_project: text('current_project'),
        purposes: text('purposes'),
        datasources: text('datasources'),
      },
    });
  }
  return { dataSources: catalog.dataSources, policies: catalog.policies, users };
}
