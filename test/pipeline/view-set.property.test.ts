// View sets (shared/apply/apply-view-set.ts), generated: random sets of views, random statement limits and
// set sizes, versions of one global mask delivered in order or the newest first (the older sets then arrive
// stale), and optionally one view whose statement the ENGINE refuses (test/support/engine-refusal.ts) at
// whatever position the packing puts it. Run through processWorkBatch (the apply Lambda's and `npm start`'s
// code) in random batch sizes, on PGlite and on a PostgreSQL server, and checked against a reference written
// from the model alone, as a login role (a password login on the server):
//   - every other view shows the mask of the NEWEST version (null → no email; hash → an email that is not the
//     raw one), whatever order the sets arrived in — a stale set never overwrites a newer view;
//   - the refused view shows no row (fail closed), never a raw email; no set fails: the refused view is sent
//     on as an item of its own, which fails alone naming the refusal (on its way to the DLQ);
//   - the policy state holds the newest version; no transaction exceeds the limit; each one opens with the
//     guard CALL, and the views replaced in place carry no GRANT and no CALL of their own.
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { processWorkBatch, type WorkBatchRecord } from '../../shared/apply/apply-work-batch.js';
import { applyWorkItem, type ApplyDeps } from '../../shared/apply/apply-work-item.js';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { procedureDefinitions, routineSignature } from '../../shared/layout/routine-definitions.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { policyMessage, viewSets } from '../../shared/routing/route-policy.js';
import type { DataSourceWorkItem, PolicyWorkItem, ViewSetWorkItem } from '../../shared/routing/work-item.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import { REFUSAL, refusedClause, refuseMarkedViews } from '../support/engine-refusal.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

const RUNS = Number(process.env.VG_VIEW_SET_RUNS ?? 10);
const RAW = [
  { id: 1, email: 'a@x.org' },
  { id: 2, email: 'b@x.org' },
];

class Recording implements Warehouse {
  readonly transactions: SqlStatement[][] = [];
  constructor(private readonly inner: Warehouse) {}
  query(s: SqlStatement): Promise<Row[]> {
    return this.inner.query(s);
  }
  async transaction(statements: SqlStatement[]): Promise<void> {
    this.transactions.push(statements);
    await this.inner.transaction(statements);
  }
}

class ListQueue implements WorkQueue {
  readonly sent: WorkMessage[] = [];
  async send(m: WorkMessage[]): Promise<void> {
    this.sent.push(...m);
  }
}

const scenarioArb = fc.record({
  views: fc.integer({ min: 2, max: 9 }),
  max: fc.integer({ min: 5, max: 40 }),
  perItem: fc.integer({ min: 1, max: 9 }),
  versions: fc.array(fc.constantFrom<'null' | 'hash'>('null', 'hash'), { minLength: 1, maxLength: 3 }),
  newestFirst: fc.boolean(),
  refuse: fc.option(fc.nat({ max: 8 }), { nil: undefined }),
  batchSize: fc.integer({ min: 1, max: 10 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

interface Target {
  name: string;
  wh: LocalWarehouse;
  config: IntegrationConfig;
  analyst: string;
  /** The analyst's rows of a view, through a login of its own where the engine has one. */
  read(view: string): Promise<{ id: number; email: string | null }[] | 'missing'>;
  close(): Promise<void>;
}

async function pgliteTarget(): Promise<Target> {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'postgres',
    viewSchema: 'secure',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  const wh = await openLocalWarehouse(parsed.value, 'view-set-key', { prepare: (admin) => admin(rawTable()) });
  await wh.admin([stmt('CREATE ROLE vs_analyst LOGIN')]);
  return {
    name: 'pglite',
    wh,
    config: parsed.value,
    analyst: 'vs_analyst',
    read: (view) =>
      readable(() => wh.queryAs!('vs_analyst', stmt(`SELECT id, email FROM ${d.qualify('secure', view)} ORDER BY id`))),
    close: () => wh.close(),
  };
}

async function serverTarget(): Promise<Target> {
  const db: ServerDatabase = await createServerDatabase();
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: db.name,
    viewSchema: 'secure',
    systemUser: db.roleName('vs_system'),
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  const url = new URL(inject('warehouseUrl'));
  url.pathname = `/${db.name}`;
  const wh = await openLocalWarehouse(parsed.value, 'view-set-key', {
    url: url.toString(),
    prepare: (admin) => admin(rawTable()),
  });
  const analyst = await db.createLoginRole('vs_analyst', 'vs-pw');
  const read = async (view: string) => {
    const client: pg.Client = await db.connectAs(analyst, 'vs-pw');
    try {
      return await readable(
        async () =>
          (await client.query(`SELECT id, email FROM ${d.qualify('secure', view)} ORDER BY id`)).rows as Row[],
      );
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres server',
    wh,
    config: parsed.value,
    analyst,
    read,
    close: async () => {
      await wh.close();
      await db.drop();
    },
  };
}

const rawTable = (): SqlStatement[] => [
  ...refuseMarkedViews(),
  stmt('CREATE SCHEMA raw'),
  stmt('CREATE TABLE raw.orders (id int4, email varchar(20))'),
  stmt(`INSERT INTO raw.orders VALUES ${RAW.map((r) => `(${r.id}, ${d.quoteLiteral(r.email)})`).join(', ')}`),
];

async function readable(run: () => Promise<Row[]>): Promise<{ id: number; email: string | null }[] | 'missing'> {
  try {
    return (await run()).map((r) => ({ id: Number(r.id), email: r.email == null ? null : String(r.email) }));
  } catch (err) {
    if (err instanceof Error && /does not exist/.test(err.message)) return 'missing';
    throw err;
  }
}

const origin = (id: string) => ({ eventId: id, eventTime: new Date().toISOString() });

function dsItem(run: number, i: number): DataSourceWorkItem {
  const id = `r${run}-ds${i}`;
  const definition = {
    id,
    name: `r${run}_v${i}`,
    version: 1,
    location: { database: 'postgres', schema: 'raw', table: 'orders' },
    kind: 'table' as const,
    columns: [
      { name: 'id', type: 'int4', tags: [] },
      { name: 'email', type: 'varchar(20)', tags: [`R${run}.PII`] },
    ],
    tags: [`R${run}`],
  };
  return { kind: 'datasource', ...origin(`e-${id}`), dataSourceId: id, version: 1, deleted: false, definition };
}

const mask = (run: number, version: number, kind: 'null' | 'hash'): Policy =>
  PolicySchema.parse({
    id: `r${run}-mask`,
    name: 'mask',
    version,
    createdAt: '2026-01-01T00:00:00Z',
    type: 'mask',
    scope: { kind: 'global', tags: [`R${run}`] },
    target: { kind: 'tag', tag: `R${run}.PII` },
    mask: { kind },
  });

describe.each([
  { name: 'PGlite', open: pgliteTarget },
  { name: 'PostgreSQL server', open: serverTarget },
])('view sets, generated ($name)', ({ open }) => {
  let t: Target;
  let run = 0;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(() => t?.close());

  const deps = (warehouse: Warehouse, max: number): ApplyDeps => ({
    warehouse,
    queue: new ListQueue(),
    dialect: d,
    config: t.config,
    maxStatementsPerTransaction: max,
  });

  async function setUp(r: number, s: Scenario): Promise<{ ids: string[]; refused: string | undefined }> {
    const ids = Array.from({ length: s.views }, (_, i) => `r${r}-ds${i}`);
    // Everyone is subscribed to the run's data sources (stored before they exist: it reaches no view yet).
    const sub = PolicySchema.parse({
      id: `r${r}-sub`,
      version: 1,
      name: 's',
      createdAt: '2026-01-01T00:00:00Z',
      type: 'subscription',
      scope: { kind: 'global', tags: [`R${r}`] },
      access: { kind: 'anyone' },
    });
    await applyWorkItem(
      {
        kind: 'policy',
        ...origin(`e-s${r}`),
        policyId: sub.id,
        version: 1,
        deleted: false,
        definition: sub,
        dataSourceId: null,
        fanOutDigest: affectedDigest([]),
      },
      deps(t.wh.system, 40),
    );
    for (let i = 0; i < s.views; i++) {
      const item = dsItem(r, i);
      item.definition!.location.database = t.config.database;
      await applyWorkItem(item, deps(t.wh.system, 40));
    }
    await applyWorkItem(
      {
        kind: 'user',
        ...origin(`e-u${r}`),
        userId: t.analyst,
        version: r,
        deleted: false,
        profile: {
          userId: t.analyst,
          version: r,
          groups: [],
          attributes: {},
          projects: [],
          currentProject: null,
          purposes: [],
          dataSources: [],
        },
      },
      deps(t.wh.system, 40),
    );
    const refused = s.refuse === undefined ? undefined : ids[s.refuse % s.views];
    if (refused) {
      // A policy the engine will refuse for one view, stored without touching the (open) view.
      const where = PolicySchema.parse({
        id: `r${r}-where`,
        version: 1,
        name: 'w',
        createdAt: '2026-01-01T00:00:00Z',
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: refused },
        filter: { kind: 'where', clause: refusedClause('email') },
      });
      const epoch = parseCatalog(await t.wh.system.query(catalogReadStatement(d))).epoch;
      await t.wh.system.transaction([
        planPolicyStateCall(
          {
            policyId: where.id,
            version: 1,
            deleted: false,
            definition: where,
            datasourceId: null,
            viewSignature: null,
            expectedEpoch: epoch,
          },
          d,
        ),
      ]);
    }
    return { ids, refused };
  }

  it(
    'a warehouse bootstrapped before run_pinned (an upgrade whose bootstrap has not run yet): the set still applies, ' +
      'one statement per view, and nothing is sent on',
    async () => {
      const r = ++run;
      const s = { views: 5, max: 40, perItem: 5, versions: [], newestFirst: false, refuse: undefined, batchSize: 1 };
      const { ids } = await setUp(r, s);
      const runner = procedureDefinitions(d).find((p) => p.qualifiedName.endsWith('"run_pinned"'))!;
      await t.wh.admin([stmt(`DROP PROCEDURE ${routineSignature(runner)}`)]);
      try {
        const p = mask(r, 1, 'null');
        const item: ViewSetWorkItem = {
          kind: 'policy',
          ...origin(`e-m${r}`),
          policyId: p.id,
          version: 1,
          deleted: false,
          definition: p,
          dataSourceId: null,
          dataSourceIds: ids,
          fanOutDigest: affectedDigest(ids),
        };
        const w = new Recording(t.wh.system);
        const queue = new ListQueue();
        const [res] = await processWorkBatch(
          [
            {
              messageId: `m${r}`,
              attributes: { MessageGroupId: policyMessage(item).groupId },
              body: JSON.stringify(item),
            },
          ],
          { ...deps(w, 40), queue },
          async (_, apply) => apply(),
        );
        expect(res!.status).toBe('processed');
        expect(queue.sent).toEqual([]);
        // The CALL was refused (no such procedure), then the views went one statement each.
        expect(w.transactions[0]!.some((x) => /"run_pinned"/.test(x.sql))).toBe(true);
        expect(w.transactions.at(-1)!.filter((x) => x.sql.startsWith('CREATE OR REPLACE VIEW'))).toHaveLength(5);
        for (const i of ids.keys())
          expect(await t.read(`r${r}_v${i}`)).toEqual(RAW.map((x) => ({ ...x, email: null })));
      } finally {
        const pin = d.pinSearchPath();
        await t.wh.admin([stmt(pin.before), runner.create, stmt(pin.after)]);
      }
    },
  );

  it(`every view ends with the newest version; a refused view is closed, never raw (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const r = ++run;
        const { ids, refused } = await setUp(r, s);
        const sets = viewSets(ids, s.perItem);
        const byVersion = s.versions.map((kind, v) =>
          sets.map((dataSourceIds): ViewSetWorkItem => {
            const p = mask(r, v + 1, kind);
            return {
              kind: 'policy',
              ...origin(`e-m${r}-${v}`),
              policyId: p.id,
              version: p.version,
              deleted: false,
              definition: p,
              dataSourceId: null,
              dataSourceIds,
              fanOutDigest: affectedDigest(ids),
            };
          }),
        );
        const items = (s.newestFirst ? [...byVersion].reverse() : byVersion).flat();
        const records: WorkBatchRecord[] = items.map((item, i) => ({
          messageId: `m${r}-${i}`,
          attributes: { MessageGroupId: policyMessage(item).groupId },
          body: JSON.stringify(item),
        }));
        const w = new Recording(t.wh.system);
        const queue = new ListQueue();
        // Received in batches of the FIFO group `policy:<id>`: no set fails, refused view or not.
        for (let i = 0; i < records.length; i += s.batchSize) {
          const results = await processWorkBatch(
            records.slice(i, i + s.batchSize),
            { ...deps(w, s.max), queue },
            async (_, apply) => apply(),
          );
          for (const res of results)
            expect(res.status, res.status === 'failed' ? String(res.error) : '').toBe('processed');
        }
        // The refused view was sent on as an item of its own (its own group): it fails there, alone, naming the
        // refusal — on its way to the DLQ; no other view was sent on.
        const sentOn = queue.sent.map((m) => JSON.parse(m.body) as PolicyWorkItem);
        expect([...new Set(sentOn.map((m) => m.dataSourceId))]).toEqual(refused ? [refused] : []);
        for (const m of queue.sent.slice(0, 1)) {
          const [res] = await processWorkBatch(
            [{ messageId: 'own', attributes: { MessageGroupId: m.groupId }, body: m.body }],
            deps(w, s.max),
            async (_, apply) => apply(),
          );
          expect(res!.status).toBe('failed');
          expect(String((res as { error: unknown }).error)).toMatch(REFUSAL);
        }
        // The reference, from the model alone.
        const newest = s.versions.length;
        const kind = s.versions[newest - 1]!;
        for (const [i, id] of ids.entries()) {
          const rows = await t.read(`r${r}_v${i}`);
          if (id === refused) {
            expect(rows === 'missing' || rows.length === 0, `${id} closed`).toBe(true);
            continue;
          }
          expect(rows, `${id} rows`).not.toBe('missing');
          const seen = rows as { id: number; email: string | null }[];
          expect(seen.map((x) => x.id)).toEqual(RAW.map((x) => x.id));
          for (const [k, row] of seen.entries()) {
            if (kind === 'null') expect(row.email, `${id} v${newest} null mask`).toBeNull();
            else
              expect(
                row.email !== null && row.email !== RAW[k]!.email,
                `${id} v${newest} hash mask: ${row.email}`,
              ).toBe(true);
          }
        }
        const stored = parseCatalog(await t.wh.system.query(catalogReadStatement(d))).policies.get(`r${r}-mask`);
        expect(stored?.version).toBe(newest);
        // A run_pinned CALL stands for the statements it carries (its non-NULL arguments, in order).
        const carried = (x: SqlStatement): string[] =>
          /^CALL .*"run_pinned"/.test(x.sql)
            ? Object.values(x.params!).filter((v): v is string => typeof v === 'string')
            : [x.sql];
        let bundles = 0;
        for (const tx of w.transactions) {
          expect(tx.length).toBeLessThanOrEqual(s.max);
          const sets = tx.filter((x) => /^CALL .*apply_policy/.test(x.sql)).length;
          if (sets > 0) expect(tx[0]!.sql).toMatch(/^CALL .*apply_policy/);
          bundles += tx.filter((x) => /^CALL .*"run_pinned"/.test(x.sql)).length;
          // A view replaced in place is one statement: no GRANT follows a CREATE OR REPLACE.
          const sql = tx.flatMap(carried);
          sql.forEach(
            (x, j) => x.startsWith('CREATE OR REPLACE VIEW') && expect(sql[j + 1] ?? '').not.toMatch(/^GRANT/),
          );
        }
        // The views of a set travel in run_pinned CALLs (a refused one is retried one statement per view).
        expect(bundles).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
