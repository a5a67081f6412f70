// The compiler on real engines: each policy type compiled, applied as the system role, and queried as real
// login roles with different profiles; rows asserted per user.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { createWarehouse, type Warehouse } from './warehouse-fixture.js';
import { compileView, type ViewCompileConfig } from '../../shared/compiler/view-compiler.js';
import type { ViewSignature } from '../../shared/compiler/view-signature.js';
import { DataSourceSchema, type DataSource, type DataSourceInput } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const config = (viewSchema: string): ViewCompileConfig => ({ mode: 'single', database: 'dev', viewSchema });

const rows = [
  { id: 1, name: 'Ann', email: 'ann@x.us', ssn: '111-11-1111', country: 'US', dept: 'sales', salary: '100.50', secret: 's1' },
  { id: 2, name: 'Bo', email: 'bo@x.de', ssn: '222-22-2222', country: 'DE', dept: 'hr', salary: '200.00', secret: 's2' },
  { id: 3, name: 'Cy', email: 'cy@x.fr', ssn: '333-33-3333', country: 'FR', dept: 'sales', salary: '300.25', secret: 's3' },
  { id: 4, name: 'Di', email: null, ssn: '444-44-4444', country: 'US', dept: 'it', salary: '400.00', secret: 's4' },
];

const dsInput: DataSourceInput = {
  id: 'ds-customers',
  name: 'customers',
  version: 1,
  location: { database: 'dev', schema: 'raw', table: 'customers' },
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
const ds: DataSource = DataSourceSchema.parse(dsInput);

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
const anyone = (): Policy => policy({ type: 'subscription', scope: { kind: 'local', dataSourceId: ds.id }, access: { kind: 'anyone' } });

describe.each(engines)('view compiler on $name', ({ create }) => {
  let engine: Engine;
  let wh: Warehouse;
  const users: Record<string, Session> = {};
  const role: Record<string, string> = {};
  let signature: ViewSignature | null = null;

  /** Compile + apply as the system role, remembering the signature like datasource_state does. */
  async function apply(policies: Policy[], source: DataSource = ds) {
    const compiled = compileView(source, policies, config(wh.viewSchema), d, signature);
    await wh.applyAsSystem(compiled.statements);
    signature = compiled.signature;
    return compiled;
  }
  const see = (user: string, sql = 'SELECT * FROM secure.customers ORDER BY id') => users[user]!.query(sql);

  beforeAll(async () => {
    engine = await create();
    wh = await createWarehouse(engine);
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.customers (id int4, name varchar(40), email varchar(100), ssn char(11), country varchar(2), dept varchar(20), salary numeric(10,2), secret text)'),
      ...rows.map((r) => stmt('INSERT INTO raw.customers VALUES (:id, :name, :email, :ssn, :country, :dept, :salary, :secret)', undefined, r)),
      stmt(`GRANT USAGE ON SCHEMA raw TO ${d.quoteIdent(wh.systemRole)}`),
      stmt(`GRANT SELECT ON ALL TABLES IN SCHEMA raw TO ${d.quoteIdent(wh.systemRole)}`),
    ]);
    const profiles = {
      alice: { groups: ['analysts'], attributes: { country: ['US'] }, purposes: ['fraud'], dataSources: [ds.id] },
      bob: { groups: ['hr', 'sales'], attributes: { country: ['DE', 'FR'] } },
      carol: { groups: ['admin|ops'], attributes: { country: ['US'], 'a=b': ['x|y'] } },
      dave: null, // no profile row at all
    } as const;
    for (const [base, profile] of Object.entries(profiles)) {
      role[base] = await engine.createLoginRole(base, `${base}-pw`);
      users[base] = await engine.asUser(role[base]!, `${base}-pw`);
      if (profile) await wh.setProfile({ userId: role[base]!, version: 1, ...profile });
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

    await apply([policy({ type: 'subscription', scope: { kind: 'local', dataSourceId: ds.id }, access: { kind: 'usersWith', who: { groups: ['hr', 'admin|ops'] } } })]);
    expect((await see('alice')).length).toBe(0);
    expect((await see('bob')).length).toBe(4);
    expect((await see('carol')).length).toBe(4);

    await apply([policy({ type: 'subscription', scope: { kind: 'local', dataSourceId: ds.id }, access: { kind: 'usersWith', who: { groups: ['hr', 'admin|ops'], match: 'all' } } })]);
    expect((await see('bob')).length).toBe(0);
    expect((await see('carol')).length).toBe(0);

    await apply([policy({ type: 'subscription', scope: { kind: 'local', dataSourceId: ds.id }, access: { kind: 'usersWith', who: { attributes: { 'a=b': ['x|y'] } } } })]);
    expect((await see('carol')).length).toBe(4);
    expect((await see('alice')).length).toBe(0);
  });

  it('hash mask: keyed SHA-256 hex, NULL stays NULL, column type kept, key never in the definition', async () => {
    const compiled = await apply([anyone(), policy({ type: 'mask', scope: { kind: 'global' }, target: { kind: 'column', name: 'email' }, mask: { kind: 'hash' } })]);
    const expected = (v: string) => createHash('sha256').update(wh.hashKey + v, 'utf8').digest('hex');
    expect((await see('alice')).map((r) => r.email)).toEqual([expected('ann@x.us'), expected('bo@x.de'), expected('cy@x.fr'), null]);
    expect(compiled.signature.columns.find((c) => c.name === 'email')!.type).toBe('varchar(100)');
    const defs = await wh.adminQuery<{ def: string }>(`SELECT pg_get_viewdef('secure.customers'::regclass) AS def`);
    expect(defs[0]!.def).not.toContain(wh.hashKey);
    expect(compiled.statements.map((s) => s.sql).join('\n')).not.toContain(wh.hashKey);
  });
});
