// Masks beyond v1 on real engines as real login roles: regex replace, rounding (numbers, dates, timestamps),
// partial/format-preserving, conditional (cell-level) masking, the type-aware NULL fallback. Every doc
// example (policy-doc-examples.ts) is asserted row for row for alice and bob; the Redshift text of each is
// linted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { engines } from '../support/engines.js';
import { createBreadthWorld, type BreadthWorld } from '../compiler/breadth-harness.js';
import {
  anyoneSubscription,
  dataSource,
  docConfig,
  examples,
  policiesOf,
  rawRows,
  seeOf,
} from './policy-doc-examples.js';

const maskExamples = examples.filter((e) => e.section === 'Masks');
type MaskBody = Omit<
  Extract<PolicyInput, { type: 'mask' }>,
  'id' | 'version' | 'name' | 'createdAt' | 'scope' | 'type'
>;
let n = 0;
const mask = (body: MaskBody): Policy =>
  PolicySchema.parse({
    id: `m${++n}`,
    version: 1,
    name: `m${n}`,
    createdAt: '2024-06-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-customers' },
    type: 'mask',
    ...body,
  });
const anyone = PolicySchema.parse(anyoneSubscription);

describe.each(engines)('masks on $name', ({ create }) => {
  let w: BreadthWorld;
  beforeAll(async () => {
    w = await createBreadthWorld(await create());
  });
  afterAll(() => w?.close());

  for (const ex of maskExamples) {
    it(`doc example ${ex.id}: ${ex.title}`, async () => {
      const compiled = await w.apply(policiesOf(ex));
      expect(compiled.failedClosed).toBe(false);
      expect(compiled.diagnostics.map((d) => d.code)).toEqual(ex.diagnostics ?? []);
      for (const user of ['alice', 'bob'] as const)
        expect(await w.see(user, ex.columns), user).toEqual(seeOf(ex, user, w.role[user]));
    });
  }

  it('regex, first match only (PostgreSQL): only the first lowercase letter; case-sensitive by default', async () => {
    await w.apply([
      anyone,
      mask({
        target: { kind: 'column', name: 'email' },
        mask: { kind: 'regex', pattern: '[a-z]', replacement: '#', global: false },
      }),
    ]);
    const expected = rawRows.map((r) => [String(r.id), r.email === null ? null : r.email.replace(/[a-z]/, '#')]);
    expect(await w.see('alice', ['id', 'email'])).toEqual(expected);
    expect(expected[4]![1]).toBe('ED@X.US'); // no lowercase letter: unchanged
  });

  it('regex pattern and replacement are literals (quotes and backslashes stay text)', async () => {
    await w.apply([
      anyone,
      mask({
        target: { kind: 'column', name: 'email' },
        mask: { kind: 'regex', pattern: "\\.(us|de)$|'", replacement: "'.zz" },
      }),
    ]);
    expect(await w.see('bob', ['id', 'email'])).toEqual(
      rawRows.map((r) => [String(r.id), r.email === null ? null : r.email.replace(/\.(us|de)$|'/g, "'.zz")]),
    );
  });

  it(
    'format-preserving partial masks non-ASCII letters too (Redshift POSIX classes are ASCII-only, so no ' +
      '[[:alnum:]])',
    async () => {
      await w.engine.query("UPDATE raw.customers SET name = 'Zoë-Ñú 中' WHERE id = 2");
      try {
        await w.apply([
          anyone,
          mask({
            target: { kind: 'column', name: 'name' },
            mask: { kind: 'partial', keep: 'last', count: 1, preserveFormat: true },
          }),
        ]);
        const row = (await w.see('alice', ['id', 'name'])).find((r) => r[0] === '2');
        expect(row?.[1]).toBe('***-** 中');
      } finally {
        await w.engine.query("UPDATE raw.customers SET name = 'Bo' WHERE id = 2");
      }
    },
  );

  it('timestamp truncated to the day; the column keeps its type', async () => {
    const compiled = await w.apply([
      anyone,
      mask({ target: { kind: 'column', name: 'created_at' }, mask: { kind: 'round', unit: 'day' } }),
    ]);
    expect(compiled.signature.columns.find((c) => c.name === 'created_at')!.type).toBe('timestamp');
    const truncated = await w.see('alice', ['id', 'created_at']);
    const clear = await w.engine.query<{ d: string }>(
      'SELECT CAST(CAST(created_at AS date) AS text) AS d FROM raw.customers ORDER BY id',
    );
    expect(truncated.map((r) => r[1])).toEqual(clear.map((r) => `${r.d} 00:00:00`));
  });

  it(
    'type-aware fallback: partial on an integer, rounding by unit on a number, bucket on a date → NULL + VG303 ' +
      'warnings',
    async () => {
      const compiled = await w.apply([
        anyone,
        mask({ target: { kind: 'column', name: 'age' }, mask: { kind: 'partial', keep: 'last', count: 1 } }),
        mask({ target: { kind: 'column', name: 'salary' }, mask: { kind: 'round', unit: 'month' } }),
        mask({ target: { kind: 'column', name: 'visited' }, mask: { kind: 'round', bucket: 5 } }),
        mask({ target: { kind: 'column', name: 'dept' }, mask: { kind: 'round', bucket: 5, unit: 'day' } }),
      ]);
      expect(compiled.failedClosed).toBe(false);
      expect(compiled.diagnostics.filter((d) => d.code === 'VG303').map((d) => d.severity)).toEqual([
        'warning',
        'warning',
        'warning',
        'warning',
      ]);
      for (const row of await w.see('alice', ['age', 'salary', 'visited', 'dept']))
        expect(row).toEqual([null, null, null, null]);
      // the clear columns are untouched
      expect((await w.see('alice', ['id', 'name'])).map((r) => r[1])).toEqual(rawRows.map((r) => r.name));
    },
  );

  it('a constant that does not fit still fails the whole view closed (VG303 error + VG301)', async () => {
    const compiled = await w.apply([
      anyone,
      mask({ target: { kind: 'column', name: 'age' }, mask: { kind: 'constant', value: 'old' } }),
    ]);
    expect(compiled.failedClosed).toBe(true);
    expect(compiled.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['VG303', 'VG301']));
    expect(await w.see('alice', ['id'])).toEqual([]);
  });

  it('conditional mask: an unknown (NULL) cell condition masks (fail closed); LIKE is case-sensitive', async () => {
    await w.apply([
      anyone,
      mask({
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'constant', value: 'X' },
        where: "email LIKE '%.us'",
      }),
    ]);
    // ann@x.us → masked; NULL email → masked; ED@X.US does not match → clear
    expect(await w.see('bob', ['id', 'name'])).toEqual([
      ['1', 'X'],
      ['2', 'Bo'],
      ['3', 'Cy'],
      ['4', 'X'],
      ['5', 'Ed'],
    ]);
  });

  it('conditional mask with everyoneWho/otherwise: rows outside the condition are clear for everyone', async () => {
    await w.apply([
      anyone,
      mask({
        target: { kind: 'column', name: 'ssn' },
        mask: { kind: 'null' },
        where: 'age > 30',
        condition: {
          kind: 'everyoneWho',
          who: { groups: ['analysts'] },
          otherwise: { kind: 'partial', keep: 'last', count: 2 },
        },
      }),
    ]);
    const old = (r: (typeof rawRows)[number]) => r.age > 30;
    expect(await w.see('alice', ['id', 'ssn'])).toEqual(rawRows.map((r) => [String(r.id), old(r) ? null : r.ssn]));
    expect(await w.see('bob', ['id', 'ssn'])).toEqual(
      rawRows.map((r) => [String(r.id), old(r) ? `${'*'.repeat(9)}${r.ssn.slice(-2)}` : r.ssn]),
    );
  });

  it('a cell condition naming a missing column fails the view closed (VG306 + VG301)', async () => {
    const compiled = await w.apply([
      anyone,
      mask({ target: { kind: 'column', name: 'name' }, mask: { kind: 'null' }, where: "secret = 'secret'" }),
    ]);
    expect(compiled.failedClosed).toBe(true);
    expect(compiled.diagnostics.map((d) => d.code)).toEqual(['VG306', 'VG301']);
    expect(await w.see('alice', ['id'])).toEqual([]);
  });
});

describe('masks for Redshift', () => {
  const ds = dataSource(docConfig.database);
  for (const ex of maskExamples) {
    it(`${ex.id}: passes the Redshift lint`, () => {
      const compiled = compileView(ds, policiesOf(ex), docConfig, redshift);
      for (const s of compiled.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    });
  }

  it("hooks: REGEXP_REPLACE(…, 1, 'i'), DATE_TRUNC without a zone, x − MOD(x, b) for numerics", () => {
    const sql = examples
      .filter((e) => ['mask-regex', 'mask-round-date', 'mask-round-number', 'mask-partial'].includes(e.id))
      .map((e) =>
        compileView(ds, policiesOf(e), docConfig, redshift)
          .statements.map((s) => s.sql)
          .join('\n'),
      )
      .join('\n');
    expect(sql).toContain(`REGEXP_REPLACE(t."name", '[aeiou]', '*', 1, 'i')`);
    expect(sql).toContain(`DATE_TRUNC('month', CAST(t."visited" AS timestamp))`);
    expect(sql).toContain('(t."salary" - MOD(t."salary", 1000))');
    expect(sql).toContain(
      `REGEXP_REPLACE(LEFT(RTRIM(CAST(t."ssn" AS varchar(11))), LENGTH(RTRIM(CAST(t."ssn" AS varchar(11)))) - 4), ` +
        `'[^[:space:][:punct:]]', '*')`,
    );
    expect(sql).not.toMatch(/'g'|'gi'/);
  });

  it('first-match-only regex cannot be expressed on Redshift: the view fails closed (VG303)', () => {
    const compiled = compileView(
      ds,
      [
        anyone,
        mask({
          target: { kind: 'column', name: 'email' },
          mask: { kind: 'regex', pattern: 'a', replacement: 'b', global: false },
        }),
      ],
      docConfig,
      redshift,
    );
    expect(compiled.failedClosed).toBe(true);
    expect(compiled.diagnostics.map((d) => d.code)).toEqual(['VG303', 'VG301']);
    expect(compiled.statements.map((s) => s.sql).join('\n')).not.toContain('raw');
  });

  it('the replacement refuses \\ and $ (engines read them differently)', () => {
    for (const replacement of ['\\1', '$1']) {
      expect(
        PolicySchema.safeParse({
          id: 'x',
          version: 1,
          name: 'x',
          createdAt: '2024-06-01T00:00:00Z',
          scope: { kind: 'global' },
          type: 'mask',
          target: { kind: 'column', name: 'email' },
          mask: { kind: 'regex', pattern: '(a)', replacement },
        }).success,
      ).toBe(false);
    }
  });
});
