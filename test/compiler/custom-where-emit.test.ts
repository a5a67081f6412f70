// Custom WHERE clauses across the grammar, with no engine: clauses generated over the whole accepted space
// (docs/policies.md "Custom WHERE clauses": boolean operators, comparisons, arithmetic, IN, BETWEEN, LIKE and
// ILIKE, IS [NOT] NULL, literals, CAST, COALESCE, the allow-listed functions, the placeholders) must compile to
// an expression whose PostgreSQL parse tree is the tree of a reference rendering written here from the docs:
// the same expression with every column read from the raw row (`t."col"`) and every placeholder replaced by
// the profile decision it stands for. Refusals (and the pre-scan's quotes, comments, `$` and placeholders)
// must name the reason, the character of the user's text and the clause's path. The engines' half (what real
// login roles see) is custom-where.test.ts.
import fc from 'fast-check';
import { loadModule, parseSync } from 'libpg-query';
import { describe, expect, it } from 'vitest';
import { compileCustomWhere } from '../../shared/compiler/custom-where.js';
import { ProfileDecisions, criteriaSql, usingPurposeSql } from '../../shared/compiler/profile-decisions.js';
import { Uncompilable } from '../../shared/compiler/uncompilable.js';
import { clauseReferences, prescan } from '../../shared/policy/custom-where-scan.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { parseColumnType } from '../../shared/policy/column-type.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

await loadModule();

type Kind = 'bool' | 'number' | 'string' | 'date' | 'ts' | 'time';
const COLUMNS: { name: string; type: string; kind: Kind; tags?: string[] }[] = [
  { name: 'id', type: 'int4', kind: 'number' },
  { name: 'small', type: 'int2', kind: 'number' },
  { name: 'big', type: 'int8', kind: 'number' },
  { name: 'price', type: 'numeric(10,2)', kind: 'number' },
  { name: 'ratio', type: 'float8', kind: 'number' },
  { name: 'f4', type: 'float4', kind: 'number' },
  { name: 'name', type: 'varchar(20)', kind: 'string' },
  { name: 'code', type: 'char(3)', kind: 'string' },
  { name: 'note', type: 'text', kind: 'string' },
  { name: 'Odd "Name"', type: 'varchar(5)', kind: 'string', tags: ['Odd'] },
  { name: "a--b@c/*$;'", type: 'varchar(8)', kind: 'string' },
  { name: 'dept', type: 'varchar(10)', kind: 'string', tags: ['Shared'] },
  { name: 'country', type: 'varchar(2)', kind: 'string', tags: ['Shared'] },
  { name: 'born', type: 'date', kind: 'date', tags: ['Birth'] },
  { name: 'seen', type: 'timestamp', kind: 'ts' },
  { name: 'seen_tz', type: 'timestamptz', kind: 'ts' },
  { name: 'starts', type: 'time', kind: 'time' },
  { name: 'active', type: 'boolean', kind: 'bool' },
];
const ds = DataSourceSchema.parse({
  id: 'ds-emit',
  name: 'emit',
  version: 1,
  location: { database: 'sales', schema: 'raw', table: 'emit' },
  kind: 'table',
  columns: COLUMNS.map(({ name, type, tags }) => ({ name, type, ...(tags ? { tags } : {}) })),
});
const TAGGED: Record<string, string> = { Odd: 'Odd "Name"', Birth: 'born' };

// The clause as a tree; `user` renders what an author writes, `reference` what it means.
type Node =
  | { k: 'col'; name: string }
  | { k: 'lit'; text: string }
  | { k: 'num'; text: string }
  | { k: 'null' }
  | { k: 'bool'; v: boolean }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'neg'; e: Node }
  | { k: 'junction'; op: 'AND' | 'OR'; args: Node[] }
  | { k: 'not'; e: Node }
  | { k: 'isnull'; not: boolean; e: Node }
  | { k: 'in'; not: boolean; l: Node; items: Node[] }
  | { k: 'between'; not: boolean; l: Node; lo: Node; hi: Node }
  | { k: 'like'; op: string; l: Node; r: Node }
  | { k: 'cast'; e: Node; written: string; type: string; colons: boolean }
  | { k: 'coalesce'; args: Node[] }
  | { k: 'fn'; name: string; args: Node[] }
  | { k: 'username' }
  | { k: 'groupsContains'; e: Node }
  | { k: 'attributeValuesContains'; key: string; e: Node }
  | { k: 'isInGroups'; groups: string[] }
  | { k: 'hasAttribute'; key: string; value: string }
  | { k: 'isUsingPurpose'; purposes: string[] }
  | { k: 'columnTagged'; tag: string };

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (name: string): string => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

/** What an author writes (keywords in any case, `!=` or `<>`, `CAST` or `::`, every operand parenthesised). */
function user(n: Node): string {
  switch (n.k) {
    case 'col':
      return ident(n.name);
    case 'lit':
      return sqlString(n.text);
    case 'num':
      return n.text;
    case 'null':
      return 'null';
    case 'bool':
      return n.v ? 'True' : 'FALSE';
    case 'bin':
      return `(${user(n.l)} ${n.op} ${user(n.r)})`;
    case 'neg':
      return `(- ${user(n.e)})`;
    case 'junction':
      return `(${n.args.map(user).join(n.op === 'AND' ? ' and ' : ' OR ')})`;
    case 'not':
      return `(Not ${user(n.e)})`;
    case 'isnull':
      return `(${user(n.e)} is ${n.not ? 'NOT ' : ''}NULL)`;
    case 'in':
      return `(${user(n.l)} ${n.not ? 'not in' : 'IN'} (${n.items.map(user).join(', ')}))`;
    case 'between':
      return `(${user(n.l)} ${n.not ? 'NOT ' : ''}between ${user(n.lo)} AND ${user(n.hi)})`;
    case 'like':
      return `(${user(n.l)} ${n.op} ${user(n.r)})`;
    case 'cast':
      return n.colons ? `(${user(n.e)})::${n.written}` : `cast(${user(n.e)} AS ${n.written})`;
    case 'coalesce':
      return `Coalesce(${n.args.map(user).join(', ')})`;
    case 'fn':
      return `${n.name.toUpperCase()}(${n.args.map(user).join(', ')})`;
    case 'username':
      return '@username';
    case 'groupsContains':
      return `@groupsContains(${user(n.e)})`;
    case 'attributeValuesContains':
      return `@attributeValuesContains(${sqlString(n.key)}, ${user(n.e)})`;
    case 'isInGroups':
      return `@isInGroups(${n.groups.map(sqlString).join(', ')})`;
    case 'hasAttribute':
      return `@hasAttribute(${sqlString(n.key)}, ${sqlString(n.value)})`;
    case 'isUsingPurpose':
      return `@isUsingPurpose(${n.purposes.map(sqlString).join(', ')})`;
    case 'columnTagged':
      return `@columnTagged(${sqlString(n.tag)})`;
  }
}

/** The text width a value is read with when compared with the user's groups or attribute values. */
const widthOf = (n: Node): number | null =>
  n.k === 'col' ? parseColumnType(COLUMNS.find((c) => c.name === n.name)!.type)!.textWidth : null;

/**
 * Whether a value is a char(n) as PostgreSQL types it: a char column or cast; COALESCE takes the type of its first
 * typed argument (`COALESCE(<char(3)>, <varchar>)` is a char there); a literal or NULL has none; anything else
 * (functions, ||) is text.
 */
function isChar(n: Node): boolean | undefined {
  const column = n.k === 'col' ? n.name : n.k === 'columnTagged' ? TAGGED[n.tag]! : null;
  if (column !== null) return COLUMNS.find((c) => c.name === column)!.type.startsWith('char(');
  if (n.k === 'cast') return parseColumnType(n.type)!.sql.startsWith('char(');
  if (n.k === 'coalesce') return n.args.map(isChar).find((t) => t !== undefined);
  return n.k === 'lit' || n.k === 'null' ? undefined : false;
}

/** A char(n) value, which LIKE reads without its padding (RTRIM); anything else as it is. */
function unpadded(n: Node, d: Dialect): string {
  const sql = reference(n, d);
  return isChar(n) ? d.builtin('rtrim', [sql]) : sql;
}

/** What the clause means: columns of the raw row, placeholders as the user's profile decisions. */
function reference(n: Node, d: Dialect): string {
  const p = new ProfileDecisions(d);
  const r = (x: Node): string => reference(x, d);
  const asText = (x: Node): string => `CAST(${r(x)} AS ${d.textType(widthOf(x))})`;
  const criteria = { groups: [] as string[], attributes: {}, purposes: [] as string[], match: 'any' as const };
  switch (n.k) {
    case 'col':
      return `t."${n.name.replace(/"/g, '""')}"`;
    case 'lit':
      return d.quoteLiteral(n.text);
    case 'num':
    case 'null':
    case 'bool':
    case 'bin':
    case 'neg':
    case 'junction':
    case 'not':
    case 'isnull':
    case 'in':
    case 'between':
      return generic(n, r);
    case 'like':
      // docs/policies.md: a char(n) value is read without its padding — LIKE too.
      return `(${unpadded(n.l, d)} ${n.op} ${unpadded(n.r, d)})`;
    case 'cast':
      return `CAST(${r(n.e)} AS ${n.type === 'text' ? d.textType(null) : n.type})`;
    case 'coalesce':
      return `COALESCE(${n.args.map(r).join(', ')})`;
    case 'fn':
      return `${n.name}(${n.args.map(r).join(', ')})`;
    case 'username':
      return p.list('immuta__userid');
    case 'groupsContains':
      return `(${p.member(asText(n.e), 'group')})`;
    case 'attributeValuesContains':
      return `(${p.member(asText(n.e), 'attribute', n.key)})`;
    case 'isInGroups':
      return p.decision(criteriaSql(d, { ...criteria, groups: n.groups }));
    case 'hasAttribute':
      return p.decision(criteriaSql(d, { ...criteria, attributes: { [n.key]: [n.value] } }));
    case 'isUsingPurpose':
      return p.decision(usingPurposeSql(d, n.purposes));
    case 'columnTagged':
      return reference({ k: 'col', name: TAGGED[n.tag]! }, d);
  }
}

function generic(n: Node, r: (x: Node) => string): string {
  switch (n.k) {
    case 'num':
      return n.text;
    case 'null':
      return 'NULL';
    case 'bool':
      return n.v ? 'TRUE' : 'FALSE';
    case 'bin':
      return `(${r(n.l)} ${n.op} ${r(n.r)})`;
    case 'neg':
      return `(- ${r(n.e)})`;
    case 'junction':
      return `(${n.args.map(r).join(` ${n.op} `)})`;
    case 'not':
      return `(NOT ${r(n.e)})`;
    case 'isnull':
      return `(${r(n.e)} IS ${n.not ? 'NOT ' : ''}NULL)`;
    case 'in':
      return `(${r(n.l)} ${n.not ? 'NOT IN' : 'IN'} (${n.items.map(r).join(', ')}))`;
    case 'between':
      return `(${r(n.l)} ${n.not ? 'NOT BETWEEN' : 'BETWEEN'} ${r(n.lo)} AND ${r(n.hi)})`;
    default:
      throw new Error(n.k);
  }
}

/** The parse tree of a boolean expression, without source positions (locations, where an IN list starts and ends). */
function tree(expr: string): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'location' && !k.startsWith('rexpr_list_'))
        .map(([k, x]) => [k, strip(x)]),
    );
  };
  const stmt = (parseSync(`SELECT 1 WHERE ${expr}`) as { stmts: { stmt: { SelectStmt: { whereClause: unknown } } }[] })
    .stmts[0]!.stmt.SelectStmt.whereClause;
  // `int4` and `integer` (pg_catalog.int4) name the same type.
  return JSON.parse(JSON.stringify(strip(stmt)).replace(/\{"String":\{"sval":"pg_catalog"\}\},/g, ''));
}

const compile = (clause: string, dialect: Dialect = postgres, path: (string | number)[] = ['filter', 'clause']) =>
  compileCustomWhere(clause, { dialect, ds, p: new ProfileDecisions(dialect), policyId: 'pol', path });

// ---- generators: each kind of expression, typed as the docs say the operands must be
const text = fc
  .array(fc.constantFrom('a', 'Z', "'", '\\', '@', '-', '/', '*', '$', ';', '"', ' ', 'é', '%', '_', '?'), {
    maxLength: 6,
  })
  .map((cs) => cs.join(''));
const lit = text.map((t): Node => ({ k: 'lit', text: t }));
const columnsOf = (kind: Kind): fc.Arbitrary<Node> =>
  fc.constantFrom(...COLUMNS.filter((c) => c.kind === kind).map((c): Node => ({ k: 'col', name: c.name })));
const numberLiteral = fc
  .oneof(
    fc.integer({ min: -2147483648, max: 2147483647 }).map(String),
    fc.bigInt({ min: 2147483648n, max: 99999999999999999999999n }).map(String),
    fc.constantFrom('0', '007', '12.5', '0.25', '.5', '.25', '1e3', '2.5E-3', '1.', '-0.0', '0x1F', '1_000'),
  )
  .map((t): Node => ({ k: 'num', text: t }));
// A string literal the other operand reads as a value of its kind (docs: "an untyped string literal takes
// the other operand's kind").
const valueLiteral: Record<Kind, fc.Arbitrary<Node>> = {
  bool: fc.constantFrom<Node>({ k: 'lit', text: 'true' }, { k: 'lit', text: 'FALSE' }),
  number: fc.constantFrom<Node>({ k: 'lit', text: '42' }, { k: 'lit', text: '-7' }),
  string: lit,
  date: fc.constantFrom<Node>({ k: 'lit', text: '2024-02-29' }, { k: 'lit', text: '1999-12-31' }),
  ts: fc.constantFrom<Node>({ k: 'lit', text: '2024-02-29 10:00:00' }, { k: 'lit', text: '1999-12-31T23:59:59+02:00' }),
  time: fc.constantFrom<Node>({ k: 'lit', text: '12:30:00' }, { k: 'lit', text: '23:59' }),
};
const CASTS: Record<Kind, [string, string][]> = {
  number: [
    ['int', 'int4'],
    ['INTEGER', 'int4'],
    ['int4', 'int4'],
    ['smallint', 'int2'],
    ['bigint', 'int8'],
    ['decimal(8,3)', 'numeric(8,3)'],
    ['numeric(12, 2)', 'numeric(12,2)'],
    ['numeric(5,0)', 'numeric(5,0)'],
    ['double precision', 'float8'],
    ['real', 'float4'],
  ],
  string: [
    ['varchar(7)', 'varchar(7)'],
    ['character varying(300)', 'varchar(300)'],
    ['char(4)', 'char(4)'],
    ['text', 'text'],
  ],
  date: [['date', 'date']],
  ts: [
    ['timestamp', 'timestamp'],
    ['timestamp with time zone', 'timestamptz'],
  ],
  time: [['time', 'time']],
  bool: [
    ['boolean', 'boolean'],
    ['bool', 'boolean'],
  ],
};
// Which kinds of value cast to a kind (the engine's casts: a string to and from anything, numbers among
// themselves, a date and a timestamp, a timestamp to a time, an int4 to a boolean).
const castSources = (to: Kind, depth: number): fc.Arbitrary<Node> => {
  switch (to) {
    case 'number':
      return fc.oneof(expr('number', depth), valueLiteral.number);
    case 'string':
      return fc.oneof(...(['bool', 'number', 'string', 'date', 'ts', 'time'] as const).map((k) => expr(k, depth)));
    case 'date':
    case 'ts':
      return fc.oneof(expr('date', depth), expr('ts', depth), valueLiteral[to]);
    case 'time':
      return fc.oneof(expr('time', depth), valueLiteral.time, fc.constant<Node>({ k: 'col', name: 'seen' }));
    case 'bool':
      return fc.oneof(expr('bool', depth), fc.constant<Node>({ k: 'col', name: 'id' }));
  }
};
const castTo = (kind: Kind, depth: number): fc.Arbitrary<Node> =>
  fc
    .tuple(castSources(kind, depth), fc.constantFrom(...CASTS[kind]), fc.boolean())
    .map(([e, [written, type], colons]): Node => ({ k: 'cast', e, written, type, colons }));
const intArg: fc.Arbitrary<Node> = fc.oneof(
  columnsOf('number').filter((c) => c.k === 'col' && (c.name === 'id' || c.name === 'small')),
  fc.integer({ min: -5, max: 30 }).map((i): Node => ({ k: 'num', text: String(i) })),
  fc.constant<Node>({ k: 'cast', e: { k: 'col', name: 'big' }, written: 'int', type: 'int4', colons: true }),
  fc.constant<Node>({ k: 'fn', name: 'length', args: [{ k: 'col', name: 'code' }] }),
);
const name = fc.constantFrom('g1', "o'brien", 'a b', '');
const cache = new Map<string, fc.Arbitrary<Node>>();

/** An accepted expression of `kind`, at most `depth` levels deep. */
function expr(kind: Kind, depth: number): fc.Arbitrary<Node> {
  const key = `${kind}:${depth}`;
  if (!cache.has(key)) cache.set(key, build(kind, depth));
  return cache.get(key)!;
}

function build(kind: Kind, depth: number): fc.Arbitrary<Node> {
  const leaves = leavesOf(kind);
  if (depth === 0) return leaves;
  const sub = (k: Kind): fc.Arbitrary<Node> => expr(k, depth - 1);
  const operand = (k: Kind): fc.Arbitrary<Node> => fc.oneof({ weight: 3, arbitrary: sub(k) }, valueLiteral[k]);
  const kinds = fc.constantFrom<Kind>('bool', 'number', 'string', 'date', 'ts', 'time');
  const common = [
    castTo(kind, depth - 1),
    fc
      .array(fc.oneof(sub(kind), valueLiteral[kind], fc.constant<Node>({ k: 'null' })), { minLength: 0, maxLength: 2 })
      .chain((rest) => sub(kind).map((first): Node => ({ k: 'coalesce', args: [first, ...rest] }))),
  ];
  switch (kind) {
    case 'bool':
      return fc.oneof(
        leaves,
        fc
          .tuple(fc.constantFrom<'AND' | 'OR'>('AND', 'OR'), fc.array(sub('bool'), { minLength: 2, maxLength: 3 }))
          .map(([op, args]): Node => ({ k: 'junction', op, args })),
        sub('bool').map((e): Node => ({ k: 'not', e })),
        kinds.chain((k) =>
          fc
            .tuple(fc.constantFrom('=', '<>', '!=', '<', '>', '<=', '>='), sub(k), operand(k), fc.boolean())
            .map(([op, a, b, swap]): Node => ({ k: 'bin', op, l: swap ? b : a, r: swap ? a : b })),
        ),
        kinds.chain((k) =>
          fc
            .tuple(
              fc.boolean(),
              sub(k),
              fc.array(fc.oneof(operand(k), fc.constant<Node>({ k: 'null' })), { minLength: 1, maxLength: 3 }),
            )
            .map(([not, l, items]): Node => ({ k: 'in', not, l, items })),
        ),
        kinds.chain((k) =>
          fc
            .tuple(fc.boolean(), sub(k), operand(k), operand(k))
            .map(([not, l, lo, hi]): Node => ({ k: 'between', not, l, lo, hi })),
        ),
        fc
          .tuple(fc.constantFrom('LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE'), sub('string'), operand('string'))
          .map(([op, l, r]): Node => ({ k: 'like', op, l, r })),
        fc
          .tuple(
            fc.boolean(),
            kinds.chain((k) => sub(k)),
          )
          .map(([not, e]): Node => ({ k: 'isnull', not, e })),
        ...common,
      );
    case 'number':
      return fc.oneof(
        leaves,
        fc
          .tuple(fc.constantFrom('+', '-', '*', '/'), sub('number'), sub('number'))
          .map(([op, l, r]): Node => ({ k: 'bin', op, l, r })),
        sub('number').map((e): Node => ({ k: 'neg', e })),
        sub('number').map((e): Node => ({ k: 'fn', name: 'abs', args: [e] })),
        operand('string').map((e): Node => ({ k: 'fn', name: 'length', args: [e] })),
        ...common,
      );
    case 'string':
      return fc.oneof(
        leaves,
        fc.tuple(operand('string'), operand('string')).map(([l, r]): Node => ({ k: 'bin', op: '||', l, r })),
        fc
          .tuple(fc.constantFrom('lower', 'upper'), operand('string'))
          .map(([fn, e]): Node => ({ k: 'fn', name: fn, args: [e] })),
        fc
          .tuple(fc.constantFrom('btrim', 'ltrim', 'rtrim'), operand('string'), fc.option(operand('string')))
          .map(([fn, e, chars]): Node => ({ k: 'fn', name: fn, args: chars ? [e, chars] : [e] })),
        fc
          .tuple(fc.constantFrom('left', 'right'), operand('string'), intArg)
          .map(([fn, e, count]): Node => ({ k: 'fn', name: fn, args: [e, count] })),
        ...common,
      );
    default:
      return fc.oneof(leaves, ...common);
  }
}

function leavesOf(kind: Kind): fc.Arbitrary<Node> {
  const placeholderArg = fc.oneof(columnsOf('string'), columnsOf('number'), columnsOf('date'), columnsOf('ts'), lit);
  switch (kind) {
    case 'bool':
      return fc.oneof(
        columnsOf('bool'),
        fc.boolean().map((v): Node => ({ k: 'bool', v })),
        placeholderArg.map((e): Node => ({ k: 'groupsContains', e })),
        fc.tuple(name, placeholderArg).map(([key, e]): Node => ({ k: 'attributeValuesContains', key, e })),
        fc.array(name, { minLength: 1, maxLength: 3 }).map((groups): Node => ({ k: 'isInGroups', groups })),
        fc.tuple(name, name).map(([key, value]): Node => ({ k: 'hasAttribute', key, value })),
        fc.array(name, { minLength: 1, maxLength: 3 }).map((purposes): Node => ({ k: 'isUsingPurpose', purposes })),
      );
    case 'number':
      return fc.oneof(columnsOf('number'), numberLiteral);
    case 'string':
      return fc.oneof(
        columnsOf('string'),
        fc.constant<Node>({ k: 'username' }),
        fc.constant<Node>({ k: 'columnTagged', tag: 'Odd' }),
      );
    case 'date':
      return fc.oneof(columnsOf('date'), fc.constant<Node>({ k: 'columnTagged', tag: 'Birth' }));
    case 'ts':
      return columnsOf('ts');
    case 'time':
      return columnsOf('time');
  }
}

/** Every column name and @columnTagged tag a clause names. */
function names(n: Node, out = { columns: new Set<string>(), tags: new Set<string>() }) {
  if (n.k === 'col') out.columns.add(n.name);
  if (n.k === 'columnTagged') out.tags.add(n.tag);
  for (const v of Object.values(n))
    for (const c of Array.isArray(v) ? v : [v]) if (c && typeof c === 'object' && 'k' in c) names(c as Node, out);
  return out;
}

const clauses = expr('bool', 3);

describe('accepted custom WHERE clauses mean what the author wrote', () => {
  it('the compiled expression is the reference expression (parse trees), on both dialects', () => {
    fc.assert(
      fc.property(clauses, (n) => {
        const clause = user(n);
        for (const d of [postgres, redshift])
          expect(JSON.stringify(tree(compile(clause, d)), null, 1), clause).toBe(
            JSON.stringify(tree(reference(n, d)), null, 1),
          );
      }),
      { numRuns: 400 },
    );
  });

  it('LIKE reads a char(n) value without its padding: a char column, a cast to char, COALESCE led by a char', () => {
    const col = (name: string): Node => ({ k: 'col', name });
    const like = (l: Node, r: Node): Node => ({ k: 'like', op: 'LIKE', l, r });
    const cases: Node[] = [
      like(col('code'), { k: 'lit', text: 'ab' }),
      like({ k: 'lit', text: 'ab' }, { k: 'cast', e: col('name'), written: 'char(4)', type: 'char(4)', colons: true }),
      // A counterexample the property found once: COALESCE takes its first typed argument's type (a char here).
      like(
        { k: 'fn', name: 'left', args: [col('name'), col('id')] },
        { k: 'coalesce', args: [col('code'), { k: 'null' }] },
      ),
      like(col('name'), { k: 'coalesce', args: [{ k: 'null' }, col('name'), col('code')] }),
      // Another the property found: the first typed argument is text (`'' || @username`), so no char.
      like(
        {
          k: 'coalesce',
          args: [
            { k: 'bin', op: '||', l: { k: 'lit', text: '' }, r: { k: 'username' } },
            { k: 'coalesce', args: [col('code'), { k: 'lit', text: 'x' }] },
          ],
        },
        { k: 'lit', text: '' },
      ),
    ];
    for (const n of cases)
      for (const d of [postgres, redshift]) {
        const compiled = compile(user(n), d);
        expect(JSON.stringify(tree(compiled)), user(n)).toBe(JSON.stringify(tree(reference(n, d))));
        expect(/rtrim/i.test(compiled), user(n)).toBe(n !== cases[3] && n !== cases[4]);
      }
  });

  it('the clause names exactly its columns and @columnTagged tags (what a GLOBAL policy needs to apply)', () => {
    fc.assert(
      fc.property(clauses, (n) => {
        const refs = clauseReferences(user(n));
        const want = names(n);
        expect(new Set(refs!.columns)).toEqual(want.columns);
        expect(new Set(refs!.tags)).toEqual(want.tags);
      }),
      { numRuns: 200 },
    );
  });
});

/** The VG306 a refused clause yields (undefined when it compiles). */
function refusal(clause: string, path: (string | number)[] = ['filter', 'clause']) {
  try {
    compile(clause, postgres, path);
    return undefined;
  } catch (e) {
    if (!(e instanceof Uncompilable)) throw e;
    expect(e.diagnostics).toHaveLength(1);
    return e.diagnostics[0]!;
  }
}

const SAME = 'aggregates, windows and variadic calls are not allowed';
const PREFIXED = "prefixed string literals (E'', U&'', B'', X'') are not allowed";
// [a refused condition, the reason, the 0-based character of the condition the author is sent to]
const refused: [string, string, number][] = [
  ['pg_sleep(1) IS NULL', 'function "pg_sleep" is not allowed', 0],
  ["pg_catalog.lower(name) = 'x'", 'function "pg_catalog.lower" is not allowed', 0],
  ['nope = 1', 'no column "nope" in data source "ds-emit"', 0],
  ['"ID" = 1', 'no column "ID" in data source "ds-emit"', 0],
  ['t.id = 1', 'only unqualified column names of this data source may be used (no table.column, no *)', 0],
  ["current_user = 'x'", 'a system value function (current_user, current_date, …) is not allowed', 0],
  ['id IN (SELECT 1)', 'a sub-query is not allowed', 3],
  ['EXISTS (SELECT 1)', 'a sub-query is not allowed', 0],
  ['CASE WHEN TRUE THEN TRUE END', 'CASE is not allowed', 0],
  ['ARRAY[id] IS NULL', 'an array is not allowed', 0],
  ['count(*) > 1', SAME, 0],
  ['count(DISTINCT id) > 1', SAME, 0],
  ['sum(id) OVER () > 1', SAME, 0],
  ['sum(id) FILTER (WHERE TRUE) > 1', SAME, 0],
  ['string_agg(name, name ORDER BY id) IS NULL', SAME, 0],
  ['btrim(VARIADIC name) IS NULL', SAME, 0],
  ['percentile_cont(0.5) WITHIN GROUP (ORDER BY id) > 1', SAME, 0],
  ["lower(id) = 'x'", 'lower takes a string as argument 1, got number', 0],
  ["btrim(name, 1) = 'x'", 'btrim takes a string as argument 2, got number', 0],
  ['abs(name) = 1', 'abs takes a number as argument 1, got string', 0],
  ['abs() = 1', 'abs takes 1–1 arguments', 0],
  ["rtrim(name, 'a', 'b') = 'x'", 'rtrim takes 1–2 arguments', 0],
  ["left(name, big) = 'x'", 'left takes an integer (int2 or int4) as argument 2, got int8', 0],
  ["right(name, 1.5) = 'x'", 'right takes an integer (int2 or int4) as argument 2, got numeric', 0],
  ["left(name, '2') = 'x'", 'left takes an integer (int2 or int4) as argument 2, got unknown', 0],
  ['id BETWEEN SYMMETRIC 1 AND 2', 'between_sym expressions are not allowed', 3],
  ['id = ANY(ARRAY[1])', 'op_any expressions are not allowed', 3],
  ["@columnTagged('Shared') = 'x'", 'several columns tagged "Shared": dept, country', 0],
  ["@columnTagged('None') = 'x'", 'no column tagged "None"', 0],
  ["born = '2023-02-29'", '"2023-02-29" is not a value of type date: not a date (YYYY-MM-DD)', 5],
  ["price = '1.2.3'", '"1.2.3" is not a value of type numeric(10,2): not a decimal number', 6],
  ["price + 1 = '1.2.3'", '"1.2.3" is not a value of type numeric: not a decimal number', 10],
  ['ratio = 1e400', 'number out of range: 1e400', 8],
  ['ratio = 1e-400', 'number too close to zero: 1e-400', 8],
  ['CAST(born AS int4) = 1', 'no cast from date to int4', 0],
  ['CAST(id AS foo) = 1', 'unsupported cast type "foo"', 0],
  ['CAST(id AS pg_catalog.foo.int4) = 1', 'unsupported cast type', 0],
  ["CAST('x' AS date) IS NULL", '"x" is not a value of type date: not a date (YYYY-MM-DD)', 0],
  ['TRUE = 1', 'cannot compare or combine bool and number', 5],
  ['starts = born', 'cannot compare or combine time and datetime', 7],
  ['NOT id', 'expected a condition (true/false), got a value', 4],
  ['- active', 'unary minus needs a number', 0],
  ['@username = 1', 'cannot compare or combine string and number', 10],
  ['@groupsContains()', '@groupsContains(column) takes one argument', 0],
  ["@hasAttribute('a', name)", '@hasAttribute takes string literals', 0],
  ["@isInGroups('a', 1)", '@isInGroups takes string literals', 0],
  ['@isUsingPurpose(name)', '@isUsingPurpose takes string literals', 0],
  ["@columnTagged(name) = 'x'", '@columnTagged takes string literals', 0],
  ["@username() = 'x'", 'does not parse: syntax error at or near "("', 9],
  ['id OPERATOR("=".<) 1', 'operator "=.<" is not allowed', 3],
  ['+ id > 0', 'operator "+" is not allowed', 0],
  ['id = NULLIF(1, 2)', 'nullif expressions are not allowed', 5],
  ['(name)[1] = 1', 'subscripts and field selection is not allowed', 1],
  ['XMLCONCAT(1) IS NULL', 'XmlExpr is not allowed', 0],
  // a quoted name is not folded to lower case: "LOWER" is not lower
  ['"LOWER"(name) = \'x\'', 'function "LOWER" is not allowed', 0],
  // the operands of an IN list or BETWEEN are of one kind, and each is read as a value of the left side's type
  ['NULL IN (1, name)', 'cannot compare or combine number and string', 5],
  ["small IN (100000, '70000')", '"70000" is not a value of type int2: out of range for int2', 6],
  ['NULL BETWEEN 1 AND name', 'cannot compare or combine number and string', 5],
  ["small BETWEEN 1 AND '70000'", '"70000" is not a value of type int2: out of range for int2', 6],
  ["small BETWEEN '70000' AND 100000", '"70000" is not a value of type int2: out of range for int2', 6],
  // abs keeps its argument's type, length is an int4
  ["abs(small) = '70000'", '"70000" is not a value of type int2: out of range for int2', 11],
  ["length(name) = '1.5'", '"1.5" is not a value of type int4: not an integer', 13],
  ['abs(NULL) = 1', 'abs takes a number as argument 1, got unknown', 0],
  // COALESCE has its operands' type, unary minus and arithmetic their operands' (int2 + int2 is an int2)
  ["COALESCE(small, small) = '70000'", '"70000" is not a value of type int2: out of range for int2', 23],
  ["- small = '70000'", '"70000" is not a value of type int2: out of range for int2', 8],
  ["small + small = '70000'", '"70000" is not a value of type int2: out of range for int2', 14],
  ["left(name, upper(name)) = 'x'", 'left takes an integer (int2 or int4) as argument 2, got string', 0],
  // a number the parser reads past int4 in a form other engines do not (hex, digit separators)
  ['big = 0xFFFFFFFFFF', 'malformed number', 6],
  ['big = 1_000_000_000_000', 'malformed number', 6],
  ['CAST((id = 1) AS date) IS NULL', 'no cast from boolean to date', 0],
  // the marker calls the placeholders stand for, written directly, are checked the same way
  ["vg_marker_username('x') = 'a'", '@username takes no arguments', 0],
  ["@attributeValuesContains('a', name, name)", "@attributeValuesContains('attribute', column) takes two arguments", 0],
  ["@hasAttribute('a', 'b', 'c')", "@hasAttribute('attribute', 'value') takes two arguments", 0],
  ["@columnTagged() = 'x'", "@columnTagged('tag') takes one argument", 0],
  ['id = = 1', 'does not parse: syntax error at or near "="', 5],
  // regression: the parser's cursor is a character offset; read as a 1-based byte offset, a syntax error was
  // reported one character early, and one more for every multi-byte character before it
  ["name = 'éé' AND id = = 1", 'does not parse: syntax error at or near "="', 21],
  ['id =', 'does not parse: syntax error at end of input', 3],
  // the pre-scan
  ['id = 1 -- x', 'comments are not allowed', 7],
  ['/* x */ TRUE', 'comments are not allowed', 0],
  ['id = 1;', '";" is not allowed: a clause is one expression', 6],
  ['id = $1', '"$" (parameters, dollar quoting) is not allowed', 5],
  ['name = $$x$$', '"$" (parameters, dollar quoting) is not allowed', 7],
  ["name = E'x'", PREFIXED, 7],
  ["name = b'1'", PREFIXED, 7],
  ["name = X'1'", PREFIXED, 7],
  ["name = N'x'", PREFIXED, 7],
  ["name = _'x'", PREFIXED, 7],
  ["name = U&'x'", PREFIXED, 8],
  ["name = 'x", 'unterminated quote', 7],
  ["name = 'x''", 'unterminated quote', 7],
  ['"id = 1', 'unterminated quote', 0],
  ['@nope = 1', 'unknown placeholder "@nope"', 0],
  ['@ = 1', 'unknown placeholder "@"', 0],
  ['@ = @username', 'unknown placeholder "@"', 0],
  ['@1x = 1', 'unknown placeholder "@"', 0],
  ["name = \\'x'", 'backslash is not allowed outside string literals', 7],
];

describe('refused custom WHERE clauses: the reason, the character of the author text and the path', () => {
  it.each(refused)('%s: %s', (condition, reason, at) => {
    for (const path of [['filter', 'clause'], ['where']]) {
      const d = refusal(condition, path);
      expect(d).toEqual({
        code: 'VG306',
        severity: 'error',
        summary: `policy "pol": custom WHERE clause rejected: ${reason} (at character ${at + 1})`,
        path,
        detail: `${condition}\n${' '.repeat(at)}^`,
      });
    }
  });

  it('after any accepted clause (quotes, placeholders, multi-byte characters before it), the same character', () => {
    fc.assert(
      fc.property(expr('bool', 2), fc.constantFrom(...refused), (n, [condition, reason, at]) => {
        const before = `${user(n)} AND `;
        const d = refusal(before + condition);
        expect(d?.summary).toBe(
          `policy "pol": custom WHERE clause rejected: ${reason} (at character ${before.length + at + 1})`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    'TRUE ORDER BY 1',
    'TRUE LIMIT 1',
    'TRUE OFFSET 1',
    'TRUE GROUP BY 1',
    'TRUE HAVING TRUE',
    'TRUE UNION SELECT 1',
    'TRUE FOR UPDATE',
    'TRUE WINDOW w AS ()',
  ])('%s: not one expression, and no position to show', (clause) => {
    expect(refusal(clause)).toEqual({
      code: 'VG306',
      severity: 'error',
      summary:
        'policy "pol": custom WHERE clause rejected: ' +
        'a clause is one expression (no UNION, ORDER BY, LIMIT, GROUP BY, …)',
      path: ['filter', 'clause'],
    });
  });
});

describe('the pre-scan: quotes, comments, `$` and placeholders', () => {
  const accepted: [string, Node][] = [
    // inside a string literal nothing is a comment, a parameter, a placeholder or an escape
    [
      "name = '@username -- /* $1; \\ '' \"x\" @nope'",
      {
        k: 'bin',
        op: '=',
        l: { k: 'col', name: 'name' },
        r: { k: 'lit', text: '@username -- /* $1; \\ \' "x" @nope' },
      },
    ],
    ["name = ''''", { k: 'bin', op: '=', l: { k: 'col', name: 'name' }, r: { k: 'lit', text: "'" } }],
    ["name = ''", { k: 'bin', op: '=', l: { k: 'col', name: 'name' }, r: { k: 'lit', text: '' } }],
    // nor inside a quoted column name
    ['"Odd ""Name""" = @username', { k: 'bin', op: '=', l: { k: 'col', name: 'Odd "Name"' }, r: { k: 'username' } }],
    [`"a--b@c/*$;'" = 'x'`, { k: 'bin', op: '=', l: { k: 'col', name: "a--b@c/*$;'" }, r: { k: 'lit', text: 'x' } }],
    // a placeholder next to quotes and operators, with no space
    [
      "@username||'@username'=name",
      {
        k: 'bin',
        op: '=',
        l: { k: 'bin', op: '||', l: { k: 'username' }, r: { k: 'lit', text: '@username' } },
        r: { k: 'col', name: 'name' },
      },
    ],
    ["(@isInGroups('a'))", { k: 'isInGroups', groups: ['a'] }],
    // numbers of several types meet in the widest: an int2 and an int4 in an int4, which holds 70000
    [
      "COALESCE(small, id) = '70000'",
      {
        k: 'bin',
        op: '=',
        l: {
          k: 'coalesce',
          args: [
            { k: 'col', name: 'small' },
            { k: 'col', name: 'id' },
          ],
        },
        r: { k: 'lit', text: '70000' },
      },
    ],
    // NULLs alone are of no kind: a string function takes them
    [
      'lower(COALESCE(NULL, NULL)) = name',
      {
        k: 'bin',
        op: '=',
        l: { k: 'fn', name: 'lower', args: [{ k: 'coalesce', args: [{ k: 'null' }, { k: 'null' }] }] },
        r: { k: 'col', name: 'name' },
      },
    ],
    // a quote at the very start; a quoted name right after a keyword
    ["'a' = name", { k: 'bin', op: '=', l: { k: 'lit', text: 'a' }, r: { k: 'col', name: 'name' } }],
    [
      'active AND"id"=1',
      {
        k: 'junction',
        op: 'AND',
        args: [
          { k: 'col', name: 'active' },
          { k: 'bin', op: '=', l: { k: 'col', name: 'id' }, r: { k: 'num', text: '1' } },
        ],
      },
    ],
    [
      'id-1>0',
      {
        k: 'bin',
        op: '>',
        l: { k: 'bin', op: '-', l: { k: 'col', name: 'id' }, r: { k: 'num', text: '1' } },
        r: { k: 'num', text: '0' },
      },
    ],
    [
      'id/2>0',
      {
        k: 'bin',
        op: '>',
        l: { k: 'bin', op: '/', l: { k: 'col', name: 'id' }, r: { k: 'num', text: '2' } },
        r: { k: 'num', text: '0' },
      },
    ],
  ];
  it.each(accepted)('%s is accepted and means what it says', (clause, meaning) => {
    expect(tree(compile(clause))).toEqual(tree(reference(meaning, postgres)));
  });

  it('maps every character of the scanned text back to the author text', () => {
    const { text, map } = prescan("@username = 'é@x' AND @isInGroups('g')");
    expect(text).toBe("vg_marker_username() = 'é@x' AND vg_marker_is_in_groups('g')");
    expect(map).toEqual([
      ...Array<number>(20).fill(0),
      ...Array.from({ length: 13 }, (_, i) => 9 + i),
      ...Array<number>(22).fill(22),
      ...Array.from({ length: 5 }, (_, i) => 33 + i),
    ]);
  });
});

describe('clauseReferences: what a clause names', () => {
  it.each([
    ["name = '@columnTagged(''X'')' AND id = 1", ['name', 'id'], []],
    ["@columnTagged('T') = 'x' AND @columnTagged('U') = @columnTagged('T')", [], ['T', 'U']],
    ["@columnTagged(name) = 'x' AND lower('T') = 'x'", ['name'], []],
    ['t.id = 1 AND "Odd ""Name""" IS NULL', ['Odd "Name"'], []],
    ["@attributeValuesContains('k', dept) AND @groupsContains(country)", ['dept', 'country'], []],
    ["vg_marker_column_tagged.f('T') IS NULL", [], []],
    // a @columnTagged without a tag names none (the compiler refuses it)
    ["@columnTagged() = 'x' AND @columnTagged(1) = 'y'", [], []],
  ])('%s', (clause, columns, tags) => {
    expect(clauseReferences(clause)).toEqual({ columns, tags });
  });

  it.each(['id = = 1', 'id = 1; DROP TABLE x', 'id = 1 -- x', "name = 'x"])('%s cannot be read: null', (clause) => {
    expect(clauseReferences(clause)).toBeNull();
  });
});

describe('limits and argument counts', () => {
  // docs/policies.md: lower, upper, length (a string); btrim, ltrim, rtrim (a string, optionally the characters to
  // trim); abs (a number); left, right (a string and an int2/int4 count)
  const FUNCTIONS: [string, string[], number][] = [
    ['lower', ['name'], 1],
    ['upper', ['name'], 1],
    ['length', ['name'], 1],
    ['btrim', ['name', "'x'"], 1],
    ['ltrim', ['name', "'x'"], 1],
    ['rtrim', ['name', "'x'"], 1],
    ['abs', ['id'], 1],
    ['left', ['name', '2'], 2],
    ['right', ['name', '2'], 2],
  ];
  it.each(FUNCTIONS)('%s takes from its required to its optional arguments, no more, no fewer', (fn, args, min) => {
    const max = args.length;
    for (let count = 0; count <= max + 1; count++) {
      const call = `${fn}(${[...args, ...args].slice(0, count).join(', ')}) IS NULL`;
      const d = refusal(call);
      if (count >= min && count <= max) expect(d, call).toBeUndefined();
      else
        expect(d?.summary, call).toBe(
          `policy "pol": custom WHERE clause rejected: ${fn} takes ${min}–${max} arguments (at character 1)`,
        );
    }
  });

  it.each(FUNCTIONS)('%s refuses an argument of another kind', (fn, args) => {
    args.forEach((_, i) => {
      const wrong = [...args];
      wrong[i] = args[i] === 'name' || args[i] === "'x'" ? 'id' : 'name';
      const want = args[i] === 'name' || args[i] === "'x'" ? 'string' : i === 1 ? 'integer (int2 or int4)' : 'number';
      const got = wrong[i] === 'id' ? 'number' : want.startsWith('integer') ? 'varchar(20)' : 'string';
      expect(refusal(`${fn}(${wrong.join(', ')}) IS NULL`)?.summary).toBe(
        `policy "pol": custom WHERE clause rejected: ${fn} takes a${want.startsWith('i') ? 'n' : ''} ${want} ` +
          `as argument ${i + 1}, got ${got} (at character 1)`,
      );
    });
  });

  it('a clause nests at most 64 levels deep', () => {
    expect(refusal(`${'NOT '.repeat(64)}active`)).toBeUndefined();
    expect(refusal(`${'NOT '.repeat(65)}active`)?.summary).toBe(
      'policy "pol": custom WHERE clause rejected: the clause nests too deeply (at character 261)',
    );
  });

  // [a condition, how many levels its deepest node is below it]: every construct counts one level per operand
  // (one operand deeper than the other, so that each operand's count is what decides)
  const nested: [string, number][] = [
    ['CAST(id AS int4) IS NULL', 2],
    ['COALESCE(id, 1) IS NULL', 2],
    ['- id > 0', 2],
    ['0 < - id', 2],
    ['- id + 1 > 0', 3],
    ['0 < 1 + - id', 3],
    ["lower(name) || 'a' = 'b'", 3],
    ["'b' = 'a' || lower(name)", 3],
    ['- id IN (1)', 2],
    ['1 IN (- id)', 2],
    ["lower(name) LIKE 'x'", 2],
    ["'x' LIKE lower(name)", 2],
    ['- id BETWEEN 1 AND 2', 2],
    ['0 BETWEEN - id AND 2', 2],
    ['length(lower(name)) > 0', 3],
    ['@groupsContains(lower(name))', 2],
    ["@attributeValuesContains('a', lower(name))", 2],
  ];
  it.each(nested)('the 64 levels count every operand: %s', (condition, below) => {
    const at = (levels: number): string => `${'NOT '.repeat(levels)}(${condition})`;
    expect(refusal(at(64 - below))).toBeUndefined();
    expect(refusal(at(65 - below))?.summary).toMatch(/rejected: the clause nests too deeply \(at character \d+\)$/);
  });

  it('a string compared with an unconstrained numeric (arithmetic on a numeric) is a plain decimal number', () => {
    for (const v of ['-5', '5.', '.5', '.25', '12.25', '007', '-0.5'])
      expect(refusal(`price * 2 = '${v}'`), v).toBeUndefined();
    for (const v of ['1.2.3', '-', '.', '', '5e3', '1,5', 'x5', '5x', '--5', '+5', ' 5'])
      expect(refusal(`price * 2 = '${v}'`)?.summary, v).toBe(
        `policy "pol": custom WHERE clause rejected: ${JSON.stringify(v)} is not a value of type numeric: ` +
          'not a decimal number (at character 11)',
      );
  });
});
