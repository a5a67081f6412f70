// Every per-user value a view needs — its decisions (subscription, mask conditions, exceptions), the user's
// presence, the hashing key and the membership build side — is read a constant number of times per query,
// never per raw row: on both engines, EXPLAIN ANALYZE of a view over 20,000 rows shows every scan of
// profile, entitlement and hash_key with loops = 1 (parallel off), the decisions as InitPlans (no join of the
// raw table with the profile), and the view returns exactly what a hand-written query with the user's values
// inlined returns. The Redshift form of the same view stays lint-clean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { stmt } from '../../shared/sql/statement.js';

const CREATED_AT = '2026-01-01T00:00:00Z';
const dataSource = (database: string) =>
  DataSourceSchema.parse({
    id: 'ds-once',
    name: 'once',
    version: 1,
    kind: 'table',
    location: { database, schema: 'raw', table: 'people' },
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'email', type: 'varchar(64)' },
      { name: 'dept', type: 'varchar(16)' },
      { name: 'region', type: 'varchar(8)' },
    ],
  });
const policies = [
  {
    id: 'sub',
    name: 'analysts',
    type: 'subscription',
    scope: { kind: 'local', dataSourceId: 'ds-once' },
    access: { kind: 'usersWith', who: { groups: ['ops'] } },
  },
  {
    id: 'email',
    name: 'hash',
    type: 'mask',
    scope: { kind: 'local', dataSourceId: 'ds-once' },
    target: { kind: 'column', name: 'email' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
  },
  {
    id: 'dept',
    name: 'mine',
    type: 'rowFilter',
    scope: { kind: 'local', dataSourceId: 'ds-once' },
    filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } },
    exception: { groups: ['auditors'] },
  },
  {
    id: 'region',
    name: 'my regions',
    type: 'rowFilter',
    scope: { kind: 'local', dataSourceId: 'ds-once' },
    filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'region' }, attribute: 'region' },
  },
].map((p) => PolicySchema.parse({ version: 1, createdAt: CREATED_AT, ...p }));

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}
const walk = (n: PlanNode, visit: (n: PlanNode) => void): void => {
  visit(n);
  for (const c of n.Plans ?? []) walk(c, visit);
};
const scans = (n: PlanNode, relation: string): boolean =>
  n['Relation Name'] === relation || (n.Plans ?? []).some((c) => scans(c, relation));

describe('Redshift form', () => {
  it('stays lint-clean', () => {
    const v = compileView(
      dataSource('dev'),
      policies,
      { mode: 'single', database: 'dev', viewSchema: 'secure' },
      redshift,
    );
    const create = v.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
    expect(lintRedshift(create)).toEqual([]);
  });
});

describe.each(engines)('per-user values once per query on $name', ({ create }) => {
  let engine: Engine;
  let analyst: string;
  beforeAll(async () => {
    engine = await create();
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.people (id int4, email varchar(64), dept varchar(16), region varchar(8))'),
    ]);
    const config = layoutConfig(engine, 'raw');
    await bootstrap(engine, config);
    await engine.exec(compileView(dataSource(engine.database), policies, config, postgres).statements);
    await engine.exec([
      stmt(
        "INSERT INTO raw.people SELECT g, 'u' || g || " +
          "'@x.org', (ARRAY['hr','ops','eng'])[1 + g % 3], " +
          "(ARRAY['eu','us','apac'])[1 + (g / 3) % 3] FROM " +
          'pg_catalog.generate_series(1, 20000) g',
      ),
      stmt('ANALYZE raw.people'),
    ]);
    analyst = engine.roleName('once_analyst');
    await engine.exec([stmt(`CREATE ROLE ${postgres.quoteIdent(analyst)}`)]);
    await transactionAs(engine.asAdmin, config.systemUser, [
      planUserUpsert(
        UserProfileSchema.parse({
          userId: analyst,
          version: 1,
          groups: ['ops', 'eng'],
          attributes: { region: ['eu', 'apac'] },
        }),
        postgres,
      ),
    ]);
  });
  afterAll(() => engine?.close());

  const asAnalyst = async <T extends Record<string, unknown>>(sql: string): Promise<T[]> => {
    await engine.asAdmin.query('BEGIN');
    try {
      await engine.asAdmin.query(`SET LOCAL ROLE ${postgres.quoteIdent(analyst)}`);
      await engine.asAdmin.query('SET LOCAL max_parallel_workers_per_gather = 0');
      return await engine.asAdmin.query<T>(sql);
    } finally {
      await engine.asAdmin.query('ROLLBACK');
    }
  };

  it(
    'every scan of profile, entitlement and hash_key runs ' + 'once; no join brings the profile to each raw row',
    async () => {
      const [row] = await asAnalyst<{ 'QUERY PLAN': unknown }>(
        'EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM secure.once',
      );
      const v = row!['QUERY PLAN'];
      const plan = ((typeof v === 'string' ? JSON.parse(v) : v) as { Plan: PlanNode }[])[0]!.Plan;
      const loops: Record<string, number[]> = { profile: [], entitlement: [], hash_key: [] };
      let joinsProfile = false;
      walk(plan, (n) => {
        const r = n['Relation Name'];
        if (r && r in loops) loops[r]!.push(n['Actual Loops'] ?? -1);
        const kids = n.Plans ?? [];
        if (
          /Join|Nested Loop/.test(n['Node Type'] ?? '') &&
          kids.some((c) => scans(c, 'people')) &&
          kids.some((c) => !scans(c, 'people') && scans(c, 'profile'))
        )
          joinsProfile = true;
      });
      expect(loops.profile!.length).toBeGreaterThan(0);
      expect(loops.entitlement!.length).toBe(2);
      expect(loops.hash_key!.length).toBeGreaterThan(0);
      for (const [relation, l] of Object.entries(loops))
        expect(
          l.every((x) => x === 1),
          `${relation}: loops ${l.join(',')}`,
        ).toBe(true);
      expect(joinsProfile).toBe(false);
    },
  );

  it('the view returns what the hand-written query with the user’s values inlined returns', async () => {
    const got = await asAnalyst<{ n: number; ids: number }>(
      'SELECT count(*)::int AS n, sum(id)::int AS ids FROM secure.once',
    );
    const want = await engine.query<{ n: number; ids: number }>(
      'SELECT count(*)::int AS n, ' +
        'sum(id)::int AS ids FROM raw.people ' +
        "WHERE dept IN ('ops', 'eng') AND " +
        "region IN ('eu', 'apac')",
    );
    expect(got).toEqual(want);
    expect(want[0]!.n).toBeGreaterThan(0);
  });
});
