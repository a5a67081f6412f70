// What a plain analyst can and cannot do against the installed layout, as real login roles: read only their
// own profile row, touch none of the integration's tables or procedures, create nothing in its schemas, and
// not redirect its functions or procedures through search_path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { listNeedle } from '../../shared/layout/profile-encoding.js';
import { HASH_KEY, bootstrap, errorOf, layoutConfig, transactionAs } from './layout-fixture.js';

const profile = (userId: string, groups: string[]) => ({
  userId,
  version: 1,
  groups,
  attributes: {},
  projects: [],
  currentProject: null,
  purposes: [],
  dataSources: [],
});

describe.each(engines)('layout security on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  let alice: string;
  let bob: string;
  let as: Session;
  const denied = /permission denied|must be owner/;

  beforeAll(async () => {
    engine = await create();
    config = layoutConfig(engine);
    await bootstrap(engine, config);
    alice = await engine.createLoginRole('alice', 'alice-pw');
    bob = await engine.createLoginRole('bob', 'bob-pw');
    // Alice owns a schema of her own: where an attacker would plant look-alike functions and tables.
    await engine.exec([{ sql: `CREATE SCHEMA evil AUTHORIZATION ${d.quoteIdent(alice)}` }]);
    await transactionAs(engine.asAdmin, config.systemUser, [
      planUserUpsert(profile(alice, ['analysts']), d),
      planUserUpsert(profile(bob, ['admins']), d),
    ]);
    as = await engine.asUser(alice, 'alice-pw');
  });
  afterAll(() => engine?.close());

  it('user_profile shows the current user their own row only', async () => {
    // alice's groups: analysts (a later version from the search_path test adds auditors); never bob's admins
    const own = await as.query<{ immuta__userid: string; groups: string }>(
      'SELECT immuta__userid, groups FROM immuta_system.user_profile',
    );
    expect(own.map((r) => r.immuta__userid)).toEqual([alice]);
    expect(own[0]!.groups).toContain(listNeedle('analysts'));
    expect(own[0]!.groups).not.toContain(listNeedle('admins'));
    const b = await engine.asUser(bob, 'bob-pw');
    expect(await b.query('SELECT immuta__userid FROM immuta_system.user_profile')).toEqual([{ immuta__userid: bob }]);
  });

  it('a leaky function in WHERE sees no other user’s row (security_barrier)', async () => {
    await as.query(`CREATE FUNCTION evil.leak(text, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
      $$ BEGIN RAISE NOTICE 'leak % %', $1, $2; RETURN true; END $$`);
    as.notices.length = 0;
    await as.query(`SELECT * FROM immuta_system.user_profile WHERE evil.leak(immuta__userid, groups)`);
    expect(as.notices.length).toBeGreaterThan(0);
    expect(as.notices.join('\n')).not.toContain(bob);
    expect(as.notices.join('\n')).not.toContain('admins');
  });

  it.each(['profile', 'hash_key', 'catalog_epoch', 'datasource_state', 'policy_state'])(
    'cannot read or change immuta_system.%s',
    async (table) => {
      expect(await errorOf(as.query(`SELECT * FROM immuta_system.${table}`))).toMatch(denied);
      expect(await errorOf(as.query(`DELETE FROM immuta_system.${table}`))).toMatch(denied);
      expect(await errorOf(as.query(`TRUNCATE immuta_system.${table}`))).toMatch(denied);
    },
  );

  it('cannot UPDATE the profile (to grant itself groups) or change the user_profile view', async () => {
    expect(await errorOf(as.query(`UPDATE immuta_system.profile SET groups = '|admins|'`))).toMatch(denied);
    expect(await errorOf(as.query(`UPDATE immuta_system.user_profile SET groups = '|admins|'`))).toMatch(denied);
    expect(await errorOf(as.query('CREATE OR REPLACE VIEW immuta_system.user_profile AS SELECT 1 AS x'))).toMatch(
      denied,
    );
    expect(await errorOf(as.query('DROP VIEW immuta_system.user_profile'))).toMatch(denied);
    expect(await errorOf(as.query(`GRANT SELECT ON immuta_system.profile TO ${d.quoteIdent(alice)}`))).toMatch(denied);
  });

  it.each(['immuta_system', 'immuta_functions', 'immuta_procedures', 'secure'])(
    'cannot create objects in %s',
    async (schema) => {
      expect(await errorOf(as.query(`CREATE TABLE ${schema}.t (x int)`))).toMatch(denied);
      expect(await errorOf(as.query(`CREATE FUNCTION ${schema}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`))).toMatch(
        denied,
      );
    },
  );

  it('cannot call the write procedures', async () => {
    // Whatever another test stored for alice before (the search_path test stores a version 2), the call changes
    // nothing.
    const before = await as.query('SELECT groups FROM immuta_system.user_profile');
    expect(before).toHaveLength(1);
    const message = await errorOf(as.query(planUserUpsert({ ...profile(alice, ['admins']), version: 99 }, d)));
    expect(message).toMatch(denied);
    expect(await as.query('SELECT groups FROM immuta_system.user_profile')).toEqual(before);
    expect(before[0]).not.toEqual({ groups: listNeedle('admins') });
  });

  it('cannot become the system role', async () => {
    if (!engine.realLogin) return expect(engine.name).toBe('pglite');
    expect(await errorOf(as.query(`SET ROLE ${d.quoteIdent(config.systemUser)}`))).toMatch(denied);
    expect(await errorOf(as.query(`SET SESSION AUTHORIZATION ${d.quoteIdent(config.systemUser)}`))).toMatch(denied);
  });

  it('the hashing key appears in no definition a user can read', async () => {
    const defs = await as.query<{ t: string }>(
      `SELECT definition AS t FROM pg_views UNION ALL SELECT prosrc FROM pg_proc UNION ALL SELECT ` +
        `coalesce(array_to_string(proconfig, ','), '') FROM pg_proc`,
    );
    expect(defs.some((r) => r.t?.includes(HASH_KEY))).toBe(false);
  });

  it('search_path hijack: f_list_item ignores a planted || and replace()', async () => {
    // The plant works on unqualified SQL (proves the attack is real), not on our function.
    await as.query(`CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'HIJACKED' $$`);
    await as.query(`CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat)`);
    await as.query(
      `CREATE FUNCTION evil.replace(text, text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'HIJACKED' $$`,
    );
    await as.query('SET search_path = evil, pg_catalog');
    expect(await as.query(`SELECT 'a'::text || 'b'::text AS v, replace('a'::text, 'a'::text, 'b'::text) AS r`)).toEqual(
      [{ v: 'HIJACKED', r: 'HIJACKED' }],
    );
    expect(
      await as.query(
        `SELECT immuta_functions.f_list_item('x|y=%') AS v, immuta_functions.f_attribute_item('k', 'v') AS a`,
      ),
    ).toEqual([{ v: '|x%7Cy%3D%25|', a: '|k=v|' }]);
  });

  it('search_path hijack: procedures called with a hostile search_path write only our tables', async () => {
    await as.query(`CREATE TABLE evil.profile (LIKE pg_catalog.pg_class)`);
    await as.query(`CREATE TABLE evil.log (msg text)`);
    await as.query(
      `CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ INSERT INTO evil.log VALUES ('now ` +
        `hijacked') RETURNING now() $$`,
    );
    await as.query(`GRANT USAGE ON SCHEMA evil TO PUBLIC`);
    await as.query(`GRANT ALL ON ALL TABLES IN SCHEMA evil TO PUBLIC`);
    await engine.asAdmin.query('BEGIN');
    try {
      await engine.asAdmin.query(`SET LOCAL ROLE ${d.quoteIdent(config.systemUser)}`);
      await engine.asAdmin.query('SET LOCAL search_path = evil, pg_catalog, pg_temp');
      await engine.asAdmin.query(planUserUpsert({ ...profile(alice, ['analysts', 'auditors']), version: 2 }, d));
      await engine.asAdmin.query('COMMIT');
    } catch (e) {
      await engine.asAdmin.query('ROLLBACK');
      throw e;
    }
    expect(await engine.query('SELECT msg FROM evil.log')).toEqual([]);
    expect(await engine.query('SELECT count(*)::int AS n FROM evil.profile')).toEqual([{ n: 0 }]);
    expect(await as.query('SELECT groups FROM immuta_system.user_profile')).toEqual([
      { groups: '|analysts|auditors|' },
    ]);
  });
});
