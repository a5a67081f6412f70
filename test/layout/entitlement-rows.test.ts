// The entitlement rows (shared/layout/entitlement-rows.ts) on real engines: apply_user stores exactly the
// profile's groups and attribute values as rows (decoded in SQL from the encoded lists, hostile strings
// included), delete_user and every newer version replace them, a stale version leaves them, the bootstrap
// fills them once for profiles stored before the table existed, and the membership test a view compiles to
// is exact JS membership — a NULL value matches nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { engines, type Engine } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { membershipSql } from '../../shared/layout/entitlement-rows.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { bootstrap, errorOf, layoutConfig, transactionAs } from './layout-fixture.js';

// Separators, escapes, quotes, trailing blanks and arbitrary unicode (no NUL, no lone surrogates).
const nasty = fc.constantFrom(
  "'",
  ';',
  '$$',
  '\n',
  '\\',
  '|',
  '||',
  '=',
  '%',
  '%7C',
  '%25',
  '%3D',
  '%253D',
  ' ',
  'a ',
  'é',
  '😀',
  '',
);
const item = fc
  .array(fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 5 })), { maxLength: 4 })
  .map((parts) => parts.join(''))
  .filter((s) => !s.includes('\u0000') && !/\p{Cs}/u.test(s));
const group = item.filter((s) => s.length > 0);
const profileArb = fc.record({
  groups: fc.array(group, { maxLength: 5 }),
  attributes: fc.dictionary(group, fc.array(item, { maxLength: 3 }), { maxKeys: 3 }),
});

type Row = { kind: string; attribute: string; value: string };
const sortRows = (rows: Row[]): Row[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

function expectedRows(p: { groups: string[]; attributes: Record<string, string[]> }): Row[] {
  const rows = new Map<string, Row>();
  for (const g of p.groups) rows.set(JSON.stringify(['group', '', g]), { kind: 'group', attribute: '', value: g });
  for (const [k, vs] of Object.entries(p.attributes))
    for (const v of vs) rows.set(JSON.stringify(['attribute', k, v]), { kind: 'attribute', attribute: k, value: v });
  return sortRows([...rows.values()]);
}

describe.each(engines)('entitlement rows on $name', ({ create }) => {
  let engine: Engine;
  let systemUser: string;
  let version = 0;
  const asSystem = (statements: Parameters<typeof transactionAs>[2]) =>
    transactionAs(engine.asAdmin, systemUser, statements);
  const rowsOf = async (user: string): Promise<Row[]> =>
    sortRows(
      await engine.query<Row>(
        'SELECT kind, attribute, value FROM immuta_system.entitlement WHERE immuta__userid = $1',
        [user],
      ),
    );
  const allRows = async (): Promise<string[]> =>
    (
      await engine.query<Row & { immuta__userid: string }>(
        'SELECT immuta__userid, kind, attribute, value FROM immuta_system.entitlement',
      )
    )
      .map((r) => JSON.stringify(r))
      .sort();
  const ofUser = (user: string): string =>
    `(SELECT kind, attribute, value FROM immuta_system.entitlement WHERE immuta__userid = ${d.quoteLiteral(user)})`;

  beforeAll(async () => {
    engine = await create();
    const config = layoutConfig(engine);
    systemUser = config.systemUser;
    await bootstrap(engine, config);
  });
  afterAll(() => engine?.close());

  it(
    'apply_user stores exactly the groups and attribute ' + 'values as rows; membership is exact JS membership',
    async () => {
      await fc.assert(
        fc.asyncProperty(profileArb, item, group, async (p, probe, key) => {
          const profile = UserProfileSchema.parse({ userId: 'u_rows', version: ++version, ...p });
          await asSystem([planUserUpsert(profile, d)]);
          expect(await rowsOf('u_rows')).toEqual(expectedRows(p));
          const candidates = [probe, ...p.groups, ...Object.values(p.attributes).flat()];
          const attr = Object.keys(p.attributes)[0] ?? key;
          for (const v of candidates) {
            const [row] = await engine.query<{ g: boolean; a: boolean }>(
              `SELECT ${membershipSql(d, ofUser('u_rows'), d.quoteLiteral(v), 'group')} AS g, ` +
                `${membershipSql(d, ofUser('u_rows'), d.quoteLiteral(v), 'attribute', attr)} AS a`,
            );
            expect(row).toEqual({ g: p.groups.includes(v), a: (p.attributes[attr] ?? []).includes(v) });
          }
        }),
        { numRuns: 60 },
      );
    },
  );

  it('a NULL value matches nothing, also under NOT', async () => {
    await asSystem([planUserUpsert(UserProfileSchema.parse({ userId: 'u_null', version: 1, groups: ['a'] }), d)]);
    const m = membershipSql(d, ofUser('u_null'), 'CAST(NULL AS text)', 'group');
    expect(await engine.query(`SELECT ${m} AS m, NOT ${m} AS n`)).toEqual([{ m: null, n: null }]);
  });

  it('a stale version keeps the rows; delete_user removes them; a newer upsert brings them back', async () => {
    await asSystem([planUserUpsert(UserProfileSchema.parse({ userId: 'u_ver', version: 5, groups: ['x'] }), d)]);
    await asSystem([planUserUpsert(UserProfileSchema.parse({ userId: 'u_ver', version: 4, groups: ['stale'] }), d)]);
    expect(await rowsOf('u_ver')).toEqual([{ kind: 'group', attribute: '', value: 'x' }]);
    await asSystem([planUserDelete('u_ver', 6, d)]);
    expect(await rowsOf('u_ver')).toEqual([]);
    await asSystem([
      planUserUpsert(UserProfileSchema.parse({ userId: 'u_ver', version: 7, attributes: { region: ['eu'] } }), d),
    ]);
    expect(await rowsOf('u_ver')).toEqual([{ kind: 'attribute', attribute: 'region', value: 'eu' }]);
  });

  it('a list past the decoding’s reach is refused whole (nothing stored)', async () => {
    const groups = Array.from({ length: 10_001 }, (_, i) => `g${i}`);
    const message = await errorOf(
      asSystem([planUserUpsert(UserProfileSchema.parse({ userId: 'u_long', version: 1, groups }), d)]),
    );
    expect(message).toMatch(/viewguard:refused/);
    expect(
      await engine.query("SELECT count(*)::int AS n FROM immuta_system.profile WHERE immuta__userid = 'u_long'"),
    ).toEqual([{ n: 0 }]);
  });

  it(
    'the bootstrap fills the rows of profiles stored before ' + 'the table had any, and changes nothing after',
    async () => {
      await asSystem([
        planUserUpsert(
          UserProfileSchema.parse({ userId: 'u_old', version: 1, groups: ['b|c'], attributes: { 'k=': ['%v'] } }),
          d,
        ),
      ]);
      const before = await allRows();
      await engine.exec([stmt('DELETE FROM immuta_system.entitlement')]);
      await bootstrap(engine, layoutConfig(engine));
      expect(await allRows()).toEqual(before);
      await bootstrap(engine, layoutConfig(engine));
      expect(await allRows()).toEqual(before);
      expect(await rowsOf('u_old')).toEqual(expectedRows({ groups: ['b|c'], attributes: { 'k=': ['%v'] } }));
    },
  );
});
