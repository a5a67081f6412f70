// Security families on both engines, as real login roles, against a compiled secure view.
// Layout: the shipped bootstrap plan (E1) and a view compiled by the shipped compiler (E2), installed by
// ./secure-warehouse.ts. Each test fails if the protection it names is removed; the negative controls in
// ./negative-controls.test.ts remove them (in a throwaway database) and show the attacks succeed.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { createRawTable, inDatabase, installSecureWarehouse, type SecureWarehouse } from './secure-warehouse.js';

const ds = DataSourceSchema.parse({
  id: 'ds-c',
  name: 'customers',
  version: 1,
  location: { database: 'set-per-engine', schema: 'raw', table: 'customers' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'country', type: 'varchar(2)' },
    { name: 'email', type: 'varchar(100)', tags: ['PII.Email'] },
    { name: 'salary', type: 'int4' },
  ],
});
const policies = [
  PolicySchema.parse({
    id: 'p-rows',
    version: 1,
    name: 'own country',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-c' },
    type: 'rowFilter',
    filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'country' }, attribute: 'country' },
  }),
  PolicySchema.parse({
    id: 'p-mask',
    version: 1,
    name: 'hash email',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'global', tags: ['PII'] },
    type: 'mask',
    target: { kind: 'tag', tag: 'PII.Email' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyoneExcept', except: { groups: ['support'] } },
  }),
];
// Row 2 (DE) is hidden from alice (US); its salary 0 makes a division-by-zero oracle possible.
const rows = [
  { id: 1, country: 'US', email: 'ann@x.us', salary: 100 },
  { id: 2, country: 'DE', email: 'secret-de@x.de', salary: 0 },
];

describe.each(engines)('secure view leaks on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  let alice: string;
  let bob: string;
  let as: Session;
  let bs: Session;
  const view = 'secure.customers';

  beforeAll(async () => {
    engine = await create();
    await createRawTable(
      engine,
      'raw',
      'customers',
      ds.columns,
      rows.map((r) => [r.id, r.country, r.email, r.salary]),
    );
    wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'] });
    const compiled = await wh.publish(inDatabase(ds, engine), policies);
    expect(compiled.diagnostics.filter((x) => x.code === 'VG301')).toEqual([]);
    ({ role: alice, session: as } = await wh.login('alice'));
    ({ role: bob, session: bs } = await wh.login('bob'));
    await wh.setUser({ userId: alice, version: 1, attributes: { country: ['US'] }, dataSources: [ds.id] });
    await wh.setUser({ userId: bob, version: 1, attributes: { country: ['DE'] }, dataSources: [ds.id] });
    // Users may create functions in their own schema (the attacker's toolbox).
    await engine.exec([stmt(`CREATE SCHEMA ${d.quoteIdent(alice)} AUTHORIZATION ${d.quoteIdent(alice)}`)]);
  });
  afterAll(() => engine?.close());

  it('baseline: alice sees only her row, with the e-mail hashed', async () => {
    const r = await as.query<{ id: number; email: string }>(`SELECT id, email FROM ${view}`);
    expect(r.map((x) => x.id)).toEqual([1]);
    // The hash is keyed with the bootstrap's key (so the key checks below look for a key that is really used).
    expect(r[0]!.email).toBe(
      createHash('sha256')
        .update(wh.hashKey + 'ann@x.us')
        .digest('hex'),
    );
  });

  it.each(['raw.customers', 'immuta_system.profile', 'immuta_system.hash_key'])(
    'direct SELECT on %s is denied',
    async (t) => {
      await expect(as.query(`SELECT * FROM ${t}`)).rejects.toThrow(/permission denied/);
    },
  );

  it('COPY of raw and system tables is denied', async () => {
    if (!engine.realLogin) return expect(engine.name).toBe('pglite'); // PGlite's query API has no COPY TO STDOUT stream
    await expect(as.query('COPY raw.customers TO STDOUT')).rejects.toThrow(/permission denied/);
    await expect(as.query('COPY immuta_system.hash_key TO STDOUT')).rejects.toThrow(/permission denied/);
  });

  it("other users' profile rows are invisible through user_profile", async () => {
    const r = await as.query<{ immuta__userid: string }>('SELECT immuta__userid FROM immuta_system.user_profile');
    expect(r).toEqual([{ immuta__userid: alice }]);
  });

  describe('a leaky function in WHERE sees no hidden row', () => {
    beforeAll(async () => {
      await as.query(`CREATE FUNCTION ${d.quoteIdent(alice)}.leak(a text, b text)
            RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
        BEGIN RAISE NOTICE 'leak % %', a, b; RETURN true; END $$`);
    });
    const leakFn = (): string => `${d.quoteIdent(alice)}.leak`;
    const queries: [string, () => string][] = [
      ['plain', () => `SELECT id FROM ${view} v WHERE ${leakFn()}(v.country, v.email)`],
      ['join', () => `SELECT v.id FROM ${view} v JOIN (SELECT 1 AS one) o ON ${leakFn()}(v.country, v.email)`],
      ['CTE', () => `WITH c AS (SELECT * FROM ${view}) SELECT id FROM c WHERE ${leakFn()}(c.country, c.email)`],
      [
        'UNION',
        () =>
          `SELECT id FROM (SELECT id, country, email FROM ${view} UNION ALL SELECT 0, 'x', 'y') u WHERE ${leakFn()}` +
          `(u.country, u.email)`,
      ],
      [
        'LATERAL',
        () =>
          `SELECT x.id FROM (SELECT 1) o, LATERAL (SELECT * FROM ${view} v WHERE ${leakFn()}(v.country, v.email)) x`,
      ],
    ];
    it.each(queries)('%s', async (_n, q) => {
      as.notices.length = 0;
      await as.query(q());
      const leaked = as.notices.join('\n');
      expect(leaked, 'the function really ran on the visible row').toMatch(/leak US/);
      expect(leaked).not.toMatch(/DE|secret-de/);
      expect(leaked).not.toMatch(/ann@x\.us/); // the unmasked e-mail never reaches the function either
    });
  });

  it('division-by-zero and cast-error oracles on hidden rows raise nothing', async () => {
    // salary = 0 only on the hidden DE row: evaluated there, 1/salary would raise.
    await expect(as.query(`SELECT id FROM ${view} WHERE 100 / salary > 0`)).resolves.toEqual([{ id: 1 }]);
    await expect(
      as.query(`SELECT id FROM ${view} WHERE CASE WHEN country = 'DE' THEN CAST(email AS int) ELSE 1 END = 1`),
    ).resolves.toEqual([{ id: 1 }]);
  });

  it('pg_stats / pg_stats_ext show nothing about the raw table', async () => {
    const stats = await as.query(`SELECT attname, most_common_vals::text FROM pg_stats WHERE schemaname = 'raw'`);
    expect(stats).toEqual([]);
    const ext = await as.query(`SELECT * FROM pg_stats_ext WHERE schemaname = 'raw'`);
    expect(ext).toEqual([]);
    // The admin does see them: the check above is not vacuous.
    expect((await engine.query(`SELECT 1 FROM pg_stats WHERE schemaname = 'raw'`)).length).toBeGreaterThan(0);
  });

  it('the hashing key is not in pg_views, pg_get_viewdef, pg_proc or EXPLAIN VERBOSE', async () => {
    const defs = await as.query<{ d: string }>(
      `SELECT definition AS d FROM pg_views WHERE schemaname IN ('secure', 'immuta_system')`,
    );
    expect(defs.length).toBeGreaterThan(0);
    const viewdef = await as.query<{ d: string }>(`SELECT pg_get_viewdef('secure.customers'::regclass, true) AS d`);
    const procs = await as.query<{ d: string }>(`SELECT coalesce(prosrc, '') AS d FROM pg_proc`);
    const explain = await as.query<{ 'QUERY PLAN': string }>(`EXPLAIN VERBOSE SELECT * FROM ${view}`);
    const text =
      [...defs, ...viewdef, ...procs].map((r) => r.d).join('\n') + explain.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).not.toContain(wh.hashKey);
  });

  it('SET ROLE / SET SESSION AUTHORIZATION to another user is refused', async () => {
    await expect(as.query(`SET ROLE ${d.quoteIdent(bob)}`)).rejects.toThrow(/permission denied/);
    if (engine.realLogin) {
      // On PGlite the authenticated user is a superuser, so only the server can prove this one.
      await expect(as.query(`SET SESSION AUTHORIZATION ${d.quoteIdent(bob)}`)).rejects.toThrow(/permission denied/);
    }
    expect(await as.query('SELECT current_user AS c')).toEqual([{ c: alice }]);
  });

  it.each([
    `ALTER VIEW ${view} RENAME TO x`,
    `DROP VIEW ${view}`,
    `TRUNCATE raw.customers`,
    `TRUNCATE immuta_system.profile`,
    `GRANT SELECT ON raw.customers TO PUBLIC`,
    `CREATE OR REPLACE VIEW ${view} AS SELECT 1 AS id`,
  ])('DDL by a user is refused: %s', async (sql) => {
    await expect(as.query(sql)).rejects.toThrow(/must be owner|permission denied/);
  });

  it('PREPARE as one role, EXECUTE as another: the statement runs with the executing role', async () => {
    if (engine.realLogin) {
      // Prepared statements are per connection: bob cannot reach alice's.
      await as.query(`PREPARE mine AS SELECT id FROM ${view}`);
      await expect(bs.query('EXECUTE mine')).rejects.toThrow(/does not exist/);
      return;
    }
    // PGlite shares one connection, so the same prepared plan really is executed by both roles.
    await as.query(`PREPARE shared_plan AS SELECT id FROM ${view}`);
    expect(await as.query('EXECUTE shared_plan')).toEqual([{ id: 1 }]);
    expect(await bs.query('EXECUTE shared_plan')).toEqual([{ id: 2 }]);
  });
});
