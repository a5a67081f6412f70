// The view compiler: data source + its applicable policies + config + dialect → the statements that make the
// view the desired state, its signature, and diagnostics. Contract: docs/architecture.md "View compile contract".
//
//   SELECT <cols> FROM <raw> t
//   CROSS JOIN (SELECT <one boolean per decision>, <profile lists row filters need> FROM immuta_system.user_profile) p
//   [CROSS JOIN (SELECT hash_key FROM immuta_system.hash_key WHERE key_id = (SELECT MAX(key_id) …)) k]
//   WHERE p.<subscription> AND <row filters>
//
// Every per-user decision is computed once, in the one-row subquery p. A user without a profile row gets no
// p row, hence no rows at all. The hashing key is joined from its table, so it never appears in a definition.
// A policy that cannot be compiled turns the whole view into typed NULLs `WHERE FALSE` (fail closed, VG301).
import { DiagnosticError, diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { IntegrationConfig } from '../layout/integration-config.js';
import { SYSTEM_SCHEMA } from '../layout/integration-config.js';
import {
  attributeItemNeedleSql,
  attributeNeedle,
  containsConstantSql,
  containsSql,
  dataSourceNeedle,
  groupNeedle,
  listItemNeedleSql,
  purposeNeedle,
} from '../layout/profile-encoding.js';
import { applicablePolicies, targetColumns } from '../policy/applicable-policies.js';
import { parseColumnType, type ColumnType } from '../policy/column-type.js';
import type { Column, DataSource } from '../policy/data-source.js';
import type { MaskFunction, MaskPolicy, Policy, RowFilterPolicy, SubscriptionPolicy, UserCriteria } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';
import { constantMismatch } from './mask-constant.js';
import { sameSignature, type ViewSignature } from './view-signature.js';

export type ViewCompileConfig = Pick<IntegrationConfig, 'mode' | 'database' | 'viewSchema'>;

export interface CompiledView {
  statements: SqlStatement[];
  signature: ViewSignature;
  diagnostics: Diagnostic[];
  /** True when the view was compiled as typed NULLs WHERE FALSE. */
  failedClosed: boolean;
}

/** The hashed text is at least a SHA-256 hex digest wide. */
const HASH_WIDTH = 64;

/** Thrown inside the compiler for a policy that cannot be compiled; turned into a fail-closed view. */
class Uncompilable extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join('; '));
  }
}

/** Per-user decisions, deduplicated by their SQL text, become the columns of p. */
class ProfileDecisions {
  private readonly byExpr = new Map<string, string>();
  private readonly lists = new Set<string>();
  constructor(private readonly dialect: Dialect) {}

  /** A boolean over the profile row; returns `p.<alias>`. */
  decision(sqlExpr: string): string {
    let alias = this.byExpr.get(sqlExpr);
    if (!alias) {
      alias = `d${this.byExpr.size}`;
      this.byExpr.set(sqlExpr, alias);
    }
    return `p.${this.dialect.quoteIdent(alias)}`;
  }

  /** A profile column the row filters read per row; returns `p.<column>`. */
  list(column: string): string {
    this.lists.add(column);
    return `p.${this.dialect.quoteIdent(column)}`;
  }

  get empty(): boolean {
    return this.byExpr.size === 0 && this.lists.size === 0;
  }

  select(): string {
    const cols = [...this.byExpr].map(([expr, alias]) => `${expr} AS ${this.dialect.quoteIdent(alias)}`);
    for (const l of [...this.lists].sort()) cols.push(this.dialect.quoteIdent(l));
    // A user with no profile row gets no p row; a constant keeps the subquery valid when nothing is decided.
    if (cols.length === 0) cols.push(`TRUE AS ${this.dialect.quoteIdent('present')}`);
    return `SELECT ${cols.join(', ')} FROM ${this.dialect.qualify(SYSTEM_SCHEMA, 'user_profile')}`;
  }
}

function criteriaSql(dialect: Dialect, c: UserCriteria): string {
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

function subscriptionSql(dialect: Dialect, ds: DataSource, policy: SubscriptionPolicy | null, p: ProfileDecisions): string {
  const access = policy?.access ?? { kind: 'approved' as const };
  switch (access.kind) {
    case 'anyone':
      return 'TRUE';
    case 'usersWith':
      return p.decision(criteriaSql(dialect, access.who));
    case 'approved':
      return p.decision(`COALESCE(${containsConstantSql(dialect, dialect.quoteIdent('datasources'), dataSourceNeedle(ds.id))}, FALSE)`);
  }
}

interface ColumnOutput {
  expr: string;
  type: string;
  usesKey: boolean;
}

function maskedColumn(dialect: Dialect, column: Column, type: ColumnType, policy: MaskPolicy, p: ProfileDecisions): ColumnOutput {
  const ref = `t.${dialect.quoteIdent(column.name)}`;
  const fns: (MaskFunction | { kind: 'clear' })[] = [policy.mask];
  if (policy.condition.kind === 'everyoneWho') fns.push(policy.condition.otherwise);
  for (const fn of fns) {
    if (fn.kind === 'constant') {
      const why = constantMismatch(type, fn.value);
      if (why) {
        throw new Uncompilable([
          diagnostic('VG303', `mask ${JSON.stringify(policy.id)}: constant ${JSON.stringify(fn.value)} ${why} (column ${JSON.stringify(column.name)} is ${type.sql})`, ['mask', 'value']),
        ]);
      }
    }
  }
  const hashes = fns.some((f) => f.kind === 'hash');
  // A hashed column becomes text wide enough for the digest and for the clear value of the other branch.
  const outType = hashes ? dialect.textType(type.textWidth === null ? null : Math.max(HASH_WIDTH, type.textWidth)) : type.sql;
  const asText = dialect.textType(type.textWidth);
  const render = (fn: MaskFunction | { kind: 'clear' }): string => {
    switch (fn.kind) {
      case 'hash':
        return dialect.hashExpression(`k.${dialect.quoteIdent('hash_key')} || CAST(${ref} AS ${asText})`);
      case 'null':
        return 'NULL';
      case 'constant':
        return dialect.quoteLiteral(fn.value);
      case 'clear':
        return ref;
    }
  };
  let expr: string;
  const c = policy.condition;
  if (c.kind === 'everyone') expr = render(policy.mask);
  else if (c.kind === 'everyoneExcept') expr = `CASE WHEN ${p.decision(criteriaSql(dialect, c.except))} THEN ${render({ kind: 'clear' })} ELSE ${render(policy.mask)} END`;
  else expr = `CASE WHEN ${p.decision(criteriaSql(dialect, c.who))} THEN ${render(policy.mask)} ELSE ${render(c.otherwise)} END`;
  // The outer CAST fixes the column type (and length) whatever the branches are, so the view's signature is
  // exactly the one we compute; CREATE OR REPLACE compares types including their length.
  return { expr: `CAST(${expr} AS ${outType})`, type: outType, usesKey: hashes };
}

function rowFilterSql(dialect: Dialect, ds: DataSource, policy: RowFilterPolicy, p: ProfileDecisions): string {
  const f = policy.filter;
  let cond: string;
  if (f.kind === 'never') cond = 'FALSE';
  else {
    const cols = targetColumns(f.column, ds);
    if (cols.length === 0) {
      throw new Uncompilable([
        diagnostic('VG302', `row filter ${JSON.stringify(policy.id)}: no column ${f.column.kind === 'column' ? JSON.stringify(f.column.name) : `tagged ${JSON.stringify(f.column.tag)}`} in data source ${JSON.stringify(ds.id)}`, ['filter', 'column']),
      ]);
    }
    // Several columns carrying the tag: every one must match (the stricter reading fails closed).
    cond = cols
      .map((c) => {
        const type = parseColumnType(c.type)!;
        const value = `CAST(t.${dialect.quoteIdent(c.name)} AS ${dialect.textType(type.textWidth)})`;
        return f.kind === 'groupMatch'
          ? containsSql(p.list('groups'), listItemNeedleSql(dialect, value))
          : containsSql(p.list('attributes'), attributeItemNeedleSql(dialect, f.attribute, value));
      })
      .join(' AND ');
  }
  return policy.exception ? `(${p.decision(criteriaSql(dialect, policy.exception))} OR ${cond})` : `(${cond})`;
}

/** Quote or collect the identifier diagnostic (VG101-VG103) as a compile failure. */
function safely<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DiagnosticError) throw new Uncompilable(e.diagnostics);
    throw e;
  }
}

export const viewName = (ds: DataSource, config: ViewCompileConfig, dialect: Dialect): string => dialect.qualify(config.viewSchema, ds.name);

/** DROP VIEW IF EXISTS for a deleted data source. Throws DiagnosticError only when the name cannot be quoted. */
export function dropView(ds: Pick<DataSource, 'name'>, config: ViewCompileConfig, dialect: Dialect): SqlStatement[] {
  return [stmt(`DROP VIEW IF EXISTS ${dialect.qualify(config.viewSchema, ds.name)}`, 'data source deleted')];
}

export interface CompileOptions {
  /** Problems found before compiling (e.g. a stored policy that no longer parses): the view fails closed. */
  failClosedBecause?: Diagnostic[];
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
  const diagnostics: Diagnostic[] = [...applicable.diagnostics];
  let name: string;
  try {
    name = viewName(ds, config, dialect);
  } catch (e) {
    // No view can carry this name, so there is nothing to create (and nothing of ours to leave open).
    if (e instanceof DiagnosticError) return { statements: [], signature: { columns: [] }, diagnostics: [...diagnostics, ...e.diagnostics], failedClosed: true };
    throw e;
  }

  let query: string;
  let signature: ViewSignature;
  let failedClosed = false;
  try {
    if (options.failClosedBecause?.length) throw new Uncompilable(options.failClosedBecause);
    ({ query, signature } = compileQuery(ds, applicable, config, dialect));
  } catch (e) {
    if (!(e instanceof Uncompilable)) throw e;
    failedClosed = true;
    diagnostics.push(...e.diagnostics);
    diagnostics.push(diagnostic('VG301', `data source ${JSON.stringify(ds.id)}: the view fails closed (no rows) until the problem above is fixed`));
    ({ query, signature } = failClosedQuery(ds, dialect));
  }

  const grant = stmt(`GRANT SELECT ON ${name} TO PUBLIC`, 'analysts query the view; the view decides what each one sees');
  // External (Spectrum) tables can only be read by a late-binding view, which must schema-qualify every
  // reference (ours all are): https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html. The binding
  // is part of the signature, so a table ↔ external change drops and creates the view instead of replacing it.
  // The fail-closed view references no table and stays an ordinary view.
  const lateBinding = ds.kind === 'external' && !failedClosed;
  if (lateBinding) signature = { ...signature, lateBinding: true };
  const unchanged = previous != null && sameSignature(previous, signature);
  const statements = unchanged
    ? [stmt(dialect.createView(name, query, { replace: true, lateBinding }), 'same columns and types: replace in place (grants kept)'), grant]
    : [
        // Unknown or different signature: CREATE OR REPLACE would fail on a changed column type, so drop and
        // create in the same transaction; the grant is given again.
        stmt(`DROP VIEW IF EXISTS ${name}`, previous == null ? 'no recorded signature' : 'column names, types or binding changed'),
        stmt(dialect.createView(name, query, { replace: false, lateBinding }), 'create the view'),
        grant,
      ];
  return { statements, signature, diagnostics, failedClosed };
}

function compileQuery(
  ds: DataSource,
  applicable: ReturnType<typeof applicablePolicies>,
  config: ViewCompileConfig,
  dialect: Dialect,
): { query: string; signature: ViewSignature } {
  const p = new ProfileDecisions(dialect);
  if (config.mode === 'single' && ds.location.database !== config.database) {
    throw new Uncompilable([
      diagnostic('VG301', `data source ${JSON.stringify(ds.id)} is in database ${JSON.stringify(ds.location.database)}; single-database mode reads only ${JSON.stringify(config.database)}`, ['location', 'database']),
    ]);
  }
  const crossDatabase = config.mode === 'multi' && ds.location.database !== config.database;
  // Redshift cross-database queries do not read external tables (docs/modes.md): the admin must use
  // single-database mode in the external schema's database, or re-create the external table in ours.
  if (crossDatabase && ds.kind === 'external') {
    throw new Uncompilable([
      diagnostic(
        'VG305',
        `data source ${JSON.stringify(ds.id)} is an external table in database ${JSON.stringify(ds.location.database)}; ` +
          `cross-database queries cannot read external tables, so a view in ${JSON.stringify(config.database)} cannot either. ` +
          `Use single-database mode in ${JSON.stringify(ds.location.database)}, or re-create the external table (its external schema) in ${JSON.stringify(config.database)}`,
        ['location', 'database'],
      ),
    ]);
  }
  const raw = safely(() => dialect.rawTable(ds.location, crossDatabase));
  let usesKey = false;
  const select: string[] = [];
  const signature: ViewSignature = { columns: [] };
  for (const column of ds.columns) {
    const type = parseColumnType(column.type)!;
    const quoted = safely(() => dialect.quoteIdent(column.name));
    const mask = applicable.masks.get(column.name);
    const out = mask ? safely(() => maskedColumn(dialect, column, type, mask.policy, p)) : { expr: `t.${quoted}`, type: type.sql, usesKey: false };
    usesKey ||= out.usesKey;
    select.push(`${out.expr} AS ${quoted}`);
    signature.columns.push({ name: column.name, type: out.type });
  }
  const where = [subscriptionSql(dialect, ds, applicable.subscription, p), ...applicable.rowFilters.map((rf) => safely(() => rowFilterSql(dialect, ds, rf, p)))];
  const from = [`${raw} t`, `CROSS JOIN (${p.select()}) p`];
  if (usesKey) {
    const keyTable = dialect.qualify(SYSTEM_SCHEMA, 'hash_key');
    const keyId = dialect.quoteIdent('key_id');
    // The newest key only; a second row must not duplicate every row of the view.
    from.push(`CROSS JOIN (SELECT ${dialect.quoteIdent('hash_key')} FROM ${keyTable} WHERE ${keyId} = (SELECT MAX(${keyId}) FROM ${keyTable})) k`);
  }
  return { query: `SELECT ${select.join(', ')} FROM ${from.join(' ')} WHERE ${where.join(' AND ')}`, signature };
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
