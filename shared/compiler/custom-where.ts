// Custom WHERE clauses (row filter `where`, conditional masks) — the one place user-written SQL enters a view,
// so it is never pasted: the clause is parsed with the real PostgreSQL parser (libpg-query), every node is
// checked against a whitelist, and the SQL is RE-EMITTED from the tree through the dialect's quoting.
//
// 1. Pre-scan (outside quotes): comments, `;`, `$`, prefixed strings (E'', U&'', B'', X'') are refused; the
//    placeholders are replaced by marker calls (`@username` → vg_marker_username(), `@groupsContains(c)` →
//    vg_marker_groups_contains(c), …) while a map keeps every character's original position.
// 2. `SELECT 1 WHERE <clause>` is parsed; exactly one statement with nothing but the WHERE clause is accepted
//    (`x) UNION SELECT …`, ORDER BY, LIMIT… are refused).
// 3. The tree is walked: boolean operators, comparisons, arithmetic, IN lists, BETWEEN, LIKE/ILIKE, IS [NOT]
//    NULL, literals, CAST to a known type, unqualified columns OF THIS DATA SOURCE, a few allow-listed scalar
//    functions and the markers. Anything else (sub-queries, other tables, system functions such as pg_sleep or
//    current_setting, qualified names, `*`, aggregates, windows…) is a VG306 diagnostic with the position in
//    the user's text, and the view fails closed.
// A type check (clause-types.ts) refuses what the engine would reject at CREATE VIEW (a varchar column = 5,
// left(name, 2.5), CAST(a_date AS boolean), a date compared with a time): an error there only closes the view
// at apply time, without the position in the clause.
import { loadModule, parseSync } from 'libpg-query';
import { diagnostic } from '../diagnostics/diagnostic.js';
import { targetColumns } from '../policy/applicable-policies.js';
import { parseColumnType, type ColumnType } from '../policy/column-type.js';
import type { DataSource } from '../policy/data-source.js';
import type { Dialect } from '../sql/dialect.js';
import { ProfileDecisions, criteriaSql, usingPurposeSql } from './profile-decisions.js';
import { Uncompilable } from './uncompilable.js';
import { Rejected, prescan } from '../policy/custom-where-scan.js';
import { constantMismatch } from './mask-constant.js';
import {
  BOOLEAN,
  INT4,
  NUMERIC_ANY,
  castExists,
  commonNumbers,
  isInt4Compatible,
  kindOf,
  numberLiteralProblem,
  numberLiteralType,
  promoteNumbers,
  type Kind,
} from './clause-types.js';

await loadModule();

export interface CustomWhereContext {
  dialect: Dialect;
  ds: DataSource;
  p: ProfileDecisions;
  /** Names the policy in diagnostics. */
  policyId: string;
  /** JSON path of the clause in the policy (e.g. ['filter', 'clause']). */
  path: (string | number)[];
}

/**
 * Scalar functions a clause may call: same name and meaning on PostgreSQL and Redshift (lint allow-list), and
 * the kind of each argument — `lower(<a number>)` does not exist, and CREATE VIEW would fail on it. 'integer'
 * is a number of type int2 or int4 (`left(name, 2.5)` and `left(name, <an int8>)` do not exist either).
 */
type Param = Kind | 'integer';
const FUNCTIONS: Record<string, { args: [number, number]; params: Param[]; result: Kind }> = {
  lower: { args: [1, 1], params: ['string'], result: 'string' },
  upper: { args: [1, 1], params: ['string'], result: 'string' },
  btrim: { args: [1, 2], params: ['string', 'string'], result: 'string' },
  ltrim: { args: [1, 2], params: ['string', 'string'], result: 'string' },
  rtrim: { args: [1, 2], params: ['string', 'string'], result: 'string' },
  length: { args: [1, 1], params: ['string'], result: 'number' },
  abs: { args: [1, 1], params: ['number'], result: 'number' },
  left: { args: [2, 2], params: ['string', 'integer'], result: 'string' },
  right: { args: [2, 2], params: ['string', 'integer'], result: 'string' },
};

// The parser reads `!=` as `<>`.
const COMPARISONS = new Set(['=', '<>', '<', '>', '<=', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/']);
const MAX_DEPTH = 64;
const PREFIX = 'SELECT 1 WHERE ';

interface Emitted {
  sql: string;
  kind: Kind;
  /** The expression's type where the engine fixes it: columns, CASTs, numbers (literals and results). */
  column?: ColumnType;
  /** Set for a string literal (its text): compared with a typed operand, it becomes a value of that type. */
  literal?: string;
  /**
   * The value is a char(n) as PostgreSQL types it — a char column or cast, or a COALESCE whose first argument
   * that is not a literal or NULL is one (PostgreSQL takes that argument's type) — so LIKE reads it unpadded.
   */
  padded?: true;
}

type Json = Record<string, unknown>;

const str = (n: unknown): string | undefined =>
  ((n as Json | undefined)?.String as Json | undefined)?.sval as string | undefined;
const nodeType = (n: Json): string => Object.keys(n)[0]!;
const locationOf = (n: Json): number | null => {
  const body = n[nodeType(n)] as Json;
  if (typeof body.location === 'number') return body.location;
  // A node without a position of its own (subscripts: `(name)[1]`) is shown where its operand is.
  return body.arg ? locationOf(body.arg as Json) : null;
};

const paddedIf = (type: ColumnType): { padded?: true } => (type.sql.startsWith('char(') ? { padded: true } : {});

class Emitter {
  constructor(
    private readonly ctx: CustomWhereContext,
    /** Byte offset of the clause in the parsed text. */
    private readonly text: string,
  ) {}

  private reject(why: string, node?: Json | null): never {
    throw new Rejected(why, node ? locationOf(node) : null);
  }

  boolean(node: Json, depth: number): string {
    const e = this.expr(node, depth);
    if (e.kind !== 'bool') this.reject('expected a condition (true/false), got a value', node);
    return e.sql;
  }

  expr(node: Json, depth: number): Emitted {
    if (depth > MAX_DEPTH) this.reject('the clause nests too deeply', node);
    const type = nodeType(node);
    const body = node[type] as Json;
    const d = this.ctx.dialect;
    switch (type) {
      case 'BoolExpr': {
        const args = (body.args as Json[]).map((a) => this.boolean(a, depth + 1));
        if (body.boolop === 'NOT_EXPR') return { sql: `(NOT ${args[0]})`, kind: 'bool' };
        return { sql: `(${args.join(body.boolop === 'AND_EXPR' ? ' AND ' : ' OR ')})`, kind: 'bool' };
      }
      case 'A_Expr':
        return this.aExpr(node, body, depth);
      case 'NullTest': {
        const arg = this.expr(body.arg as Json, depth + 1);
        return { sql: `(${arg.sql} ${body.nulltesttype === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'})`, kind: 'bool' };
      }
      case 'A_Const':
        return this.constant(node, body);
      case 'ColumnRef': {
        const fields = body.fields as Json[];
        if (fields.length !== 1 || str(fields[0]) === undefined)
          this.reject('only unqualified column names of this data source may be used (no table.column, no *)', node);
        return this.column(str(fields[0])!, node);
      }
      case 'TypeCast': {
        const arg = this.expr(body.arg as Json, depth + 1);
        const tn = body.typeName as Json;
        const names = (tn.names as Json[]).map(str).filter((n) => n !== 'pg_catalog');
        const mods = ((tn.typmods as Json[] | undefined) ?? []).map(
          (m) => (((m.A_Const as Json)?.ival as Json)?.ival as number | undefined) ?? 0,
        );
        if (names.length !== 1 || tn.arrayBounds) this.reject('unsupported cast type', node);
        const target = parseColumnType(`${names[0]}${mods.length ? `(${mods.join(',')})` : ''}`);
        if (!target) this.reject(`unsupported cast type ${JSON.stringify(names[0])}`, node);
        if (arg.literal !== undefined) this.checkLiteral(target, arg.literal, node);
        else if (!castExists(typeOf(arg), target))
          this.reject(`no cast from ${typeOf(arg)!.sql} to ${target.sql}`, node);
        return {
          sql: `CAST(${arg.sql} AS ${target.sql === 'text' ? d.textType(null) : target.sql})`,
          kind: kindOf(target),
          column: target,
          ...paddedIf(target),
        };
      }
      case 'CoalesceExpr': {
        const args = (body.args as Json[]).map((a) => this.expr(a, depth + 1));
        const { kind, type } = this.common(args, node);
        const typed = args.find((a) => a.kind !== 'unknown');
        return {
          sql: `COALESCE(${args.map((a) => a.sql).join(', ')})`,
          kind,
          ...(type ? { column: type } : {}),
          ...(typed?.padded ? { padded: true as const } : {}),
        };
      }
      case 'FuncCall':
        return this.call(node, body, depth);
      default:
        return this.reject(`${describe(type)} is not allowed`, node);
    }
  }

  /**
   * A char(n) value as LIKE reads it: without its padding, as the docs read every char(n) value. PostgreSQL's
   * LIKE counts a char's trailing blanks (`CAST('' AS char(1)) LIKE ''` is false there), so it is RTRIMmed.
   */
  private unpadded(e: Emitted): string {
    return e.padded ? this.ctx.dialect.builtin('rtrim', [e.sql]) : e.sql;
  }

  private column(name: string, node: Json): Emitted {
    const col = this.ctx.ds.columns.find((c) => c.name === name);
    if (!col) this.reject(`no column ${JSON.stringify(name)} in data source ${JSON.stringify(this.ctx.ds.id)}`, node);
    const type = parseColumnType(col.type)!;
    return { sql: `t.${this.ctx.dialect.quoteIdent(col.name)}`, kind: kindOf(type), column: type, ...paddedIf(type) };
  }

  private constant(node: Json, body: Json): Emitted {
    if (body.isnull) return { sql: 'NULL', kind: 'unknown' };
    if ('sval' in body) {
      const text = String((body.sval as Json).sval ?? '');
      return { sql: this.ctx.dialect.quoteLiteral(text), kind: 'unknown', literal: text };
    }
    if ('ival' in body) {
      // An int4 (the parser reads a larger integer as a decimal, fval); 0 is left out of the tree.
      const v = ((body.ival as Json).ival as number | undefined) ?? 0;
      return { sql: String(v), kind: 'number', column: numberLiteralType(String(v)) };
    }
    if ('fval' in body) {
      const v = String((body.fval as Json).fval);
      if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v)) this.reject('malformed number', node);
      const problem = numberLiteralProblem(v);
      if (problem) this.reject(`${problem}: ${v}`, node);
      return { sql: v, kind: 'number', column: numberLiteralType(v) };
    }
    if ('boolval' in body) return { sql: (body.boolval as Json).boolval ? 'TRUE' : 'FALSE', kind: 'bool' };
    return this.reject('unsupported literal', node);
  }

  /**
   * The common kind of operands that must agree ('unknown' literals take any kind). A string literal next to
   * a typed operand becomes a value of its type when the view is created, so it must be one: otherwise
   * CREATE VIEW fails ("invalid input syntax for type date") instead of the clause being refused here.
   */
  private common(operands: Emitted[], node: Json): { kind: Kind; type?: ColumnType } {
    const known = [...new Set(operands.map((o) => o.kind).filter((k) => k !== 'unknown'))];
    if (known.length > 1) this.reject(`cannot compare or combine ${known.join(' and ')}`, node);
    const types = operands.map(typeOf).filter((t): t is ColumnType => t !== undefined);
    // Numbers of several types meet in the widest (int4 = numeric compares as numeric); others in the first.
    const type = known[0] === 'number' && types.length > 0 ? types.reduce(commonNumbers) : types[0];
    if (type) for (const o of operands) if (o.literal !== undefined) this.checkLiteral(type, o.literal, node);
    return { kind: known[0] ?? 'unknown', ...(type ? { type } : {}) };
  }

  /** A string literal read as a value of `type` (strings of any length compare with a string column). */
  private checkLiteral(type: ColumnType, text: string, node: Json): void {
    if (type.family === 'string') return;
    const why =
      type === NUMERIC_ANY
        ? /^-?(\d+\.?\d*|\.\d+)$/.test(text)
          ? null
          : 'not a decimal number'
        : constantMismatch(type, text);
    if (why) this.reject(`${JSON.stringify(text)} is not a value of type ${type.sql}: ${why}`, node);
  }

  private aExpr(node: Json, body: Json, depth: number): Emitted {
    const names = (body.name as Json[]).map(str);
    const op = names.length === 1 ? names[0]! : '';
    const lexpr = body.lexpr as Json | undefined;
    const rexpr = body.rexpr as Json | undefined;
    switch (body.kind) {
      case 'AEXPR_OP': {
        if (!lexpr && op === '-' && rexpr) {
          const r = this.expr(rexpr, depth + 1);
          if (r.kind !== 'number') this.reject('unary minus needs a number', node);
          return { sql: `(- ${r.sql})`, kind: 'number', column: r.column ?? NUMERIC_ANY };
        }
        if (!lexpr || !rexpr) return this.reject(`operator ${JSON.stringify(op)} is not allowed`, node);
        if (COMPARISONS.has(op)) {
          const [l, r] = [this.expr(lexpr, depth + 1), this.expr(rexpr, depth + 1)];
          this.common([l, r], node);
          return { sql: `(${l.sql} ${op} ${r.sql})`, kind: 'bool' };
        }
        if (ARITHMETIC.has(op)) {
          const [l, r] = [this.expr(lexpr, depth + 1), this.expr(rexpr, depth + 1)];
          if (l.kind !== 'number' || r.kind !== 'number') this.reject(`${op} needs numbers`, node);
          return {
            sql: `(${l.sql} ${op} ${r.sql})`,
            kind: 'number',
            column: promoteNumbers(l.column ?? NUMERIC_ANY, r.column ?? NUMERIC_ANY),
          };
        }
        if (op === '||') {
          const [l, r] = [this.expr(lexpr, depth + 1), this.expr(rexpr, depth + 1)];
          if (![l.kind, r.kind].every((k) => k === 'string' || k === 'unknown')) this.reject('|| needs strings', node);
          return { sql: `(${l.sql} || ${r.sql})`, kind: 'string' };
        }
        return this.reject(`operator ${JSON.stringify(names.join('.'))} is not allowed`, node);
      }
      case 'AEXPR_IN': {
        const l = this.expr(lexpr!, depth + 1);
        const items =
          ((rexpr?.List as Json | undefined)?.items as Json[] | undefined) ??
          this.reject('IN needs a list of values (no sub-query)', node);
        const values = items.map((it) => this.expr(it, depth + 1));
        this.common([l, ...values], node);
        // The engine compares the left side with each item (a literal becomes a value of the left side's type).
        for (const v of values) this.common([l, v], node);
        return {
          sql: `(${l.sql} ${op === '<>' ? 'NOT IN' : 'IN'} (${values.map((v) => v.sql).join(', ')}))`,
          kind: 'bool',
        };
      }
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE': {
        const ops: Record<string, string> = { '~~': 'LIKE', '!~~': 'NOT LIKE', '~~*': 'ILIKE', '!~~*': 'NOT ILIKE' };
        const kw = ops[op] ?? this.reject('unsupported LIKE form', node);
        const [l, r] = [this.expr(lexpr!, depth + 1), this.expr(rexpr!, depth + 1)];
        if (![l.kind, r.kind].every((k) => k === 'string' || k === 'unknown')) this.reject('LIKE needs strings', node);
        return { sql: `(${this.unpadded(l)} ${kw} ${this.unpadded(r)})`, kind: 'bool' };
      }
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN': {
        const l = this.expr(lexpr!, depth + 1);
        const items = (rexpr?.List as Json).items as Json[];
        const [lo, hi] = items.map((it) => this.expr(it, depth + 1)) as [Emitted, Emitted];
        this.common([l, lo, hi], node);
        // `l BETWEEN lo AND hi` is `l >= lo AND l <= hi`: each bound meets the left side alone.
        this.common([l, lo], node);
        this.common([l, hi], node);
        return {
          sql: `(${l.sql} ${body.kind === 'AEXPR_BETWEEN' ? 'BETWEEN' : 'NOT BETWEEN'} ${lo.sql} AND ${hi.sql})`,
          kind: 'bool',
        };
      }
      default:
        return this.reject(
          `${String(body.kind).replace('AEXPR_', '').toLowerCase()} expressions are not allowed`,
          node,
        );
    }
  }

  private call(node: Json, body: Json, depth: number): Emitted {
    const names = (body.funcname as Json[]).map(str);
    if (
      body.agg_star ||
      body.agg_distinct ||
      body.over ||
      body.agg_filter ||
      body.agg_order ||
      body.func_variadic ||
      body.agg_within_group
    ) {
      this.reject('aggregates, windows and variadic calls are not allowed', node);
    }
    if (names.length !== 1 || names[0] === undefined)
      this.reject(`function ${JSON.stringify(names.join('.'))} is not allowed`, node);
    // As written: the parser folds unquoted names to lower case; a quoted "LOWER" is another function.
    const name = names[0]!;
    const args = (body.args as Json[] | undefined) ?? [];
    if (name.startsWith('vg_marker_')) return this.marker(name, args, node, depth);
    const fn = FUNCTIONS[name];
    if (!fn) return this.reject(`function ${JSON.stringify(name)} is not allowed`, node);
    if (args.length < fn.args[0] || args.length > fn.args[1])
      this.reject(`${name} takes ${fn.args[0]}–${fn.args[1]} arguments`, node);
    const emitted = args.map((a) => this.expr(a, depth + 1));
    emitted.forEach((e, i) => {
      const want = fn.params[i]!;
      // A string literal is read as text; a number argument must be a number (an integer one where it says so).
      if (want === 'integer') {
        if (!isInt4Compatible(e.column))
          this.reject(
            `${name} takes an integer (int2 or int4) as argument ${i + 1}, got ${e.column?.sql ?? e.kind}`,
            node,
          );
      } else if (e.kind !== want && !(want === 'string' && e.kind === 'unknown'))
        this.reject(`${name} takes a ${want} as argument ${i + 1}, got ${e.kind}`, node);
    });
    // length() is an int4; abs() keeps its argument's type.
    const column = name === 'length' ? INT4 : name === 'abs' ? emitted[0]!.column : undefined;
    return { sql: `${name}(${emitted.map((e) => e.sql).join(', ')})`, kind: fn.result, ...(column ? { column } : {}) };
  }

  /** String constants of a marker call (placeholder arguments that must be literals). */
  private literals(args: Json[], node: Json, what: string): string[] {
    return args.map((a) => {
      const c = a.A_Const as Json | undefined;
      if (!c || !('sval' in c)) this.reject(`${what} takes string literals`, node);
      return String((c.sval as Json).sval ?? '');
    });
  }

  private marker(name: string, args: Json[], node: Json, depth: number): Emitted {
    const { dialect: d, p, ds } = this.ctx;
    const asText = (e: Emitted): string => `CAST(${e.sql} AS ${d.textType(e.column ? e.column.textWidth : null)})`;
    switch (name) {
      case 'vg_marker_username':
        if (args.length) this.reject('@username takes no arguments', node);
        return { sql: p.list('immuta__userid'), kind: 'string' };
      case 'vg_marker_groups_contains': {
        if (args.length !== 1) this.reject('@groupsContains(column) takes one argument', node);
        const v = this.expr(args[0]!, depth + 1);
        return { sql: `(${p.member(asText(v), 'group')})`, kind: 'bool' };
      }
      case 'vg_marker_attribute_values_contains': {
        if (args.length !== 2) this.reject("@attributeValuesContains('attribute', column) takes two arguments", node);
        const [key] = this.literals([args[0]!], node, '@attributeValuesContains');
        const v = this.expr(args[1]!, depth + 1);
        return { sql: `(${p.member(asText(v), 'attribute', key!)})`, kind: 'bool' };
      }
      case 'vg_marker_is_in_groups': {
        if (args.length === 0) this.reject("@isInGroups('group', …) names at least one group", node);
        const groups = this.literals(args, node, '@isInGroups');
        return {
          sql: p.decision(criteriaSql(d, { groups, attributes: {}, purposes: [], match: 'any' })),
          kind: 'bool',
        };
      }
      case 'vg_marker_has_attribute': {
        if (args.length !== 2) this.reject("@hasAttribute('attribute', 'value') takes two arguments", node);
        const [key, value] = this.literals(args, node, '@hasAttribute') as [string, string];
        return {
          sql: p.decision(criteriaSql(d, { groups: [], attributes: { [key]: [value] }, purposes: [], match: 'any' })),
          kind: 'bool',
        };
      }
      case 'vg_marker_is_using_purpose': {
        if (args.length === 0) this.reject("@isUsingPurpose('purpose', …) names at least one purpose", node);
        return { sql: p.decision(usingPurposeSql(d, this.literals(args, node, '@isUsingPurpose'))), kind: 'bool' };
      }
      case 'vg_marker_column_tagged': {
        if (args.length !== 1) this.reject("@columnTagged('tag') takes one argument", node);
        const [tag] = this.literals(args, node, '@columnTagged');
        const cols = targetColumns({ kind: 'tag', tag: tag! }, ds);
        if (cols.length !== 1)
          this.reject(
            cols.length === 0
              ? `no column tagged ${JSON.stringify(tag)}`
              : `several columns tagged ${JSON.stringify(tag)}: ${cols.map((c) => c.name).join(', ')}`,
            node,
          );
        return this.column(cols[0]!.name, node);
      }
      default:
        return this.reject(`function ${JSON.stringify(name)} is not allowed`, node);
    }
  }
}

/** An expression's type for the checks: its own, or boolean for a condition. */
const typeOf = (e: Emitted): ColumnType | undefined => e.column ?? (e.kind === 'bool' ? BOOLEAN : undefined);

function describe(nodeType: string): string {
  const names: Record<string, string> = {
    SubLink: 'a sub-query',
    SelectStmt: 'a sub-query',
    A_Star: '*',
    SQLValueFunction: 'a system value function (current_user, current_date, …)',
    ParamRef: 'a parameter',
    CaseExpr: 'CASE',
    BooleanTest: 'IS TRUE/IS FALSE',
    RowExpr: 'a row constructor',
    A_ArrayExpr: 'an array',
    A_Indirection: 'subscripts and field selection',
    CollateClause: 'COLLATE',
    MinMaxExpr: 'GREATEST/LEAST',
  };
  return names[nodeType] ?? `${nodeType}`;
}

/** Character offset in `text` of a UTF-8 byte offset. */
const byteToChar = (text: string, byte: number): number =>
  Buffer.from(text, 'utf8').subarray(0, byte).toString('utf8').length;

/**
 * Compile a custom WHERE clause to a boolean SQL expression over `t.<column>` and `p.<profile column>`.
 * Throws Uncompilable (VG306, with the position in the user's text) for anything not on the whitelist.
 */
export function compileCustomWhere(clause: string, ctx: CustomWhereContext): string {
  let scanned: { text: string; map: number[] } | null = null;
  try {
    scanned = prescan(clause);
    const full = PREFIX + scanned.text;
    let tree: Json;
    try {
      tree = parseSync(full) as Json;
    } catch (e) {
      // libpg-query's cursorPosition is a 0-based CHARACTER offset (unlike the tree's byte locations).
      const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
      const cursor = details?.cursorPosition;
      throw new Rejected(
        `does not parse: ${details?.message ?? (e as Error).message}`,
        cursor === undefined ? null : Math.max(0, cursor - PREFIX.length),
      );
    }
    const stmts = tree.stmts as Json[];
    if (stmts.length !== 1) throw new Rejected('a clause is one expression', null);
    const select = (stmts[0]!.stmt as Json).SelectStmt as Json | undefined;
    const extra = select
      ? Object.keys(select).filter((k) => !['targetList', 'whereClause', 'limitOption', 'op'].includes(k))
      : ['?'];
    if (!select || extra.length > 0 || select.op !== 'SETOP_NONE' || !select.whereClause) {
      throw new Rejected('a clause is one expression (no UNION, ORDER BY, LIMIT, GROUP BY, …)', null);
    }
    const emitter = new Emitter(ctx, full);
    const where = select.whereClause as Json;
    try {
      return `(${emitter.boolean(where, 0)})`;
    } catch (e) {
      if (e instanceof Rejected && !e.original && e.at !== null)
        throw new Rejected(e.why, byteToChar(full, e.at) - PREFIX.length);
      throw e;
    }
  } catch (e) {
    if (!(e instanceof Uncompilable) && !(e instanceof Rejected)) throw e;
    if (e instanceof Uncompilable) throw e;
    let position: number | null = null;
    if (e.at !== null)
      position =
        e.original || !scanned ? e.at : (scanned.map[Math.min(Math.max(e.at, 0), scanned.map.length - 1)] ?? null);
    throw new Uncompilable([
      diagnostic(
        'VG306',
        `policy ${JSON.stringify(ctx.policyId)}: custom WHERE clause rejected: ${e.why}` +
          `${position === null ? '' : ` (at character ${position + 1})`}`,
        ctx.path,
        'error',
        position === null ? undefined : `${clause}\n${' '.repeat(Math.max(0, position))}^`,
      ),
    ]);
  }
}
