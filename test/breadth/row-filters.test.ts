// Row filters beyond v1 on real engines as real login roles: values in / not in, time windows relative to
// the query time, minimization (a stable per-user share of the rows, checked against the MD5 rule computed
// in TypeScript), purposes. Every doc example is asserted row for row; the Redshift text is linted.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { engines } from '../support/engines.js';
import { createBreadthWorld, type BreadthWorld } from '../compiler/breadth-harness.js';
import { anyoneSubscription, dataSource, docConfig, examples, policiesOf, seeOf } from './policy-doc-examples.js';

const filterExamples = examples.filter((e) => e.section === 'Row filters');
type FilterBody = Omit<
  Extract<PolicyInput, { type: 'rowFilter' }>,
  'id' | 'version' | 'name' | 'createdAt' | 'scope' | 'type'
>;
let n = 0;
const filter = (body: FilterBody): Policy =>
  PolicySchema.parse({
    id: `f${++n}`,
    version: 1,
    name: `f${n}`,
    createdAt: '2024-06-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-customers' },
    type: 'rowFilter',
    ...body,
  });
const anyone = PolicySchema.parse(anyoneSubscription);

/** The minimization rule in TypeScript: MD5(key | user), first 32 bits, mod 10000 < percent × 100. */
const bucketOf = (key: string | number, user: string): number =>
  parseInt(createHash('md5').update(`${key}|${user}`, 'utf8').digest('hex').slice(0, 8), 16) % 10000;
const kept = (key: string, user: string, percent: number): boolean => bucketOf(key, user) < Math.round(percent * 100);

describe.each(engines)('row filters on $name', ({ create }) => {
  let w: BreadthWorld;
  beforeAll(async () => {
    w = await createBreadthWorld(await create());
    // a second table for the statistical minimization checks: 400 keys
    await w.engine.exec([
      stmt('CREATE TABLE raw.events (k int4, v varchar(10))'),
      stmt("INSERT INTO raw.events SELECT g, 'e' || g FROM generate_series(1, 400) g"),
    ]);
  });
  afterAll(() => w?.close());

  for (const ex of filterExamples) {
    it(`doc example ${ex.id}: ${ex.title}`, async () => {
      const compiled = await w.apply(policiesOf(ex));
      expect(compiled.failedClosed).toBe(false);
      expect(compiled.diagnostics).toEqual([]);
      for (const user of ['alice', 'bob'] as const)
        expect(await w.see(user, ex.columns), user).toEqual(seeOf(ex, user, w.role[user]));
    });
  }

  it(
    'values are typed: numeric 2500 matches 2500.00; a ' + 'value the column cannot hold fails closed (VG307)',
    async () => {
      await w.apply([
        anyone,
        filter({ filter: { kind: 'values', column: { kind: 'column', name: 'salary' }, values: ['2500', '100.5'] } }),
      ]);
      expect(await w.see('alice', ['id'])).toEqual([['1'], ['2']]);
      const bad = await w.apply([
        anyone,
        filter({ filter: { kind: 'values', column: { kind: 'column', name: 'age' }, values: ['34', 'thirty'] } }),
      ]);
      expect(bad.failedClosed).toBe(true);
      expect(bad.diagnostics.map((d) => [d.code, d.path])).toEqual([
        ['VG307', ['filter', 'values', 1]],
        ['VG301', []],
      ]);
      expect(await w.see('alice', ['id'])).toEqual([]);
    },
  );

  it('time window on a date column and in hours; a non-time column fails closed', async () => {
    await w.apply([
      anyone,
      filter({
        filter: {
          kind: 'timeWindow',
          column: { kind: 'column', name: 'visited' },
          direction: 'older',
          amount: 1,
          unit: 'year',
        },
      }),
    ]);
    // every visited date (2022–2024) is older than a year before "now" (the test machine's clock is later)
    expect((await w.see('alice', ['id'])).length).toBe(5);
    await w.apply([
      anyone,
      filter({
        filter: {
          kind: 'timeWindow',
          column: { kind: 'column', name: 'created_at' },
          direction: 'newer',
          amount: 36,
          unit: 'hour',
        },
      }),
    ]);
    expect(await w.see('bob', ['id'])).toEqual([['1']]);
    const bad = await w.apply([
      anyone,
      filter({
        filter: {
          kind: 'timeWindow',
          column: { kind: 'column', name: 'age' },
          direction: 'newer',
          amount: 1,
          unit: 'day',
        },
      }),
    ]);
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['VG307', 'VG301']);
  });

  /** The 400-row events view minimized to `percent` (compiled for PostgreSQL) and the keys a user sees in it. */
  const minimized = (percent: number) => {
    const events = dataSource(w.engine.database);
    const ds = {
      ...events,
      id: 'ds-events',
      name: 'events',
      location: { ...events.location, table: 'events' },
      columns: [
        { name: 'k', type: 'int4', tags: [] },
        { name: 'v', type: 'varchar(10)', tags: [] },
      ],
    };
    const sub = PolicySchema.parse({ ...anyoneSubscription, scope: { kind: 'local', dataSourceId: 'ds-events' } });
    return compileView(
      ds,
      [
        sub,
        filter({
          scope: { kind: 'local', dataSourceId: 'ds-events' },
          filter: { kind: 'minimize', column: { kind: 'column', name: 'k' }, percent },
        } as never),
      ],
      w.layout,
      postgres,
    );
  };
  const seen = async (user: 'alice' | 'bob') =>
    (await w.users[user].query<{ k: number }>('SELECT k FROM secure.events ORDER BY k')).map((r) => r.k);

  it(
    'minimization: the same rows on every query, the rows ' + 'the MD5 rule picks, monotone in the percentage',
    async () => {
      const compileFor = minimized;
      let previous: Record<string, number[]> = { alice: [], bob: [] };
      for (const percent of [10, 33.33, 75]) {
        await w.applyAsSystem(compileFor(percent).statements);
        for (const user of ['alice', 'bob'] as const) {
          const first = await seen(user);
          expect(await seen(user), 'stable across queries').toEqual(first);
          const expected = Array.from({ length: 400 }, (_, i) => i + 1).filter((k) =>
            kept(String(k), w.role[user], percent),
          );
          expect(first).toEqual(expected);
          // roughly the share asked for (400 rows: ±8 percentage points is > 3 standard deviations)
          expect(Math.abs(first.length / 400 - percent / 100)).toBeLessThan(0.08);
          expect(first).toEqual(expect.arrayContaining(previous[user]!));
        }
        expect(await seen('alice')).not.toEqual(await seen('bob'));
        previous = { alice: await seen('alice'), bob: await seen('bob') };
      }
    },
  );

  it(
    'minimization at the boundary: the row whose bucket is exactly percent × 100 is left out, the rows below it ' +
      'are kept',
    async () => {
      for (const user of ['alice', 'bob'] as const) {
        // a key of this user with a bucket of at least 1: its bucket / 100 is a percentage with two decimals
        const edge = Array.from({ length: 400 }, (_, i) => i + 1).find((k) => bucketOf(k, w.role[user]) > 0)!;
        const percent = bucketOf(edge, w.role[user]) / 100;
        await w.applyAsSystem(minimized(percent).statements);
        const keys = await seen(user);
        expect(keys, `${user} at ${percent} %`).not.toContain(edge);
        expect(keys).toEqual(
          Array.from({ length: 400 }, (_, i) => i + 1).filter(
            (k) => bucketOf(k, w.role[user]) < bucketOf(edge, w.role[user]),
          ),
        );
      }
    },
  );
});

describe('row filters for Redshift', () => {
  const ds = dataSource(docConfig.database);
  for (const ex of filterExamples) {
    it(`${ex.id}: passes the Redshift lint`, () => {
      const compiled = compileView(ds, policiesOf(ex), docConfig, redshift);
      for (const s of compiled.statements) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    });
  }

  it('hooks: GETDATE() read back as UTC vs now() in UTC; STRTOL(SUBSTRING(MD5(…))) vs bit(32)', () => {
    const text = (id: string, dialect: typeof redshift | typeof postgres) =>
      compileView(ds, policiesOf(examples.find((e) => e.id === id)!), docConfig, dialect)
        .statements.map((s) => s.sql)
        .join('\n');
    expect(text('rf-time-window', redshift)).toContain(
      `t."created_at" >= ((CAST(GETDATE() AS timestamptz) AT TIME ZONE 'UTC') - INTERVAL '30 day')`,
    );
    expect(text('rf-time-window', postgres)).toContain(
      `t."created_at" >= ((now() AT TIME ZONE 'UTC') - CAST('30 day' AS interval))`,
    );
    expect(text('rf-minimize', redshift)).toContain(
      `MOD(STRTOL(SUBSTRING(MD5(CAST(t."id" AS varchar(11)) || '|' || (SELECT MAX("immuta__userid") FROM ` +
        `"immuta_system"."user_profile")), 1, 8), 16), 10000) < 5000`,
    );
    expect(text('rf-minimize', postgres)).toContain(`CAST(CAST('x' || substr(md5(`);
    expect(text('rf-values', redshift)).toContain(
      `t."country" IN (CAST('US' AS varchar(2)), CAST('DE' AS varchar(2)))`,
    );
  });
});
