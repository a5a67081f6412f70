// The security suite's warehouse: exactly what ships. The layout comes from the bootstrap plan
// (shared/layout/bootstrap-plan.ts: inspect → plan → run as admin + system role), views from the compiler
// (shared/compiler/view-compiler.ts) applied the way the apply step does it (one transaction as the system
// role: CALL apply_datasource(…expected epoch) + view DDL + GRANT), and users through the real user-change
// plan (CALL apply_user, bound parameters). Nothing here is hand-written SQL for our own objects.
//
// `rewrite` exists only for negative controls: a test may pass a function that removes one protection from
// the generated SQL (e.g. the procedures' SET search_path) to prove, in its own database, that the attack it
// guards against really works without that protection. Tests of the shipped layout never pass it.
import { expect } from 'vitest';
import type { Engine, Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import {
  bootstrapScript,
  inspectStatement,
  parseInspection,
  planBootstrap,
} from '../../shared/layout/bootstrap-plan.js';
import { planDatasourceStateCall } from '../../shared/layout/state-call-plan.js';
import { MAX_STATEMENTS_PER_TRANSACTION, packTransactions } from '../../shared/sql/transaction-packer.js';
import { pinnedRunner } from '../../shared/layout/pinned-runner.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import { UserProfileSchema, type UserProfileInput } from '../../shared/policy/user-profile.js';
import type { DataSource } from '../../shared/policy/data-source.js';
import type { Policy } from '../../shared/policy/policy.js';

export interface SecureWarehouseOptions {
  /** Raw schemas the system role must read (created by the caller before install). */
  rawSchemas: string[];
  viewSchema?: string;
  /** Base of the system role's name (the engine adds its per-database suffix). */
  systemUserBase?: string;
  hashKey?: string;
  /** Negative controls only: rewrite each generated statement before it runs. */
  rewrite?: (sql: string) => string;
}

export interface SecureWarehouse {
  readonly engine: Engine;
  readonly config: IntegrationConfig;
  readonly hashKey: string;
  /** Statements exactly as they were sent for the bootstrap (after `rewrite`, if any). */
  readonly bootstrapStatements: SqlStatement[];
  /** Run statements as ONE transaction acting as the system role (what the apply step does). */
  asSystem(statements: readonly SqlStatement[]): Promise<void>;
  /**
   * Compile and apply one data source view with the guard CALL, as a data source work item does; `bundled`:
   * its DDL through run_pinned CALLs, as a view set sends it (shared/layout/pinned-runner.ts).
   */
  publish(ds: DataSource, policies: readonly Policy[], options?: { bundled?: boolean }): Promise<CompiledView>;
  /** Store a user's entitlements through CALL apply_user (one statement, bound parameters). */
  setUser(profile: UserProfileInput): Promise<void>;
  /** A new login role and a session authenticated as it. */
  login(base: string): Promise<{ role: string; session: Session }>;
}

/** A key with characters that break naive quoting, so a spliced key would also break the SQL. */
export const HOSTILE_HASH_KEY = `vg-key-9d3f'"\\;--$$-7a1e`;

export async function installSecureWarehouse(
  engine: Engine,
  options: SecureWarehouseOptions,
): Promise<SecureWarehouse> {
  const rewrite = options.rewrite ?? ((s: string) => s);
  const rw = (s: SqlStatement): SqlStatement => ({ ...s, sql: rewrite(s.sql) });
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: engine.database,
    viewSchema: options.viewSchema ?? 'secure',
    systemUser: engine.roleName(options.systemUserBase ?? 'immuta_system_user'),
    rawSources: options.rawSchemas.map((schema) => ({ schema })),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
  const config = parsed.value;
  const hashKey = options.hashKey ?? HOSTILE_HASH_KEY;

  const inspected = parseInspection(await engine.query(inspectStatement(config, d)));
  const bootstrapStatements = bootstrapScript(planBootstrap(config, d, inspected, { hashKey }), config, d).map(rw);
  await engine.exec(bootstrapStatements);

  const asSystem = async (statements: readonly SqlStatement[]): Promise<void> => {
    const s = engine.asAdmin;
    await s.query('BEGIN');
    try {
      await s.query(`SET LOCAL ROLE ${d.quoteIdent(config.systemUser)}`);
      for (const x of statements) await s.query(rw(x));
      await s.query('COMMIT');
    } catch (error) {
      await s.query('ROLLBACK');
      throw error;
    }
  };
  const signatures = new Map<string, string>();
  let passwords = 0;
  return {
    engine,
    config,
    hashKey,
    bootstrapStatements,
    asSystem,
    async publish(ds, policies, options = {}) {
      const previous = signatures.get(ds.id);
      const compiled = compileView(ds, policies, config, d, previous ? JSON.parse(previous) : null);
      const [{ epoch }] = await engine.query<{ epoch: string | number }>(
        'SELECT epoch FROM immuta_system.catalog_epoch',
      );
      const versionRows = await engine.query<{ v: string | number }>(
        'SELECT version AS v FROM immuta_system.datasource_state WHERE datasource_id = $1',
        [ds.id],
      );
      const version = versionRows.length ? Number(versionRows[0]!.v) + 1 : ds.version;
      const signature = JSON.stringify(compiled.signature);
      const call = planDatasourceStateCall(
        {
          datasourceId: ds.id,
          version,
          deleted: false,
          definition: ds,
          viewSignature: signature,
          expectedEpoch: Number(epoch),
        },
        d,
      );
      // Packed as the apply loop packs it: the view DDL between the dialect's name-resolution pin (or, bundled,
      // in CALLs of the procedure that pins it).
      const bundle = options.bundled ? { bundle: pinnedRunner(d) } : {};
      const units = [{ statements: [call, ...compiled.statements], tag: ds.id }];
      for (const tx of packTransactions(units, d, MAX_STATEMENTS_PER_TRANSACTION, bundle)) {
        if (options.bundled && !tx.statements.some((x) => x.bundled)) throw new Error('nothing was bundled');
        await asSystem(tx.statements);
      }
      signatures.set(ds.id, signature);
      return compiled;
    },
    async setUser(profile) {
      await asSystem([planUserUpsert(UserProfileSchema.parse(profile), d)]);
    },
    async login(base) {
      const password = `pw-${++passwords}-'"x`;
      const role = await engine.createLoginRole(base, password);
      return { role, session: await engine.asUser(role, password) };
    },
  };
}

/** The data source with its location in the engine's database (single-database mode reads only that one). */
export const inDatabase = (ds: DataSource, engine: Engine): DataSource => ({
  ...ds,
  location: { ...ds.location, database: engine.database },
});

/** Run raw-data setup as the admin: schema, table, rows (values bound), ANALYZE. */
export async function createRawTable(
  engine: Engine,
  schema: string,
  table: string,
  columns: readonly { name: string; type: string }[],
  rows: readonly (string | number | null)[][],
): Promise<void> {
  const cols = columns.map((c) => `${d.quoteIdent(c.name)} ${c.type}`).join(', ');
  const qualified = d.qualify(schema, table);
  const statements: SqlStatement[] = [
    stmt(`CREATE SCHEMA IF NOT EXISTS ${d.quoteIdent(schema)}`),
    stmt(`CREATE TABLE ${qualified} (${cols})`),
  ];
  for (const row of rows) {
    const params: Record<string, string | number | null> = {};
    row.forEach((v, i) => (params[`v${i}`] = v));
    statements.push(
      stmt(`INSERT INTO ${qualified} VALUES (${row.map((_v, i) => `:v${i}`).join(', ')})`, undefined, params),
    );
  }
  statements.push(stmt(`ANALYZE ${qualified}`));
  await engine.exec(statements);
}

/** Error message of a rejected promise; fails the test when it resolves. */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  expect.fail('expected an error, got success');
}
