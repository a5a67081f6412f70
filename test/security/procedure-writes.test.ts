// Writes through our procedures by users: an analyst must not be able to grant themselves
// groups by calling apply_user (or change the catalog through the other procedures), nor redefine, re-own
// or re-grant them. Protection: bootstrap REVOKEs EXECUTE on every procedure from PUBLIC (PostgreSQL grants
// it by default) plus ALTER DEFAULT PRIVILEGES for later ones; the procedures are owned by the system role
// in a schema where PUBLIC has no CREATE. negative-controls.test.ts drops the REVOKE and shows the same CALL
// then succeeds and widens what the caller sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import {
  createRawTable,
  errorOf,
  inDatabase,
  installSecureWarehouse,
  type SecureWarehouse,
} from './secure-warehouse.js';
import { staff, staffColumns, staffPolicies, staffRows } from './staff-fixture.js';

const denied = /permission denied|must be owner/;

describe.each(engines)('writes through our procedures by users on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  let mallory: string;
  let ms: Session;
  const ids = async (): Promise<number[]> =>
    (await ms.query<{ id: number }>('SELECT id FROM secure.staff ORDER BY id')).map((r) => r.id);

  beforeAll(async () => {
    engine = await create();
    await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
    wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'] });
    expect((await wh.publish(inDatabase(staff, engine), staffPolicies)).failedClosed).toBe(false);
    ({ role: mallory, session: ms } = await wh.login('mallory'));
    await wh.setUser({ userId: mallory, version: 1, groups: ['red'], dataSources: [staff.id] });
  });
  afterAll(() => engine?.close());

  it('baseline: mallory sees her team only', async () => {
    expect(await ids()).toEqual([1, 3]);
  });

  it('calling apply_user for herself to add a group is refused, and nothing changes', async () => {
    const call = planUserUpsert(
      UserProfileSchema.parse({ userId: mallory, version: 99, groups: ['red', 'blue'], dataSources: [staff.id] }),
      d,
    );
    expect(await errorOf(ms.query(call))).toMatch(denied);
    // Inside her own transaction, with her own search_path: still refused.
    expect(
      await errorOf(
        ms.query(
          `DO $$ BEGIN CALL immuta_procedures.apply_user('${mallory}', 100, '|blue|red|', '|', '|', NULL, '|', ` +
            `'|ds-staff|'); END $$`,
        ),
      ),
    ).toMatch(denied);
    expect(await ids()).toEqual([1, 3]);
    expect(await ms.query('SELECT groups FROM immuta_system.user_profile')).toEqual([{ groups: '|red|' }]);
  });

  it('the catalog procedures and delete_user are refused too', async () => {
    const epoch = 0;
    const ds = inDatabase(staff, engine);
    for (const call of [
      planDatasourceStateCall(
        {
          datasourceId: ds.id,
          version: 50,
          deleted: true,
          definition: null,
          viewSignature: null,
          expectedEpoch: epoch,
        },
        d,
      ),
      planPolicyStateCall(
        {
          policyId: 'p-team',
          version: 50,
          deleted: true,
          definition: null,
          datasourceId: ds.id,
          viewSignature: null,
          expectedEpoch: epoch,
        },
        d,
      ),
      planUserDelete(engine.roleName('bob'), 50, d),
    ]) {
      expect(await errorOf(ms.query(call)), call.sql).toMatch(denied);
    }
    expect(await engine.query('SELECT count(*)::int AS n FROM immuta_system.policy_state')).toEqual([{ n: 0 }]);
  });

  it.each([
    [
      'GRANT EXECUTE to herself',
      (me: string) =>
        `GRANT EXECUTE ON PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, ` +
        `text) TO ${d.quoteIdent(me)}`,
    ],
    [
      'take ownership',
      (me: string) =>
        `ALTER PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, text) OWNER ` +
        `TO ${d.quoteIdent(me)}`,
    ],
    [
      'drop it',
      () => 'DROP PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, text)',
    ],
    [
      'replace its body',
      () =>
        `CREATE OR REPLACE PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, ` +
        `text) LANGUAGE sql AS $$ SELECT 1 $$`,
    ],
    [
      'make it SECURITY INVOKER',
      () =>
        'ALTER PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, text) ' +
        'SECURITY INVOKER',
    ],
    [
      'plant a look-alike beside it',
      () => `CREATE PROCEDURE immuta_procedures.apply_user(text) LANGUAGE sql AS $$ SELECT 1 $$`,
    ],
    [
      'replace f_list_item (used by every row filter)',
      () =>
        `CREATE OR REPLACE FUNCTION immuta_functions.f_list_item(varchar) RETURNS varchar LANGUAGE sql AS $$ ` +
        `SELECT '|'::varchar $$`,
    ],
  ])('a user cannot %s', async (_what, sql) => {
    expect(await errorOf(ms.query(sql(mallory)))).toMatch(denied);
    expect(await ids()).toEqual([1, 3]);
  });
});
