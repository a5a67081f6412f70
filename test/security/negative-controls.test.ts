// Negative controls: proof that the security tests can fail. In a throwaway database per engine, the shipped
// bootstrap and view are installed with ONE protection removed from the generated SQL (secure-warehouse.ts
// `rewrite`; the shipped code is untouched), and the attack the matching test guards against is shown to
// SUCCEED. If a control stops succeeding, the rewrite no longer matches the generated SQL (update it) or the
// attack changed — either way the protected test above it must be re-checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { createRawTable, inDatabase, installSecureWarehouse, type SecureWarehouse } from './secure-warehouse.js';
import { staff, staffColumns, staffPolicies, staffRows } from './staff-fixture.js';

/** Removes four protections at once; each attack below exercises exactly one of them. */
function weaken(sql: string): string {
  return (
    sql
      // (1) view-leaks.test.ts: security_barrier on the views.
      .replace(' WITH (security_barrier)', '')
      // (2) search-path-hijack.test.ts (procedures): the fixed search_path of SECURITY DEFINER procedures.
      .replace(/ SET search_path = [^\n]*$/, '')
      // (3) search-path-hijack.test.ts (f_list_item): schema-qualified || and replace() in SQL functions.
      .replaceAll('OPERATOR(pg_catalog.||)', '||')
      .replaceAll('pg_catalog.replace(', 'replace(')
      // (4) procedure-writes.test.ts: EXECUTE on the procedures revoked from PUBLIC.
      .replace(/^(REVOKE EXECUTE ON PROCEDURE|ALTER DEFAULT PRIVILEGES .* REVOKE EXECUTE).*$/s, 'SELECT 1')
      // (5) search-path-hijack.test.ts (views): DDL run with the search_path pinned to pg_catalog — by the packer's
      // SET/RESET, or by run_pinned's own SET clause for DDL a view set bundles.
      .replace(/^(SET search_path TO pg_catalog|RESET search_path)$/, 'SELECT 1')
      .replace(/ SECURITY INVOKER SET search_path TO pg_catalog$/, ' SECURITY INVOKER')
  );
}

describe.each(engines)('negative controls on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  let mallory: string;
  let carol: string;
  let ms: Session;
  const ids = async (s: Session): Promise<number[]> =>
    (await s.query<{ id: number }>('SELECT id FROM secure.staff ORDER BY id')).map((r) => r.id);

  beforeAll(async () => {
    engine = await create();
    await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
    wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'], rewrite: weaken });
    // The rewrite really removed what it claims to (else the controls prove nothing).
    const sent = wh.bootstrapStatements.map((s) => s.sql).join('\n');
    expect(sent).not.toMatch(/security_barrier|SET search_path|OPERATOR\(pg_catalog|REVOKE EXECUTE/);
    expect(sent).toMatch(/SECURITY DEFINER/);
    expect((await wh.publish(inDatabase(staff, engine), staffPolicies)).failedClosed).toBe(false);
    ({ role: mallory, session: ms } = await wh.login('mallory'));
    ({ role: carol } = await wh.login('carol'));
    await wh.setUser({ userId: mallory, version: 1, groups: ['red'], dataSources: [staff.id] });
    await wh.setUser({ userId: carol, version: 1, groups: ['red'], dataSources: [staff.id] });
    await engine.exec([stmt(`CREATE SCHEMA evil AUTHORIZATION ${d.quoteIdent(mallory)}`)]);
    await ms.query('GRANT USAGE ON SCHEMA evil TO PUBLIC');
  });
  afterAll(() => engine?.close());

  it('baseline: mallory sees her team only', async () => {
    expect(await ids(ms)).toEqual([1, 3]);
  });

  it('(1) without security_barrier a cheap leaky function sees the hidden row', async () => {
    await ms.query(`CREATE FUNCTION evil.leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
      $$ BEGIN RAISE NOTICE 'leak %', $1; RETURN true; END $$`);
    ms.notices.length = 0;
    await ms.query('SELECT id FROM secure.staff WHERE evil.leak(team)');
    expect(ms.notices.join('\n')).toMatch(/leak blue/);
  });

  it('(2) without SET search_path a planted < makes apply_user apply a stale version', async () => {
    await ms.query(`CREATE FUNCTION evil.lt(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$`);
    await ms.query('CREATE OPERATOR evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.lt)');
    await ms.query('GRANT EXECUTE ON FUNCTION evil.lt(bigint, bigint) TO PUBLIC');
    await wh.asSystem([
      stmt('SET LOCAL search_path = evil, pg_catalog, pg_temp'),
      planUserUpsert(UserProfileSchema.parse({ userId: carol, version: 0, groups: ['admins'] }), d),
    ]);
    expect(await engine.query('SELECT groups FROM immuta_system.profile WHERE immuta__userid = $1', [carol])).toEqual([
      { groups: '|admins|' },
    ]);
  });

  it(
    '(3) without qualified || / replace() in f_list_item the ' + 'querying user’s search_path changes the needle',
    async () => {
      // Views no longer call f_list_item (membership is a join on user_entitlement); the function stays
      // executable by PUBLIC for views compiled by earlier versions, so its protection is still shown here.
      await ms.query(`CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE sql AS $$ SELECT '|'::text $$`);
      await ms.query('CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat)');
      await ms.query('SET search_path = evil, pg_catalog, public');
      try {
        expect(await ms.query(`SELECT immuta_functions.f_list_item('blue') AS v`)).toEqual([{ v: '|' }]);
      } finally {
        await ms.query('RESET search_path');
      }
    },
  );

  it('(4) without REVOKE EXECUTE a user grants herself a group through apply_user', async () => {
    await ms.query(
      planUserUpsert(
        UserProfileSchema.parse({ userId: mallory, version: 9, groups: ['red', 'blue'], dataSources: [staff.id] }),
        d,
      ),
    );
    expect(await ids(ms)).toEqual([1, 2, 3]);
  });
});
