// The bootstrap is a plan (atlas / pg-schema-diff style): inspect what exists, then emit only statements that
// are idempotent (IF NOT EXISTS, OR REPLACE, guarded INSERTs, GRANT/REVOKE) or guarded by the inspection
// (the system role: Redshift has no CREATE USER IF NOT EXISTS; schema ownership). Running it on an
// installed integration changes nothing (test/layout/bootstrap.test.ts compares catalogs).
//
// `runAs`: the admin creates the role and grants on databases and raw data; everything else is created by
// the system role so that it owns the objects and the views run with its rights. Each seed grant's mapping
// to real syntax is in docs/layout.md. Never `USAGE ON LANGUAGE PLPYTHONU`: Python UDFs are gone from
// Redshift (no new ones since Nov 2025, none run after 2026-06-30); everything here is SQL / plpgsql.
import { DiagnosticError, diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Dialect } from '../sql/dialect.js';
import { planned, stmt, type PlannedStatement, type SqlStatement, type StatementRole } from '../sql/statement.js';
import { packTransactions } from '../sql/transaction-packer.js';
import { dialectFor, integrationSchemaNames, schemasOf, type IntegrationConfig } from './integration-config.js';
import {
  functionDefinitions,
  procedureDefinitions,
  routineSignature,
  type RoutineDefinition,
} from './routine-definitions.js';
import { entitlementRowsSql } from './entitlement-rows.js';
import { TABLES, USER_ENTITLEMENT_VIEW, USER_PROFILE_VIEW, columnTypes, systemTable } from './warehouse-objects.js';

export type RunAs = 'admin' | 'system';

export interface BootstrapStep {
  runAs: RunAs;
  /** What the system role creates is `pinned` (it binds names in pg_catalog only); admin steps are not. */
  statement: PlannedStatement;
  /** Set when the statement must run connected to another database (raw grants in multi-database mode). */
  database?: string;
  /** Set on a routine's statements (its CREATE and its EXECUTE grant): which kind of routine. */
  routine?: RoutineDefinition['kind'];
}

export interface InspectedLayout {
  systemRoleExists: boolean;
  /** Owner of each of our schemas that exists (absent = the schema does not exist). */
  schemaOwners: Map<string, string | null>;
}

const integrationSchemas = (config: IntegrationConfig): string[] => [
  ...integrationSchemaNames(schemasOf(config)),
  config.viewSchema,
];

/** One read that tells what exists: the system role and the owners of our schemas. */
export function inspectStatement(config: IntegrationConfig, dialect: Dialect): SqlStatement {
  const roles = dialect.roleCatalog();
  const name = (col: string): string => `CAST(${col} AS ${dialect.textType(256)})`;
  const schemas = integrationSchemas(config)
    .map((s) => dialect.quoteLiteral(s))
    .join(', ');
  return stmt(
    [
      `SELECT 'role' AS kind, ${name(`r.${roles.nameColumn}`)} AS name, ${name('NULL')} AS owner`,
      `FROM ${roles.relation} r WHERE r.${roles.nameColumn} = ${dialect.quoteLiteral(config.systemUser)}`,
      'UNION ALL',
      `SELECT 'schema' AS kind, ${name('n.nspname')} AS name, ${name(`o.${roles.nameColumn}`)} AS owner`,
      `FROM pg_catalog.pg_namespace n LEFT JOIN ${roles.relation} o ON o.${roles.idColumn} = n.nspowner`,
      `WHERE n.nspname IN (${schemas})`,
    ].join('\n'),
    'inspect: system role and integration schemas',
  );
}

export function parseInspection(rows: readonly Record<string, unknown>[]): InspectedLayout {
  const schemaOwners = new Map<string, string | null>();
  let systemRoleExists = false;
  for (const row of rows) {
    if (row.kind === 'role') systemRoleExists = true;
    else if (row.kind === 'schema') schemaOwners.set(String(row.name), row.owner == null ? null : String(row.owner));
    else throw new Error(`unexpected inspection row kind ${String(row.kind)}`);
  }
  return { systemRoleExists, schemaOwners };
}

export interface BootstrapOptions {
  /** The hashing key: bound as :hash_key, inserted only when no key row exists, never in SQL text. */
  hashKey: string;
  /**
   * How the pipeline signs in as the system user: 'iam' (temporary credentials, Data API DbUser) or 'password'
   * (a secret's user name and password). Unknown (undefined) plans as 'iam' (the plan hash, tests).
   */
  systemSignIn?: 'iam' | 'password';
}

/**
 * Why the bootstrap must not create the system user, or null. It creates a missing user PASSWORD DISABLE
 * (dialect.createSystemRole: it signs in through IAM), so when the deployment signs it in with a secret's
 * password that user could never sign in: every Data API call of the pipeline would fail after a "successful"
 * deployment. Refuse before running anything, naming the fix.
 */
export function systemRoleProblem(
  config: IntegrationConfig,
  inspected: InspectedLayout,
  signIn: BootstrapOptions['systemSignIn'],
): Diagnostic | null {
  if (inspected.systemRoleExists || signIn !== 'password') return null;
  return diagnostic(
    'VG601',
    `the system user ${JSON.stringify(config.systemUser)} does not exist, and the pipeline signs in as it with the ` +
      `password of the secret in the environment's secretArn; the bootstrap would create it PASSWORD DISABLE, so ` +
      `nothing could ever sign in. Create the user first with that secret's password (CREATE USER ` +
      `${JSON.stringify(config.systemUser)} PASSWORD '<the password in the secret>') and deploy again — or, on a ` +
      `provisioned cluster, set dbUser (IAM temporary credentials) instead of secretArn in the environment`,
    ['secretArn'],
  );
}

/** Collects the steps of one plan; `admin`/`system` say who runs a statement and what it is. */
class Steps {
  readonly list: BootstrapStep[] = [];
  constructor(private readonly config: IntegrationConfig) {}
  admin(role: StatementRole, sql: string, comment: string, database?: string): void {
    const statement = planned(role, stmt(sql, comment));
    this.list.push(
      database !== undefined && database !== this.config.database
        ? { runAs: 'admin', statement, database }
        : { runAs: 'admin', statement },
    );
  }
  /** Everything the system role runs is pinned, unless `unpinned` says the statement binds nothing of a user's. */
  system(role: StatementRole, s: SqlStatement, unpinned = false): void {
    this.list.push({ runAs: 'system', statement: planned(role, s, { pinned: !unpinned }) });
  }
  sys(role: StatementRole, sql: string, comment: string): void {
    this.system(role, stmt(sql, comment));
  }
  /** A routine's statement, run (pinned) by the system role. */
  routine(routine: RoutineDefinition['kind'], role: StatementRole, s: SqlStatement): void {
    this.list.push({ runAs: 'system', statement: planned(role, s, { pinned: true }), routine });
  }
}

export function planBootstrap(
  config: IntegrationConfig,
  engine: Dialect,
  inspected: InspectedLayout,
  options: BootstrapOptions,
): BootstrapStep[] {
  if (options.hashKey.length === 0) throw new Error('the hashing key must not be empty');
  // Every statement below names the config's own schemas (IntegrationConfig.schemas).
  const dialect = dialectFor(engine, config);
  const refused = systemRoleProblem(config, inspected, options.systemSignIn);
  if (refused) throw new DiagnosticError([refused]);
  const steps = new Steps(config);
  adminSteps(steps, config, dialect, inspected);
  schemaSteps(steps, config, dialect);
  stateTableSteps(steps, dialect, options.hashKey);
  routineSteps(steps, dialect);
  return steps.list;
}

/** The administrator: the role, the database, ownership, raw data. */
function adminSteps(steps: Steps, config: IntegrationConfig, dialect: Dialect, inspected: InspectedLayout): void {
  const q = (n: string): string => dialect.quoteIdent(n);
  const sys = q(config.systemUser);
  const db = q(config.database);
  if (!inspected.systemRoleExists)
    steps.admin('ddl', dialect.createSystemRole(config.systemUser), 'system role (inspection: missing)');
  // Seed: ALL PRIVILEGES ON DATABASE — lets the system role create its schemas (and temp tables).
  steps.admin('grant', `GRANT ALL PRIVILEGES ON DATABASE ${db} TO ${sys}`, 'seed: ALL PRIVILEGES ON DATABASE');
  for (const schema of integrationSchemas(config)) {
    const owner = inspected.schemaOwners.get(schema);
    // A schema someone else created (e.g. an existing view schema) is handed over, so that the system
    // role owns everything it writes and PUBLIC cannot have been given CREATE by its old owner.
    if (owner !== undefined && owner !== config.systemUser) {
      steps.admin(
        'ddl',
        `ALTER SCHEMA ${q(schema)} OWNER TO ${sys}`,
        `schema ${schema} is owned by ${owner ?? 'an unknown role'}: hand it to the system role`,
      );
    }
  }
  // Seed: ALL PRIVILEGES ON ALL SCHEMAS — narrowed to what views need: read the configured raw schemas.
  // The dialect says where (multi mode: Redshift connects to the raw database; the PostgreSQL stand-in grants
  // on the postgres_fdw import schema in ours, docs/modes.md) and whether an external schema's tables take
  // SELECT grants (Redshift: USAGE on the external schema is all a late-binding view's owner needs).
  for (const raw of config.rawSources) {
    const target = dialect.rawGrantTarget(raw, config.database);
    const what =
      `raw schema ${raw.schema}${raw.database === config.database ? '' : ` of database ${raw.database}`}` +
      `${raw.external ? ' (external)' : ''}`;
    steps.admin('grant', `GRANT USAGE ON SCHEMA ${q(target.schema)} TO ${sys}`, `${what}: usage`, target.database);
    if (raw.external && !dialect.externalTablesNeedSelectGrant()) continue;
    steps.admin(
      'grant',
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${q(target.schema)} TO ${sys}`,
      `${what}: read existing tables`,
      target.database,
    );
    // Covers tables the admin creates later; tables created by other users need their own default privileges.
    steps.admin(
      'grant',
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${q(target.schema)} GRANT SELECT ON TABLES TO ${sys}`,
      `${what}: read future tables`,
      target.database,
    );
  }
  // Seed (PUBLIC): TEMP ON DATABASE. (USAGE ON DATABASE is a datashare privilege in Redshift and CONNECT is
  // PUBLIC's by default in PostgreSQL: nothing to emit.)
  steps.admin('grant', `GRANT TEMP ON DATABASE ${db} TO PUBLIC`, 'seed: TEMP ON DATABASE to PUBLIC');
}

/** The system role: its schemas, their grants and the default privileges of what it creates later. */
function schemaSteps(steps: Steps, config: IntegrationConfig, dialect: Dialect): void {
  const q = (n: string): string => dialect.quoteIdent(n);
  const sys = q(config.systemUser);
  for (const schema of integrationSchemas(config)) {
    steps.sys('ddl', `CREATE SCHEMA IF NOT EXISTS ${q(schema)}`, `schema ${schema}`);
    // Our schemas must not let PUBLIC create objects (a function or view planted there would be trusted).
    steps.sys('grant', `REVOKE CREATE ON SCHEMA ${q(schema)} FROM PUBLIC`, `schema ${schema}: no CREATE for PUBLIC`);
    steps.sys('grant', `GRANT USAGE ON SCHEMA ${q(schema)} TO PUBLIC`, `seed: USAGE ON SCHEMA ${schema} to PUBLIC`);
  }
  // Procedures write the profile and the catalog: nobody but the system role may call them, including ones
  // created later. (PostgreSQL grants EXECUTE to PUBLIC by default; per-schema defaults cannot revoke that,
  // so this is the system role's global default.)
  const routines = dialect.procedurePrivilegeObjects();
  const own = dialect.schemas;
  steps.sys(
    'grant',
    `ALTER DEFAULT PRIVILEGES FOR USER ${sys} REVOKE EXECUTE ON ${routines} FROM PUBLIC`,
    'future routines: no EXECUTE for PUBLIC',
  );
  steps.sys(
    'grant',
    `ALTER DEFAULT PRIVILEGES FOR USER ${sys} IN SCHEMA ${q(own.procedures)} GRANT EXECUTE ON ${routines} TO ${sys}`,
    `seed: USAGE ON FUTURE PROCEDURES IN SCHEMA ${own.procedures} (system role)`,
  );
  steps.sys(
    'grant',
    `ALTER DEFAULT PRIVILEGES FOR USER ${sys} IN SCHEMA ${q(own.functions)} GRANT EXECUTE ON FUNCTIONS TO PUBLIC`,
    `seed: USAGE ON FUTURE FUNCTIONS IN SCHEMA ${own.functions} to PUBLIC`,
  );
  // Seed "SELECT ON TABLES TO public", narrowed to the views: only the view schema gets it by default.
  steps.sys(
    'grant',
    `ALTER DEFAULT PRIVILEGES FOR USER ${sys} IN SCHEMA ${q(config.viewSchema)} GRANT SELECT ON TABLES TO PUBLIC`,
    'seed: SELECT ON TABLES to PUBLIC, views only',
  );
}

/** State tables (readable and writable only by the system role), their first rows, and the profile view. */
function stateTableSteps(steps: Steps, dialect: Dialect, hashKey: string): void {
  const t = columnTypes(dialect);
  const tables: [string, string][] = [
    [TABLES.catalogEpoch, `epoch ${t.bigint} NOT NULL`],
    [
      TABLES.datasourceState,
      `datasource_id ${t.key} NOT NULL PRIMARY KEY, version ${t.bigint} NOT NULL, deleted ${t.boolean} NOT NULL, ` +
        `definition ${t.text}, view_signature ${t.text}, updated_at ${t.timestamp} NOT NULL`,
    ],
    [
      TABLES.policyState,
      `policy_id ${t.key} NOT NULL PRIMARY KEY, version ${t.bigint} NOT NULL, deleted ${t.boolean} NOT NULL, ` +
        `definition ${t.text}, updated_at ${t.timestamp} NOT NULL`,
    ],
    [
      TABLES.profile,
      `immuta__userid ${t.key} NOT NULL PRIMARY KEY, version ${t.bigint} NOT NULL, deleted ${t.boolean} NOT NULL, ` +
        `groups ${t.text}, attributes ${t.text}, projects ${t.text}, current_project ${t.text}, purposes ${t.text}, ` +
        `datasources ${t.text}, updated_at ${t.timestamp} NOT NULL`,
    ],
    // No NULL value: `x IN (…)` must be exactly true or false for a non-NULL row value.
    [
      TABLES.entitlement,
      `immuta__userid ${t.key} NOT NULL, kind ${dialect.textType(16)} NOT NULL, attribute ${t.text} NOT NULL, ` +
        `value ${t.text} NOT NULL`,
    ],
    [TABLES.hashKey, `key_id ${t.bigint} NOT NULL PRIMARY KEY, hash_key ${t.text} NOT NULL`],
  ];
  for (const [table, columns] of tables) {
    steps.sys('ddl', `CREATE TABLE IF NOT EXISTS ${systemTable(dialect, table)} (${columns})`, `state table ${table}`);
    steps.sys(
      'grant',
      `REVOKE ALL ON TABLE ${systemTable(dialect, table)} FROM PUBLIC`,
      `state table ${table}: nothing for PUBLIC`,
    );
  }
  const epoch = systemTable(dialect, TABLES.catalogEpoch);
  // Guarded INSERTs read the table in a FROM (not `SELECT … WHERE NOT EXISTS` without FROM) so that the
  // statement is an ordinary compute-node query on Redshift too.
  steps.sys(
    'write',
    `INSERT INTO ${epoch} (epoch) SELECT 0 FROM (SELECT COUNT(*) AS n FROM ${epoch}) c WHERE c.n = 0`,
    'catalog epoch row (when missing)',
  );
  const key = systemTable(dialect, TABLES.hashKey);
  // Not pinned: it creates nothing that keeps a binding, and it runs in a Data API batch of its own (no other
  // statement shares the batch that carries the key).
  steps.system(
    'write',
    stmt(
      `INSERT INTO ${key} (key_id, hash_key) SELECT 1, CAST(:hash_key AS ${t.text}) FROM (SELECT COUNT(*) AS n ` +
        `FROM ${key} WHERE key_id = 1) c WHERE c.n = 0`,
      'hashing key row (when missing; value bound, never in the text)',
      { hash_key: hashKey },
    ),
    true,
  );
  // The one view everyone may read — their own profile row only.
  const profileView = systemTable(dialect, USER_PROFILE_VIEW);
  steps.sys(
    'ddl',
    dialect.createView(
      profileView,
      'SELECT immuta__userid, groups, attributes, projects, current_project, purposes, datasources ' +
        `FROM ${systemTable(dialect, TABLES.profile)} WHERE immuta__userid = current_user AND NOT deleted`,
      { replace: true, lateBinding: false },
    ),
    'user_profile: the current user’s row',
  );
  steps.sys('grant', `GRANT SELECT ON ${profileView} TO PUBLIC`, 'user_profile readable by everyone (own row only)');
  entitlementSteps(steps, dialect);
}

/**
 * The entitlement rows: filled from the stored profiles once (an older layout had none), and the current user's view.
 */
function entitlementSteps(steps: Steps, dialect: Dialect): void {
  const rows = systemTable(dialect, TABLES.entitlement);
  const profile = systemTable(dialect, TABLES.profile);
  const decoded = entitlementRowsSql(dialect, {
    userid: 'pr.immuta__userid',
    groups: 'pr.groups',
    attributes: 'pr.attributes',
    from: `${profile} pr`,
  });
  steps.sys(
    'write',
    `INSERT INTO ${rows} (immuta__userid, kind, attribute, value) SELECT e.immuta__userid, e.kind, e.attribute, ` +
      `e.value FROM (${decoded}) e CROSS JOIN (SELECT COUNT(*) AS n FROM ${rows}) c WHERE c.n = 0`,
    'entitlement rows of the stored profiles (when there are none yet)',
  );
  const view = systemTable(dialect, USER_ENTITLEMENT_VIEW);
  steps.sys(
    'ddl',
    dialect.createView(view, `SELECT kind, attribute, value FROM ${rows} WHERE immuta__userid = current_user`, {
      replace: true,
      lateBinding: false,
    }),
    'user_entitlement: the current user’s entitlement rows',
  );
  steps.sys('grant', `GRANT SELECT ON ${view} TO PUBLIC`, 'user_entitlement readable by everyone (own rows only)');
}

/** Functions (PUBLIC may execute) and procedures (only the system role). */
function routineSteps(steps: Steps, dialect: Dialect): void {
  for (const f of functionDefinitions(dialect)) {
    steps.routine('function', 'ddl', f.create);
    steps.routine(
      'function',
      'grant',
      stmt(`GRANT EXECUTE ON FUNCTION ${routineSignature(f)} TO PUBLIC`, 'seed: functions executable by PUBLIC'),
    );
  }
  for (const p of procedureDefinitions(dialect)) {
    steps.routine('procedure', 'ddl', p.create);
    steps.routine(
      'procedure',
      'grant',
      stmt(`REVOKE EXECUTE ON PROCEDURE ${routineSignature(p)} FROM PUBLIC`, 'write procedures: system role only'),
    );
  }
}

/**
 * The plan as one admin (superuser) session in `database`: the transaction packer makes one run per identity
 * (the system role's pinned), and the dialect's actAs (PostgreSQL SET ROLE, Redshift SET SESSION
 * AUTHORIZATION) switches between them, so the system role owns what it creates. Steps for other databases
 * are left out; run the script again connected to that database.
 */
export function bootstrapScript(
  steps: readonly BootstrapStep[],
  config: IntegrationConfig,
  dialect: Dialect,
  database: string = config.database,
): PlannedStatement[] {
  const here = steps.filter((step) => (step.database ?? config.database) === database);
  const runs = packTransactions(
    here.map((step) => ({ statements: [step.statement], session: step.runAs, tag: step })),
    dialect,
    Infinity,
  );
  const out: PlannedStatement[] = [];
  let asSystem = false;
  for (const run of runs) {
    const wantSystem = run.session === 'system';
    if (wantSystem !== asSystem)
      out.push(
        planned(
          'session',
          stmt(
            dialect.actAs(wantSystem ? config.systemUser : null),
            wantSystem ? 'act as the system role' : 'back to the admin',
          ),
        ),
      );
    asSystem = wantSystem;
    out.push(...run.statements);
  }
  if (asSystem) out.push(planned('session', stmt(dialect.actAs(null), 'back to the admin')));
  return out;
}
