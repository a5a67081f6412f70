// The one-row profile subquery `p` carries the PostgreSQL dialect's fence (OFFSET NULL), so the planner keeps it
// a subquery evaluated once instead of flattening it and re-evaluating every per-user decision on each raw row
// (docs/performance.md, section a: mask-heavy 1.56× → 1.28×). Checked on the real engines through EXPLAIN: with the
// fence, the decision's POSITION over the profile list appears only inside the `p` subquery; the same view
// without the fence (the control) evaluates it above, per row. On the server, the fenced view still gets
// parallel workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { bootstrap, layoutConfig } from '../layout/layout-fixture.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { lintRedshift } from '../../shared/lint/redshift-lint.js';
import { stmt } from '../../shared/sql/statement.js';

const CREATED_AT = '2026-01-01T00:00:00Z';
const dataSource = (database: string) =>
  DataSourceSchema.parse({
    id: 'ds-fence',
    name: 'fenced',
    version: 1,
    kind: 'table',
    location: { database, schema: 'raw', table: 'people' },
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'email', type: 'varchar(64)' },
      { name: 'dept', type: 'varchar(16)' },
    ],
  });
const policies = [
  { id: 'sub', name: 'anyone', type: 'subscription', scope: { kind: 'local', dataSourceId: 'ds-fence' }, access: { kind: 'anyone' } },
  { id: 'email', name: 'hash', type: 'mask', scope: { kind: 'local', dataSourceId: 'ds-fence' }, target: { kind: 'column', name: 'email' }, mask: { kind: 'hash' }, condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } } },
  { id: 'dept', name: 'mine', type: 'rowFilter', scope: { kind: 'local', dataSourceId: 'ds-fence' }, filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } }, exception: { groups: ['auditors'] } },
].map((p) => PolicySchema.parse({ version: 1, createdAt: CREATED_AT, ...p }));

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  Output?: string[];
  Plans?: PlanNode[];
}
const scans = (n: PlanNode, relation: string): boolean => n['Relation Name'] === relation || (n.Plans ?? []).some((c) => scans(c, relation));
/**
 * The Output lists of the plan subtree that does NOT read the raw table, below the join that brings the profile
 * row to every raw row: what that side computes is computed once per scan of the profile, not per raw row.
 */
function profileSideOutputs(plan: PlanNode): string {
  const visit = (n: PlanNode): string | null => {
    const kids = (n.Plans ?? []).filter((c) => !('Parent Relationship' in c) || (c as Record<string, unknown>)['Parent Relationship'] !== 'InitPlan');
    const raw = kids.filter((c) => scans(c, 'people'));
    const other = kids.filter((c) => !scans(c, 'people') && scans(c, 'profile'));
    if (n['Node Type'] === 'Nested Loop' && raw.length === 1 && other.length === 1) return JSON.stringify(other[0]!.Output ?? []);
    for (const c of kids) {
      const r = visit(c);
      if (r !== null) return r;
    }
    return null;
  };
  const r = visit(plan);
  if (r === null) throw new Error(`no join of the raw table with the profile in ${JSON.stringify(plan)}`);
  return r;
}

describe('Redshift form', () => {
  it('has no fence and stays lint-clean', () => {
    const v = compileView(dataSource('dev'), policies, { mode: 'single', database: 'dev', viewSchema: 'secure' }, redshift);
    const create = v.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
    expect(create).not.toMatch(/OFFSET/);
    expect(lintRedshift(create)).toEqual([]);
  });
});

describe.each(engines)('profile subquery fence on $name', ({ create }) => {
  let engine: Engine;
  let fenced: string;
  beforeAll(async () => {
    engine = await create();
    await engine.exec([stmt('CREATE SCHEMA raw'), stmt('CREATE TABLE raw.people (id int4, email varchar(64), dept varchar(16))')]);
    const config = layoutConfig(engine, 'raw');
    await bootstrap(engine, config);
    const v = compileView(dataSource(engine.database), policies, config, postgres);
    fenced = v.statements.find((s) => s.sql.startsWith('CREATE'))!.sql;
    await engine.exec(v.statements);
    await engine.exec([stmt("INSERT INTO raw.people SELECT g, 'u' || g || '@x.org', (ARRAY['hr','ops','eng'])[1 + g % 3] FROM pg_catalog.generate_series(1, 20000) g"), stmt('ANALYZE raw.people')]);
  });
  afterAll(() => engine?.close());

  const planOf = async (createSql: string): Promise<PlanNode> => {
    await engine.exec([stmt(createSql.replace(/^CREATE VIEW/, 'CREATE OR REPLACE VIEW'))]);
    const [row] = await engine.query<{ 'QUERY PLAN': unknown }>('EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM secure.fenced');
    const v = row!['QUERY PLAN'];
    return ((typeof v === 'string' ? JSON.parse(v) : v) as { Plan: PlanNode }[])[0]!.Plan;
  };

  it('the decisions are computed on the profile side of the join; without the fence they are computed per raw row', async () => {
    expect(fenced).toContain('FROM "immuta_system"."user_profile" OFFSET NULL) p');
    const withFence = profileSideOutputs(await planOf(fenced));
    expect(withFence).toContain('|hr|');
    expect(withFence).toContain('|auditors|');
    // The control: the same view without the fence hands only the raw list column to the join.
    const control = profileSideOutputs(await planOf(fenced.replace(' OFFSET NULL) p', ') p')));
    expect(control).toContain('groups');
    expect(control).not.toContain('|hr|');
    expect(control).not.toContain('|auditors|');
    await planOf(fenced);
  });

  it('the fenced view still scans the raw table in parallel workers', async () => {
    if (engine.name === 'pglite') return; // PGlite is one process: it never plans workers.
    const force = ['SET parallel_setup_cost = 0', 'SET parallel_tuple_cost = 0', 'SET min_parallel_table_scan_size = 0', 'SET max_parallel_workers_per_gather = 2'];
    await engine.exec(force.map((s) => stmt(s)));
    const text = JSON.stringify(await planOf(fenced));
    expect(text).toMatch(/"Node Type":"Gather/);
    expect(text).toMatch(/"Parallel Aware":true,[^{}]*"Relation Name":"people"/);
  });
});
