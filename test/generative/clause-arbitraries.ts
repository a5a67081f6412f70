// Custom WHERE clauses from the accepted grammar of docs/policies.md, built as trees (evaluated by the
// reference) and rendered to the text a policy carries; about one in ten is a construct the compiler must
// refuse (VG306). Comparisons are typed: a string literal compared with a date column is a date.
import fc from 'fast-check';
import { familyOf, type RefType } from '../support/reference/values.js';
import { renderClause, type Cond, type Expr } from '../support/reference/where-clause.js';
import { ATTR_KEYS, ATTR_VALUES, GROUPS, PURPOSES, TAGS } from './vocabulary.js';
import { WORDS } from './value-arbitraries.js';

interface Col {
  name: string;
  type: RefType;
  tags: string[];
}

const STRINGS = [...WORDS, '', 'a b', 'Zoë', 'ע'];
const num = (v: string): Expr => ({ k: 'num', v });
const str = (v: string): Expr => ({ k: 'str', v });

function operand(c: Col): fc.Arbitrary<Expr> {
  const tagged = c.tags.length ? [fc.constantFrom(...c.tags).map((tag): Expr => ({ k: 'tagged', tag }))] : [];
  return fc.oneof(fc.constant<Expr>({ k: 'col', name: c.name }), ...tagged);
}

const NUMS = ['0', '1', '-1', '42', '2.5', '100', '32767', '9999999999'];
const literalFor = (t: RefType): fc.Arbitrary<Expr> => {
  switch (familyOf(t)) {
    case 'string':
      return fc.constantFrom(...STRINGS).map(str);
    case 'integer':
    case 'numeric':
    case 'float':
      return fc.constantFrom(...NUMS).map(num);
    case 'date':
      return fc.constantFrom('2024-02-29', '1970-01-01', '9999-12-31').map(str);
    case 'timestamp':
      return fc.constantFrom('2024-02-29 12:00:00', '1970-01-01 00:00:00', '2030-01-01 00:00:00').map(str);
    case 'time':
      return fc.constantFrom('12:00:00', '00:00:01', '23:59:59').map(str);
    case 'boolean':
      return fc.constantFrom('true', 'false').map(str);
  }
};

function columnCondition(c: Col): fc.Arbitrary<Cond> {
  const e = operand(c);
  const lit = literalFor(c.type);
  const fam = familyOf(c.type);
  const common: fc.Arbitrary<Cond>[] = [
    fc.record({ e, not: fc.boolean() }).map(({ e: x, not }): Cond => ({ k: 'isnull', e: x, not })),
    fc
      .record({ e, list: fc.array(lit, { minLength: 1, maxLength: 3 }), not: fc.boolean() })
      .map(({ e: x, list, not }): Cond => ({ k: 'in', e: x, list, not })),
    fc.record({ e, a: fc.constantFrom(...GROUPS) }).map(({ e: x }): Cond => ({ k: 'groupsContains', e: x })),
    fc
      .record({ e, key: fc.constantFrom(...ATTR_KEYS) })
      .map(({ e: x, key }): Cond => ({ k: 'attrContains', key, e: x })),
  ];
  if (fam === 'string') {
    return fc.oneof(
      ...common,
      fc
        .record({ e, op: fc.constantFrom('=' as const, '<>' as const), r: lit })
        .map(({ e: x, op, r }): Cond => ({ k: 'cmp', op, l: x, r })),
      fc
        .record({
          e,
          pattern: fc.constantFrom('%', 'a%', '%|%', '_', "%'%", 'Z_ë', '%\\%%', ''),
          ilike: fc.boolean(),
          not: fc.boolean(),
        })
        .map(({ e: x, pattern, ilike, not }): Cond => ({ k: 'like', e: x, pattern, ilike, not })),
      fc.record({ e, r: lit }).map(({ e: x, r }): Cond => ({
        k: 'cmp',
        op: '=',
        l: { k: 'concat', l: x, r: str('|') },
        r: { k: 'concat', l: r, r: str('|') },
      })),
      fc
        .record({ e, op: fc.constantFrom('>' as const, '<=' as const), n: fc.constantFrom('0', '1', '3') })
        .map(({ e: x, op, n }): Cond => ({ k: 'cmp', op, l: { k: 'fn', name: 'length', args: [x] }, r: num(n) })),
      fc
        .record({ e, fn: fc.constantFrom('lower' as const, 'upper' as const, 'btrim' as const), r: lit })
        .map(({ e: x, fn, r }): Cond => ({ k: 'cmp', op: '=', l: { k: 'fn', name: fn, args: [x] }, r })),
      fc
        .record({
          e,
          fn: fc.constantFrom('left' as const, 'right' as const),
          n: fc.constantFrom('1', '2', '-1'),
          r: lit,
        })
        .map(({ e: x, fn, n, r }): Cond => ({ k: 'cmp', op: '<>', l: { k: 'fn', name: fn, args: [x, num(n)] }, r })),
      e.map((x): Cond => ({ k: 'cmp', op: '=', l: { k: 'username' }, r: x })),
      fc
        .record({ e, r: lit })
        .map(({ e: x, r }): Cond => ({ k: 'cmp', op: '=', l: { k: 'coalesce', args: [x, str('∅')] }, r })),
    );
  }
  if (fam === 'boolean')
    return fc.oneof(
      ...common,
      e.map((x): Cond => ({ k: 'boolcol', e: x })),
      e.map((x): Cond => ({ k: 'not', arg: { k: 'boolcol', e: x } })),
    );
  const ops = fc.constantFrom('=' as const, '<>' as const, '<' as const, '>' as const, '<=' as const, '>=' as const);
  const numeric = fam === 'integer' || fam === 'numeric' || fam === 'float';
  return fc.oneof(
    ...common,
    fc.record({ e, op: ops, r: lit }).map(({ e: x, op, r }): Cond => ({ k: 'cmp', op, l: x, r })),
    fc
      .record({ e, lo: lit, hi: lit, not: fc.boolean() })
      .map(({ e: x, lo, hi, not }): Cond => ({ k: 'between', e: x, lo, hi, not })),
    ...(numeric
      ? [
          fc
            .record({
              e,
              op: fc.constantFrom('+' as const, '-' as const, '*' as const),
              n: fc.constantFrom('1', '2', '-3'),
              r: lit,
            })
            .map(({ e: x, op, n, r }): Cond => ({ k: 'cmp', op: '>', l: { k: 'arith', op, l: x, r: num(n) }, r })),
          fc
            .record({ e, r: lit })
            .map(({ e: x, r }): Cond => ({ k: 'cmp', op: '>=', l: { k: 'fn', name: 'abs', args: [x] }, r })),
        ]
      : [
          fc.record({ e, op: ops, v: lit }).map(({ e: x, op, v }): Cond => ({
            k: 'cmp',
            op,
            l: x,
            r: { k: 'cast', v: (v as { v: string }).v, type: c.type.kind },
          })),
        ]),
  );
}

const markers: fc.Arbitrary<Cond> = fc.oneof(
  fc
    .uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1, maxLength: 2 })
    .map((groups): Cond => ({ k: 'inGroups', groups })),
  fc
    .record({ key: fc.constantFrom(...ATTR_KEYS), value: fc.constantFrom(...ATTR_VALUES) })
    .map(({ key, value }): Cond => ({ k: 'hasAttr', key, value })),
  fc
    .uniqueArray(fc.constantFrom(...PURPOSES), { minLength: 1, maxLength: 2 })
    .map((purposes): Cond => ({ k: 'usingPurpose', purposes })),
  fc.boolean().map((v): Cond => ({ k: 'boollit', v })),
);

/** Text the compiler must refuse (VG306); none of them names a column, so a global policy still applies. */
const refused: fc.Arbitrary<Cond> = fc.oneof(
  fc
    .constantFrom('pg_sleep(0) IS NULL', "current_user = 'x'", 'EXISTS (SELECT 1)', 'CASE WHEN TRUE THEN TRUE END')
    .map((sql): Cond => ({ k: 'refused', sql })),
  fc
    .constantFrom('1 = 1; SELECT 1', "E'x' = 'x'", '1 = 1 -- c', '$1 = 1', '(1 = 1')
    .map((sql): Cond => ({ k: 'refused', sql, unreadable: true })),
  fc.constantFrom(...TAGS).map((tag): Cond => ({ k: 'isnull', e: { k: 'tagged', tag }, not: false })),
);

export function clauseArb(columns: Col[]): fc.Arbitrary<{ text: string; tree: Cond }> {
  const leaf: fc.Arbitrary<Cond> = fc.oneof(
    { arbitrary: fc.constantFrom(...columns).chain(columnCondition), weight: 6 },
    { arbitrary: markers, weight: 2 },
    { arbitrary: fc.constant<Cond>({ k: 'isnull', e: { k: 'col', name: 'missing' }, not: true }), weight: 1 },
    { arbitrary: refused, weight: 1 },
  );
  const tree = fc.oneof(
    { arbitrary: leaf, weight: 3 },
    {
      arbitrary: fc
        .record({
          k: fc.constantFrom('and' as const, 'or' as const),
          args: fc.array(leaf, { minLength: 2, maxLength: 3 }),
        })
        .map((c): Cond => c),
      weight: 2,
    },
    { arbitrary: leaf.map((arg): Cond => ({ k: 'not', arg })), weight: 1 },
  );
  return tree.map((t) => ({ text: renderClause(t), tree: t }));
}
