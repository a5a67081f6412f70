// Proves the harness itself: two login roles, grants enforced per role, passwords checked on the server,
// :name parameters bound, notices captured, and files isolated in their own database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from './engines.js';
import { toPositional } from './named-params.js';

describe('toPositional', () => {
  it('binds :name as $n, reuses indexes and leaves casts, literals, idents, comments and $$ bodies alone', () => {
    const r = toPositional({
      sql: `SELECT :a::int, ':b', ":c", $$ :d $$, $t$:e$t$, :a -- :f\n /* :g */ , :h`,
      params: { a: 1, h: 'x' },
    });
    expect(r.text).toBe(`SELECT $1::int, ':b', ":c", $$ :d $$, $t$:e$t$, $1 -- :f\n /* :g */ , $2`);
    expect(r.values).toEqual([1, 'x']);
  });
  it('rejects a missing or unused parameter', () => {
    expect(() => toPositional({ sql: 'SELECT :x' })).toThrow(/:x/);
    expect(() => toPositional({ sql: 'SELECT 1', params: { y: 1 } })).toThrow(/y/);
  });
});

describe.each(engines)('engine $name', ({ create }) => {
  let engine: Engine;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    engine = await create();
    alice = await engine.createLoginRole('alice', 'alice-pw');
    bob = await engine.createLoginRole('bob', 'bob-pw');
    await engine.exec([
      { sql: 'CREATE SCHEMA s' },
      { sql: 'CREATE TABLE s.t (v text)' },
      { sql: 'INSERT INTO s.t VALUES (:v)', params: { v: "it's :v" } },
      { sql: `GRANT USAGE ON SCHEMA s TO "${alice}"` },
      { sql: `GRANT SELECT ON s.t TO "${alice}"` },
    ]);
  });
  afterAll(() => engine?.close());

  it('logs in as each role: current_user and session_user are that role', async () => {
    const a = await engine.asUser(alice, 'alice-pw');
    expect(await a.query('SELECT current_user AS c, session_user AS s')).toEqual([{ c: alice, s: alice }]);
    const b = await engine.asUser(bob, 'bob-pw');
    expect(await b.query('SELECT current_user AS c')).toEqual([{ c: bob }]);
    // Taking turns on PGlite's one connection must not leak one role into the other.
    expect(await a.query('SELECT current_user AS c')).toEqual([{ c: alice }]);
    // …nor leave the admin running as the last user.
    expect(await engine.query('SELECT current_user AS c, session_user AS s')).toEqual([
      { c: engine.asAdmin.role, s: engine.asAdmin.role },
    ]);
  });

  it('enforces grants: alice reads the table, bob is denied', async () => {
    const a = await engine.asUser(alice, 'alice-pw');
    expect(await a.query('SELECT v FROM s.t')).toEqual([{ v: "it's :v" }]);
    const b = await engine.asUser(bob, 'bob-pw');
    await expect(b.query('SELECT v FROM s.t')).rejects.toThrow(/permission denied/);
  });

  it('captures NOTICE messages per session', async () => {
    const a = await engine.asUser(alice, 'alice-pw');
    await a.query(`DO $$ BEGIN RAISE NOTICE 'hello %', current_user; END $$`);
    expect(a.notices).toContain(`hello ${alice}`);
  });

  it('rejects a wrong password when logins are real', async () => {
    if (!engine.realLogin) return expect(engine.name).toBe('pglite');
    await expect(engine.asUser(alice, 'wrong')).rejects.toThrow(/password authentication failed/);
    await expect(engine.asUser(alice, 'bob-pw')).rejects.toThrow(/password authentication failed/);
  });

  it('gives each engine instance its own database and role names', async () => {
    const other = await create();
    try {
      expect(other.roleName('alice')).not.toBe(alice);
      await expect(other.query('SELECT 1 FROM s.t')).rejects.toThrow(/does not exist/);
    } finally {
      await other.close();
    }
  });
});
