// Identifiers and values an attacker (or an unlucky admin) chooses: schema, table, column, view,
// system-role and user names, attribute keys/values and groups containing quotes, `;`, `--`, `$$`,
// newlines, unicode, reserved words and 63-byte names — bootstrapped, compiled and queried as real login
// roles. Injection attempts must neither break the SQL nor widen what a user sees.
// Protection: one quoting function per dialect for identifiers and one for literals
// (shared/sql/postgres-dialect.ts); profile values are bound parameters of CALL apply_user and percent-
// escaped for `%`, `|`, `=` (profile-encoding.ts); names longer than 63 bytes (VG102) or with control
// characters (VG103) fail the view closed instead of being truncated. A single unescaped quote anywhere
// makes these statements fail to parse (the test then fails in beforeAll); an unescaped `|` or `=` in a
// value would let the injection users below match rows (the test checks they see none).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { createRawTable, inDatabase, installSecureWarehouse, type SecureWarehouse } from './secure-warehouse.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
// 63 bytes exactly (NAMEDATALEN - 1), two-byte characters so a byte/char mix-up shows.
const name63 = 'c' + 'é'.repeat(31);
const name64 = 'x' + name63;
// Data sources whose bad column name must fail their view closed; the view name is 63 bytes, the longest valid one.
const BAD_NAMES: [code: string, what: string, column: string][] = [
  ['VG102', 'a 64-byte column name', name64],
  ['VG103', 'a column name with a newline', 'new\nline'],
];
const badViewName = (code: string): string => code + 'é'.repeat(29);
const RAW_SCHEMA = `raw "sch"; --`;
const RAW_TABLE = `$$ta'ble$$ 🙂`;
const VIEW_SCHEMA = `vue "schéma"; DROP`;
const USER_COL = 'user'; // reserved word
const GROUP_COL = `"; DROP TABLE canary; --`;
const ATTRIBUTE = `o'k;--$$ "k"\nx`;

const columns = [
  { name: 'id', type: 'int4' },
  { name: USER_COL, type: 'varchar(40)' },
  { name: GROUP_COL, type: 'varchar(40)' },
  { name: name63, type: 'varchar(60)', tags: ['PII.Secret'] },
];
// user value, group value, secret: quotes, ;, --, $$, newlines, unicode, and the profile separators | = %.
const rows: [number, string, string, string][] = [
  [1, `a'b;--`, `g"1$$`, `s1 'x'`],
  [2, `a'b;--`, `g|2=%`, `s2\nnewline`],
  [3, `ünï\ncode`, `g"1$$`, `s3 🙂`],
  [4, `x' OR '1'='1`, `other`, `s4`],
];

const ds: DataSource = DataSourceSchema.parse({
  id: `ds'; DROP VIEW x; --`,
  name: `select "from"; -- $$ ünï 🙂`,
  version: 1,
  location: { database: 'set-per-engine', schema: RAW_SCHEMA, table: RAW_TABLE },
  kind: 'table',
  columns,
});
const policies = [
  PolicySchema.parse({
    id: `p-attr'$$`,
    version: 1,
    name: 'attribute',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: ds.id },
    type: 'rowFilter',
    filter: { kind: 'attributeMatch', column: { kind: 'column', name: USER_COL }, attribute: ATTRIBUTE },
  }),
  PolicySchema.parse({
    id: 'p-group;--',
    version: 1,
    name: 'group',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: ds.id },
    type: 'rowFilter',
    filter: { kind: 'groupMatch', column: { kind: 'column', name: GROUP_COL } },
  }),
  PolicySchema.parse({
    id: 'p-hash',
    version: 1,
    name: 'hash',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'global', tags: ['PII'] },
    type: 'mask',
    target: { kind: 'tag', tag: 'PII.Secret' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyone' },
  }),
];

interface Person {
  base: string;
  attributes: string[];
  groups: string[];
}
const people: Person[] = [
  { base: `o'brien "q"; --`, attributes: [`a'b;--`], groups: [`g"1$$`, `g|2=%`] },
  { base: `ünï $$`, attributes: [`ünï\ncode`, `a'b;--`], groups: [`g"1$$`] },
  // Injection attempts: values that would match everything if spliced or left unescaped.
  {
    base: 'inject',
    attributes: [`x' OR 'a'='a`, '%', '|', `a'b;--|`, `=a'b;--`],
    groups: [`' OR TRUE --`, '|', '%', 'g"1$$|g|2=%'],
  },
];
const expectedIds = (p: Person): number[] =>
  rows.filter(([, u, g]) => p.attributes.includes(u) && p.groups.includes(g)).map(([id]) => id);

describe.each(engines)('hostile identifiers and values on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  const sessions = new Map<string, { role: string; session: Session }>();
  const view = d.qualify(VIEW_SCHEMA, ds.name);

  beforeAll(async () => {
    engine = await create();
    await createRawTable(engine, RAW_SCHEMA, RAW_TABLE, columns, rows);
    await createRawTable(engine, 'public', 'canary', [{ name: 'x', type: 'int4' }], [[1]]);
    wh = await installSecureWarehouse(engine, {
      rawSchemas: [RAW_SCHEMA],
      viewSchema: VIEW_SCHEMA,
      systemUserBase: `sys 'x" $$`,
    });
    const compiled = await wh.publish(inDatabase(ds, engine), policies);
    expect(compiled.diagnostics.map((x) => x.code).filter((c) => c.startsWith('VG3'))).toEqual([]);
    for (const p of people) {
      const login = await wh.login(p.base);
      sessions.set(p.base, login);
      await wh.setUser({
        userId: login.role,
        version: 1,
        attributes: { [ATTRIBUTE]: p.attributes },
        groups: p.groups,
        dataSources: [ds.id],
      });
    }
  });
  afterAll(() => engine?.close());

  it('the names really are hostile (guards the fixture)', () => {
    expect(bytes(name63)).toBe(63);
    expect(name63.length).toBeLessThan(63);
    for (const n of [RAW_SCHEMA, RAW_TABLE, VIEW_SCHEMA, GROUP_COL, ds.name]) expect(n).toMatch(/["'$;]|--/);
  });

  it.each(people.map((p) => [p.base, p] as const))(
    '%s sees exactly the rows policy grants, secrets keyed-hashed',
    async (_b, p) => {
      const { session } = sessions.get(p.base)!;
      const got = await session.query<Record<string, unknown>>(`SELECT * FROM ${view} ORDER BY id`);
      const want = expectedIds(p);
      expect(got.map((r) => r.id)).toEqual(want);
      for (const r of got) {
        const row = rows.find(([id]) => id === r.id)!;
        expect(r[USER_COL]).toBe(row[1]);
        expect(r[GROUP_COL]).toBe(row[2]);
        expect(r[name63]).toBe(
          createHash('sha256')
            .update(wh.hashKey + row[3])
            .digest('hex'),
        );
      }
    },
  );

  it('the injection user sees nothing, and the fixture would let a naive splice match', async () => {
    const injector = people[2]!;
    expect(expectedIds(injector)).toEqual([]);
    expect(await sessions.get('inject')!.session.query(`SELECT id FROM ${view}`)).toEqual([]);
    // Non-vacuous: every row's group and user value is a substring of some injector value or vice versa.
    expect(rows.some(([, u]) => injector.attributes.some((a) => a.includes(u)))).toBe(true);
  });

  it('each user reads back their own profile row unchanged (values survived binding and escaping)', async () => {
    for (const p of people) {
      const { role, session } = sessions.get(p.base)!;
      expect(await session.query(`SELECT immuta__userid FROM immuta_system.user_profile`)).toEqual([
        { immuta__userid: role },
      ]);
    }
  });

  it('nothing was dropped or created by an injected statement', async () => {
    expect(await engine.query('SELECT x FROM public.canary')).toEqual([{ x: 1 }]);
    const views = await engine.query<{ n: string }>(
      `SELECT table_schema || '.' || table_name AS n FROM information_schema.views WHERE table_schema NOT IN ` +
        `('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    const ours = [`immuta_system.user_entitlement`, `immuta_system.user_profile`, `${VIEW_SCHEMA}.${ds.name}`];
    // The VG102/VG103 test below publishes its fail-closed views too (whichever order the tests run in).
    const badViews = BAD_NAMES.map(([code]) => `${VIEW_SCHEMA}.${badViewName(code)}`);
    expect(views.map((v) => v.n)).toEqual(expect.arrayContaining(ours));
    expect(views.map((v) => v.n).filter((n) => !ours.includes(n) && !badViews.includes(n))).toEqual([]);
  });

  it.each(BAD_NAMES)('%s: %s fails the view closed, never truncated or widened', async (code, _what, badName) => {
    const bad = DataSourceSchema.parse({
      ...ds,
      id: `ds-bad-${code}`,
      name: badViewName(code),
      columns: [
        { name: 'id', type: 'int4' },
        { name: badName, type: 'int4' },
      ],
    });
    expect(bytes(bad.name)).toBe(63);
    const compiled = await wh.publish(inDatabase(bad, engine), []);
    expect(compiled.failedClosed).toBe(true);
    expect(compiled.diagnostics.map((x) => x.code)).toEqual(expect.arrayContaining([code, 'VG301']));
    const { session } = sessions.get(people[0]!.base)!;
    const badView = d.qualify(VIEW_SCHEMA, bad.name);
    expect(await session.query(`SELECT * FROM ${badView}`)).toEqual([]);
    const cols = await session.query<{ c: string }>(
      `SELECT attname AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`,
      [badView],
    );
    expect(cols.map((c) => c.c)).toEqual(['id']);
  });
});
