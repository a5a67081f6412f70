// Custom WHERE clauses as a tree the generators build: `renderClause` writes the text a policy carries (the
// accepted grammar of docs/policies.md) and `evalClause` gives its value on one raw row for one user with
// SQL's three-valued logic. The compiler never sees the tree; it parses the text. Semantics written from the
// docs and PostgreSQL's documented operators: an untyped string literal takes the type of what it is compared
// with; a char(n) value is read without its padding; string ordering is never generated (collation-dependent).
import { familyOf, refType, renderText, typed, type RefType, type Typed } from './values.js';

export type Expr =
  | { k: 'col'; name: string }
  | { k: 'tagged'; tag: string }
  /** A quoted string literal; compared with a typed operand it takes that operand's type. */
  | { k: 'str'; v: string }
  /** An integer or decimal literal. */
  | { k: 'num'; v: string }
  | { k: 'cast'; v: string; type: string }
  | { k: 'fn'; name: 'lower' | 'upper' | 'length' | 'abs' | 'btrim' | 'left' | 'right'; args: Expr[] }
  | { k: 'arith'; op: '+' | '-' | '*'; l: Expr; r: Expr }
  | { k: 'concat'; l: Expr; r: Expr }
  | { k: 'coalesce'; args: Expr[] }
  | { k: 'username' };

export type Cond =
  | { k: 'cmp'; op: '=' | '<>' | '<' | '>' | '<=' | '>='; l: Expr; r: Expr }
  | { k: 'and' | 'or'; args: Cond[] }
  | { k: 'not'; arg: Cond }
  | { k: 'isnull'; e: Expr; not: boolean }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { k: 'between'; e: Expr; lo: Expr; hi: Expr; not: boolean }
  | { k: 'like'; e: Expr; pattern: string; ilike: boolean; not: boolean }
  | { k: 'boolcol'; e: Expr }
  | { k: 'boollit'; v: boolean }
  | { k: 'inGroups'; groups: string[] }
  | { k: 'hasAttr'; key: string; value: string }
  | { k: 'usingPurpose'; purposes: string[] }
  | { k: 'groupsContains'; e: Expr }
  | { k: 'attrContains'; key: string; e: Expr }
  /**
   * Text the compiler must refuse (VG306), written as is; `unreadable`: it does not even parse (or fails the
   * pre-scan: `;`, comments, `$`, prefixed strings), so nobody can tell which columns it names.
   */
  | { k: 'refused'; sql: string; unreadable?: boolean };

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export function renderExpr(e: Expr): string {
  switch (e.k) {
    case 'col':
      return ident(e.name);
    case 'tagged':
      return `@columnTagged(${lit(e.tag)})`;
    case 'str':
      return lit(e.v);
    case 'num':
      return e.v.startsWith('-') ? `(${e.v})` : e.v;
    case 'cast':
      return `CAST(${lit(e.v)} AS ${e.type})`;
    case 'fn':
      return `${e.name}(${e.args.map(renderExpr).join(', ')})`;
    case 'arith':
      return `(${renderExpr(e.l)} ${e.op} ${renderExpr(e.r)})`;
    case 'concat':
      return `(${renderExpr(e.l)} || ${renderExpr(e.r)})`;
    case 'coalesce':
      return `COALESCE(${e.args.map(renderExpr).join(', ')})`;
    case 'username':
      return '@username';
  }
}

export function renderClause(c: Cond): string {
  switch (c.k) {
    case 'cmp':
      return `${renderExpr(c.l)} ${c.op} ${renderExpr(c.r)}`;
    case 'and':
    case 'or':
      return c.args.map((a) => `(${renderClause(a)})`).join(c.k === 'and' ? ' AND ' : ' OR ');
    case 'not':
      return `NOT (${renderClause(c.arg)})`;
    case 'isnull':
      return `${renderExpr(c.e)} IS ${c.not ? 'NOT ' : ''}NULL`;
    case 'in':
      return `${renderExpr(c.e)} ${c.not ? 'NOT ' : ''}IN (${c.list.map(renderExpr).join(', ')})`;
    case 'between':
      return `${renderExpr(c.e)} ${c.not ? 'NOT ' : ''}BETWEEN ${renderExpr(c.lo)} AND ${renderExpr(c.hi)}`;
    case 'like':
      return `${renderExpr(c.e)} ${c.not ? 'NOT ' : ''}${c.ilike ? 'ILIKE' : 'LIKE'} ${lit(c.pattern)}`;
    case 'boolcol':
      return renderExpr(c.e);
    case 'boollit':
      return c.v ? 'TRUE' : 'FALSE';
    case 'inGroups':
      return `@isInGroups(${c.groups.map(lit).join(', ')})`;
    case 'hasAttr':
      return `@hasAttribute(${lit(c.key)}, ${lit(c.value)})`;
    case 'usingPurpose':
      return `@isUsingPurpose(${c.purposes.map(lit).join(', ')})`;
    case 'groupsContains':
      return `@groupsContains(${renderExpr(c.e)})`;
    case 'attrContains':
      return `@attributeValuesContains(${lit(c.key)}, ${renderExpr(c.e)})`;
    case 'refused':
      return c.sql;
  }
}

// ------------------------------------------------------------------------------------------- evaluation

export interface ClauseContext {
  columns: { name: string; type: RefType; tags: string[] }[];
  /** The raw row: literal per column name (null = NULL). */
  row: Map<string, string | null>;
  user: { role: string; groups: Set<string>; attributes: Map<string, Set<string>>; actsUnder: Set<string> };
}

/** The clause cannot be compiled (VG306) — a documented refusal. */
export class ClauseRefused extends Error {}
/** The engine's answer is not determined by the documented semantics (e.g. locale-dependent case mapping). */
export class Undetermined extends Error {}
/** Evaluating may raise a run-time error on the engine (overflow). */
export class MayError extends Error {}

type V =
  | null
  | { t: 'typed'; type: RefType; v: Typed }
  | { t: 'unknown'; s: string }
  | { t: 'num'; n: bigint; scale: number; int: 16 | 32 | 64 | null }
  | { t: 'str'; s: string }
  | { t: 'bool'; b: boolean };

const tagUnder = (tag: string, anc: string): boolean => tag === anc || tag.startsWith(`${anc}.`);

export function columnsNamed(c: Cond | Expr): { columns: string[]; tags: string[] } {
  const columns = new Set<string>();
  const tags = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (n === null || typeof n !== 'object') return;
    const o = n as { k?: string; name?: string; tag?: string };
    if (o.k === 'col' && o.name !== undefined) columns.add(o.name);
    if (o.k === 'tagged' && o.tag !== undefined) tags.add(o.tag);
    Object.values(o).forEach(walk);
  };
  walk(c);
  return { columns: [...columns], tags: [...tags] };
}

export const unreadable = (c: Cond): boolean => JSON.stringify(c).includes('"unreadable":true');

/**
 * Whether the clause is refused for this data source (VG306): refused text, an unknown column, a tag on 0 or 2+
 * columns.
 */
export function clauseRefusal(c: Cond, columns: ClauseContext['columns']): string | null {
  if (JSON.stringify(c).includes('"k":"refused"')) return 'refused construct';
  const named = columnsNamed(c);
  for (const n of named.columns) if (!columns.some((col) => col.name === n)) return `no column ${n}`;
  for (const t of named.tags) {
    const hits = columns.filter((col) => col.tags.some((x) => tagUnder(x, t))).length;
    if (hits !== 1) return `${hits} columns tagged ${t}`;
  }
  return null;
}

function column(ctx: ClauseContext, name: string): V {
  const col = ctx.columns.find((c) => c.name === name)!;
  const raw = ctx.row.get(name) ?? null;
  return raw === null ? null : { t: 'typed', type: col.type, v: typed(col.type, raw) };
}

function expr(e: Expr, ctx: ClauseContext): V {
  switch (e.k) {
    case 'col':
      return column(ctx, e.name);
    case 'tagged':
      return column(ctx, ctx.columns.find((c) => c.tags.some((x) => tagUnder(x, e.tag)))!.name);
    case 'str':
      return { t: 'unknown', s: e.v };
    case 'num':
      return numLiteral(e.v);
    case 'cast': {
      const type = refType(e.type)!;
      return { t: 'typed', type, v: typed(type, e.v) };
    }
    case 'username':
      return { t: 'str', s: ctx.user.role };
    case 'coalesce': {
      for (const a of e.args) {
        const v = expr(a, ctx);
        if (v !== null) return v;
      }
      return null;
    }
    case 'concat': {
      const [l, r] = [expr(e.l, ctx), expr(e.r, ctx)];
      return l === null || r === null ? null : { t: 'str', s: asString(l) + asString(r) };
    }
    case 'fn':
      return fn(e, ctx);
    case 'arith':
      return arith(e, ctx);
  }
}

function numLiteral(text: string): V {
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(text)!;
  const scale = m[2]?.length ?? 0;
  const n = BigInt(`${m[1]}${m[2] ?? ''}`);
  if (scale > 0) return { t: 'num', n, scale, int: null };
  const bits = n >= -(2n ** 31n) && n < 2n ** 31n ? 32 : n >= -(2n ** 63n) && n < 2n ** 63n ? 64 : null;
  return { t: 'num', n, scale: 0, int: bits };
}

const asString = (v: Exclude<V, null>): string => {
  if (v.t === 'str') return v.s;
  if (v.t === 'unknown') return v.s;
  if (v.t === 'typed' && familyOf(v.type) === 'string') return renderText(v.v);
  throw new Error('reference: string expected');
};

/** lower/upper on a character whose case mapping depends on the engine's locale. */
function checkCaseMapping(s: string): void {
  for (const ch of s)
    if (ch.charCodeAt(0) > 127 && (ch.toLowerCase() !== ch || ch.toUpperCase() !== ch))
      throw new Undetermined('locale-dependent case mapping');
}

function fn(e: Extract<Expr, { k: 'fn' }>, ctx: ClauseContext): V {
  const args = e.args.map((a) => expr(a, ctx));
  if (args.some((a) => a === null)) return null;
  const a0 = args[0]!;
  switch (e.name) {
    case 'lower':
    case 'upper': {
      const s = asString(a0);
      checkCaseMapping(s);
      return { t: 'str', s: e.name === 'lower' ? s.toLowerCase() : s.toUpperCase() };
    }
    case 'length':
      return { t: 'num', n: BigInt([...asString(a0)].length), scale: 0, int: 32 };
    case 'btrim':
      return { t: 'str', s: asString(a0).replace(/^ +| +$/g, '') };
    case 'left':
    case 'right': {
      const chars = [...asString(a0)];
      const n = Number(toNum(args[1]!).n);
      const take = n >= 0 ? n : Math.max(0, chars.length + n);
      return {
        t: 'str',
        s: (e.name === 'left' ? chars.slice(0, take) : chars.slice(chars.length - Math.min(take, chars.length))).join(
          '',
        ),
      };
    }
    case 'abs': {
      const n = toNum(a0);
      if (n.float !== undefined)
        return { t: 'typed', type: { kind: 'float', bits: 64 }, v: { kind: 'float', v: Math.abs(n.float), bits: 64 } };
      const r = n.n < 0n ? -n.n : n.n;
      if (n.int !== null && r >= 2n ** BigInt(n.int - 1)) throw new MayError('abs overflow');
      return { t: 'num', n: r, scale: n.scale, int: n.int };
    }
  }
}

interface Num {
  n: bigint;
  scale: number;
  int: 16 | 32 | 64 | null;
  float?: number;
}

function toNum(v: Exclude<V, null>): Num {
  if (v.t === 'num') return { n: v.n, scale: v.scale, int: v.int };
  if (v.t === 'typed') {
    const x = v.v;
    if (x.kind === 'int') return { n: x.v, scale: 0, int: (v.type as { bits: 16 | 32 | 64 }).bits };
    if (x.kind === 'numeric') return { n: x.units, scale: x.s, int: null };
    if (x.kind === 'float') return { n: 0n, scale: 0, int: null, float: x.v };
  }
  throw new Error('reference: number expected');
}

function arith(e: Extract<Expr, { k: 'arith' }>, ctx: ClauseContext): V {
  const [l, r] = [expr(e.l, ctx), expr(e.r, ctx)];
  if (l === null || r === null) return null;
  const [a, b] = [toNum(l), toNum(r)];
  if (a.float !== undefined || b.float !== undefined) {
    const x = a.float ?? Number(a.n) / 10 ** a.scale;
    const y = b.float ?? Number(b.n) / 10 ** b.scale;
    const z = e.op === '+' ? x + y : e.op === '-' ? x - y : x * y;
    if (!Number.isFinite(z)) throw new MayError('float overflow');
    return { t: 'typed', type: { kind: 'float', bits: 64 }, v: { kind: 'float', v: z, bits: 64 } };
  }
  const scale = e.op === '*' ? a.scale + b.scale : Math.max(a.scale, b.scale);
  const up = (x: Num): bigint => x.n * 10n ** BigInt(scale - x.scale);
  const n = e.op === '+' ? up(a) + up(b) : e.op === '-' ? up(a) - up(b) : a.n * b.n;
  const int = a.int !== null && b.int !== null ? (Math.max(a.int, b.int) as 16 | 32 | 64) : null;
  if (int !== null && (n < -(2n ** BigInt(int - 1)) || n >= 2n ** BigInt(int - 1)))
    throw new MayError('integer overflow');
  return { t: 'num', n, scale, int };
}

/** Compare two values: -1/0/1, or null when either is NULL. */
function compare(l: V, r: V): number | null {
  if (l === null || r === null) return null;
  // An untyped literal takes the other side's type.
  if (l.t === 'unknown' && r.t === 'typed') l = { t: 'typed', type: r.type, v: typed(r.type, l.s) };
  if (r.t === 'unknown' && l.t === 'typed') r = { t: 'typed', type: l.type, v: typed(l.type, r.s) };
  const isNum = (v: Exclude<V, null>): boolean =>
    v.t === 'num' || (v.t === 'typed' && ['integer', 'numeric', 'float'].includes(familyOf(v.type)));
  if (isNum(l) && isNum(r)) return compareNum(toNum(l), toNum(r));
  if (l.t === 'bool' || r.t === 'bool' || (l.t === 'typed' && l.v.kind === 'boolean'))
    return Number(boolOf(l)) - Number(boolOf(r));
  if (l.t === 'typed' && r.t === 'typed' && familyOf(l.type) !== 'string') return compareTyped(l.v, r.v);
  const [a, b] = [asString(l), asString(r)];
  return a === b ? 0 : 2; // strings: equality only (2 = different, never ordered)
}

const boolOf = (v: Exclude<V, null>): boolean =>
  v.t === 'bool'
    ? v.b
    : v.t === 'typed' && v.v.kind === 'boolean'
      ? v.v.v
      : v.t === 'unknown'
        ? /^(t|true|1|yes|on)$/i.test(v.s)
        : false;

function compareNum(a: Num, b: Num): number {
  if (a.float !== undefined || b.float !== undefined) {
    const x = a.float ?? Number(a.n) / 10 ** a.scale;
    const y = b.float ?? Number(b.n) / 10 ** b.scale;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const scale = Math.max(a.scale, b.scale);
  const [x, y] = [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareTyped(a: Typed, b: Typed): number {
  const key = (v: Typed): [bigint, number] => {
    if (v.kind === 'date') return [BigInt(v.days), 0];
    if (v.kind === 'timestamp') return [v.us, 0];
    if (v.kind === 'time')
      return [v.offsetSec === null ? v.us : v.us - BigInt(v.offsetSec) * 1_000_000n, v.offsetSec ?? 0];
    throw new Error(`reference: cannot order ${v.kind}`);
  };
  const [x, y] = [key(a), key(b)];
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] === y[1] ? 0 : x[1] > y[1] ? -1 : 1;
}

type B = boolean | null;
const not3 = (b: B): B => (b === null ? null : !b);
const and3 = (xs: B[]): B => (xs.includes(false) ? false : xs.includes(null) ? null : true);
const or3 = (xs: B[]): B => (xs.includes(true) ? true : xs.includes(null) ? null : false);

function like(s: string, pattern: string, ilike: boolean): boolean {
  if (ilike) {
    checkCaseMapping(s);
    checkCaseMapping(pattern);
  }
  let re = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') re += (chars[++i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, ilike ? 'iu' : 'u').test(s);
}

export function evalClause(c: Cond, ctx: ClauseContext): B {
  switch (c.k) {
    case 'cmp': {
      const r = compare(expr(c.l, ctx), expr(c.r, ctx));
      if (r === null) return null;
      if (r === 2)
        return c.op === '<>'
          ? true
          : c.op === '='
            ? false
            : (() => {
                throw new Error('reference: string ordering');
              })();
      return { '=': r === 0, '<>': r !== 0, '<': r < 0, '>': r > 0, '<=': r <= 0, '>=': r >= 0 }[c.op];
    }
    case 'and':
      return and3(c.args.map((a) => evalClause(a, ctx)));
    case 'or':
      return or3(c.args.map((a) => evalClause(a, ctx)));
    case 'not':
      return not3(evalClause(c.arg, ctx));
    case 'isnull':
      return (expr(c.e, ctx) === null) !== c.not;
    case 'in': {
      const v = expr(c.e, ctx);
      const hits = c.list.map((x) => {
        const r = compare(v, expr(x, ctx));
        return r === null ? null : r === 0;
      });
      const any = or3(hits);
      return c.not ? not3(any) : any;
    }
    case 'between': {
      const v = expr(c.e, ctx);
      const [lo, hi] = [compare(v, expr(c.lo, ctx)), compare(v, expr(c.hi, ctx))];
      const inside = and3([lo === null ? null : lo >= 0, hi === null ? null : hi <= 0]);
      return c.not ? not3(inside) : inside;
    }
    case 'like': {
      const v = expr(c.e, ctx);
      if (v === null) return null;
      const hit = like(asString(v), c.pattern, c.ilike);
      return c.not ? !hit : hit;
    }
    case 'boolcol': {
      const v = expr(c.e, ctx);
      return v === null ? null : boolOf(v);
    }
    case 'boollit':
      return c.v;
    case 'inGroups':
      return c.groups.some((g) => ctx.user.groups.has(g));
    case 'hasAttr':
      return ctx.user.attributes.get(c.key)?.has(c.value) ?? false;
    case 'usingPurpose':
      return c.purposes.some((p) => ctx.user.actsUnder.has(p));
    case 'groupsContains': {
      const v = expr(c.e, ctx);
      return v === null ? null : ctx.user.groups.has(valueText(v));
    }
    case 'attrContains': {
      const v = expr(c.e, ctx);
      return v === null ? null : (ctx.user.attributes.get(c.key)?.has(valueText(v)) ?? false);
    }
    case 'refused':
      throw new ClauseRefused(c.sql);
  }
}

/** The text of a value a membership test reads (docs: the value's text). */
function valueText(v: Exclude<V, null>): string {
  if (v.t === 'typed') return renderText(v.v);
  if (v.t === 'num')
    return v.scale === 0
      ? v.n.toString()
      : `${v.n < 0n ? '-' : ''}${(v.n < 0n ? -v.n : v.n)
          .toString()
          .padStart(v.scale + 1, '0')
          .replace(new RegExp(`(\\d{${v.scale}})$`), '.$1')}`;
  if (v.t === 'bool') return v.b ? 'true' : 'false';
  return v.s;
}

// ------------------------------------------------------------------------------------------- type check

type Kind = 'string' | 'number' | 'datetime' | 'bool' | 'unknown';

/**
 * docs "light type check": what the engine would reject when the view is created is refused at compile time
 * (VG306): operands of one comparison, IN list, BETWEEN or COALESCE of one kind; numbers for arithmetic and
 * abs; strings for ||, LIKE and the string functions; booleans for AND/OR/NOT; a string literal compared
 * with (or cast to) a typed value must be a value of that type.
 */
export function clauseTypeError(
  c: Cond,
  columns: ClauseContext['columns'],
  fitsType: (t: RefType, v: string) => boolean,
): string | null {
  try {
    condKind(c, columns, fitsType);
    return null;
  } catch (e) {
    if (e instanceof TypeRefusal) return e.message;
    throw e;
  }
}

class TypeRefusal extends Error {}

function kindOfType(t: RefType): Kind {
  const f = familyOf(t);
  return f === 'string'
    ? 'string'
    : f === 'boolean'
      ? 'bool'
      : f === 'integer' || f === 'numeric' || f === 'float'
        ? 'number'
        : 'datetime';
}

interface Typing {
  kind: Kind;
  /** A column (or @columnTagged) operand's declared type. */
  type?: RefType;
  /** A string literal's text. */
  literal?: string;
}

function exprKind(e: Expr, cols: ClauseContext['columns'], fitsType: (t: RefType, v: string) => boolean): Typing {
  const need = (t: Typing, ...kinds: Kind[]): void => {
    if (!kinds.includes(t.kind)) throw new TypeRefusal(`${t.kind} where ${kinds.join('/')} is needed`);
  };
  switch (e.k) {
    case 'col':
    case 'tagged': {
      const col =
        e.k === 'col'
          ? cols.find((c) => c.name === e.name)!
          : cols.find((c) => c.tags.some((x) => tagUnder(x, e.tag)))!;
      return { kind: kindOfType(col.type), type: col.type };
    }
    case 'str':
      return { kind: 'unknown', literal: e.v };
    case 'num':
      return { kind: 'number' };
    case 'cast': {
      const type = refType(e.type)!;
      if (familyOf(type) !== 'string' && !fitsType(type, e.v)) throw new TypeRefusal(`'${e.v}' is not a ${e.type}`);
      return { kind: kindOfType(type), type };
    }
    case 'username':
      return { kind: 'string' };
    case 'concat': {
      for (const x of [e.l, e.r]) need(exprKind(x, cols, fitsType), 'string', 'unknown');
      return { kind: 'string' };
    }
    case 'arith': {
      for (const x of [e.l, e.r]) need(exprKind(x, cols, fitsType), 'number');
      return { kind: 'number' };
    }
    case 'coalesce':
      return common(
        e.args.map((a) => exprKind(a, cols, fitsType)),
        fitsType,
      );
    case 'fn': {
      const [a, b] = e.args.map((x) => exprKind(x, cols, fitsType));
      if (e.name === 'abs') return (need(a!, 'number'), { kind: 'number' });
      need(a!, 'string', 'unknown');
      if (b) need(b, ...(e.name === 'btrim' ? (['string', 'unknown'] as Kind[]) : (['number'] as Kind[])));
      return { kind: e.name === 'length' ? 'number' : 'string' };
    }
  }
}

/** Operands that must agree; an untyped literal must be a value of the typed operand's type. */
function common(ts: Typing[], fitsType: (t: RefType, v: string) => boolean): Typing {
  const known = [...new Set(ts.filter((t) => t.kind !== 'unknown').map((t) => t.kind))];
  if (known.length > 1) throw new TypeRefusal(`cannot compare ${known.join(' and ')}`);
  const typedSide = ts.find((t) => t.type !== undefined);
  // Any text compares with a string column (no length check in a comparison).
  if (typedSide && familyOf(typedSide.type!) !== 'string')
    for (const t of ts)
      if (t.literal !== undefined && !fitsType(typedSide.type!, t.literal))
        throw new TypeRefusal(`'${t.literal}' is not a value of the column's type`);
  return typedSide ?? ts.find((t) => t.kind !== 'unknown') ?? { kind: 'unknown' };
}

function condKind(c: Cond, cols: ClauseContext['columns'], fitsType: (t: RefType, v: string) => boolean): void {
  const ek = (e: Expr): Typing => exprKind(e, cols, fitsType);
  switch (c.k) {
    case 'cmp':
      common([ek(c.l), ek(c.r)], fitsType);
      return;
    case 'and':
    case 'or':
      c.args.forEach((a) => condKind(a, cols, fitsType));
      return;
    case 'not':
      condKind(c.arg, cols, fitsType);
      return;
    case 'isnull':
      ek(c.e);
      return;
    case 'in':
      common([ek(c.e), ...c.list.map(ek)], fitsType);
      return;
    case 'between':
      common([ek(c.e), ek(c.lo), ek(c.hi)], fitsType);
      return;
    case 'like':
      if (!['string', 'unknown'].includes(ek(c.e).kind)) throw new TypeRefusal('LIKE needs strings');
      return;
    case 'boolcol':
      if (ek(c.e).kind !== 'bool') throw new TypeRefusal('not a condition');
      return;
    case 'groupsContains':
    case 'attrContains':
      ek(c.e);
      return;
    default:
      return;
  }
}
