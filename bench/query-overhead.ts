// Section a: what the secure view costs an analyst on a real PostgreSQL server, side by side in one run:
//   raw       — the raw table, as the admin (what the analyst would run without governance);
//   view      — the secure view, as a real login role (password-authenticated, its own profile row);
//   inlined   — the hand-written query a DBA would write for THAT user: the user's decisions and values
//               inlined as literals (the hashing key too), no profile join — the ≤1.05× target's baseline.
// Two policy shapes over one ≥1M-row table: filter-heavy (subscription by group + two row filters) and
// mask-heavy (hash, null, constant and conditional masks). Warm cache: warm-up runs first, then the three
// variants are run in rotating order each round so that drift hits all of them alike.
// EXPLAIN (ANALYZE, FORMAT JSON) as the analyst checks that the profile (and the hash key) is scanned once
// per query (loops = 1), never per row.
import pg from 'pg';
import { LocalPipeline } from '../infra/local/local-pipeline.js';
import { openLocalWarehouse } from '../infra/local/local-warehouse.js';
import { parseIntegrationConfig } from '../shared/layout/integration-config.js';
import { postgres as d } from '../shared/sql/postgres-dialect.js';
import { stmt } from '../shared/sql/statement.js';
import { processCpuMs } from './backend-cpu.js';
import type { BenchServer } from './bench-postgres.js';
import { CREATED_AT, envelope, signedRequest } from './fixtures.js';
import { nowMs, round, summarize } from './stats.js';

export interface VariantTiming {
  medianMs: number;
  p95Ms: number;
  runs: number;
  /** Parallel workers the plan launched (0 = serial), from EXPLAIN ANALYZE. */
  workers: number;
}

export interface PolicyCase {
  name: string;
  description: string;
  query: string;
  rowsVisible: number;
  raw: VariantTiming;
  view: VariantTiming;
  inlined: VariantTiming;
  /** view median / inlined median (the target: ≤ 1.05 on queries ≥ 10 ms). */
  viewOverInlined: number;
  viewOverRaw: number;
  /** Same answer from the view and the hand-written query (the comparison is of equal work). */
  sameResult: boolean;
  /** Actual Loops of every scan of the profile table / hash key table in the view's plan. */
  profileScanLoops: number[];
  hashKeyScanLoops: number[];
  /** The same with parallel query off for the analyst's session: the strict "loops = 1" check. */
  profileScanLoopsSerial: number[];
  /** Every profile scan ran once per plan participant (leader + launched workers), never per row. */
  profileOncePerQuery: boolean;
  /**
   * CPU time of the server process running the query, parallel query off, view and inlined alternating
   * (medians): the work each query costs, which waiting for a shared machine's cores does not inflate the way
   * it inflates wall time. Null where /proc is not readable (not Linux, or a remote WAREHOUSE_URL).
   */
  serialCpu: { viewMs: number; inlinedMs: number; viewOverInlined: number; runs: number } | null;
  /** EXPLAIN (ANALYZE, COSTS OFF) of the view and the inlined query, for the "what limits it" analysis. */
  viewPlan: string;
  inlinedPlan: string;
}

export interface QueryOverheadResult {
  rows: number;
  tableMb: number;
  cases: PolicyCase[];
}

const WEBHOOK_SECRET = `whsec_${Buffer.from('query-overhead-bench-secret!!').toString('base64')}`;
const HASH_KEY = 'bench-hash-key-0123456789abcdef0123456789abcdef';
const USER_GROUPS = ['analysts', 'sales', 'ops'];
const USER_REGIONS = ['eu', 'apac'];

const lit = (v: string): string => d.quoteLiteral(v);
const inList = (vs: readonly string[]): string => vs.map(lit).join(', ');

interface Case {
  name: string;
  description: string;
  dataSourceId: string;
  view: string;
  policies: Record<string, unknown>[];
  /** The measured query over a relation (`%s` = the relation). */
  query: (relation: string) => string;
  /** The hand-written query with the user's decisions inlined. */
  inlined: string;
}

function cases(viewSchema: string): Case[] {
  const raw = 'raw.events t';
  const filterQuery = (rel: string) =>
    `SELECT count(*) AS n, sum(amount) AS total, max(email) AS last_email FROM ${rel}`;
  const maskQuery = (rel: string) =>
    `SELECT count(*) AS n, max(email) AS email, count(phone) AS phones, sum(amount) AS total, max(region) AS ` +
    `region, max(dept) AS dept FROM ${rel}`;
  const hashed = (col: string, width: number) =>
    `CAST(${d.hashExpression(`${lit(HASH_KEY)} || CAST(t.${col} AS varchar(${width}))`)} AS varchar(64))`;
  return [
    {
      name: 'filter-heavy',
      description:
        'subscription usersWith groups; row filter region ∈ user attribute region; row filter dept ∈ user groups',
      dataSourceId: 'ds-filter',
      view: `${viewSchema}.filter_heavy`,
      policies: [
        {
          id: 'f-sub',
          name: 'analysts',
          type: 'subscription',
          scope: { kind: 'local', dataSourceId: 'ds-filter' },
          access: { kind: 'usersWith', who: { groups: ['analysts'] } },
        },
        {
          id: 'f-region',
          name: 'my regions',
          type: 'rowFilter',
          scope: { kind: 'local', dataSourceId: 'ds-filter' },
          filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'region' }, attribute: 'region' },
        },
        {
          id: 'f-dept',
          name: 'my departments',
          type: 'rowFilter',
          scope: { kind: 'local', dataSourceId: 'ds-filter' },
          filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } },
          exception: { groups: ['auditors'] },
        },
      ],
      query: filterQuery,
      inlined: filterQuery(
        `(SELECT t.id, t.region, t.dept, t.email, t.phone, t.amount, t.created_at FROM ${raw} WHERE t.region IN (` +
          `${inList(USER_REGIONS)}) AND t.dept IN (${inList(USER_GROUPS)})) v`,
      ),
    },
    {
      name: 'mask-heavy',
      description:
        'hash e-mail (except hr); null phone (except support); constant dept (except managers); hash region only ' +
        'for contractors; null amount (except finance)',
      dataSourceId: 'ds-mask',
      view: `${viewSchema}.mask_heavy`,
      policies: [
        {
          id: 'm-sub',
          name: 'anyone',
          type: 'subscription',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          access: { kind: 'anyone' },
        },
        {
          id: 'm-email',
          name: 'hash email',
          type: 'mask',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          target: { kind: 'column', name: 'email' },
          mask: { kind: 'hash' },
          condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
        },
        {
          id: 'm-phone',
          name: 'null phone',
          type: 'mask',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          target: { kind: 'column', name: 'phone' },
          mask: { kind: 'null' },
          condition: { kind: 'everyoneExcept', except: { groups: ['support'] } },
        },
        {
          id: 'm-dept',
          name: 'constant dept',
          type: 'mask',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          target: { kind: 'column', name: 'dept' },
          mask: { kind: 'constant', value: 'masked' },
          condition: { kind: 'everyoneExcept', except: { groups: ['managers'] } },
        },
        {
          id: 'm-region',
          name: 'hash region for contractors',
          type: 'mask',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          target: { kind: 'column', name: 'region' },
          mask: { kind: 'hash' },
          condition: { kind: 'everyoneWho', who: { groups: ['contractors'] }, otherwise: { kind: 'clear' } },
        },
        {
          id: 'm-amount',
          name: 'null amount',
          type: 'mask',
          scope: { kind: 'local', dataSourceId: 'ds-mask' },
          target: { kind: 'column', name: 'amount' },
          mask: { kind: 'null' },
          condition: { kind: 'everyoneExcept', except: { groups: ['finance'] } },
        },
      ],
      query: maskQuery,
      // The user is in none of hr/support/managers/contractors/finance: email hashed, phone NULL, dept the
      // constant, region clear (widened to the hash width like the view's column), amount NULL.
      inlined: maskQuery(
        `(SELECT t.id, CAST(t.region AS varchar(64)) AS region, CAST('masked' AS varchar(16)) AS dept, ` +
          `${hashed('email', 64)} AS email, CAST(NULL AS varchar(20)) AS phone, CAST(NULL AS numeric(12,2)) AS ` +
          `amount, t.created_at FROM ${raw}) v`,
      ),
    },
  ];
}

interface PlanNode {
  'Relation Name'?: string;
  'Actual Loops'?: number;
  'Workers Launched'?: number;
  Plans?: PlanNode[];
}

function walkPlan(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walkPlan(child, visit);
}

async function explain(client: pg.Client, sql: string): Promise<PlanNode> {
  const r = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
  const v = r.rows[0]['QUERY PLAN'];
  const parsed = (typeof v === 'string' ? JSON.parse(v) : v) as { Plan: PlanNode }[];
  return parsed[0]!.Plan;
}

async function planText(client: pg.Client, sql: string): Promise<string> {
  const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

const loopsOf = (plan: PlanNode, relation: string): number[] => {
  const out: number[] = [];
  walkPlan(plan, (n) => {
    if (n['Relation Name'] === relation) out.push(n['Actual Loops'] ?? -1);
  });
  return out;
};

const workersOf = (plan: PlanNode): number => {
  let w = 0;
  walkPlan(plan, (n) => void (w = Math.max(w, n['Workers Launched'] ?? 0)));
  return w;
};

export async function benchQueryOverhead(
  server: BenchServer,
  opts: {
    rows: number;
    warmups: number;
    runs: number;
    log: (s: string) => void;
    afterSetup?: string[];
    only?: string[];
  },
): Promise<QueryOverheadResult> {
  const url = await server.createDatabase('vg_bench_query');
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'vg_bench_query',
    viewSchema: 'secure',
    systemUser: 'vg_bench_query_system',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('bench config invalid');
  const config = parsed.value;
  const analyst = `vg_bench_analyst_${process.pid}`;
  const password = `pw-${process.pid}-bench`;
  const t0 = nowMs();
  const wh = await openLocalWarehouse(config, HASH_KEY, {
    url,
    prepare: async (admin) => {
      await admin([
        stmt('CREATE SCHEMA raw'),
        stmt(
          'CREATE TABLE raw.events (id int8, region varchar(8), dept varchar(16), email varchar(64), phone ' +
            'varchar(20), amount numeric(12,2), created_at timestamptz)',
        ),
        // Deterministic data: 4 regions, 6 departments, distinct e-mails.
        stmt(
          `INSERT INTO raw.events SELECT g, (ARRAY['eu','us','apac','latam'])[1 + g % 4], ` +
            `(ARRAY['sales','ops','hr','eng','finance','legal'])[1 + (g / 4) % 6], 'user' || g || '@example.com', ` +
            `'+1-555-' || lpad((g % 10000)::text, 4, '0'), (g % 100000) / 100.0, timestamptz '2026-01-01' + g * ` +
            `interval '1 second' FROM generate_series(1, ${Math.floor(opts.rows)}) g`,
        ),
        stmt('ANALYZE raw.events'),
        stmt(`DROP ROLE IF EXISTS ${d.quoteIdent(analyst)}`),
        stmt(`CREATE ROLE ${d.quoteIdent(analyst)} LOGIN PASSWORD ${lit(password)}`),
      ]);
    },
  });
  opts.log(`    loaded ${opts.rows} rows and bootstrapped in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
  const admin = new pg.Client({ connectionString: url });
  // pg lets a connection string override separate user/password fields: log in through the URL itself.
  const userUrl = new URL(url);
  userUrl.username = encodeURIComponent(analyst);
  userUrl.password = encodeURIComponent(password);
  const user = new pg.Client({ connectionString: userUrl.toString() });
  try {
    await admin.connect();
    await user.connect();
    const who = await user.query<{ u: string }>('SELECT current_user AS u');
    if (who.rows[0]?.u !== analyst) throw new Error(`the analyst session runs as ${who.rows[0]?.u}, not ${analyst}`);
    const pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: WEBHOOK_SECRET });
    const all = cases(config.viewSchema);
    const location = { database: config.database, schema: 'raw', table: 'events' };
    const columns = [
      { name: 'id', type: 'int8' },
      { name: 'region', type: 'varchar(8)' },
      { name: 'dept', type: 'varchar(16)' },
      { name: 'email', type: 'varchar(64)' },
      { name: 'phone', type: 'varchar(20)' },
      { name: 'amount', type: 'numeric(12,2)' },
      { name: 'created_at', type: 'timestamptz' },
    ];
    const events = [
      envelope('user.updated', analyst, {
        user: { userId: analyst, version: 1, groups: USER_GROUPS, attributes: { region: USER_REGIONS } },
      }),
      ...all.map((c) =>
        envelope('datasource.created', c.dataSourceId, {
          dataSource: { id: c.dataSourceId, name: c.view.split('.')[1], version: 1, location, kind: 'table', columns },
        }),
      ),
      ...all.flatMap((c) =>
        c.policies.map((p) =>
          envelope('policy.created', String(p.id), { policy: { version: 1, createdAt: CREATED_AT, ...p } }),
        ),
      ),
    ];
    for (const e of events) {
      const out = await pipeline.receiveWebhook(signedRequest(e, WEBHOOK_SECRET));
      if (out.status !== 202)
        throw new Error(`setup webhook ${e.type} answered ${out.status}: ${JSON.stringify(out.body)}`);
    }
    await pipeline.drain(120_000);
    const st = pipeline.status();
    if (st.failed > 0 || st.dlqDepth > 0 || st.failedClosed > 0)
      throw new Error(`setup did not apply cleanly: ${JSON.stringify(st)}`);
    const size = await admin.query<{ mb: string }>(
      "SELECT round(pg_total_relation_size('raw.events') / 1048576.0, 1) AS mb",
    );

    // Experiments (`--what-if`): admin statements run after the setup, e.g. marking our UDFs PARALLEL SAFE.
    for (const sql of opts.afterSetup ?? []) await admin.query(sql);
    const results: PolicyCase[] = [];
    for (const c of all.filter((x) => !opts.only || opts.only.includes(x.name))) {
      const sql = { raw: c.query('raw.events'), view: c.query(c.view), inlined: c.inlined };
      const run = async (variant: keyof typeof sql): Promise<{ ms: number; rows: unknown[] }> => {
        const client = variant === 'view' ? user : admin;
        const s = nowMs();
        const r = await client.query(sql[variant]);
        return { ms: nowMs() - s, rows: r.rows };
      };
      const variants = ['raw', 'view', 'inlined'] as const;
      for (let i = 0; i < opts.warmups; i++) for (const v of variants) await run(v);
      const times: Record<(typeof variants)[number], number[]> = { raw: [], view: [], inlined: [] };
      let viewRows: unknown[] = [];
      let inlinedRows: unknown[] = [];
      for (let i = 0; i < opts.runs; i++) {
        // Rotate the order each round: no variant always runs right after another's cache effects.
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(i + k) % variants.length]!;
          const r = await run(v);
          times[v].push(r.ms);
          if (v === 'view') viewRows = r.rows;
          if (v === 'inlined') inlinedRows = r.rows;
        }
      }
      const viewPlan = await explain(user, sql.view);
      const profileScanLoops = loopsOf(viewPlan, 'profile');
      const hashKeyScanLoops = loopsOf(viewPlan, 'hash_key');
      // A parallel plan scans the one-row profile once in each participant; serial, it must be exactly once.
      await user.query("SELECT set_config('max_parallel_workers_per_gather', '0', false)");
      const profileScanLoopsSerial = loopsOf(await explain(user, sql.view), 'profile');
      await user.query('RESET max_parallel_workers_per_gather');
      const participants = 1 + workersOf(viewPlan);
      const rawPlan = await explain(admin, sql.raw);
      const inlinedPlan = await explain(admin, sql.inlined);
      const timing = (v: (typeof variants)[number], plan: PlanNode): VariantTiming => {
        const s = summarize(times[v]);
        return { medianMs: round(s.median, 2), p95Ms: round(s.p95, 2), runs: s.n, workers: workersOf(plan) };
      };
      const view = timing('view', viewPlan);
      const inlined = timing('inlined', inlinedPlan);
      const raw = timing('raw', rawPlan);
      const visible = Number((viewRows[0] as { n?: string } | undefined)?.n ?? -1);
      results.push({
        name: c.name,
        description: c.description,
        query: c.query('<relation>'),
        rowsVisible: visible,
        raw,
        view,
        inlined,
        viewOverInlined: round(view.medianMs / inlined.medianMs, 3),
        viewOverRaw: round(view.medianMs / raw.medianMs, 3),
        sameResult: JSON.stringify(viewRows) === JSON.stringify(inlinedRows),
        profileScanLoops,
        hashKeyScanLoops,
        profileScanLoopsSerial,
        profileOncePerQuery:
          profileScanLoops.length > 0 &&
          profileScanLoops.every((l) => l >= 1 && l <= participants) &&
          profileScanLoopsSerial.length > 0 &&
          profileScanLoopsSerial.every((l) => l === 1),
        serialCpu: await serialCpu(user, admin, sql.view, sql.inlined, opts.runs),
        viewPlan: await planText(user, sql.view),
        inlinedPlan: await planText(admin, sql.inlined),
      });
      const cpu = results[results.length - 1]!.serialCpu;
      opts.log(
        `    ${c.name}: raw ${raw.medianMs} ms, view ${view.medianMs} ms, inlined ${inlined.medianMs} ms ` +
          `(view/inlined ${round(view.medianMs / inlined.medianMs, 3)}×; profile loops ${profileScanLoops.join(',')})`,
      );
      if (cpu)
        opts.log(
          `    ${c.name}, serial CPU time: view ${cpu.viewMs} ms, inlined ${cpu.inlinedMs} ms (view/inlined ` +
            `${cpu.viewOverInlined}×)`,
        );
    }
    return { rows: opts.rows, tableMb: Number(size.rows[0]!.mb), cases: results };
  } finally {
    await user.end().catch(() => undefined);
    await admin.query(`DROP OWNED BY ${d.quoteIdent(analyst)}`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await wh.close();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('DROP DATABASE IF EXISTS vg_bench_query WITH (FORCE)').catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS ${d.quoteIdent(analyst)}`).catch(() => undefined);
    await c.end();
  }
}

/** PolicyCase.serialCpu: the view (as the analyst) and the inlined query (as the admin), alternating, workers off. */
async function serialCpu(
  user: pg.Client,
  admin: pg.Client,
  view: string,
  inlined: string,
  runs: number,
): Promise<PolicyCase['serialCpu']> {
  const pidOf = async (c: pg.Client): Promise<number> =>
    Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  const pids = { view: await pidOf(user), inlined: await pidOf(admin) };
  const cpuMs = (pid: number): number => processCpuMs(pid)!;
  if (processCpuMs(pids.view) === undefined || processCpuMs(pids.inlined) === undefined) return null;
  const serial = "SELECT set_config('max_parallel_workers_per_gather', '0', false)";
  await user.query(serial);
  await admin.query(serial);
  const times = { view: [] as number[], inlined: [] as number[] };
  try {
    const once = async (v: 'view' | 'inlined'): Promise<number> => {
      const before = cpuMs(pids[v]);
      await (v === 'view' ? user : admin).query(v === 'view' ? view : inlined);
      return cpuMs(pids[v]) - before;
    };
    await once('view');
    await once('inlined');
    for (let i = 0; i < runs; i++)
      for (const v of i % 2 === 0 ? (['view', 'inlined'] as const) : (['inlined', 'view'] as const))
        times[v].push(await once(v));
  } finally {
    await user.query('RESET max_parallel_workers_per_gather');
    await admin.query('RESET max_parallel_workers_per_gather');
  }
  const viewMs = summarize(times.view).median;
  const inlinedMs = summarize(times.inlined).median;
  return {
    viewMs: round(viewMs, 1),
    inlinedMs: round(inlinedMs, 1),
    viewOverInlined: round(viewMs / inlinedMs, 3),
    runs,
  };
}
