// `viewguard explain <view> --as <user>`: what one user sees in one view and why, computed by the administrator
// FOR that user (profile-source.ts: the view's own compiled SELECT with the profile row bound to the user).
// Every answer comes from the same code the view is made of: the conflict rules (applicable-policies.ts), the
// decision SQL (profile-decisions.ts, view-compiler.ts) evaluated on the user's stored row, and the view's
// SELECT run as a query — so the row count and the sample are what the user gets from the view.
import { diagnostic, DiagnosticError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { compileViewQuery, subscriptionDecisionSql, type ViewCompileConfig } from '../compiler/view-compiler.js';
import { criteriaSql } from '../compiler/profile-decisions.js';
import { rankedMasks, rankedSubscriptions, policyApplies } from '../policy/applicable-policies.js';
import type { DataSource } from '../policy/data-source.js';
import type { MaskPolicy, Policy, RowFilterPolicy } from '../policy/policy.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { stmt } from '../sql/statement.js';
import { describeAccess, describeCondition, describeFilter, describeMask } from './describe-policy.js';
import { storedProfileSource } from './profile-source.js';
import { readProfile, readStoredState, type StoredProfile, type StoredState } from './stored-state.js';

export interface ColumnExplanation {
  column: string;
  type: string;
  /** The winning mask, null when the column is shown as stored. */
  mask: null | {
    policy: string;
    function: string;
    condition: string;
    where?: string;
    /** Masks that applied to the column too and lost (conflict rules), winner's order. */
    losers: string[];
    /** What THIS user gets: the mask, the clear value, or (everyoneWho) the `otherwise` function. */
    forUser: string;
  };
}

export interface RowFilterExplanation {
  policy: string;
  filter: string;
  /** The policy's exception lifts it for this user (null: it has none). */
  liftedByException: boolean | null;
  /** Rows the subscription and this filter alone leave the user. */
  rowsAlone: number;
}

export interface Explanation {
  view: string;
  dataSourceId: string;
  user: string;
  /** As stored; null = no row (the user sees no rows of any view). */
  profile: Omit<StoredProfile, 'raw'> | null;
  subscription: { policy: string | null; access: string; losers: string[]; admitted: boolean };
  columns: ColumnExplanation[];
  rowFilters: RowFilterExplanation[];
  /** Rows the user would see without any row filter (subscription only). */
  rowsBeforeFilters: number;
  rows: number;
  sample: { columns: string[]; rows: (string | null)[][] };
  failedClosed: boolean;
  diagnostics: Diagnostic[];
}

export interface ExplainOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: ViewCompileConfig;
  /** A view name (`customers` or `secure.customers`) or a data source id. */
  view: string;
  user: string;
  sample?: number;
}

/** The live data source whose view `name` names (view name, schema-qualified view name, or data source id). */
export function findDataSource(state: StoredState, config: ViewCompileConfig, name: string): DataSource {
  const all = [...state.dataSources.values()];
  const found =
    state.dataSources.get(name) ??
    all.find((ds) => ds.name === name) ??
    all.find((ds) => `${config.viewSchema}.${ds.name}` === name);
  if (!found) {
    throw new DiagnosticError([
      diagnostic(
        'VG801',
        `no registered data source has the view ${JSON.stringify(name)} (give the view name, ` +
          `${JSON.stringify(`${config.viewSchema}.<name>`)} or the data source id)`,
      ),
    ]);
  }
  return found;
}

const unreadablePolicies = (state: StoredState): Diagnostic[] =>
  state.unreadable.filter((d) => d.path[0] === 'policy_state');

export async function explain(o: ExplainOptions): Promise<Explanation> {
  const state = await readStoredState(o.warehouse, o.dialect);
  const ds = findDataSource(state, o.config, o.view);
  const stored = await readProfile(o.warehouse, o.dialect, o.user);
  const source = storedProfileSource(o.dialect, o.user);
  const compile = (policies: readonly Policy[]) =>
    compileViewQuery(ds, policies, o.config, o.dialect, {
      profileSource: source,
      failClosedBecause: unreadablePolicies(state),
    });
  const compiled = compile(state.policies);
  const count = async (query: string): Promise<number> =>
    Number((await o.warehouse.query(stmt(`SELECT COUNT(*) AS n FROM (${query}) v`, 'explain: row count')))[0]?.n ?? 0);

  const subs = rankedSubscriptions(ds, state.policies);
  const masks = rankedMasks(ds, state.policies);
  const filters = state.policies.filter((p): p is RowFilterPolicy => p.type === 'rowFilter' && policyApplies(p, ds));
  const decisions = await evaluateDecisions(o, ds, source.profile, subs[0] ?? null, masks, filters);

  const withoutFilters = state.policies.filter((p) => !filters.includes(p as RowFilterPolicy));
  const rowFilters: RowFilterExplanation[] = [];
  for (const f of filters) {
    rowFilters.push({
      policy: f.id,
      filter: describeFilter(f.filter),
      liftedByException: f.exception ? decisions.get(`exception:${f.id}`) === true : null,
      rowsAlone: await count(compile([...withoutFilters, f]).query),
    });
  }
  const { profile } = withoutRaw(stored);
  return {
    view: `${o.config.viewSchema}.${ds.name}`,
    dataSourceId: ds.id,
    user: o.user,
    profile,
    subscription: {
      policy: subs[0]?.id ?? null,
      access: describeAccess(subs[0]?.access ?? null),
      losers: subs.slice(1).map((p) => p.id),
      admitted: decisions.get('subscription') === true,
    },
    columns: ds.columns.map((c) =>
      explainColumn(
        c.name,
        compiled.signature.columns.find((s) => s.name === c.name)?.type ?? c.type,
        masks.get(c.name),
        decisions,
      ),
    ),
    rowFilters,
    rowsBeforeFilters: await count(compile(withoutFilters).query),
    rows: await count(compiled.query),
    sample: await sampleRows(
      o,
      compiled.query,
      compiled.signature.columns.map((c) => c.name),
    ),
    failedClosed: compiled.failedClosed,
    diagnostics: compiled.diagnostics,
  };
}

function withoutRaw(p: StoredProfile | null): { profile: Omit<StoredProfile, 'raw'> | null } {
  if (!p || p.deleted) return { profile: null };
  const { raw: _raw, ...rest } = p;
  return { profile: rest };
}

function explainColumn(
  column: string,
  type: string,
  ranked: MaskPolicy[] | undefined,
  decisions: Map<string, boolean | null>,
): ColumnExplanation {
  const winner = ranked?.[0];
  if (!winner) return { column, type, mask: null };
  const c = winner.condition;
  const hit = decisions.get(`mask:${column}`) === true;
  const forUser =
    c.kind === 'everyone'
      ? describeMask(winner.mask)
      : c.kind === 'everyoneExcept'
        ? hit
          ? 'clear'
          : describeMask(winner.mask)
        : hit
          ? describeMask(winner.mask)
          : describeMask(c.otherwise);
  return {
    column,
    type,
    mask: {
      policy: winner.id,
      function: describeMask(winner.mask),
      condition: describeCondition(c),
      ...(winner.where ? { where: winner.where } : {}),
      losers: ranked!.slice(1).map((p) => p.id),
      forUser: winner.where && forUser !== 'clear' ? `${forUser} where ${winner.where}, clear elsewhere` : forUser,
    },
  };
}

/**
 * Every per-user decision of the explanation, evaluated in ONE query on the user's stored row with the
 * compiler's own SQL; no row (no profile) → every decision false.
 */
async function evaluateDecisions(
  o: ExplainOptions,
  ds: DataSource,
  source: string,
  subscription: ReturnType<typeof rankedSubscriptions>[number] | null,
  masks: Map<string, MaskPolicy[]>,
  filters: RowFilterPolicy[],
): Promise<Map<string, boolean | null>> {
  const exprs = new Map<string, string>();
  exprs.set('subscription', subscriptionDecisionSql(o.dialect, ds, subscription) ?? 'TRUE');
  for (const [column, ranked] of masks) {
    const c = ranked[0]!.condition;
    if (c.kind === 'everyoneExcept') exprs.set(`mask:${column}`, criteriaSql(o.dialect, c.except));
    if (c.kind === 'everyoneWho') exprs.set(`mask:${column}`, criteriaSql(o.dialect, c.who));
  }
  for (const f of filters) {
    if (f.exception) exprs.set(`exception:${f.id}`, criteriaSql(o.dialect, f.exception));
  }
  const keys = [...exprs.keys()];
  const select = keys.map((k, i) => `${exprs.get(k)} AS ${o.dialect.quoteIdent(`d${i}`)}`).join(', ');
  const rows = await o.warehouse.query(stmt(`SELECT ${select} FROM ${source}`, 'explain: the user’s decisions'));
  const row = rows[0];
  return new Map(keys.map((k, i) => [k, row ? toBool(row[`d${i}`]) : false]));
}

const toBool = (v: unknown): boolean | null =>
  v === null || v === undefined ? null : v === true || v === 't' || v === 'true';

async function sampleRows(o: ExplainOptions, query: string, columns: string[]): Promise<Explanation['sample']> {
  const n = o.sample ?? 0;
  if (n <= 0 || columns.length === 0) return { columns, rows: [] };
  const text = o.dialect.textType(null);
  const cols = columns
    .map((c, i) => `CAST(v.${o.dialect.quoteIdent(c)} AS ${text}) AS ${o.dialect.quoteIdent(`c${i}`)}`)
    .join(', ');
  const order = columns.map((_c, i) => String(i + 1)).join(', ');
  const rows = await o.warehouse.query(
    stmt(`SELECT ${cols} FROM (${query}) v ORDER BY ${order} LIMIT ${Math.floor(n)}`, 'explain: sample rows'),
  );
  return {
    columns,
    rows: rows.map((r) =>
      columns.map((_c, i) => (r[`c${i}`] === null || r[`c${i}`] === undefined ? null : String(r[`c${i}`]))),
    ),
  };
}
