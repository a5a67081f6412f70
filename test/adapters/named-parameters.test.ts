import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lexNamedParameters, referencedParameters, toPositional } from '../../shared/adapters/named-parameters.js';

const pg = { backslashEscapesInStrings: false };
const rs = { backslashEscapesInStrings: true };

describe('named parameters lexer', () => {
  it('PostgreSQL: a backslash does not escape in a plain literal, only in E-literals', () => {
    // In PostgreSQL 'a\' ends at the second quote, so :x after it IS a parameter.
    expect(referencedParameters(lexNamedParameters("SELECT 'a\\', :x", pg))).toEqual(['x']);
    expect(referencedParameters(lexNamedParameters("SELECT E'a\\', :x'", pg))).toEqual([]);
    // An identifier ending in e before a quote is not an E prefix.
    expect(referencedParameters(lexNamedParameters("SELECT some'a\\', :x", pg))).toEqual(['x']);
  });

  it('Redshift: a backslash escapes inside every literal', () => {
    expect(referencedParameters(lexNamedParameters("SELECT 'a\\', :x'", rs))).toEqual([]);
    expect(referencedParameters(lexNamedParameters("SELECT 'a\\\\', :x", rs))).toEqual(['x']);
  });

  it('positional $1 is not a dollar quote; a$b$ identifiers are not dollar quotes', () => {
    expect(toPositional('SELECT $1, :a', { a: 1 }).text).toBe('SELECT $1, $1');
    expect(referencedParameters(lexNamedParameters('SELECT a$b$ , :y, $b$ :z $b$', pg))).toEqual(['y']);
  });

  it('numbers each distinct name once, in first-use order', () => {
    expect(toPositional('SELECT :b, :a, :b::text, :a_1', { a: 1, b: 2, a_1: 3 })).toEqual({
      text: 'SELECT $1, $2, $1::text, $3',
      values: [2, 1, 3],
    });
  });

  it('property: only the parameter fragments are parameters, whatever surrounds them', () => {
    const name = fc.constantFrom('a', 'b', 'key', 'x_1');
    const fragment = fc.oneof(
      name.map((n) => ({ sql: `:${n}`, param: n })),
      name.map((n) => ({ sql: `'lit :${n} ''q'' '`, param: undefined })),
      name.map((n) => ({ sql: `"id:${n}"`, param: undefined })),
      name.map((n) => ({ sql: `$$ :${n} ' $$`, param: undefined })),
      name.map((n) => ({ sql: `$t$ :${n} $$ $t$`, param: undefined })),
      name.map((n) => ({ sql: `-- :${n}\n`, param: undefined })),
      name.map((n) => ({ sql: `/* :${n} /* :${n} */ */`, param: undefined })),
      name.map((n) => ({ sql: `1::${n}`, param: undefined })),
      fc.constantFrom(' ', ', ', '+', '(', ')').map((t) => ({ sql: t, param: undefined })),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        const sql = parts.map((p) => p.sql).join(' ');
        const expected = [...new Set(parts.flatMap((p) => (p.param ? [p.param] : [])))];
        expect(referencedParameters(lexNamedParameters(sql, pg))).toEqual(expected);
        expect(referencedParameters(lexNamedParameters(sql, rs))).toEqual(expected);
        const params = Object.fromEntries(expected.map((n) => [n, n]));
        const { text, values } = toPositional(sql, params);
        expect(values).toEqual(expected);
        // Text outside parameters is untouched; each parameter became its $n.
        expect(text).toBe(parts.map((p) => (p.param ? `$${expected.indexOf(p.param) + 1}` : p.sql)).join(' '));
      }),
      { numRuns: 300 },
    );
  });
});
