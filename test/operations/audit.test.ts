// `viewguard audit` on real engines, as real login roles: a raw table readable through PUBLIC, through a group
// the analyst is in, through default privileges and through ownership is reported with the way and the statement
// that closes it — and the analyst really can read it (a login query) until those statements run, after which the
// audit is clean and the login query is denied. Writes to our schemas, calls of our procedures, reads of the
// state tables, membership in the system role and a registered table without a view are reported too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { audit, type AuditFinding, type AuditReport } from '../../shared/operations/audit.js';
import { EXIT, run } from '../../infra/cli/main.js';
import { anyoneSubscription } from '../breadth/policy-doc-examples.js';
import { createOperationsWorld, type OperationsWorld } from './support/operations-world.js';

describe.each(engines)('audit on $name', ({ create }) => {
  let w: OperationsWorld;
  let suffix: string;
  const q = (n: string) => postgres.quoteIdent(n);
  const admin = (sql: string) => w.engine.query(sql);
  /** Findings about this engine's roles (other test files' roles share the server). */
  const ours = (r: AuditReport): AuditFinding[] =>
    r.findings.filter((f) => f.principal === '' || f.principal.endsWith(suffix));
  const run_ = async () => ours(await audit({ warehouse: w.system, dialect: postgres, config: w.layout }));
  const brief = (fs: AuditFinding[]) => fs.map((f) => [f.kind, f.principal, f.object]).sort();
  const closeAll = async (fs: AuditFinding[]) => {
    for (const f of fs) for (const r of f.revoke) if (!r.includes('<') && !r.startsWith('viewguard')) await admin(r);
  };
  const canRead = async (user: 'alice' | 'bob', table: string) =>
    w.users[user].query(`SELECT count(*) AS n FROM ${table}`).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    w = await createOperationsWorld(await create());
    suffix = w.engine.roleName('');
    await w.putDataSource(w.ds);
    await w.setPolicies([PolicySchema.parse(anyoneSubscription)]);
  });
  afterAll(() => w?.close());

  it('a clean install: nobody but the system role and superusers reaches raw data or our objects', async () => {
    expect(await run_()).toEqual([]);
    expect(await canRead('alice', 'raw.customers')).toBe(false);
  });

  it('a raw table granted to PUBLIC: every role can read it; REVOKE … FROM PUBLIC closes it', async () => {
    await admin('GRANT USAGE ON SCHEMA raw TO PUBLIC');
    await admin('GRANT SELECT ON raw.customers TO PUBLIC');
    expect(await canRead('alice', 'raw.customers')).toBe(true);
    const found = await run_();
    expect(brief(found)).toEqual(
      [
        ['read-raw', w.role.alice, 'raw.customers'],
        ['read-raw', w.role.bob, 'raw.customers'],
      ].sort(),
    );
    expect(found[0]!.via).toContain('granted to PUBLIC');
    expect(found[0]!.revoke).toEqual(['REVOKE SELECT ON TABLE "raw"."customers" FROM PUBLIC']);
    expect(found[0]!.diagnostic.code).toBe('VG803');
    await closeAll(found);
    expect(await run_()).toEqual([]);
    expect(await canRead('alice', 'raw.customers')).toBe(false);
  });

  it('a raw table granted to a group the analyst is in: the group and the analyst are reported', async () => {
    const group = w.engine.roleName('analysts');
    await admin(`CREATE ROLE ${q(group)} NOLOGIN`);
    await admin(`GRANT ${q(group)} TO ${q(w.role.alice)}`);
    await admin(`GRANT SELECT ON raw.customers TO ${q(group)}`);
    expect(await canRead('alice', 'raw.customers')).toBe(true);
    const found = await run_();
    expect(brief(found)).toEqual(
      [
        ['read-raw', group, 'raw.customers'],
        ['read-raw', w.role.alice, 'raw.customers'],
      ].sort(),
    );
    const alice = found.find((f) => f.principal === w.role.alice)!;
    expect(alice.via).toContain(`through role ${group}, which it is a member of`);
    expect(alice.revoke).toEqual([`REVOKE SELECT ON TABLE "raw"."customers" FROM ${q(group)}`]);
    await closeAll(found);
    expect(await run_()).toEqual([]);
    expect(await canRead('alice', 'raw.customers')).toBe(false);
  });

  it(
    'default privileges that hand new raw tables to an analyst: ' + 'the default and the table it reached are reported',
    async () => {
      await admin(`ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT ON TABLES TO ${q(w.role.bob)}`);
      await admin('CREATE TABLE raw.orders (id int4, amount numeric(10,2))');
      await admin('INSERT INTO raw.orders VALUES (1, 10.5)');
      await w.putDataSource(
        DataSourceSchema.parse({
          id: 'ds-orders',
          name: 'orders',
          version: 1,
          kind: 'table',
          tags: [],
          location: { ...w.ds.location, table: 'orders' },
          columns: [
            { name: 'id', type: 'int4' },
            { name: 'amount', type: 'numeric(10,2)' },
          ],
        }),
      );
      expect(await canRead('bob', 'raw.orders')).toBe(true);
      const found = await run_();
      expect(brief(found)).toEqual([
        ['default-privilege', w.role.bob, 'schema raw (future tables of ' + w.engine.asAdmin.role + ')'],
        ['read-raw', w.role.bob, 'raw.orders'],
      ]);
      expect(found.find((f) => f.kind === 'default-privilege')!.revoke).toEqual([
        `ALTER DEFAULT PRIVILEGES FOR USER ${q(w.engine.asAdmin.role)} IN SCHEMA "raw" REVOKE SELECT ON TABLES ` +
          `FROM ${q(w.role.bob)}`,
      ]);
      expect(found.find((f) => f.kind === 'read-raw')!.via).toContain('granted directly (SELECT)');
      await closeAll(found);
      expect(await run_()).toEqual([]);
      expect(await canRead('bob', 'raw.orders')).toBe(false);
    },
  );

  it('an analyst who owns a raw table is reported (ownership cannot be revoked, only moved)', async () => {
    await admin(`ALTER TABLE raw.orders OWNER TO ${q(w.role.bob)}`);
    const found = await run_();
    expect(brief(found)).toEqual([['read-raw', w.role.bob, 'raw.orders']]);
    expect(found[0]!.via).toContain('owns the table');
    expect(found[0]!.revoke).toEqual(['ALTER TABLE "raw"."orders" OWNER TO <an administrator that is no analyst>']);
    await admin(`ALTER TABLE raw.orders OWNER TO ${q(w.engine.asAdmin.role)}`);
    expect(await run_()).toEqual([]);
  });

  it(
    'writes to our schemas, calls of our procedures, reads of ' + 'the key table and membership in the system role',
    async () => {
      await admin(`GRANT CREATE ON SCHEMA immuta_functions TO ${q(w.role.bob)}`);
      await admin(
        `GRANT EXECUTE ON PROCEDURE immuta_procedures.apply_user(varchar, bigint, text, text, text, text, text, ` +
          `text) TO ${q(w.role.alice)}`,
      );
      await admin(`GRANT SELECT ON immuta_system.hash_key TO ${q(w.role.bob)}`);
      await admin(`GRANT ${q(w.layout.systemUser)} TO ${q(w.role.alice)}`);
      const found = await run_();
      const byKind = new Map(found.map((f) => [`${f.kind} ${f.principal}`, f]));
      expect(byKind.get(`create-in-schema ${w.role.bob}`)!.revoke).toEqual([
        `REVOKE CREATE ON SCHEMA "immuta_functions" FROM ${q(w.role.bob)}`,
      ]);
      expect(byKind.get(`execute-procedure ${w.role.alice}`)!.object).toBe('procedure immuta_procedures.apply_user');
      expect(byKind.get(`read-state ${w.role.bob}`)!.object).toBe('immuta_system.hash_key');
      expect(byKind.get(`act-as-system ${w.role.alice}`)!.revoke).toEqual([
        `REVOKE ${q(w.layout.systemUser)} FROM ${q(w.role.alice)}`,
      ]);
      // through the system role alice also reads raw data, and the advice is the membership, never the system role's
      // grant
      expect(byKind.get(`read-raw ${w.role.alice}`)!.revoke).toEqual([
        `REVOKE ${q(w.layout.systemUser)} FROM ${q(w.role.alice)}`,
      ]);
      await closeAll(found);
      expect(await run_()).toEqual([]);
    },
  );

  it('a registered table without a secure view; the command exits 1 and prints what to run', async () => {
    await admin('DROP VIEW secure.orders');
    const found = await run_();
    expect(brief(found)).toEqual([['no-secure-view', '', 'raw.orders']]);
    const out: string[] = [];
    const io = {
      env: {},
      cwd: '.',
      out: (l: string) => void out.push(l),
      err: (l: string) => void out.push(l),
      connect: async () => ({
        warehouse: w.system,
        dialect: postgres,
        config: w.layout,
        where: 'test',
        close: async () => {},
      }),
    };
    expect(await run(['audit'], io)).toBe(EXIT.findings);
    expect(out.join('\n')).toMatch(/no-secure-view/);
  });
});
