// The compiler on real engines: each policy type compiled, applied as the system role, and queried as real
// login roles with different profiles; rows asserted per user.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { HASH_KEY, bootstrap, layoutConfig, packed, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { compileView, type ViewCompileConfig } from '../../shared/compiler/view-compiler.js';
import type { ViewSignature } from '../../shared/compiler/view-signature.js';
import { DataSourceSchema, type DataSource, type DataSourceInput } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import type { UserProfileInput } from '../../shared/policy/user-profile.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const STATEMENT_HEAD = new RegExp(
  '^(SET search_path TO pg_catalog|DROP VIEW IF EXISTS|CREATE VIEW|CREATE OR REPLACE VIEW|GRANT SELECT' +
    '|RESET search_path)',
);

const rows = [
  {
    id: 1,
    name: 'Ann',
    email: 'ann@x.us',
    ssn: '111-11-1111',
    country: 'US',
    dept: 'sales',
    salary: '100.50',
    secret: 's1',
  },
  {
    id: 2,
    name: 'Bo',
    email: 'bo@x.de',
    ssn: '222-22-2222',
    country: 'DE',
    dept: 'hr',
    salary: '200.00',
    secret: 's2',
  },
  {
    id: 3,
    name: 'Cy',
    email: 'cy@x.fr',
    ssn: '333-33-3333',
    country: 'FR',
    dept: 'sales',
    salary: '300.25',
    secret: 's3',
  },
  { id: 4, name: 'Di', email: null, ssn: '444-44-4444', country: 'US', dept: 'it', salary: '400.00', secret: 's4' },
];

const dsInput: DataSourceInput = {
  id: 'ds-customers',
  name: 'customers',
  version: 1,
  // the database is the engine's (single-database mode), set in beforeAll
  location: { database: 'set-in-beforeAll', schema: 'raw', table: 'customers' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'varchar(40)' },
    { name: 'email', type: 'varchar(100)', tags: ['PII.Email'] },
    { name: 'ssn', type: 'char(11)', tags: ['PII.SSN'] },
    { name: 'country', type: 'varchar(2)', tags: ['Geo.Country'] },
    { name: 'dept', type: 'varchar(20)' },
    { name: 'salary', type: 'numeric(10,2)', tags: ['Finance'] },
    // `secret` exists in the table but not here: it must not be exposed.
  ],
  tags: ['Customer'],
};
let ds: DataSource = DataSourceSchema.parse(dsInput);

let seq = 0;
function policy(p: Omit<PolicyInput, 'id' | 'version' | 'name' | 'createdAt'> & Partial<PolicyInput>): Policy {
  seq += 1;
  return PolicySchema.parse({
    id: `p${seq}`,
    version: 1,
    name: `policy ${seq}`,
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(),
    ...p,
  });
}
const anyone = (): Policy =>
  policy({ type: 'subscription', scope: { kind: 'local', dataSourceId: ds.id }, access: { kind: 'anyone' } });

describe.each(engines)('view compiler on $name', ({ create }) => {
  let engine: Engine;
  let layout: IntegrationConfig;
  const config = (): ViewCompileConfig => layout;
  // what the apply loop does: the statements packed into one transaction, acting as the system role
  const applyAsSystem = (statements: Parameters<typeof packed>[0]) =>
    transactionAs(engine.asAdmin, layout.systemUser, packed(statements));
  const users: Record<string, Session> = {};
  const role: Record<string, string> = {};
  let signature: ViewSignature | null = null;

  /** Compile + apply as the system role, remembering the signature like datasource_state does. */
  async function apply(policies: Policy[], source: DataSource = ds) {
    const compiled = compileView(source, policies, config(), d, signature);
    await applyAsSystem(compiled.statements);
    signature = compiled.signature;
    return compiled;
  }
  const see = (user: string, sql = 'SELECT * FROM secure.customers ORDER BY id') => users[user]!.query(sql);

  beforeAll(async () => {
    engine = await create();
    ds = DataSourceSchema.parse({ ...dsInput, location: { ...dsInput.location, database: engine.database } });
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt(
        'CREATE TABLE raw.customers (id int4, name varchar(40), email varchar(100), ssn char(11), country ' +
          'varchar(2), dept varchar(20), salary numeric(10,2), secret text)',
      ),
      ...rows.map((r) =>
        stmt(
          'INSERT INTO raw.customers VALUES (:id, :name, :email, :ssn, :country, :dept, :salary, :secret)',
          undefined,
          r,
        ),
      ),
    ]);
    // The real layout (the bootstrap plan); it grants the system role read access to `raw`.
    layout = layoutConfig(engine, 'raw');
    await bootstrap(engine, layout);
    const profiles: Record<string, Omit<UserProfileInput, 'userId' | 'version'> | null> = {
      alice: { groups: ['analysts'], attributes: { country: ['US'] }, purposes: ['fraud'], dataSources: [ds.id] },
      bob: { groups: ['hr', 'sales'], attributes: { country: ['DE', 'FR'] } },
      carol: { groups: ['admin|ops'], attributes: { country: ['US'], 'a=b': ['x|y'] } },
      dave: null, // no profile row at all
    };
    for (const [base, profile] of Object.entries(profiles)) {
      role[base] = await engine.createLoginRole(base, `${base}-pw`);
      users[base] = await engine.asUser(role[base]!, `${base}-pw`);
      if (profile)
        await applyAsSystem([
          planUserUpsert(UserProfileSchema.parse({ userId: role[base]!, version: 1, ...profile }), d),
        ]);
    }
  });
  afterAll(async () => {
    for (const s of Object.values(users)) await s.close();
    await engine?.close();
  });

  it('no subscription policy: only individually approved users see rows; unknown columns are dropped', async () => {
    await apply([]);
    const a = await see('alice');
    expect(a.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(a[0]!)).toEqual(['id', 'name', 'email', 'ssn', 'country', 'dept', 'salary']);
    expect(await see('bob')).toEqual([]);
    expect(await see('dave')).toEqual([]);
  });

  it('users cannot read the raw table or the hash key', async () => {
    await expect(see('alice', 'SELECT * FROM raw.customers')).rejects.toThrow(/permission denied/);
    await expect(see('alice', 'SELECT * FROM immuta_system.hash_key')).rejects.toThrow(/permission denied/);
  });

  it('subscription anyone / usersWith groups (any, all) / attributes', async () => {
    await apply([anyone()]);
    expect((await see('bob')).length).toBe(4);
    expect((await see('carol')).length).toBe(4);
    expect(await see('dave')).toEqual([]);

    await apply([
      policy({
        type: 'subscription',
        scope: { kind: 'local', dataSourceId: ds.id },
        access: { kind: 'usersWith', who: { groups: ['hr', 'admin|ops'] } },
      }),
    ]);
    expect((await see('alice')).length).toBe(0);
    expect((await see('bob')).length).toBe(4);
    expect((await see('carol')).length).toBe(4);

    await apply([
      policy({
        type: 'subscription',
        scope: { kind: 'local', dataSourceId: ds.id },
        access: { kind: 'usersWith', who: { groups: ['hr', 'admin|ops'], match: 'all' } },
      }),
    ]);
    expect((await see('bob')).length).toBe(0);
    expect((await see('carol')).length).toBe(0);

    await apply([
      policy({
        type: 'subscription',
        scope: { kind: 'local', dataSourceId: ds.id },
        access: { kind: 'usersWith', who: { attributes: { 'a=b': ['x|y'] } } },
      }),
    ]);
    expect((await see('carol')).length).toBe(4);
    expect((await see('alice')).length).toBe(0);
  });

  it('hash mask: keyed SHA-256 hex, NULL stays NULL, column type kept, key never in the definition', async () => {
    const compiled = await apply([
      anyone(),
      policy({
        type: 'mask',
        scope: { kind: 'global' },
        target: { kind: 'column', name: 'email' },
        mask: { kind: 'hash' },
      }),
    ]);
    const expected = (v: string) =>
      createHash('sha256')
        .update(HASH_KEY + v, 'utf8')
        .digest('hex');
    expect((await see('alice')).map((r) => r.email)).toEqual([
      expected('ann@x.us'),
      expected('bo@x.de'),
      expected('cy@x.fr'),
      null,
    ]);
    expect(compiled.signature.columns.find((c) => c.name === 'email')!.type).toBe('varchar(100)');
    const defs = await engine.query<{ def: string }>(`SELECT pg_get_viewdef('secure.customers'::regclass) AS def`);
    expect(defs[0]!.def).not.toContain(HASH_KEY);
    expect(compiled.statements.map((s) => s.sql).join('\n')).not.toContain(HASH_KEY);
  });

  const hashOf = (v: string) =>
    createHash('sha256')
      .update(HASH_KEY + v, 'utf8')
      .digest('hex');
  const col = (rs: Record<string, unknown>[], c: string) => rs.map((r) => r[c]);

  it('null mask by tag, everyone except a group (tag hierarchy: PII matches PII.SSN)', async () => {
    await apply([
      anyone(),
      policy({
        type: 'mask',
        scope: { kind: 'global', tags: ['PII'] },
        target: { kind: 'tag', tag: 'PII' },
        mask: { kind: 'null' },
        condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
      }),
    ]);
    expect(col(await see('alice'), 'ssn')).toEqual([null, null, null, null]);
    expect(col(await see('alice'), 'email')).toEqual([null, null, null, null]);
    expect(col(await see('bob'), 'ssn')).toEqual(rows.map((r) => r.ssn));
    expect(col(await see('bob'), 'email')).toEqual(rows.map((r) => r.email));
  });

  it('constant mask for everyone who has an attribute, hash otherwise (column becomes text)', async () => {
    const compiled = await apply([
      anyone(),
      policy({
        type: 'mask',
        scope: { kind: 'local', dataSourceId: ds.id },
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'constant', value: "RED'ACTED" },
        condition: { kind: 'everyoneWho', who: { attributes: { country: ['US'] } }, otherwise: { kind: 'hash' } },
      }),
    ]);
    expect(col(await see('alice'), 'name')).toEqual(rows.map(() => "RED'ACTED"));
    expect(col(await see('carol'), 'name')).toEqual(rows.map(() => "RED'ACTED"));
    expect(col(await see('bob'), 'name')).toEqual(rows.map((r) => hashOf(r.name)));
    expect(compiled.signature.columns.find((c) => c.name === 'name')!.type).toBe('varchar(64)');
  });

  it('constant masks keep numeric types; everyoneWho with clear otherwise', async () => {
    await apply([
      anyone(),
      policy({
        type: 'mask',
        scope: { kind: 'global', tags: ['Finance'] },
        target: { kind: 'tag', tag: 'Finance' },
        mask: { kind: 'constant', value: '0.00' },
        condition: { kind: 'everyoneWho', who: { groups: ['sales'] } },
      }),
    ]);
    expect(col(await see('bob'), 'salary')).toEqual(['0.00', '0.00', '0.00', '0.00']);
    expect(col(await see('alice'), 'salary')).toEqual(rows.map((r) => r.salary));
    expect(signature!.columns.find((c) => c.name === 'salary')!.type).toBe('numeric(10,2)');
  });

  it('row filter attributeMatch: each user sees the rows of their attribute values; exception sees all', async () => {
    await apply([
      anyone(),
      policy({
        type: 'rowFilter',
        scope: { kind: 'global', tags: ['Geo'] },
        filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo.Country' }, attribute: 'country' },
        exception: { groups: ['admin|ops'] },
      }),
    ]);
    expect(col(await see('alice'), 'id')).toEqual([1, 4]);
    expect(col(await see('bob'), 'id')).toEqual([2, 3]);
    expect(col(await see('carol'), 'id')).toEqual([1, 2, 3, 4]);
    expect(await see('dave')).toEqual([]);
  });

  it('row filters are ANDed: groupMatch on dept AND attributeMatch on country', async () => {
    await apply([
      anyone(),
      policy({
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: ds.id },
        filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } },
      }),
      policy({
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: ds.id },
        filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'country' }, attribute: 'country' },
      }),
    ]);
    // bob: groups hr, sales; countries DE, FR → row 2 (DE, hr) and row 3 (FR, sales)
    expect(col(await see('bob'), 'id')).toEqual([2, 3]);
    // alice: group analysts matches no dept
    expect(await see('alice')).toEqual([]);
  });

  it('row filter never, with an exception by purpose', async () => {
    await apply([
      anyone(),
      policy({
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: ds.id },
        filter: { kind: 'never' },
        exception: { purposes: ['fraud'] },
      }),
    ]);
    expect((await see('alice')).length).toBe(4);
    expect(await see('bob')).toEqual([]);
  });

  it('conflicts: deepest tag wins, explicit column beats tags, earliest wins a tie', async () => {
    const shallow = policy({
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII' },
      mask: { kind: 'hash' },
    });
    const deep = policy({
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII.SSN' },
      mask: { kind: 'null' },
    });
    const explicitLate = policy({
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'column', name: 'email' },
      mask: { kind: 'constant', value: 'late' },
    });
    const explicitEarly = policy({
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'column', name: 'email' },
      mask: { kind: 'constant', value: 'early' },
      createdAt: '2023-06-01T00:00:00Z',
    });
    const compiled = await apply([anyone(), shallow, deep, explicitLate, explicitEarly]);
    const a = await see('alice');
    expect(col(a, 'ssn')).toEqual([null, null, null, null]);
    expect(col(a, 'email')).toEqual(['early', 'early', 'early', 'early']);
    expect(compiled.diagnostics.filter((x) => x.code === 'VG304').length).toBe(2);
  });

  it('fail closed: an uncompilable policy yields typed NULL columns and no rows, with VG303 + VG301', async () => {
    const compiled = await apply([
      anyone(),
      policy({
        type: 'mask',
        scope: { kind: 'local', dataSourceId: ds.id },
        target: { kind: 'column', name: 'id' },
        mask: { kind: 'constant', value: 'abc' },
      }),
    ]);
    expect(compiled.failedClosed).toBe(true);
    expect(compiled.diagnostics.map((x) => x.code)).toEqual(expect.arrayContaining(['VG303', 'VG301']));
    expect(await see('alice')).toEqual([]);
    const types = await engine.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'secure' AND table_name ` +
        `= 'customers' ORDER BY ordinal_position`,
    );
    expect(types.map((t) => t.data_type)).toEqual([
      'integer',
      'character varying',
      'character varying',
      'character',
      'character varying',
      'character varying',
      'numeric',
    ]);
    const def = await engine.query<{ def: string }>(`SELECT pg_get_viewdef('secure.customers'::regclass) AS def`);
    expect(def[0]!.def).not.toContain('raw');

    const missing = await apply([
      anyone(),
      policy({
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: ds.id },
        filter: { kind: 'groupMatch', column: { kind: 'column', name: 'nope' } },
      }),
    ]);
    expect(missing.diagnostics.map((x) => x.code)).toEqual(expect.arrayContaining(['VG302', 'VG301']));
    expect(await see('bob')).toEqual([]);
  });

  it(
    'a type-changing mask drops and re-creates the view in ' + 'one transaction; grants and security_barrier kept',
    async () => {
      await apply([anyone()]);
      const before = signature!;
      const hashId = [
        anyone(),
        policy({
          type: 'mask',
          scope: { kind: 'local', dataSourceId: ds.id },
          target: { kind: 'column', name: 'id' },
          mask: { kind: 'hash' },
        }),
      ];
      const compiled = compileView(ds, hashId, config(), d, before);
      expect(packed(compiled.statements).map((s) => STATEMENT_HEAD.exec(s.sql)?.[0])).toEqual([
        'SET search_path TO pg_catalog',
        'DROP VIEW IF EXISTS',
        'CREATE VIEW',
        'GRANT SELECT',
        'RESET search_path',
      ]);
      // CREATE OR REPLACE would be refused by the engine: prove the drop is needed.
      const replace = compileView(ds, hashId, config(), d, compiled.signature);
      await expect(applyAsSystem(replace.statements)).rejects.toThrow(/cannot change (data type|name) of view column/);
      await applyAsSystem(compiled.statements);
      signature = compiled.signature;
      // id is now text (ordered as text): compare as sets
      expect(col(await see('bob'), 'id').sort()).toEqual(rows.map((r) => hashOf(String(r.id))).sort());
      // and back: replace in place keeps the barrier
      await apply([anyone()]);
      const same = compileView(ds, [anyone()], config(), d, signature);
      expect(packed(same.statements)[1]!.sql).toMatch(/^CREATE OR REPLACE VIEW .* WITH \(security_barrier\)/);
      await applyAsSystem(same.statements);
      const opts = await engine.query<{ reloptions: string[] }>(
        `SELECT reloptions FROM pg_class WHERE oid = 'secure.customers'::regclass`,
      );
      expect(opts[0]!.reloptions).toEqual(['security_barrier=true']);
      expect((await see('bob')).length).toBe(4);
    },
  );

  it('applying the same desired state twice changes nothing in the catalog', async () => {
    const policies = [
      anyone(),
      policy({ type: 'mask', scope: { kind: 'global' }, target: { kind: 'tag', tag: 'PII' }, mask: { kind: 'hash' } }),
    ];
    await apply(policies);
    const snapshot = () =>
      engine.query(
        `SELECT c.oid::int8 AS oid, c.relname, c.reloptions, c.relacl::text AS acl, c.relowner::regrole::text AS
          owner, pg_get_viewdef(c.oid) AS def,
                (SELECT json_agg(json_build_object('n', attname, 't', format_type(atttypid, atttypmod)) ORDER BY
                  attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0) AS cols
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'secure' ORDER BY c.relname`,
      );
    const first = await snapshot();
    const again = await apply(policies);
    expect(packed(again.statements)[1]!.sql).toMatch(/^CREATE OR REPLACE/);
    expect(await snapshot()).toEqual(first);
    // the signature we compute is the one the engine reports
    expect(
      (first[0]!.cols as { n: string; t: string }[]).map((c) => ({
        name: c.n,
        type: c.t.replace('character varying', 'varchar').replace('character', 'char').replace('integer', 'int4'),
      })),
    ).toEqual(signature!.columns);
  });

  it('identifiers with quotes, ;, unicode, reserved words and 63-byte names work; 64 bytes is VG102', async () => {
    const weird = ['se"lect; --', 'ünïcødé 名前', 'select', 'x'.repeat(63)];
    await engine.exec([
      stmt(`CREATE SCHEMA ${d.quoteIdent('Raw "S";')}`),
      stmt(
        `CREATE TABLE ${d.qualify('Raw "S";', "T\\'ab;le")} (` +
          `${weird.map((w) => `${d.quoteIdent(w)} text`).join(', ')})`,
      ),
      stmt(`INSERT INTO ${d.qualify('Raw "S";', "T\\'ab;le")} VALUES ('a', 'b', 'c', 'd')`),
      stmt(`GRANT USAGE ON SCHEMA ${d.quoteIdent('Raw "S";')} TO ${d.quoteIdent(layout.systemUser)}`),
      stmt(`GRANT SELECT ON ${d.qualify('Raw "S";', "T\\'ab;le")} TO ${d.quoteIdent(layout.systemUser)}`),
    ]);
    const odd = DataSourceSchema.parse({
      id: "ds'; DROP TABLE x; --",
      name: 'v"iew; ' + 'é'.repeat(10),
      version: 1,
      location: { database: engine.database, schema: 'Raw "S";', table: "T\\'ab;le" },
      kind: 'table',
      columns: weird.map((w) => ({ name: w, type: 'text', tags: ['Odd'] })),
    });
    const policies = [
      policy({ type: 'subscription', scope: { kind: 'global', tags: ['Odd'] }, access: { kind: 'anyone' } }),
      policy({
        type: 'mask',
        scope: { kind: 'global' },
        target: { kind: 'column', name: 'select' },
        mask: { kind: 'constant', value: "'); DROP TABLE x; --" },
      }),
    ];
    const compiled = compileView(odd, policies, config(), d, null);
    expect(compiled.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    await applyAsSystem(compiled.statements);
    const got = await users.bob!.query(`SELECT * FROM ${d.qualify('secure', odd.name)}`);
    expect(got).toEqual([{ [weird[0]!]: 'a', [weird[1]!]: 'b', select: "'); DROP TABLE x; --", [weird[3]!]: 'd' }]);

    const tooLong = compileView(
      { ...odd, columns: [...odd.columns, { name: 'y'.repeat(64), type: 'text', tags: [] }] },
      policies,
      config(),
      d,
      compiled.signature,
    );
    expect(tooLong.failedClosed).toBe(true);
    expect(tooLong.diagnostics.map((x) => x.code)).toEqual(expect.arrayContaining(['VG102', 'VG301']));
    await applyAsSystem(tooLong.statements);
    expect(await users.bob!.query(`SELECT * FROM ${d.qualify('secure', odd.name)}`)).toEqual([]);
  });

  it('the profile row is read once per query, not once per row (EXPLAIN ANALYZE loops)', async () => {
    const compiled = await apply([
      policy({
        type: 'subscription',
        scope: { kind: 'local', dataSourceId: ds.id },
        access: { kind: 'usersWith', who: { groups: ['hr'] } },
      }),
      policy({
        type: 'mask',
        scope: { kind: 'global' },
        target: { kind: 'tag', tag: 'PII' },
        mask: { kind: 'hash' },
        condition: { kind: 'everyoneExcept', except: { groups: ['admin|ops'] } },
      }),
      policy({
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: ds.id },
        filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } },
      }),
    ]);
    const [plan] = await users.bob!.query<{ 'QUERY PLAN': unknown }>(
      'EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM secure.customers',
    );
    const scans: { relation: string; loops: number }[] = [];
    const walk = (node: Record<string, unknown>): void => {
      if (typeof node['Relation Name'] === 'string')
        scans.push({ relation: node['Relation Name'] as string, loops: node['Actual Loops'] as number });
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    const root = (
      typeof plan!['QUERY PLAN'] === 'string' ? JSON.parse(plan!['QUERY PLAN'] as string) : plan!['QUERY PLAN']
    ) as { Plan: Record<string, unknown> }[];
    walk(root[0]!.Plan);
    // Each per-user value (presence, subscription, the mask's exception on each PII column) is a subquery the
    // engine runs once per query: as many profile scans as the definition has subqueries, each run once, a
    // number fixed by the view and not by the rows.
    const create = compiled.statements.find((x) => /CREATE/.test(x.sql))!.sql;
    const reads = create.split('FROM "immuta_system"."user_profile"').length - 1;
    expect(reads).toBe(4);
    expect(scans.filter((x) => x.relation === 'profile')).toEqual(
      Array.from({ length: reads }, () => ({ relation: 'profile', loops: 1 })),
    );
    expect(scans.filter((x) => x.relation === 'customers')).toEqual([{ relation: 'customers', loops: 1 }]);
    expect((await see('bob')).map((r) => r.id)).toEqual([1, 2, 3]);
  });
});
