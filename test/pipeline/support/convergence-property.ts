// Invariant 1 (convergence), as a property, for a given consumer of the work queue: random histories of
// data sources, policies and users — each object a sequence of versions — are posted as signed webhooks in a
// random order (versions out of order), with duplicates (same event id: deduplicated; new event id: a
// replay), random consume points, and injected warehouse failures (before the statement ran, after it
// committed but the answer was lost, conflicts, permanent errors) through the LOCAL PIPELINE on PGlite. Once
// drained, the warehouse must equal an oracle built from the latest state of every object alone:
//   - every live data source's view has the definition compile(latest ds, latest live policies) gives (the
//     oracle view is created from that compile in a scratch schema, and pg_get_viewdef must match), and each
//     user reads the same rows from both; no other name of that data source has a view;
//   - datasource_state / policy_state hold the latest version (and tombstone) of each object;
//   - every profile row equals the latest user state; nothing is dead-lettered.
// Runs are isolated by a per-run prefix on every id, name, tag and role, so one PGlite serves all runs.
// The model, the faults and the oracle are the same for every consumer: only how the queue is consumed
// differs (test/pipeline/convergence*.property.test.ts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../../infra/local/local-pipeline.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../../infra/local/local-warehouse.js';
import { compileView } from '../../../shared/compiler/view-compiler.js';
import type { WebhookEventInput } from '../../../shared/events/event-types.js';
import { signWebhook } from '../../../shared/events/webhook-signature.js';
import { parseIntegrationConfig } from '../../../shared/layout/integration-config.js';
import { encodeAttributes, encodeList } from '../../../shared/layout/profile-encoding.js';
import { DataSourceSchema, type DataSourceInput } from '../../../shared/policy/data-source.js';
import { PolicySchema, type PolicyInput } from '../../../shared/policy/policy.js';
import { WarehouseError, type Row, type Warehouse } from '../../../shared/ports/warehouse.js';
import type { PolicyFanOut } from '../../../shared/routing/route-policy.js';
import { postgres as d } from '../../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../../shared/sql/statement.js';

const RUNS = Number(process.env.VG_PROPERTY_RUNS ?? 40);
const SECRET = 'whsec_' + Buffer.from('property-test-secret-0123456789').toString('base64');
const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'secure',
  rawSources: [{ schema: 'raw' }],
});
if (!parsed.ok) throw new Error('bad config');
const config = parsed.value;

// ------------------------------------------------------------------------------------------ the model

type Fault = 'ok' | 'before' | 'after' | 'conflict' | 'permanent';

interface DsState {
  deleted: boolean;
  nameIndex: 0 | 1;
  table: 't1' | 't2';
  extra: ('region' | 'email' | 'note')[];
  emailPii: boolean;
  regionTagged: boolean;
}
type PolicyTemplate =
  | 'deleted'
  | 'hashPii'
  | 'nullRegionLocal'
  | 'constantPii'
  | 'constantOnIdFailsClosed'
  | 'rowFilterRegion'
  | 'subAnyone'
  | 'subGroup'
  | 'subApproved';
interface UserState {
  deleted: boolean;
  groups: ('g1' | 'g2')[];
  region: ('eu' | 'us')[];
  approved: (0 | 1)[];
}

const dsStateArb: fc.Arbitrary<DsState> = fc.record({
  deleted: fc.nat({ max: 3 }).map((x) => x === 0), // deletes are rarer
  nameIndex: fc.constantFrom(0 as const, 1 as const),
  table: fc.constantFrom('t1' as const, 't2' as const),
  extra: fc.subarray(['region', 'email', 'note'] as ('region' | 'email' | 'note')[]),
  emailPii: fc.boolean(),
  regionTagged: fc.boolean(),
});
const policyArb: fc.Arbitrary<PolicyTemplate> = fc.constantFrom(
  'deleted',
  'hashPii',
  'nullRegionLocal',
  'constantPii',
  'constantOnIdFailsClosed',
  'rowFilterRegion',
  'subAnyone',
  'subGroup',
  'subApproved',
);
const userArb: fc.Arbitrary<UserState> = fc.record({
  deleted: fc.constant(false),
  groups: fc.subarray(['g1', 'g2'] as ('g1' | 'g2')[]),
  region: fc.subarray(['eu', 'us'] as ('eu' | 'us')[]),
  approved: fc.subarray([0, 1] as (0 | 1)[]),
});
const history = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 1, maxLength: 3 });

const scenarioArb = fc.record({
  dataSources: fc.tuple(history(dsStateArb), history(dsStateArb)),
  policies: fc.tuple(history(policyArb), history(policyArb), history(policyArb)),
  users: fc.tuple(
    history(userArb),
    history(fc.oneof(userArb, fc.constant<UserState>({ deleted: true, groups: [], region: [], approved: [] }))),
  ),
  /** Sort keys that shuffle the events (so versions arrive out of order). */
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 24, maxLength: 24 }),
  /** Events posted again: same event id (dedup) or a new one (replay). */
  duplicates: fc.array(fc.record({ index: fc.nat(), sameId: fc.boolean() }), { maxLength: 4 }),
  /** After each post, how many batches the consumer takes (0 = let work pile up). */
  consume: fc.array(fc.nat({ max: 2 }), { minLength: 24, maxLength: 24 }),
  batchSize: fc.integer({ min: 1, max: 10 }),
  /** One entry per warehouse transaction, in call order (then 'ok'); bounded far below maxReceiveCount. */
  faults: fc.array(fc.constantFrom<Fault>('ok', 'ok', 'before', 'after', 'conflict', 'permanent'), { maxLength: 12 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

// ------------------------------------------------------------------------------ scenario → objects

function names(run: string) {
  const tag = `R${run}`;
  const dsId = (i: number) => `r${run}-ds${i + 1}`;
  return {
    tag,
    dsId,
    viewName: (i: number, nameIndex: number) => `r${run}_${nameIndex === 0 ? 'a' : 'b'}${i + 1}`,
    policyId: (i: number) => `r${run}-p${i + 1}`,
    user: (i: number) => `r${run}_u${i + 1}`,
  };
}

function dataSourceInput(run: string, i: number, version: number, s: DsState): DataSourceInput {
  const n = names(run);
  const cols: DataSourceInput['columns'] = [{ name: 'id', type: 'int4' }];
  if (s.extra.includes('region'))
    cols.push({ name: 'region', type: 'varchar(8)', tags: s.regionTagged ? [`${n.tag}.Geo`] : [] });
  if (s.extra.includes('email'))
    cols.push({ name: 'email', type: 'varchar(32)', tags: s.emailPii ? [`${n.tag}.PII`] : [] });
  if (s.extra.includes('note')) cols.push({ name: 'note', type: 'text' });
  return {
    id: n.dsId(i),
    name: n.viewName(i, s.nameIndex),
    version,
    location: { database: 'postgres', schema: 'raw', table: s.table },
    kind: 'table',
    columns: cols,
    tags: [n.tag],
  };
}

function policyInput(run: string, i: number, version: number, t: PolicyTemplate): PolicyInput | null {
  const n = names(run);
  const head = { id: n.policyId(i), version, name: `policy ${i}`, createdAt: `2026-01-0${i + 1}T00:00:00Z` };
  const global = { kind: 'global' as const, tags: [n.tag] };
  switch (t) {
    case 'deleted':
      return null;
    case 'hashPii':
      return {
        ...head,
        type: 'mask',
        scope: global,
        target: { kind: 'tag', tag: `${n.tag}.PII` },
        mask: { kind: 'hash' },
        condition: { kind: 'everyoneExcept', except: { groups: ['g1'] } },
      };
    case 'nullRegionLocal':
      return {
        ...head,
        type: 'mask',
        scope: { kind: 'local', dataSourceId: n.dsId(0) },
        target: { kind: 'column', name: 'region' },
        mask: { kind: 'null' },
      };
    case 'constantPii':
      return {
        ...head,
        type: 'mask',
        scope: global,
        target: { kind: 'tag', tag: `${n.tag}.PII` },
        mask: { kind: 'constant', value: 'xx' },
      };
    case 'constantOnIdFailsClosed':
      return {
        ...head,
        type: 'mask',
        scope: global,
        target: { kind: 'column', name: 'id' },
        mask: { kind: 'constant', value: 'not-a-number' },
      };
    case 'rowFilterRegion':
      return {
        ...head,
        type: 'rowFilter',
        scope: global,
        filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: `${n.tag}.Geo` }, attribute: 'region' },
        exception: { groups: ['g2'] },
      };
    case 'subAnyone':
      return { ...head, type: 'subscription', scope: global, access: { kind: 'anyone' } };
    case 'subGroup':
      return { ...head, type: 'subscription', scope: global, access: { kind: 'usersWith', who: { groups: ['g1'] } } };
    case 'subApproved':
      return { ...head, type: 'subscription', scope: global, access: { kind: 'approved' } };
  }
}

function events(run: string, s: Scenario): WebhookEventInput[] {
  const n = names(run);
  const out: WebhookEventInput[] = [];
  let seq = 0;
  const env = (type: string, subject: string, data: unknown): WebhookEventInput =>
    ({
      specversion: '1.0',
      id: `r${run}-e${++seq}`,
      source: 'urn:test',
      type,
      time: new Date().toISOString(),
      subject,
      data,
    }) as WebhookEventInput;
  s.dataSources.forEach((h, i) =>
    h.forEach((st, v) => {
      out.push(
        st.deleted
          ? env('datasource.deleted', n.dsId(i), { id: n.dsId(i), version: v + 1 })
          : env(v === 0 ? 'datasource.created' : 'datasource.updated', n.dsId(i), {
              dataSource: dataSourceInput(run, i, v + 1, st),
            }),
      );
    }),
  );
  s.policies.forEach((h, i) =>
    h.forEach((t, v) => {
      const p = policyInput(run, i, v + 1, t);
      out.push(
        p === null
          ? env('policy.deleted', n.policyId(i), { id: n.policyId(i), version: v + 1 })
          : env('policy.updated', n.policyId(i), { policy: p }),
      );
    }),
  );
  s.users.forEach((h, i) =>
    h.forEach((u, v) => {
      out.push(
        u.deleted
          ? env('user.deleted', n.user(i), { userId: n.user(i), version: v + 1 })
          : env('user.updated', n.user(i), {
              user: {
                userId: n.user(i),
                version: v + 1,
                groups: u.groups,
                attributes: u.region.length ? { region: u.region } : {},
                dataSources: u.approved.map((k) => n.dsId(k)),
              },
            }),
      );
    }),
  );
  const keyed = out.map((e, i) => ({ e, k: s.order[i % s.order.length]! + i * 1e-9 }));
  keyed.sort((a, b) => a.k - b.k);
  const shuffled = keyed.map((x) => x.e);
  for (const dup of s.duplicates) {
    const e = shuffled[dup.index % shuffled.length]!;
    shuffled.push(dup.sameId ? e : { ...e, id: `${e.id}-replay` });
  }
  return shuffled;
}

// -------------------------------------------------------------------------------- fault injection

class FaultyWarehouse implements Warehouse {
  private calls = 0;
  injected = 0;
  constructor(
    private readonly inner: Warehouse,
    private readonly faults: readonly Fault[],
  ) {}
  query(s: SqlStatement): Promise<Row[]> {
    return this.inner.query(s);
  }
  async transaction(statements: SqlStatement[]): Promise<void> {
    const fault = this.faults[this.calls++] ?? 'ok';
    if (fault !== 'ok') this.injected++;
    if (fault === 'before') throw new WarehouseError('transient', 'injected: throttled before the statement ran');
    if (fault === 'conflict') throw new WarehouseError('conflict', 'viewguard:conflict injected');
    if (fault === 'permanent')
      throw new WarehouseError('permanent', 'injected: permanent failure (redelivered until the DLQ)');
    await this.inner.transaction(statements);
    if (fault === 'after') throw new WarehouseError('transient', 'injected: FINISHED, but the answer was lost');
  }
}

// ----------------------------------------------------------------------------------------- oracle

const latest = <T>(h: readonly T[]): T => h[h.length - 1]!;

async function checkAgainstOracle(wh: LocalWarehouse, run: string, s: Scenario): Promise<void> {
  const n = names(run);
  const oracleSchema = `oracle_${run}`;
  const livePolicies = s.policies.flatMap((h, i) => {
    const p = policyInput(run, i, h.length, latest(h));
    return p ? [PolicySchema.parse(p)] : [];
  });
  const adminRows = (sql: string, params?: Record<string, string>) => wh.queryAs!(null, stmt(sql, undefined, params));

  // State tables hold the latest version of every object.
  for (const [i, h] of s.dataSources.entries()) {
    const rows = await adminRows(
      'SELECT version, deleted FROM immuta_system.datasource_state WHERE datasource_id = :id',
      { id: n.dsId(i) },
    );
    expect(
      rows.map((r) => [Number(r.version), r.deleted]),
      `datasource_state ${n.dsId(i)}`,
    ).toEqual([[h.length, latest(h).deleted]]);
  }
  for (const [i, h] of s.policies.entries()) {
    const rows = await adminRows('SELECT version, deleted FROM immuta_system.policy_state WHERE policy_id = :id', {
      id: n.policyId(i),
    });
    expect(
      rows.map((r) => [Number(r.version), r.deleted]),
      `policy_state ${n.policyId(i)}`,
    ).toEqual([[h.length, latest(h) === 'deleted']]);
  }
  // Profile rows equal the latest user state.
  for (const [i, h] of s.users.entries()) {
    const u = latest(h);
    const rows = await adminRows(
      'SELECT version, deleted, groups, attributes, datasources FROM immuta_system.profile WHERE immuta__userid = :id',
      { id: n.user(i) },
    );
    expect(rows, `profile ${n.user(i)}`).toHaveLength(1);
    const row = rows[0]!;
    expect([Number(row.version), row.deleted], `profile ${n.user(i)} version`).toEqual([h.length, u.deleted]);
    if (!u.deleted) {
      expect([row.groups, row.attributes, row.datasources], `profile ${n.user(i)} entitlements`).toEqual([
        encodeList(u.groups),
        encodeAttributes(u.region.length ? { region: u.region } : {}),
        encodeList(u.approved.map((k) => n.dsId(k))),
      ]);
    }
  }

  // Views: compile(latest ds, latest live policies) in the oracle schema; compare definitions and rows.
  const existing = new Set(
    (
      await adminRows(
        'SELECT c.relname FROM pg_class c ' +
          'JOIN pg_namespace s ON s.oid = ' +
          'c.relnamespace WHERE s.nspname = ' +
          "'secure' AND c.relkind = 'v'",
      )
    ).map((r) => String(r.relname)),
  );
  for (const [i, h] of s.dataSources.entries()) {
    const st = latest(h);
    const allNames = [n.viewName(i, 0), n.viewName(i, 1)];
    if (st.deleted) {
      expect(
        allNames.filter((x) => existing.has(x)),
        `views of deleted ${n.dsId(i)}`,
      ).toEqual([]);
      continue;
    }
    const ds = DataSourceSchema.parse(dataSourceInput(run, i, h.length, st));
    expect(
      allNames.filter((x) => existing.has(x)),
      `views of ${n.dsId(i)}`,
    ).toEqual([ds.name]);
    const compiled = compileView(ds, livePolicies, { ...config, viewSchema: oracleSchema }, d, null);
    await wh.system.transaction(compiled.statements);
    const defs = await adminRows(
      `SELECT pg_get_viewdef(${d.quoteLiteral(d.qualify('secure', ds.name))}::regclass) AS actual, pg_get_viewdef(` +
        `${d.quoteLiteral(d.qualify(oracleSchema, ds.name))}::regclass) AS expected`,
    );
    expect(defs[0]!.actual, `definition of ${ds.name}`).toBe(defs[0]!.expected);
    for (const [k] of s.users.entries()) {
      const orderBy = ds.columns.map((_, c) => c + 1).join(', ');
      const read = (schema: string) =>
        wh.queryAs!(n.user(k), stmt(`SELECT * FROM ${d.qualify(schema, ds.name)} ORDER BY ${orderBy}`));
      expect(await read('secure'), `${n.user(k)} reads ${ds.name}`).toEqual(await read(oracleSchema));
    }
  }
}

// ------------------------------------------------------------------------------------------ the consumer

/** What a consumer did in one run, summed over the runs into the reported stats. */
export interface ConsumedCounts {
  applied: number;
  skipped: number;
  failed: number;
  failedClosed: number;
  refannedOut: number;
  /** Outcomes that came out of a combined transaction (`combinedWith` set). */
  combined: number;
  dlqDepth: number;
}

/** One run's consumer of the pipeline's queue, writing through the (faulty) warehouse. */
export interface RunConsumer {
  /** One receive of at most `batchSize` messages, processed. */
  consumeOnce(batchSize: number): Promise<unknown>;
  /** Consume until nothing is waiting or in flight. */
  drain(): Promise<void>;
  counts(): ConsumedCounts;
}

export interface ConvergenceConsumer {
  /** Names the consumer in the stats line (`convergence property<label>: {…}`). */
  label: string;
  open(pipeline: LocalPipeline, warehouse: Warehouse): RunConsumer;
  /** The generators must make this consumer combine items, else the run proves nothing about combining. */
  mustCombine: boolean;
  /** How the policy router fans out in run `run` (default: the pipeline's). */
  policyFanOut?: (run: number) => PolicyFanOut;
}

// ------------------------------------------------------------------------------------------ the test

export function describeConvergenceProperty(consumer: ConvergenceConsumer): void {
  describe('convergence under reordering, duplicates and injected failures (local pipeline on PGlite)', () => {
    let wh: LocalWarehouse;
    let run = 0;
    const stats = {
      runs: 0,
      events: 0,
      injected: 0,
      applied: 0,
      skipped: 0,
      failed: 0,
      refannedOut: 0,
      failedClosed: 0,
      combined: 0,
    };

    beforeAll(async () => {
      wh = await openLocalWarehouse(config, 'property-test-hash-key', {
        prepare: (admin) =>
          admin([
            stmt('CREATE SCHEMA raw'),
            ...['t1', 't2'].map((t) =>
              stmt(`CREATE TABLE raw.${t} (id int4, region varchar(8), email varchar(32), note text)`),
            ),
            stmt("INSERT INTO raw.t1 VALUES (1, 'eu', 'a@x', 'n1'), (2, 'us', 'b@x', 'n2'), (3, 'eu', NULL, NULL)"),
            stmt("INSERT INTO raw.t2 VALUES (10, 'us', 'c@x', 'n3'), (11, NULL, 'd@x', 'n4')"),
          ]),
      });
    });
    afterAll(async () => {
      await wh?.close();
      console.log(`convergence property${consumer.label}: ${JSON.stringify(stats)}`);
    });

    it(`the drained warehouse equals the oracle (${RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (s) => {
          const r = String(++run);
          const n = names(r);
          await wh.admin([
            ...[0, 1].map((k) => stmt(`CREATE ROLE ${d.quoteIdent(n.user(k))} LOGIN`)),
            stmt(`CREATE SCHEMA ${d.quoteIdent(`oracle_${r}`)} AUTHORIZATION ${d.quoteIdent(config.systemUser)}`),
            stmt(`GRANT USAGE ON SCHEMA ${d.quoteIdent(`oracle_${r}`)} TO PUBLIC`),
          ]);
          const faulty = new FaultyWarehouse(wh.system, s.faults);
          const fanOut = consumer.policyFanOut?.(run);
          const pipeline = new LocalPipeline({
            config,
            warehouse: faulty,
            webhookSecret: SECRET,
            queue: { maxReceiveCount: 50 },
            ...(fanOut ? { policyFanOut: fanOut } : {}),
          });
          const consumed = consumer.open(pipeline, faulty);
          const posted = events(r, s);
          for (const [i, e] of posted.entries()) {
            const body = JSON.stringify(e);
            const out = await pipeline.receiveWebhook({
              body,
              headers: signWebhook(body, SECRET, `wh-${e.id}-${i}`, new Date()),
            });
            expect(out.status, JSON.stringify(out.body)).toBe(202);
            for (let c = 0; c < (s.consume[i % s.consume.length] ?? 0); c++) await consumed.consumeOnce(s.batchSize);
          }
          await consumed.drain();
          const st = consumed.counts();
          expect(st.dlqDepth, JSON.stringify(pipeline.queue.deadLetters())).toBe(0);
          await checkAgainstOracle(wh, r, s);
          stats.runs++;
          stats.events += posted.length;
          stats.injected += faulty.injected;
          stats.applied += st.applied;
          stats.skipped += st.skipped;
          stats.failed += st.failed;
          stats.failedClosed += st.failedClosed;
          stats.refannedOut += st.refannedOut;
          stats.combined += st.combined;
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      // The generators must actually exercise the paths the property is about.
      expect(stats.injected).toBeGreaterThan(0);
      expect(stats.skipped).toBeGreaterThan(0);
      if (consumer.mustCombine) expect(stats.combined).toBeGreaterThan(0);
      // A hang guard: the 40 runs took 150 s of the former 240 s at load 33 on a shared 2-core machine.
    }, 600_000);
  });
}
