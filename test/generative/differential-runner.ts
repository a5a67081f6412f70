// Runs generated worlds on a real engine and compares every cell with the reference evaluator. One runner
// per engine: the layout is bootstrapped once and the users are a fixed pool of real login roles whose
// profiles each world rewrites (one CALL each), so a world costs its tables, its views and its queries only.
// A world's data sources are created together, compiled for each dialect, applied in ONE transaction as the
// system role (a SAVEPOINT per view, so a view the engine refuses is seen as such), read by every user, and
// dropped. The Redshift dialect runs through the compatibility shim (redshift-shim.ts) on the server.
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import { UserProfileSchema, type UserProfile } from '../../shared/policy/user-profile.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import type { Engine, Session } from '../support/engines.js';
import { evaluate, type Outcome } from '../support/reference/evaluator.js';
import { canonicalSql, refType } from '../support/reference/values.js';
import type { Cond } from '../support/reference/where-clause.js';
import { bootstrap, HASH_KEY, layoutConfig } from '../layout/layout-fixture.js';
import { USERS_PER_WORLD, type GenCase, type GenWorld } from './arbitraries.js';
import { compareRows } from './compare-rows.js';
import { installShim, type ShimSession } from './redshift-shim.js';
import { materialize } from './value-arbitraries.js';

export type DialectName = 'postgres' | 'redshift';

/** Role base names: quotes, separators and non-ASCII, as user names can have. */
const ROLE_BASES = ["u'1", 'u|2%=', 'Zoë 3'];

export interface Disagreement {
  target: string;
  caseIndex: number;
  dataSource: string;
  user: string;
  problem: string;
  sql: string;
  /** The data source, its rows (literals) and the policies, as the compiler got them. */
  input: string;
}

export interface RunOptions {
  /** Negative controls only: change the compiled SQL before it is applied (e.g. re-introduce a fixed defect). */
  tamper?: (sql: string) => string;
}

interface Prepared {
  ds: DataSource;
  rows: (string | null)[][];
  policies: Policy[];
  clauses: Map<string, Cond>;
  caseIndex: number;
}

/** What a campaign compared (printed by the fuzz command and the test, so a vacuous run shows). */
export interface RunStats {
  worlds: number;
  cases: number;
  views: number;
  failedClosed: number;
  readsWithRows: number;
  cells: number;
  uncertainRows: number;
}

export class DifferentialRunner {
  private version = 0;
  readonly stats: RunStats = {
    worlds: 0,
    cases: 0,
    views: 0,
    failedClosed: 0,
    readsWithRows: 0,
    cells: 0,
    uncertainRows: 0,
  };
  private constructor(
    readonly engine: Engine,
    private readonly layout: IntegrationConfig,
    private readonly roles: string[],
    private readonly sessions: Session[],
    private readonly shim: ShimSession | null,
  ) {}

  /** `redshift`: install the shim (server only) so the Redshift dialect executes too. */
  static async create(engine: Engine, options: { redshift: boolean }): Promise<DifferentialRunner> {
    await engine.exec([{ sql: 'CREATE SCHEMA raw' }]);
    const layout = layoutConfig(engine, 'raw');
    await bootstrap(engine, layout);
    const roles: string[] = [];
    const sessions: Session[] = [];
    for (const [i, base] of ROLE_BASES.slice(0, USERS_PER_WORLD).entries()) {
      const role = await engine.createLoginRole(base, `pw-${i}`);
      roles.push(role);
      sessions.push(await engine.asUser(role, `pw-${i}`));
    }
    const shim = options.redshift ? await installShim(engine) : null;
    return new DifferentialRunner(engine, layout, roles, sessions, shim);
  }

  get dialects(): DialectName[] {
    return this.shim ? ['postgres', 'redshift'] : ['postgres'];
  }

  /** Run one world on every dialect this runner executes; the disagreements found (empty = all agree). */
  async run(world: GenWorld, options: RunOptions = {}): Promise<Disagreement[]> {
    const nowUs = BigInt(Date.now()) * 1000n;
    this.stats.worlds += 1;
    this.stats.cases += world.cases.length;
    await this.writeProfiles(world);
    const prepared = world.cases.flatMap((c, i) => this.prepare(c, i, nowUs));
    await this.createTables(prepared);
    const out: Disagreement[] = [];
    try {
      for (const dialect of this.dialects) out.push(...(await this.runDialect(dialect, prepared, world, options)));
    } finally {
      await this.engine.exec(
        prepared.map((p) => ({ sql: `DROP TABLE IF EXISTS raw.${postgres.quoteIdent(p.ds.location.table)} CASCADE` })),
      );
    }
    return out;
  }

  private profiles(world: GenWorld): (UserProfile | null)[] {
    return world.users.map((u, i) =>
      u.profile === null ? null : UserProfileSchema.parse({ userId: this.roles[i], version: 0, ...u.profile }),
    );
  }

  private async writeProfiles(world: GenWorld): Promise<void> {
    const statements = this.profiles(world).map((p, i) => {
      this.version += 1;
      return p === null
        ? planUserDelete(this.roles[i]!, this.version, postgres)
        : planUserUpsert({ ...p, version: this.version }, postgres);
    });
    await this.asSystem(statements);
  }

  private prepare(c: GenCase, caseIndex: number, nowUs: bigint): Prepared[] {
    const policies = c.policies.map((p) => PolicySchema.parse(p));
    return c.dataSources.map((d, i) => {
      const ds = DataSourceSchema.parse({
        ...d.input,
        name: `c${caseIndex} ${d.input.name}`,
        location: { database: this.engine.database, schema: 'raw', table: `t_${caseIndex}_${i}` },
      });
      const types = ds.columns.map((col) => refType(col.type)!);
      const rows = d.rows.map((r) => r.map((v, j) => materialize(types[j]!, v, nowUs)));
      return { ds, rows, policies, clauses: new Map(c.clauses), caseIndex };
    });
  }

  private async createTables(prepared: Prepared[]): Promise<void> {
    const statements: SqlStatement[] = [];
    for (const { ds, rows } of prepared) {
      const table = `raw.${postgres.quoteIdent(ds.location.table)}`;
      const types = ds.columns.map((c) => canonicalSql(refType(c.type)!));
      statements.push({
        sql:
          `CREATE TABLE ${table} (` +
          `${ds.columns.map((c, i) => `${postgres.quoteIdent(c.name)}` + ` ${types[i]}`).join(', ')})`,
      });
      if (rows.length === 0) continue;
      const params: Record<string, string | null> = {};
      const tuples = rows.map(
        (r, i) => `(${r.map((v, j) => ((params[`v${i}_${j}`] = v), `CAST(:v${i}_${j} AS ${types[j]})`)).join(', ')})`,
      );
      statements.push({ sql: `INSERT INTO ${table} VALUES ${tuples.join(', ')}`, params });
    }
    await this.engine.exec(statements);
  }

  private async asSystem(statements: readonly SqlStatement[]): Promise<void> {
    const admin = this.engine.asAdmin;
    await admin.query('BEGIN');
    try {
      await admin.query(`SET LOCAL ROLE ${postgres.quoteIdent(this.layout.systemUser)}`);
      for (const s of statements) await admin.query(s);
      await admin.query('COMMIT');
    } catch (e) {
      await admin.query('ROLLBACK');
      throw e;
    }
  }

  /**
   * Apply every view in one transaction as the system role; a view the engine refuses is rolled back to its savepoint.
   */
  private async applyViews(dialect: DialectName, compiled: CompiledView[]): Promise<(string | null)[]> {
    const session = dialect === 'redshift' ? this.shim!.session : this.engine.asAdmin;
    const refused: (string | null)[] = [];
    await session.query('BEGIN');
    try {
      for (const setting of dialect === 'redshift' ? this.shim!.begin : []) await session.query(setting);
      await session.query(`SET LOCAL ROLE ${postgres.quoteIdent(this.layout.systemUser)}`);
      for (const [i, view] of compiled.entries()) {
        await session.query(`SAVEPOINT v${i}`);
        try {
          for (const s of view.statements) await session.query(dialect === 'redshift' ? this.shim!.translate(s) : s);
          await session.query(`RELEASE SAVEPOINT v${i}`);
          refused.push(null);
        } catch (e) {
          await session.query(`ROLLBACK TO SAVEPOINT v${i}`);
          refused.push(e instanceof Error ? e.message : String(e));
        }
      }
      await session.query('COMMIT');
    } catch (e) {
      await session.query('ROLLBACK');
      throw e;
    }
    return refused;
  }

  private async runDialect(
    dialect: DialectName,
    prepared: Prepared[],
    world: GenWorld,
    options: RunOptions,
  ): Promise<Disagreement[]> {
    const d: Dialect = dialect === 'redshift' ? redshift : postgres;
    const tamper = options.tamper;
    const compiled = prepared
      .map((p) => compileView(p.ds, p.policies, this.layout, d, null))
      .map((c) => (tamper ? { ...c, statements: c.statements.map((s) => ({ ...s, sql: tamper(s.sql) })) } : c));
    const refused = await this.applyViews(dialect, compiled);
    const profiles = this.profiles(world);
    const target = `${this.engine.name}/${dialect}`;
    const out: Disagreement[] = [];
    for (const [i, p] of prepared.entries()) {
      const sql = compiled[i]!.statements.map((s) => s.sql).join(';\n');
      const input = JSON.stringify({ columns: p.ds.columns, tags: p.ds.tags, rows: p.rows, policies: p.policies });
      const report = (user: string, problem: string): void =>
        void out.push({ target, caseIndex: p.caseIndex, dataSource: p.ds.id, user, problem, sql, input });
      for (const [u, session] of this.sessions.entries()) {
        const base = { ds: p.ds, rows: p.rows, policies: p.policies, clauses: p.clauses, dialect, hashKey: HASH_KEY };
        const from = BigInt(Date.now() - 2) * 1000n;
        const actual =
          refused[i] === null
            ? await this.read(session, p.ds, compiled[i]!)
            : { error: `the engine refused the view: ${refused[i]}` };
        const to = BigInt(Date.now() + 2) * 1000n;
        const expected = evaluate(
          { ...base, now: { from, to } },
          { role: this.roles[u]!, profile: profiles[u] ?? null },
        );
        const problem = judge(expected, compiled[i]!, actual);
        this.count(expected, actual);
        if (problem) report(this.roles[u]!, problem);
      }
    }
    return out;
  }

  private count(expected: Outcome, actual: { rows: (string | null)[][] } | { error: string }): void {
    this.stats.views += 1;
    if (expected.kind === 'failClosed') this.stats.failedClosed += 1;
    else this.stats.uncertainRows += expected.rows.filter((r) => !r.certain).length;
    if ('rows' in actual && actual.rows.length > 0) {
      this.stats.readsWithRows += 1;
      this.stats.cells += actual.rows.length * actual.rows[0]!.length;
    }
  }

  private async read(
    session: Session,
    ds: DataSource,
    view: CompiledView,
  ): Promise<{ rows: (string | null)[][] } | { error: string }> {
    const cols = view.signature.columns
      .map((c, i) => `CAST(${postgres.quoteIdent(c.name)} AS text) AS c${i}`)
      .join(', ');
    try {
      const rows = await session.query(`SELECT ${cols} FROM ${postgres.qualify(this.layout.viewSchema, ds.name)}`);
      return { rows: rows.map((r) => view.signature.columns.map((_, i) => (r[`c${i}`] ?? null) as string | null)) };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions) await s.close();
    await this.engine.close();
  }
}

/** null when the engine's answer is the one the docs give; else what differs. */
export function judge(
  expected: Outcome,
  compiled: CompiledView,
  actual: { rows: (string | null)[][] } | { error: string },
): string | null {
  const codes = compiled.diagnostics.map((d) => `${d.code} ${d.summary}`);
  if (expected.kind === 'failClosed') {
    if (!compiled.failedClosed)
      return (
        `the docs say the view fails closed (${expected.why}); the compiler compiled it` +
        `${'error' in actual ? ` and the engine said: ` + `${actual.error}` : ''}`
      );
    if (
      !compiled.diagnostics.some((d) => expected.codes.includes(d.code)) ||
      !compiled.diagnostics.some((d) => d.code === 'VG301')
    ) {
      return `failed closed, but not for a documented reason (${expected.why}); diagnostics: ${codes.join('; ')}`;
    }
    if ('error' in actual) return `the fail-closed view errs: ${actual.error}`;
    return actual.rows.length === 0 ? null : `the fail-closed view shows ${actual.rows.length} rows`;
  }
  if (compiled.failedClosed)
    return `the compiler failed closed but the docs say the view compiles: ${codes.join('; ')}`;
  if ('error' in actual)
    return expected.mayError && !actual.error.startsWith('the engine refused') ? null : actual.error;
  return compareRows(expected.rows, actual.rows);
}
