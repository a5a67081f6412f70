// What the author of a custom WHERE clause reads when it is refused: one VG306 per refusal reason, with its
// exact text, the position in THEIR text (1-based, after placeholder substitution mapped back) and the path
// of the clause in the policy — the same on both dialects. Each reason is a separate branch of the parser's
// whitelist (shared/compiler/custom-where.ts); the injection-shaped refusals are in custom-where.test.ts.
import { describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { anyoneSubscription, dataSource, docConfig } from './policy-doc-examples.js';

const ds = dataSource(docConfig.database);
const anyone = PolicySchema.parse(anyoneSubscription);
const filter = (clause: string): Policy =>
  PolicySchema.parse({
    id: 'w',
    version: 1,
    name: 'w',
    createdAt: '2024-06-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-customers' },
    type: 'rowFilter',
    filter: { kind: 'where', clause },
  });

// [clause, reason, 1-based position or null]
const refusals: [string, string, number | null][] = [
  ["- name = 'x'", 'unary minus needs a number', 1],
  ["salary = - 'x'", 'unary minus needs a number', 10],
  ['name + 1 > 0', '+ needs numbers', 6],
  ['age * name > 0', '* needs numbers', 5],
  ["name || 1 = 'x'", '|| needs strings', 6],
  ["age LIKE 'x'", 'LIKE needs strings', 5],
  ["name SIMILAR TO 'x'", 'similar expressions are not allowed', 6],
  ['age IS DISTINCT FROM 1', 'distinct expressions are not allowed', 5],
  ["name ~ 'x'", 'operator "~" is not allowed', 6],
  ['CAST(age AS blob) = 1', 'unsupported cast type "blob"', 1],
  ['CAST(age AS int4[]) IS NULL', 'unsupported cast type', 1],
  ["COALESCE(name, 1) = 'x'", 'cannot compare or combine string and number', 1],
  ["age BETWEEN 'a' AND CAST(2 AS varchar(3))", 'cannot compare or combine number and string', 5],
  ["age IN (1, 'a', name)", 'cannot compare or combine number and string', 5],
  ['@groupsContains(dept, name)', '@groupsContains(column) takes one argument', 1],
  ["@attributeValuesContains('a')", "@attributeValuesContains('attribute', column) takes two arguments", 1],
  ['@attributeValuesContains(country, country)', '@attributeValuesContains takes string literals', 1],
  ['@isInGroups()', "@isInGroups('group', …) names at least one group", 1],
  ["@hasAttribute('a')", "@hasAttribute('attribute', 'value') takes two arguments", 1],
  ['@isUsingPurpose()', "@isUsingPurpose('purpose', …) names at least one purpose", 1],
  ["@columnTagged('a', 'b') = 1", "@columnTagged('tag') takes one argument", 1],
  // a syntax error is reported where it is in the author's text (here the "(" after the placeholder)
  ["@username(1) = 'a'", 'does not parse: syntax error at or near "("', 10],
  ["lower(name, name) = 'x'", 'lower takes 1–1 arguments', 1],
  ["left(name) = 'x'", 'left takes 2–2 arguments', 1],
  ['vg_marker_foo()', 'function "vg_marker_foo" is not allowed', 1],
  ['TRUE IS TRUE', 'IS TRUE/IS FALSE is not allowed', 6],
  ['(age, age) = (1, 1)', 'a row constructor is not allowed', 1],
  ['name COLLATE "C" = \'x\'', 'COLLATE is not allowed', 6],
  ['GREATEST(age, 1) > 1', 'GREATEST/LEAST is not allowed', 1],
  ["country = 'US' LIMIT 1", 'a clause is one expression (no UNION, ORDER BY, LIMIT, GROUP BY, …)', null],
  ['@username', 'expected a condition (true/false), got a value', 1],
  [`${'NOT '.repeat(70)}age = 1`, 'the clause nests too deeply', 261],
  ['age = 1; ', '";" is not allowed: a clause is one expression', 8],
  ["'a' = 'b' \\", 'backslash is not allowed outside string literals', 11],
];

describe('custom WHERE refusals: reason, position and path as the author reads them', () => {
  for (const [clause, reason, at] of refusals) {
    it(`${reason}: ${clause.length > 40 ? `${clause.slice(0, 40)}…` : clause}`, () => {
      for (const dialect of [postgres, redshift]) {
        const compiled = compileView(ds, [anyone, filter(clause)], docConfig, dialect);
        expect(compiled.failedClosed).toBe(true);
        const [d, closed] = compiled.diagnostics;
        expect(d).toMatchObject({ code: 'VG306', severity: 'error', path: ['filter', 'clause'] });
        expect(d!.summary).toBe(
          `policy "w": custom WHERE clause rejected: ${reason}${at === null ? '' : ` (at character ${at})`}`,
        );
        expect(d!.detail).toBe(at === null ? undefined : `${clause}\n${' '.repeat(at - 1)}^`);
        expect(closed!.code).toBe('VG301');
      }
    });
  }
});
