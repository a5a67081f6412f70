// The fixed names of the integration's warehouse objects (docs/architecture.md "The warehouse layout") and
// the column types they use, so that the bootstrap, the procedures, the catalog read and the CALLs cannot
// disagree about a name or a type.
import type { Dialect } from '../sql/dialect.js';

export const TABLES = {
  catalogEpoch: 'catalog_epoch',
  datasourceState: 'datasource_state',
  policyState: 'policy_state',
  profile: 'profile',
  /** The profile's groups and attribute values as rows (entitlement-rows.ts), written with it by apply_user. */
  entitlement: 'entitlement',
  hashKey: 'hash_key',
} as const;

export const USER_PROFILE_VIEW = 'user_profile';
/** The current user's entitlement rows (entitlement-rows.ts); like user_profile, readable by everyone. */
export const USER_ENTITLEMENT_VIEW = 'user_entitlement';
/** The system schema's relations PUBLIC may SELECT: each shows the querying user's own rows only. */
export const PUBLIC_SYSTEM_VIEWS: readonly string[] = [USER_PROFILE_VIEW, USER_ENTITLEMENT_VIEW];

export const PROCEDURES = {
  applyDatasource: 'apply_datasource',
  applyPolicy: 'apply_policy',
  applyUser: 'apply_user',
  deleteUser: 'delete_user',
  /** Runs up to 16 pinned DDL statements in one CALL (pinned-runner.ts): a view set's bundles. */
  runPinned: 'run_pinned',
} as const;

/** Keys (object ids, user names): bounded so that Redshift does not store 64 KB keys. */
export const KEY_WIDTH = 1024;

export interface ColumnTypes {
  key: string;
  text: string;
  bigint: string;
  boolean: string;
  timestamp: string;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return {
    key: dialect.textType(KEY_WIDTH),
    // Unbounded text: PostgreSQL text, Redshift VARCHAR(65535) (its maximum; TEXT would be VARCHAR(256)).
    text: dialect.textType(null),
    bigint: 'bigint',
    boolean: 'boolean',
    timestamp: dialect.timestampType(),
  };
}

// In the schemas of the layout the dialect writes for (IntegrationConfig.schemas; immuta_* by default).
export const systemTable = (dialect: Dialect, table: string): string => dialect.qualify(dialect.schemas.system, table);
export const procedureName = (dialect: Dialect, name: string): string =>
  dialect.qualify(dialect.schemas.procedures, name);
export const functionName = (dialect: Dialect, name: string): string =>
  dialect.qualify(dialect.schemas.functions, name);
