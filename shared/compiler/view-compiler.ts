// The view compiler: data source + its applicable policies + config + dialect → the statements that make the
// view the desired state, its signature, and diagnostics. Contract: docs/architecture.md "View compile contract".
//
//   SELECT <cols> FROM <raw> t
//   WHERE EXISTS (SELECT 1 FROM immuta_system.user_profile)
//     AND EXISTS (SELECT 1 FROM immuta_system.user_profile WHERE <subscription>) AND <row filters>
//
// Every per-user decision (and the hashing key, `(SELECT hash_key … WHERE key_id = (SELECT MAX(key_id) …))`,
// which so never appears in a definition) is an uncorrelated subquery the engine evaluates once per query. A user
// without a profile row gets no rows at all. "The row's value is one of the user's groups / attribute values"
// is `<value> IN (SELECT value FROM immuta_system.user_entitlement …)`, hashed once per query.
// A policy that cannot be compiled turns the whole view into typed NULLs `WHERE FALSE` (fail closed, VG301).
import { DiagnosticError, diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { IntegrationConfig } from '../layout/integration-config.js';
import { containsConstantSql, dataSourceNeedle } from '../layout/profile-encoding.js';
import { applicablePolicies } from '../policy/applicable-policies.js';
import { parseColumnType } from '../policy/column-type.js';
import type { DataSource } from '../policy/data-source.js';
import type { Policy, SubscriptionPolicy } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';
import { planned, stmt, type PlannedStatement, type SqlStatement } from '../sql/statement.js';
import { maskedColumn } from './mask-expression.js';
import { ProfileDecisions, criteriaSql, usingPurposeSql, type ProfileSource } from './profile-decisions.js';
import { rowFilterSql } from './row-filter-expression.js';
import { Uncompilable, safely } from './uncompilable.js';
import { sameSignature, type ViewSignature } from './view-signature.js';

export type ViewCompileConfig = Pick<IntegrationConfig, 'mode' | 'database' | 'viewSchema'>;

/** A view column as the compiler emitted it: its output type and the types of its CASE's result expressions. */
export interface TypedColumn {
  name: string;
  type: string;
  branchTypes: string[];
}

export interface CompiledView {
  /**
   * View DDL and its grant, each `pinned`: the transaction packer runs them with name resolution in pg_catalog only.
   */
  statements: PlannedStatement[];
  signature: ViewSignature;
  /** Every column's emitted types (the Redshift lint checks them: test/support/lint/view-types.ts). */
  columns: TypedColumn[];
  diagnostics: Diagnostic[];
  /** True when the view was compiled as typed NULLs WHERE FALSE. */
  failedClosed: boolean;
}

/**
 * The subscription decision as a boolean over the profile row's columns (never NULL); null = everyone with a
 * profile row (`anyone`). Also what operator tools evaluate for one user (shared/operations/explain.ts).
 */
export function subscriptionDecisionSql(
  dialect: Dialect,
  ds: DataSource,
  policy: SubscriptionPolicy | null,
): string | null {
  const access = policy?.access ?? { kind: 'approved' as const };
  switch (access.kind) {
    case 'anyone':
      return null;
    case 'usersWith':
      return criteriaSql(dialect, access.who);
    case 'approved':
      return (
        `COALESCE(${containsConstantSql(dialect, dialect.quoteIdent('datasources'), dataSourceNeedle(ds.id))}, ` +
        `FALSE)`
      );
    case 'usingPurpose':
      return usingPurposeSql(dialect, access.purposes);
  }
}

function subscriptionSql(
  dialect: Dialect,
  ds: DataSource,
  policy: SubscriptionPolicy | null,
  p: ProfileDecisions,
): string {
  const decision = subscriptionDecisionSql(dialect, ds, policy);
  return decision === null ? 'TRUE' : p.decision(decision);
}

export const viewName = (ds: Pick<DataSource, 'name'>, config: ViewCompileConfig, dialect: Dialect): string =>
  dialect.qualify(config.viewSchema, ds.name);

/**
 * A table of another database: the view reads it with a cross-database reference. Only in multi-database mode:
 * single-database mode refuses such a table (VG301) before anything asks, and its view fails closed.
 */
const readsAnotherDatabase = (ds: DataSource, config: ViewCompileConfig): boolean =>
  ds.location.database !== config.database;

/** DROP VIEW IF EXISTS for a deleted data source. Throws DiagnosticError only when the name cannot be quoted. */
export function dropView(
  ds: Pick<DataSource, 'name'>,
  config: ViewCompileConfig,
  dialect: Dialect,
): PlannedStatement[] {
  return [viewDrop(stmt(`DROP VIEW IF EXISTS ${dialect.qualify(config.viewSchema, ds.name)}`, 'data source deleted'))];
}

// Every view statement runs pinned: what a view binds to (operators, functions) is resolved in pg_catalog only,
// so a planted public.= or public.|| never becomes part of it (test/security/search-path-hijack).
const viewDdl = (s: SqlStatement): PlannedStatement => planned('ddl', s, { pinned: true });
const viewDrop = (s: SqlStatement): PlannedStatement => planned('drop', s, { pinned: true });
const viewGrant = (s: SqlStatement): PlannedStatement => planned('grant', s, { pinned: true });

export interface CompileOptions {
  /** Problems found before compiling (e.g. a stored policy that no longer parses): the view fails closed. */
  failClosedBecause?: Diagnostic[];
}

export interface QueryOptions extends CompileOptions {
  /**
   * Where the one profile row and the entitlement rows come from instead of `immuta_system.user_profile` /
   * `user_entitlement` (the querying user's rows):
   * operator tools evaluate the view FOR a named user, as the administrator (ProfileDecisions). Only
   * compileViewQuery takes it — a view's DDL always reads the querying user's row.
   */
  profileSource?: ProfileSource;
}

/** The view's SELECT (what its DDL would wrap), without any statement. */
export interface CompiledQuery {
  query: string;
  signature: ViewSignature;
  /** Every column's emitted types (test/support/lint/view-types.ts checks them). */
  columns: TypedColumn[];
  diagnostics: Diagnostic[];
  failedClosed: boolean;
}

/**
 * The same SELECT compileView puts in the view, to run as a query: with `profileSource`, the administrator
 * evaluates what one user sees (shared/operations/explain.ts) without that user's credentials.
 */
export function compileViewQuery(
  ds: DataSource,
  policies: readonly Policy[],
  config: ViewCompileConfig,
  dialect: Dialect,
  options: QueryOptions = {},
): CompiledQuery {
  return compileSelect(ds, applicablePolicies(ds, policies), config, dialect, options);
}

function compileSelect(
  ds: DataSource,
  applicable: ReturnType<typeof applicablePolicies>,
  config: ViewCompileConfig,
  dialect: Dialect,
  options: QueryOptions,
): CompiledQuery {
  const diagnostics: Diagnostic[] = [...applicable.diagnostics];
  try {
    if (options.failClosedBecause?.length) throw new Uncompilable(options.failClosedBecause);
    const warnings: Diagnostic[] = [];
    const { query, signature, columns } = compileQuery(
      ds,
      applicable,
      config,
      dialect,
      warnings,
      options.profileSource,
    );
    return { query, signature, columns, diagnostics: [...diagnostics, ...warnings], failedClosed: false };
  } catch (e) {
    if (!(e instanceof Uncompilable)) throw e;
    diagnostics.push(...e.diagnostics);
    diagnostics.push(
      diagnostic(
        'VG301',
        `data source ${JSON.stringify(ds.id)}: the view fails closed (no rows) until the problem above is fixed`,
      ),
    );
    const closed = failClosedQuery(ds, dialect);
    return {
      ...closed,
      columns: closed.signature.columns.map((c) => ({ ...c, branchTypes: [c.type] })),
      diagnostics,
      failedClosed: true,
    };
  }
}

export function compileView(
  ds: DataSource,
  policies: readonly Policy[],
  config: ViewCompileConfig,
  dialect: Dialect,
  previous?: ViewSignature | null,
  options: CompileOptions = {},
): CompiledView {
  const applicable = applicablePolicies(ds, policies);
  let name: string;
  try {
    name = viewName(ds, config, dialect);
  } catch (e) {
    // No view can carry this name, so there is nothing to create (and nothing of ours to leave open).
    if (e instanceof DiagnosticError)
      return {
        statements: [],
        signature: { columns: [] },
        columns: [],
        diagnostics: [...applicable.diagnostics, ...e.diagnostics],
        failedClosed: true,
      };
    throw e;
  }
  // A view's DDL always reads the querying user's own profile row: no profileSource here.
  const compiled = compileSelect(ds, applicable, config, dialect, { failClosedBecause: options.failClosedBecause });
  const { query, diagnostics, failedClosed, columns } = compiled;
  let signature = compiled.signature;

  const grant = viewGrant(
    stmt(`GRANT SELECT ON ${name} TO PUBLIC`, 'analysts query the view; the view decides what each one sees'),
  );
  // External (Spectrum) tables and objects of another database (multi-database mode) can only be read by a
  // late-binding view, which must schema-qualify every reference (ours all are):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html,
  // https://docs.aws.amazon.com/redshift/latest/dg/cross-database_limitation.html. The binding is part of the
  // signature, so a change of binding drops and creates the view instead of replacing it. The fail-closed view
  // references no table and stays an ordinary view.
  const lateBinding = (ds.kind === 'external' || readsAnotherDatabase(ds, config)) && !failedClosed;
  if (lateBinding) signature = { ...signature, lateBinding: true };
  const unchanged = previous != null && sameSignature(previous, signature);
  // Replaced in place, a view keeps its privileges on both engines ("When a view is replaced, its other
  // properties such as ownership and granted privileges are preserved": r_CREATE_VIEW above), so no GRANT: one
  // statement per view for a policy push (test/pipeline/replace-keeps-grants.test.ts runs it as a login role).
  const statements = unchanged
    ? [
        viewDdl(
          stmt(
            dialect.createView(name, query, { replace: true, lateBinding }),
            'same columns and types: replace in place (grants kept)',
          ),
        ),
      ]
    : [
        // Unknown or different signature: CREATE OR REPLACE would fail on a changed column type, so drop and
        // create in the same transaction; the grant is given again.
        viewDrop(
          stmt(
            `DROP VIEW IF EXISTS ${name}`,
            previous == null ? 'no recorded signature' : 'column names, types or binding changed',
          ),
        ),
        viewDdl(stmt(dialect.createView(name, query, { replace: false, lateBinding }), 'create the view')),
        grant,
      ];
  return { statements, signature, columns, diagnostics, failedClosed };
}

/**
 * The fail-closed form of a data source's view (typed NULLs, WHERE FALSE, no reference to the raw table) for
 * problems found OUTSIDE the compiler — e.g. the warehouse refused the compiled DDL (apply-work-item.ts). The
 * statements always DROP IF EXISTS + CREATE + GRANT: the view currently in place may have any signature, and
 * the fail-closed one must replace it whatever it is.
 */
export function compileFailClosedView(
  ds: DataSource,
  config: ViewCompileConfig,
  dialect: Dialect,
  because: Diagnostic[],
): CompiledView {
  return compileView(ds, [], config, dialect, null, { failClosedBecause: because });
}

/**
 * A deny-all view that keeps the columns of the view in place: `CREATE OR REPLACE` with `signature`'s names and
 * types, typed NULLs, `WHERE FALSE`. The engine replaces a view in place whenever the column set is the same,
 * even when other objects depend on it — so this closes a view that cannot be dropped (a user built a view on
 * ours). Null when a recorded column cannot be rendered as ours (then nothing is sent).
 */
export function compileDenyAllView(
  ds: Pick<DataSource, 'id' | 'name'>,
  signature: ViewSignature,
  config: ViewCompileConfig,
  dialect: Dialect,
  because: Diagnostic[],
): CompiledView | null {
  const select: string[] = [];
  try {
    for (const c of signature.columns) {
      // Only a type the compiler itself writes (its canonical spelling) is put back into SQL.
      if (parseColumnType(c.type)?.sql !== c.type) return null;
      select.push(`CAST(NULL AS ${c.type}) AS ${dialect.quoteIdent(c.name)}`);
    }
    if (select.length === 0) return null;
    const name = viewName(ds, config, dialect);
    const create = viewDdl(
      stmt(
        dialect.createView(name, `SELECT ${select.join(', ')} WHERE FALSE`, { replace: true, lateBinding: false }),
        'deny-all in place: the same columns, no rows',
      ),
    );
    const columns = signature.columns.map((c) => ({ name: c.name, type: c.type, branchTypes: [c.type] }));
    return {
      statements: [create],
      signature: { columns: signature.columns.map((c) => ({ ...c })) },
      columns,
      diagnostics: because,
      failedClosed: true,
    };
  } catch (e) {
    if (e instanceof DiagnosticError) return null;
    throw e;
  }
}

function compileQuery(
  ds: DataSource,
  applicable: ReturnType<typeof applicablePolicies>,
  config: ViewCompileConfig,
  dialect: Dialect,
  /** VG303 type-aware mask fallbacks (the column shows NULL). */
  warnings: Diagnostic[],
  profileSource?: ProfileSource,
): { query: string; signature: ViewSignature; columns: TypedColumn[] } {
  const p = new ProfileDecisions(dialect, profileSource);
  if (config.mode === 'single' && ds.location.database !== config.database) {
    throw new Uncompilable([
      diagnostic(
        'VG301',
        `data source ${JSON.stringify(ds.id)} is in database ${JSON.stringify(ds.location.database)}; ` +
          `single-database mode reads only ${JSON.stringify(config.database)}`,
        ['location', 'database'],
      ),
    ]);
  }
  const crossDatabase = readsAnotherDatabase(ds, config);
  // Redshift cross-database queries do not read external tables (docs/modes.md): the admin must use
  // single-database mode in the external schema's database, or re-create the external table in ours.
  if (crossDatabase && ds.kind === 'external') {
    throw new Uncompilable([
      diagnostic(
        'VG305',
        `data source ${JSON.stringify(ds.id)} is an external table in database ` +
          `${JSON.stringify(ds.location.database)}; cross-database queries cannot read external tables, so a view in ` +
          `${JSON.stringify(config.database)} cannot either. Use single-database mode in ` +
          `${JSON.stringify(ds.location.database)}, or re-create the external table (its external schema) in ` +
          `${JSON.stringify(config.database)}`,
        ['location', 'database'],
      ),
    ]);
  }
  const raw = safely(() => dialect.rawTable(ds.location, crossDatabase));
  const select: string[] = [];
  const signature: ViewSignature = { columns: [] };
  const columns: TypedColumn[] = [];
  for (const column of ds.columns) {
    const type = parseColumnType(column.type)!;
    const quoted = safely(() => dialect.quoteIdent(column.name));
    const mask = applicable.masks.get(column.name);
    const out = mask
      ? safely(() => maskedColumn(dialect, ds, column, type, mask.policy, p, warnings))
      : { expr: `t.${quoted}`, type: type.sql, branchTypes: [type.sql] };
    select.push(`${out.expr} AS ${quoted}`);
    signature.columns.push({ name: column.name, type: out.type });
    columns.push({ name: column.name, type: out.type, branchTypes: out.branchTypes });
  }
  const where = [
    p.present(),
    subscriptionSql(dialect, ds, applicable.subscription, p),
    ...applicable.rowFilters.map((rf) => safely(() => rowFilterSql(dialect, ds, rf, p))),
  ];
  return {
    query: `SELECT ${select.join(', ')} FROM ${raw} t WHERE ${where.join(' AND ')}`,
    signature,
    columns,
  };
}

/** Typed NULLs for every column that can be named, no rows, and no reference to the raw table. */
function failClosedQuery(ds: DataSource, dialect: Dialect): { query: string; signature: ViewSignature } {
  const signature: ViewSignature = { columns: [] };
  const select: string[] = [];
  for (const column of ds.columns) {
    let quoted: string;
    try {
      quoted = dialect.quoteIdent(column.name);
    } catch {
      continue; // a column that cannot be named cannot be exposed either
    }
    const type = parseColumnType(column.type)!.sql;
    select.push(`CAST(NULL AS ${type}) AS ${quoted}`);
    signature.columns.push({ name: column.name, type });
  }
  if (select.length === 0) {
    // A view needs one column; this one says why it is empty.
    select.push(`CAST(NULL AS int4) AS ${dialect.quoteIdent('unavailable')}`);
    signature.columns.push({ name: 'unavailable', type: 'int4' });
  }
  return { query: `SELECT ${select.join(', ')} WHERE FALSE`, signature };
}
