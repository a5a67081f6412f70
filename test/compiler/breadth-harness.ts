// A real engine with the layout bootstrapped, the example table (test/breadth/policy-doc-examples.ts) loaded
// and alice and bob as real login roles with their profiles; `apply` compiles for PostgreSQL and runs the
// statements as the system role in one transaction (what the apply loop does), `see` queries as a user.
import type { Engine, Session } from '../support/engines.js';
import { bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import type { ViewSignature } from '../../shared/compiler/view-signature.js';
import type { DataSource } from '../../shared/policy/data-source.js';
import type { Policy } from '../../shared/policy/policy.js';
import { UserProfileSchema, type UserProfileInput } from '../../shared/policy/user-profile.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';
import {
  RAW_TABLE_DDL,
  dataSource,
  profiles,
  rawRows,
  type Cell,
  type UserName,
} from '../breadth/policy-doc-examples.js';

export interface BreadthWorld {
  engine: Engine;
  layout: IntegrationConfig;
  ds: DataSource;
  role: Record<UserName, string>;
  users: Record<UserName, Session>;
  /** Compile (PostgreSQL) + apply as the system role; remembers the signature like datasource_state does. */
  apply(policies: Policy[], source?: DataSource): Promise<CompiledView>;
  /** Run statements as the system role in one transaction. */
  applyAsSystem(statements: readonly SqlStatement[]): Promise<void>;
  /** The rows `user` sees, the given columns cast to text (NULL stays null), ordered by id. */
  see(user: UserName, columns: string[]): Promise<Cell[][]>;
  /** Store a new profile version for `user` (one CALL, as the pipeline does for a user event). */
  setProfile(
    user: UserName,
    version: number,
    profile: Omit<UserProfileInput, 'userId' | 'version'>,
  ): Promise<SqlStatement[]>;
  close(): Promise<void>;
}

export async function createBreadthWorld(engine: Engine): Promise<BreadthWorld> {
  const ds = dataSource(engine.database);
  await engine.exec([
    stmt('CREATE SCHEMA raw'),
    stmt(RAW_TABLE_DDL),
    ...rawRows.map((r) =>
      stmt(
        // created_at relative to the UTC wall clock (the time-window filters compare with it)
        'INSERT INTO raw.customers VALUES (:id, :name, :email, ' +
          ':ssn, :phone, :country, :dept, CAST(:salary AS ' +
          'numeric(10,2)), :age, CAST(:visited AS date), (now() ' +
          "AT TIME ZONE 'UTC') - make_interval(days => " +
          'CAST(:days AS int4)), ' +
          "'secret')",
        undefined,
        {
          id: r.id,
          name: r.name,
          email: r.email,
          ssn: r.ssn,
          phone: r.phone,
          country: r.country,
          dept: r.dept,
          salary: r.salary,
          age: r.age,
          visited: r.visited,
          days: r.createdDaysAgo,
        },
      ),
    ),
  ]);
  const layout = layoutConfig(engine, 'raw');
  await bootstrap(engine, layout);
  const applyAsSystem = (statements: readonly SqlStatement[]) =>
    transactionAs(engine.asAdmin, layout.systemUser, statements);
  const role = {} as Record<UserName, string>;
  const users = {} as Record<UserName, Session>;
  const setProfile = async (user: UserName, version: number, profile: Omit<UserProfileInput, 'userId' | 'version'>) => {
    const statements = [planUserUpsert(UserProfileSchema.parse({ userId: role[user], version, ...profile }), postgres)];
    await applyAsSystem(statements);
    return statements;
  };
  for (const user of ['alice', 'bob'] as const) {
    role[user] = await engine.createLoginRole(user, `${user}-pw`);
    users[user] = await engine.asUser(role[user], `${user}-pw`);
    await setProfile(user, 1, profiles[user]);
  }
  let signature: ViewSignature | null = null;
  return {
    engine,
    layout,
    ds,
    role,
    users,
    applyAsSystem,
    setProfile,
    async apply(policies, source = ds) {
      const compiled = compileView(source, policies, layout, postgres, signature);
      await applyAsSystem(compiled.statements);
      signature = compiled.signature;
      return compiled;
    },
    async see(user, columns) {
      const cols = columns.map((c, i) => `CAST(${postgres.quoteIdent(c)} AS text) AS c${i}`).join(', ');
      const rows = await users[user].query(`SELECT ${cols} FROM secure.customers ORDER BY id`);
      return rows.map((r) => columns.map((_, i) => (r[`c${i}`] ?? null) as Cell));
    },
    async close() {
      for (const s of Object.values(users)) await s.close();
      await engine.close();
    },
  };
}
