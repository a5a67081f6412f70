// A view replaced in place is not granted again (shared/compiler/view-compiler.ts): this holds only because
// CREATE OR REPLACE VIEW keeps the view's privileges. Checked on both engines as real login roles — the PUBLIC
// grant the planner gives and a grant to one role — for a replace with another query, a replace by the system
// role that owns the view, and (the negative control) a DROP + CREATE, which loses them. Redshift documents the
// same ("When a view is replaced, its other properties such as ownership and granted privileges are preserved":
// https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html, "OR REPLACE").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';

describe.each(engines)('$name: CREATE OR REPLACE VIEW keeps privileges', ({ create }) => {
  let engine: Engine;
  let analyst: string;
  let other: string;
  beforeAll(async () => {
    engine = await create();
    analyst = await engine.createLoginRole('analyst', 'pw-analyst');
    other = await engine.createLoginRole('other', 'pw-other');
    await engine.query('CREATE SCHEMA rk_raw');
    await engine.query('CREATE SCHEMA rk_secure');
    await engine.query('GRANT USAGE ON SCHEMA rk_secure TO PUBLIC');
    await engine.query('CREATE TABLE rk_raw.t (id int4, v text)');
    await engine.query("INSERT INTO rk_raw.t VALUES (1, 'a'), (2, 'b')");
  });
  afterAll(() => engine.close());

  const reads = async (role: string, password: string, view: string): Promise<unknown> => {
    const s = await engine.asUser(role, password);
    try {
      return (await s.query<{ id: number }>(`SELECT id FROM rk_secure.${view} ORDER BY id`)).map((r) => Number(r.id));
    } catch (err) {
      return err instanceof Error && /permission denied/.test(err.message) ? 'denied' : err;
    } finally {
      await s.close();
    }
  };

  it(
    'PUBLIC and a role keep SELECT across CREATE OR REPLACE VIEW with another query; a role never granted stays ' +
      'denied',
    async () => {
      await engine.query('CREATE VIEW rk_secure.v1 WITH (security_barrier) AS SELECT id, v FROM rk_raw.t');
      await engine.query('GRANT SELECT ON rk_secure.v1 TO PUBLIC');
      expect(await reads(analyst, 'pw-analyst', 'v1')).toEqual([1, 2]);
      await engine.query(
        'CREATE OR REPLACE VIEW rk_secure.v1 WITH (security_barrier) AS SELECT id, v FROM rk_raw.t WHERE id > 1',
      );
      expect(await reads(analyst, 'pw-analyst', 'v1')).toEqual([2]);

      await engine.query('CREATE VIEW rk_secure.v2 AS SELECT id, v FROM rk_raw.t');
      await engine.query(`GRANT SELECT ON rk_secure.v2 TO ${analyst}`);
      await engine.query('CREATE OR REPLACE VIEW rk_secure.v2 AS SELECT id, v FROM rk_raw.t WHERE FALSE');
      expect(await reads(analyst, 'pw-analyst', 'v2')).toEqual([]);
      expect(await reads(other, 'pw-other', 'v2')).toBe('denied');
      const acl = await engine.query<{ acl: string }>(
        "SELECT relacl::text AS acl FROM pg_class WHERE oid = 'rk_secure.v2'::regclass",
      );
      expect(acl[0]!.acl).toContain(`${analyst}=r/`);
    },
  );

  it('negative control: DROP + CREATE loses the grant (that path still grants again)', async () => {
    await engine.query('CREATE VIEW rk_secure.v3 AS SELECT id, v FROM rk_raw.t');
    await engine.query('GRANT SELECT ON rk_secure.v3 TO PUBLIC');
    expect(await reads(other, 'pw-other', 'v3')).toEqual([1, 2]);
    await engine.query('DROP VIEW rk_secure.v3');
    await engine.query('CREATE VIEW rk_secure.v3 AS SELECT id, v FROM rk_raw.t');
    expect(await reads(other, 'pw-other', 'v3')).toBe('denied');
  });
});
