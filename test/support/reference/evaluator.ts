// The reference evaluator: from docs/policies.md alone, what one user must see in the view of one data
// source — or that the view fails closed, and the documented reason. It shares only the input shapes (the
// zod-parsed DataSource / Policy / UserProfile) with the code under test: applicability, conflicts,
// conditions, masks, row filters and the fail-closed rules are re-implemented here from the docs.
import { createHash } from 'node:crypto';
import type { DataSource } from '../../../shared/policy/data-source.js';
import type {
  MaskFunction,
  MaskPolicy,
  Policy,
  RowFilterPolicy,
  SubscriptionPolicy,
  UserCriteria,
} from '../../../shared/policy/policy.js';
import type { UserProfile } from '../../../shared/policy/user-profile.js';
import {
  ClauseRefused,
  MayError,
  Undetermined,
  clauseRefusal,
  clauseTypeError,
  columnsNamed,
  evalClause,
  unreadable,
  type ClauseContext,
  type Cond,
} from './where-clause.js';
import { fits, fitsOn } from './fits.js';
import { applyMask, outgrowsRedshift } from './masks.js';
import { timeWindowKeeps } from './time-window.js';
import { familyOf, refType, renderText, typed, type RefType } from './values.js';

export type Dialect = 'postgres' | 'redshift';
export type Cell = string | null;

export interface Row {
  /** undefined: the docs leave this cell engine-dependent (any value is accepted). */
  cells: (Cell | undefined)[];
  /** false: the documented rule does not fix whether this row is shown (e.g. a time-window boundary). */
  certain: boolean;
}

export type Outcome =
  /** codes: the documented reasons (any one of them may be the one the compiler reports, with VG301). */
  | { kind: 'failClosed'; codes: string[]; why: string }
  | { kind: 'rows'; rows: Row[]; columns: string[]; mayError: boolean };

export interface EvalInput {
  ds: DataSource;
  /** Raw rows: one literal per data source column, in column order (null = NULL). */
  rows: (string | null)[][];
  policies: Policy[];
  /** Clause trees by clause text (the generators keep them). */
  clauses: Map<string, Cond>;
  dialect: Dialect;
  hashKey: string;
  /** The query time can be anything in [from, to] (microseconds since the epoch, UTC). */
  now: { from: bigint; to: bigint };
}

export interface EvalUser {
  role: string;
  profile: UserProfile | null;
}

export interface Column {
  name: string;
  type: RefType;
  tags: string[];
}

export const tagUnder = (tag: string, ancestor: string): boolean => tag === ancestor || tag.startsWith(`${ancestor}.`);
const depth = (tag: string): number => tag.split('.').length;

// ------------------------------------------------------------------------------------------ users

export interface Entitled {
  role: string;
  groups: Set<string>;
  attributes: Map<string, Set<string>>;
  acknowledged: Set<string>;
  actsUnder: Set<string>;
  dataSources: Set<string>;
}

/** docs: acts under a purpose = current project is one of the projects, carries it, and it is acknowledged. */
export function entitled(role: string, p: UserProfile): Entitled {
  const acknowledged = new Set(p.purposes);
  const current = p.currentProject;
  const carried = current !== null && p.projects.includes(current) ? (p.projectPurposes?.[current] ?? []) : [];
  return {
    role,
    groups: new Set(p.groups),
    attributes: new Map(Object.entries(p.attributes).map(([k, vs]) => [k, new Set(vs)])),
    acknowledged,
    actsUnder: new Set(carried.filter((x) => acknowledged.has(x))),
    dataSources: new Set(p.dataSources),
  };
}

export function matches(c: UserCriteria, u: Entitled): boolean {
  const held = [
    ...c.groups.map((g) => u.groups.has(g)),
    ...Object.entries(c.attributes).flatMap(([k, vs]) => vs.map((v) => u.attributes.get(k)?.has(v) ?? false)),
    ...c.purposes.map((p) => u.acknowledged.has(p)),
  ];
  return c.match === 'all' ? held.every(Boolean) : held.some(Boolean);
}

// ------------------------------------------------------------------------------------------ applicability

const dsTags = (ds: DataSource): string[] => [...ds.tags, ...ds.columns.flatMap((c) => c.tags)];

function targetColumns(
  target: { kind: 'column'; name: string } | { kind: 'tag'; tag: string },
  cols: Column[],
): Column[] {
  return target.kind === 'column'
    ? cols.filter((c) => c.name === target.name)
    : cols.filter((c) => c.tags.some((t) => tagUnder(t, target.tag)));
}

/** The deepest matching scope tag (0 = global without tags); -1 = not in scope; local = +∞. */
function scopeRank(p: Policy, ds: DataSource): number {
  if (p.scope.kind === 'local') return p.scope.dataSourceId === ds.id ? Infinity : -1;
  const tags = p.scope.tags ?? [];
  if (tags.length === 0) return 0;
  const have = dsTags(ds);
  return Math.max(-1, ...tags.filter((s) => have.some((t) => tagUnder(t, s))).map(depth));
}

function clauseOf(input: EvalInput, text: string): Cond {
  const c = input.clauses.get(text);
  if (!c) throw new Error(`reference: no tree for clause ${JSON.stringify(text)}`);
  return c;
}

/** docs "Which policies apply": global masks/filters only where their column (and clause columns/tags) exist. */
function applies(p: Policy, input: EvalInput, cols: Column[]): boolean {
  const rank = scopeRank(p, input.ds);
  if (rank < 0) return false;
  if (p.scope.kind === 'local') return true;
  const resolves = (text: string): boolean => {
    // docs: a clause that cannot be read applies wherever the scope matches (and fails those views closed).
    if (unreadable(clauseOf(input, text))) return true;
    const named = columnsNamed(clauseOf(input, text));
    return (
      named.columns.every((n) => cols.some((c) => c.name === n)) &&
      named.tags.every((t) => targetColumns({ kind: 'tag', tag: t }, cols).length > 0)
    );
  };
  if (p.type === 'mask')
    return targetColumns(p.target, cols).length > 0 && (p.where === undefined || resolves(p.where));
  if (p.type === 'rowFilter' && 'column' in p.filter) return targetColumns(p.filter.column, cols).length > 0;
  if (p.type === 'rowFilter' && p.filter.kind === 'where') return resolves(p.filter.clause);
  return true;
}

const older = (a: Policy, b: Policy): number =>
  Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function winningSubscription(subs: SubscriptionPolicy[], ds: DataSource): SubscriptionPolicy | null {
  return [...subs].sort((a, b) => scopeRank(b, ds) - scopeRank(a, ds) || older(a, b))[0] ?? null;
}

function winningMask(masks: MaskPolicy[]): MaskPolicy {
  const rank = (m: MaskPolicy): number => (m.target.kind === 'column' ? Infinity : depth(m.target.tag));
  return [...masks].sort((a, b) => rank(b) - rank(a) || older(a, b))[0]!;
}

// ------------------------------------------------------------------------------------------ compile-time checks

class FailClosed extends Error {
  constructor(
    readonly code: string,
    why: string,
  ) {
    super(why);
  }
}

interface Resolved {
  subscription: SubscriptionPolicy | null;
  masks: Map<string, MaskPolicy>;
  filters: RowFilterPolicy[];
}

function resolve(input: EvalInput, cols: Column[]): Resolved {
  const applying = input.policies.filter((p) => applies(p, input, cols));
  const masks = new Map<string, MaskPolicy>();
  for (const c of cols) {
    const candidates = applying.filter(
      (p): p is MaskPolicy => p.type === 'mask' && targetColumns(p.target, [c]).length > 0,
    );
    if (candidates.length) masks.set(c.name, winningMask(candidates));
  }
  return {
    subscription: winningSubscription(
      applying.filter((p): p is SubscriptionPolicy => p.type === 'subscription'),
      input.ds,
    ),
    masks,
    filters: applying.filter((p): p is RowFilterPolicy => p.type === 'rowFilter'),
  };
}

/** Every documented reason the view cannot be compiled (the compiler may report any one of them). */
function failReasons(input: EvalInput, cols: Column[], r: Resolved): FailClosed[] {
  const out: FailClosed[] = [];
  const refuse = (text: string): void => {
    const tree = clauseOf(input, text);
    const why = clauseRefusal(tree, cols) ?? clauseTypeError(tree, cols, fits);
    if (why) out.push(new FailClosed('VG306', `custom WHERE clause refused: ${why}`));
  };
  for (const [name, m] of r.masks) {
    const type = cols.find((c) => c.name === name)!.type;
    const fns: (MaskFunction | { kind: 'clear' })[] = [
      m.mask,
      ...(m.condition.kind === 'everyoneWho' ? [m.condition.otherwise] : []),
    ];
    for (const fn of fns) {
      if (fn.kind === 'constant' && !fitsOn(input.dialect, type, fn.value))
        out.push(new FailClosed('VG303', `constant ${fn.value} does not fit ${name}`));
      if (fn.kind === 'regex' && !fn.global && input.dialect === 'redshift' && familyOf(type) === 'string')
        out.push(new FailClosed('VG303', 'first-match-only regex on Redshift'));
    }
    if (m.where !== undefined) refuse(m.where);
  }
  for (const f of r.filters) {
    const rule = f.filter;
    if ('column' in rule) {
      const targets = targetColumns(rule.column, cols);
      if (targets.length === 0) out.push(new FailClosed('VG302', `row filter ${f.id}: target column missing`));
      for (const c of targets) {
        if (rule.kind === 'values')
          for (const v of rule.values)
            if (!fitsOn(input.dialect, c.type, v, 'widest'))
              out.push(new FailClosed('VG307', `value ${v} does not fit ${c.name}`));
        if (rule.kind === 'timeWindow' && !['date', 'timestamp'].includes(familyOf(c.type)))
          out.push(new FailClosed('VG307', `time window on ${c.name}`));
      }
    }
    if (rule.kind === 'where') refuse(rule.clause);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ the evaluator

export function evaluate(input: EvalInput, user: EvalUser): Outcome {
  const cols: Column[] = input.ds.columns.map((c) => ({ name: c.name, type: refType(c.type)!, tags: c.tags }));
  const r = resolve(input, cols);
  const reasons = failReasons(input, cols, r);
  if (reasons.length)
    return {
      kind: 'failClosed',
      codes: [...new Set(reasons.map((e) => e.code))],
      why: reasons.map((e) => `${e.code}: ${e.message}`).join('; '),
    };
  const columns = cols.map((c) => c.name);
  // docs: a user without a profile row sees no rows of any view.
  if (user.profile === null) return { kind: 'rows', rows: [], columns, mayError: false };
  const u = entitled(user.role, user.profile);
  if (!subscribed(r.subscription, input.ds, u)) return { kind: 'rows', rows: [], columns, mayError: false };
  const out: Row[] = [];
  let mayError = false;
  for (const raw of input.rows) {
    const ctx: ClauseContext = { columns: cols, row: new Map(cols.map((c, i) => [c.name, raw[i] ?? null])), user: u };
    let certain = true;
    let keep: boolean;
    try {
      const verdicts = r.filters.map((f) => filterKeeps(f, input, cols, ctx, u));
      keep = verdicts.every((v) => v !== false);
      certain = verdicts.every((v) => v !== 'maybe');
    } catch (e) {
      if (e instanceof MayError) {
        mayError = true;
        keep = true;
        certain = false;
      } else if (e instanceof Undetermined) {
        keep = true;
        certain = false;
      } else throw e;
    }
    if (!keep) continue;
    const cells = cols.map((c, i) => {
      try {
        return cellFor(input, r.masks.get(c.name), c, raw[i] ?? null, ctx, u);
      } catch (e) {
        // A cell condition's arithmetic may overflow: the engine may then fail the whole query.
        if (!(e instanceof MayError)) throw e;
        mayError = true;
        return undefined;
      }
    });
    out.push({ cells, certain });
  }
  return { kind: 'rows', rows: out, columns, mayError };
}

function subscribed(s: SubscriptionPolicy | null, ds: DataSource, u: Entitled): boolean {
  const access = s?.access ?? { kind: 'approved' as const };
  switch (access.kind) {
    case 'anyone':
      return true;
    case 'usersWith':
      return matches(access.who, u);
    case 'approved':
      return u.dataSources.has(ds.id);
    case 'usingPurpose':
      return access.purposes.some((p) => u.actsUnder.has(p));
  }
}

/** true / false, or 'maybe' when the rule does not fix the answer at this query time. */
function filterKeeps(
  f: RowFilterPolicy,
  input: EvalInput,
  cols: Column[],
  ctx: ClauseContext,
  u: Entitled,
): boolean | 'maybe' {
  if (f.exception && matches(f.exception, u)) return true;
  const rule = f.filter;
  const each = (test: (c: Column, v: string | null) => boolean | 'maybe'): boolean | 'maybe' => {
    const verdicts = targetColumns((rule as { column: Parameters<typeof targetColumns>[0] }).column, cols).map((c) =>
      test(c, ctx.row.get(c.name) ?? null),
    );
    return verdicts.includes(false) ? false : verdicts.includes('maybe') ? 'maybe' : true;
  };
  const text = (c: Column, v: string): string => renderText(typed(c.type, v));
  switch (rule.kind) {
    case 'never':
      return false;
    case 'groupMatch':
      return each((c, v) => v !== null && u.groups.has(text(c, v)));
    case 'attributeMatch':
      return each((c, v) => v !== null && (u.attributes.get(rule.attribute)?.has(text(c, v)) ?? false));
    case 'values':
      return each((c, v) => v !== null && rule.values.some((x) => sameValue(c.type, v, x)) !== rule.not);
    case 'timeWindow':
      return each((c, v) => (v === null ? false : timeWindowKeeps(c.type, v, rule, input.now, input.dialect)));
    case 'minimize':
      return each((c, v) => v !== null && minimizeKeeps(text(c, v), u.role, rule.percent));
    case 'usingPurpose':
      return rule.purposes.some((p) => u.actsUnder.has(p));
    case 'where':
      return evalClause(clauseOf(input, rule.clause), ctx) === true;
  }
}

/** docs: typed comparison (numeric 100.5 = '100.50'; char(n) ignores padding). */
function sameValue(type: RefType, a: string, b: string): boolean {
  const x = typed(type, a);
  const y = typed(type, b);
  if (x.kind === 'numeric' && y.kind === 'numeric') return x.units === y.units;
  return (
    JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(y, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  );
}

/** docs: MOD(first 32 bits of MD5(<key text> || '|' || <user name>), 10000) < percent × 100. */
export function minimizeKeeps(key: string, role: string, percent: number): boolean {
  const bucket = parseInt(createHash('md5').update(`${key}|${role}`, 'utf8').digest('hex').slice(0, 8), 16);
  return bucket % 10000 < Math.round(percent * 100);
}

/** The cell one user sees; undefined = not determined by the docs (any answer is accepted). */
function cellFor(
  input: EvalInput,
  m: MaskPolicy | undefined,
  c: Column,
  raw: string | null,
  ctx: ClauseContext,
  u: Entitled,
): Cell | undefined {
  const hashes =
    m !== undefined &&
    (m.mask.kind === 'hash' || (m.condition.kind === 'everyoneWho' && m.condition.otherwise.kind === 'hash'));
  const clear = (): Cell => (raw === null ? null : renderText(typed(c.type, raw)));
  if (!m) return clear();
  if (m.where !== undefined) {
    let applies: boolean | null;
    try {
      applies = evalClause(clauseOf(input, m.where), ctx);
    } catch (e) {
      if (e instanceof Undetermined) return undefined;
      throw e;
    }
    // docs: the mask applies where the condition is true or unknown (NULL masks).
    if (applies === false) return clear();
  }
  const cond = m.condition;
  let fn: MaskFunction | { kind: 'clear' };
  if (cond.kind === 'everyone') fn = m.mask;
  else if (cond.kind === 'everyoneExcept') fn = matches(cond.except, u) ? { kind: 'clear' } : m.mask;
  else fn = matches(cond.who, u) ? m.mask : cond.otherwise;
  if (fn.kind === 'clear') return clear();
  const branches = [m.mask, ...(cond.kind === 'everyoneWho' ? [cond.otherwise] : [])];
  if ((fn.kind === 'partial' || fn.kind === 'regex') && input.dialect === 'redshift')
    if (outgrowsRedshift(c.type, branches)) return null;
  return applyMask(fn, c.type, raw, { hashKey: input.hashKey, hashes, dialect: input.dialect });
}
