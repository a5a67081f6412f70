// The profile encoding: injective, and SQL membership (POSITION, with the needle built in TypeScript and
// quoted, or built per row by immuta_functions.f_list_item) agrees with JS membership for hostile strings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { engines, type Engine } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import {
  attributeItemNeedleSql,
  attributeNeedle,
  containsConstantSql,
  containsSql,
  decodeAttributes,
  decodeList,
  encodeAttributes,
  encodeList,
  encodePurposes,
  encodedContains,
  listItemNeedleSql,
  listNeedle,
} from '../../shared/layout/profile-encoding.js';
import { bootstrap, layoutConfig } from './layout-fixture.js';

// Strings that break naive SQL building and naive separators, mixed with arbitrary unicode. NUL cannot be
// stored in PostgreSQL text (the dialect rejects it), and lone surrogates are not valid UTF-8.
const nasty = fc.constantFrom(
  "'",
  "''",
  ';',
  '--',
  '$$',
  '$q$',
  '\n',
  '\r\n',
  '\\',
  '|',
  '||',
  '=',
  '%',
  '%7C',
  '%25',
  '%3D',
  '"',
  'é',
  '😀',
  '',
);
const item = fc
  .array(fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 4 })
  .map((parts) => parts.join(''))
  .filter((s) => !s.includes('\u0000') && !/\p{Cs}/u.test(s));
const items = fc.array(item, { maxLength: 5 });
const attributes = fc.dictionary(item, fc.array(item, { maxLength: 3 }), { maxKeys: 3 });

const sortedUnique = (xs: string[]): string[] => [...new Set(xs)].sort();

describe('profile encoding (pure)', () => {
  it('lists round-trip as sets, so the encoding is injective on sets', () => {
    fc.assert(
      fc.property(items, (xs) => {
        expect(decodeList(encodeList(xs)).sort()).toEqual(sortedUnique(xs));
      }),
    );
    fc.assert(
      fc.property(
        items,
        items,
        (a, b) =>
          (encodeList(a) === encodeList(b)) === (JSON.stringify(sortedUnique(a)) === JSON.stringify(sortedUnique(b))),
      ),
    );
  });

  it('attributes round-trip', () => {
    fc.assert(
      fc.property(attributes, (attrs) => {
        const expected: Record<string, string[]> = {};
        for (const [k, vs] of Object.entries(attrs)) if (vs.length > 0) expected[k] = sortedUnique(vs);
        const got = decodeAttributes(encodeAttributes(attrs));
        for (const k of Object.keys(got)) got[k] = sortedUnique(got[k]!);
        expect(got).toEqual(expected);
      }),
    );
  });

  it('a needle matches exactly the items of the list (no partial or cross-item matches)', () => {
    fc.assert(fc.property(items, item, (xs, y) => encodedContains(encodeList(xs), listNeedle(y)) === xs.includes(y)));
    fc.assert(
      fc.property(
        attributes,
        item,
        item,
        (attrs, k, v) =>
          encodedContains(encodeAttributes(attrs), attributeNeedle(k, v)) ===
          (Object.hasOwn(attrs, k) && attrs[k]!.includes(v)),
      ),
    );
  });

  it('known shapes', () => {
    expect(encodeList([])).toBe('|');
    expect(encodeList([''])).toBe('||');
    expect(encodeList(['b', 'a|b', 'a', 'a'])).toBe('|a|a%7Cb|b|');
    expect(encodeAttributes({ 'k=1': ['x%'] })).toBe('|k%3D1=x%25|');
    expect(listNeedle('%7C')).toBe('|%257C|');
    // acknowledged purposes as items, the purposes the user acts under as `=`-marked items, sorted, once each
    expect(encodePurposes([], [])).toBe('|');
    expect(encodePurposes(['b', 'a', 'a', 'x=y'], ['a', 'a'])).toBe('|=a|a|b|x%3Dy|');
    expect(encodePurposes([], ['p|q'])).toBe('|=p%7Cq|');
  });

  it('stored text that is not an encoding is refused, never read as items', () => {
    for (const bad of ['', 'a', 'a|', '|a']) expect(() => decodeList(bad), bad).toThrow('not an encoded list');
    for (const bad of ['', 'k=v', '|k=v', 'k=v|'])
      expect(() => decodeAttributes(bad), bad).toThrow('not encoded attributes');
    expect(() => decodeAttributes('|k=v|kv|')).toThrow('attribute entry without =');
    // the first raw `=` ends the key (an escaped key has none); an empty key or value is an item like any other
    expect(decodeAttributes('|k=a=b|=v|k=|')).toEqual({ k: ['a=b', ''], '': ['v'] });
    expect(decodeList('||a|')).toEqual(['', 'a']);
  });
});

describe.each(engines)('profile encoding in SQL on $name', ({ create }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
    await bootstrap(engine, layoutConfig(engine));
  });
  afterAll(() => engine?.close());

  it('POSITION membership (constant and per-row needle) equals JS membership', async () => {
    await fc.assert(
      fc.asyncProperty(items, item, async (xs, y) => {
        const list = d.quoteLiteral(encodeList(xs));
        const value = d.quoteLiteral(y);
        const [row] = await engine.query<{ constant: boolean; per_row: boolean; needle: string }>(
          `SELECT ${containsConstantSql(d, list, listNeedle(y))} AS constant, ` +
            `${containsSql(list, listItemNeedleSql(d, value))} AS per_row, ${listItemNeedleSql(d, value)} AS needle`,
        );
        expect(row).toEqual({ constant: xs.includes(y), per_row: xs.includes(y), needle: listNeedle(y) });
      }),
      { numRuns: 150 },
    );
  });

  it('f_attribute_item builds the same needle as attributeNeedle', async () => {
    await fc.assert(
      fc.asyncProperty(attributes, item, item, async (attrs, k, v) => {
        const column = d.quoteLiteral(encodeAttributes(attrs));
        const [row] = await engine.query<{ member: boolean; needle: string }>(
          `SELECT ${containsSql(column, attributeItemNeedleSql(d, k, d.quoteLiteral(v)))} AS member, ` +
            `${attributeItemNeedleSql(d, k, d.quoteLiteral(v))} AS needle`,
        );
        expect(row).toEqual({
          member: Object.hasOwn(attrs, k) && attrs[k]!.includes(v),
          needle: attributeNeedle(k, v),
        });
      }),
      { numRuns: 100 },
    );
  });

  it('a NULL row value matches nothing (fail closed)', async () => {
    const [row] = await engine.query<{ m: boolean | null }>(
      `SELECT ${containsSql("'|a|'", listItemNeedleSql(d, 'NULL'))} AS m`,
    );
    expect(row?.m).toBeNull();
  });
});
