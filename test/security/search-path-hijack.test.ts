// search_path hijack: an analyst plants same-named functions and operators where name resolution
// might find them before ours or before pg_catalog's, then waits for our code to run. Three moments matter:
//  1. our SECURITY DEFINER procedures run (as the system role) under a caller's search_path;
//  2. our SQL functions (immuta_functions.*) are inlined into a query and their body is parsed with the
//     QUERYING user's search_path (PostgreSQL parses non-ATOMIC SQL function bodies at call time);
//  3. our views and user_profile are created (bootstrap, every view replace) by the system role with its
//     default search_path ("$user", public) — and `public` is writable by everyone on Redshift (and on
//     PostgreSQL ≤ 14), so an operator planted there before the CREATE would be bound into the view.
// Each test names the protection; ./negative-controls.test.ts removes it in a throwaway database and shows
// the same attack succeeds, so these tests can fail.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { planDatasourceStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import {
  createRawTable,
  errorOf,
  inDatabase,
  installSecureWarehouse,
  type SecureWarehouse,
} from './secure-warehouse.js';
import { staff, staffColumns, staffPolicies, staffRows } from './staff-fixture.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

// `pinned: false` is the negative control for moment 3: the same install with the dialect's pinSearchPath()
// statements stripped from what is sent — and the same pin stripped from run_pinned's definition, which carries
// a view set's DDL (`bundled`) — where every attack must succeed (so the pinned tests can fail).
const unpin = (sql: string): string =>
  sql
    .replace(/^(SET search_path TO pg_catalog|RESET search_path)$/, 'SELECT 1')
    .replace(/ SECURITY INVOKER SET search_path TO pg_catalog$/, ' SECURITY INVOKER');

const cases = engines.flatMap((e) =>
  [true, false].flatMap((pinned) => [false, true].map((bundled) => ({ ...e, pinned, bundled }))),
);

describe.each(cases)(
  'search_path hijack planted before install on $name (pinned: $pinned, view DDL bundled: $bundled)',
  ({ create, pinned, bundled }) => {
    let engine: Engine;
    let wh: SecureWarehouse;
    let mallory: string;
    let bob: string;
    let ms: Session;
    let bs: Session;
    const loot = async (): Promise<string[]> =>
      (await engine.query<{ v: string }>('SELECT v FROM public.loot ORDER BY v')).map((r) => r.v);

    beforeAll(async () => {
      engine = await create();
      await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
      // Redshift's default (and PostgreSQL ≤ 14's): everyone may create objects in `public`. The attacker
      // needs nothing more.
      await engine.exec([stmt('GRANT CREATE ON SCHEMA public TO PUBLIC')]);
      mallory = engine.roleName('mallory');
      await engine.createLoginRole('mallory', 'm-pw');
      ms = await engine.asUser(mallory, 'm-pw');
      await ms.query('CREATE TABLE public.loot (v text)');
      await ms.query('GRANT INSERT ON public.loot TO PUBLIC');
      // Moment 3, planted BEFORE the integration is installed: exact-type operators that pg_catalog lacks
      // (varchar = name in user_profile's `immuta__userid = current_user`; text || varchar in the keyed hash)
      // and a convert_to(text, text) that an unknown-typed literal would prefer over pg_catalog's (text, name).
      // Each steals its arguments into public.loot and lies about the result.
      await ms.query(`CREATE FUNCTION public.steal_eq(varchar, name) RETURNS boolean LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO public.loot VALUES ('eq:' || $1); RETURN true; END $$`);
      await ms.query('CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = name, FUNCTION = public.steal_eq)');
      await ms.query(`CREATE FUNCTION public.steal_cat(text, varchar) RETURNS text LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO public.loot VALUES ('cat:' || $1); RETURN $2; END $$`);
      await ms.query('CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = varchar, FUNCTION = public.steal_cat)');
      await ms.query(`CREATE FUNCTION public.convert_to(text, text) RETURNS bytea LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO public.loot VALUES ('convert:' || $1); RETURN
        pg_catalog.convert_to('same for everyone', 'UTF8'); END $$`);
      await ms.query('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC');

      wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'], ...(pinned ? {} : { rewrite: unpin }) });
      // The control really removed the procedure's pin (else a bundled control proves nothing).
      const runner = wh.bootstrapStatements.find((x) => x.sql.includes('"run_pinned"'))!.sql;
      expect(runner.endsWith('SET search_path TO pg_catalog')).toBe(pinned);
      const compiled = await wh.publish(inDatabase(staff, engine), staffPolicies, { bundled });
      expect(compiled.failedClosed).toBe(false);
      ({ role: bob, session: bs } = await wh.login('bob'));
      await wh.setUser({ userId: mallory, version: 1, groups: ['red'], dataSources: [staff.id] });
      await wh.setUser({ userId: bob, version: 1, groups: ['blue'], dataSources: [staff.id] });
    });
    afterAll(() => engine?.close());

    // Protection for moment 3: the bootstrap script and every compiled view run their DDL between the dialect's
    // pinSearchPath() statements (SET search_path TO pg_catalog … RESET search_path), so the operators and
    // functions a stored definition binds to are pg_catalog's, not the planted public.= (varchar, name),
    // public.|| (text, varchar) or public.convert_to(text, text). Checked: without the pin (negative control (5)
    // below, `pinned: false`) each attack succeeds.
    it('user_profile is not bound to a planted public.= (varchar, name): bob sees only his own row', async () => {
      const rows = await bs.query('SELECT immuta__userid FROM immuta_system.user_profile');
      if (pinned) expect(rows).toEqual([{ immuta__userid: bob }]);
      else expect(rows.length).toBeGreaterThan(1);
    });

    it('the keyed hash is not bound to a planted public.|| (text, varchar): the key never reaches it', async () => {
      await bs.query('SELECT id, email FROM secure.staff');
      const stolen = (await loot()).filter((v) => v.includes(wh.hashKey));
      if (pinned) expect(stolen).toEqual([]);
      else expect(stolen.length).toBeGreaterThan(0);
    });

    it(
      'the keyed hash is not bound to a planted ' + 'public.convert_to(text, text): clear values never ' + 'reach it',
      async () => {
        await bs.query('SELECT id, email FROM secure.staff');
        const stolen = (await loot()).filter((v) => v.startsWith('convert:'));
        if (pinned) expect(stolen).toEqual([]);
        else expect(stolen.length).toBeGreaterThan(0);
      },
    );
  },
);

describe.each(engines)('search_path hijack after install on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  let mallory: string;
  let bob: string;
  let ms: Session;
  let bs: Session;

  beforeAll(async () => {
    engine = await create();
    await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
    wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'] });
    expect((await wh.publish(inDatabase(staff, engine), staffPolicies)).failedClosed).toBe(false);
    ({ role: mallory, session: ms } = await wh.login('mallory'));
    ({ role: bob, session: bs } = await wh.login('bob'));
    await wh.setUser({ userId: mallory, version: 1, groups: ['red'], dataSources: [staff.id] });
    await wh.setUser({ userId: bob, version: 1, groups: ['blue'], dataSources: [staff.id] });
    // Mallory owns a schema (evil) and, as on Redshift, may create in public.
    await engine.exec([
      stmt(`CREATE SCHEMA evil AUTHORIZATION ${d.quoteIdent(mallory)}`),
      stmt('GRANT CREATE ON SCHEMA public TO PUBLIC'),
    ]);
    await ms.query('CREATE TABLE evil.loot (v text)');
    await ms.query('GRANT USAGE ON SCHEMA evil TO PUBLIC');
    await ms.query('GRANT INSERT, SELECT ON evil.loot TO PUBLIC');
    // Same-named operators for every comparison the procedure bodies make on bigint. Inside a SECURITY
    // DEFINER procedure they would run AS THE SYSTEM ROLE: each copies the hashing key, then lies so that
    // the epoch guard and the stale-version checks always pass.
    for (const [op, fn, result] of [
      ['<>', 'ne', 'false'],
      ['>=', 'ge', 'false'],
      ['<', 'lt', 'true'],
    ] as const) {
      await ms.query(`CREATE FUNCTION evil.${fn}(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO evil.loot SELECT 'key:' || hash_key FROM immuta_system.hash_key; RETURN ${result};
          EXCEPTION WHEN insufficient_privilege THEN RETURN ${result}; END $$`);
      await ms.query(`CREATE OPERATOR evil.${op} (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.${fn})`);
    }
    // …and a same-named function for the one function the bodies call.
    await ms.query(
      `CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ INSERT INTO evil.loot VALUES ('now') ` +
        `RETURNING pg_catalog.now() $$`,
    );
    await ms.query('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA evil TO PUBLIC');
  });
  afterAll(() => engine?.close());

  /** The system role's transaction with the attacker's schema first in its search_path. */
  const hostileSystemCall = (sql: Parameters<SecureWarehouse['asSystem']>[0]): Promise<void> =>
    wh.asSystem([stmt('SET LOCAL search_path = evil, pg_catalog, pg_temp'), ...sql]);

  it(
    'f_list_item ignores a || and replace() planted first in the QUERYING user’s search_path (row filter stays ' +
      'exact)',
    async () => {
      // Protection: the SQL function body uses OPERATOR(pg_catalog.||) and pg_catalog.replace
      // (PostgresDialect.concat / builtin): the body is parsed with the querying user's search_path, because a
      // SQL function is inlined. Without it, a `||` returning '|' makes every row's needle match
      // (negative-controls.test.ts shows mallory then sees bob's rows).
      await ms.query(`CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE sql AS $$ SELECT '|'::text $$`);
      await ms.query('CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat)');
      await ms.query(
        `CREATE FUNCTION evil.replace(text, text, text) RETURNS text LANGUAGE sql AS $$ SELECT ''::text $$`,
      );
      await ms.query('SET search_path = evil, pg_catalog, public');
      try {
        // The plant is live for unqualified SQL in this session (the attack is real)…
        expect(await ms.query(`SELECT 'a'::text || 'b'::text AS v`)).toEqual([{ v: '|' }]);
        // …yet the row filter still shows mallory exactly her team's rows, and the function (kept for views
        // compiled by earlier versions) still builds the exact needle.
        expect((await ms.query<{ id: number }>('SELECT id FROM secure.staff ORDER BY id')).map((r) => r.id)).toEqual([
          1, 3,
        ]);
        expect(await ms.query(`SELECT immuta_functions.f_list_item('a|b') AS v`)).toEqual([{ v: '|a%7Cb|' }]);
      } finally {
        await ms.query('RESET search_path');
      }
    },
  );

  it(
    'operators planted in public after a view was created do ' + 'not change it (definitions store resolved operators)',
    async () => {
      // Protection: PostgreSQL stores operator and function OIDs in a view, not names. The plant would only be
      // picked up by the next CREATE VIEW — see "planted before install" above for that (open) gap.
      await ms.query(`CREATE FUNCTION public.steal_cat(text, varchar) RETURNS text LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'stolen: %', $1; END $$`);
      await ms.query('CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = varchar, FUNCTION = public.steal_cat)');
      await ms.query('GRANT EXECUTE ON FUNCTION public.steal_cat(text, varchar) TO PUBLIC');
      expect(await bs.query('SELECT id, email FROM secure.staff')).toEqual([
        { id: 2, email: sha(wh.hashKey + 'b1@x.io') },
      ]);
      // The attack would be real for SQL parsed now: the operator raises with its left argument.
      expect(await errorOf(bs.query(`SELECT 'x'::text || 'y'::varchar`))).toMatch(/stolen: x/);
      await ms.query('DROP OPERATOR public.|| (text, varchar)');
    },
  );

  it('apply_datasource keeps its epoch guard and stale check, and never runs the planted operators', async () => {
    // Protection: SET search_path = pg_catalog, immuta_system, pg_temp on every procedure
    // (routine-definitions.ts, PostgresDialect.definerSettings). Without it, evil.<> says "epochs equal".
    const ds = inDatabase(staff, engine);
    const epoch = async (): Promise<number> =>
      Number((await engine.query<{ e: string }>('SELECT epoch AS e FROM immuta_system.catalog_epoch'))[0]!.e);
    const change = {
      datasourceId: ds.id,
      version: 5,
      deleted: false,
      definition: ds,
      viewSignature: null,
      expectedEpoch: (await epoch()) + 7,
    };
    expect(await errorOf(hostileSystemCall([planDatasourceStateCall(change, d)]))).toMatch(/viewguard:conflict/);
    await hostileSystemCall([planDatasourceStateCall({ ...change, expectedEpoch: await epoch() }, d)]);
    expect(
      await errorOf(
        hostileSystemCall([planDatasourceStateCall({ ...change, version: 4, expectedEpoch: await epoch() }, d)]),
      ),
    ).toMatch(/viewguard:stale/);
    expect(await engine.query('SELECT v FROM evil.loot')).toEqual([]);
  });

  it('apply_user ignores a stale version under a hostile search_path, and the key is not stolen', async () => {
    const user = (version: number, groups: string[]) =>
      planUserUpsert(UserProfileSchema.parse({ userId: mallory, version, groups }), d);
    await hostileSystemCall([user(3, ['red'])]);
    await hostileSystemCall([user(2, ['admins'])]); // stale: must be a no-op
    expect(await ms.query('SELECT groups FROM immuta_system.user_profile')).toEqual([{ groups: '|red|' }]);
    expect(await engine.query('SELECT v FROM evil.loot')).toEqual([]);
  });
});
