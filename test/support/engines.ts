// Real engines for tests: PGlite (PostgreSQL compiled to WASM, in-process) and a real PostgreSQL server
// (started once per run by test/support/pg-global-setup.ts, or WAREHOUSE_URL). SQL is never mocked.
//
// Usage:
//   describe.each(engines)('$name', ({ create }) => {
//     let engine: Engine;
//     beforeAll(async () => { engine = await create(); });
//     afterAll(() => engine.close());
//     it('…', async () => {
//       const alice = await engine.createLoginRole('alice', 'pw-a');   // returns the REAL role name
//       const s = await engine.asUser(alice, 'pw-a');
//       await s.query('SELECT …');
//     });
//   });
//
// Role names: roles are cluster-wide on a PostgreSQL server while every test file gets its own database, so
// files running in parallel would collide on `alice`. createLoginRole / roleName therefore return the name
// with a per-database suffix (`alice_k3x9`); always use the returned name. PGlite instances are private, so
// there the suffix is also added (same code path, same lengths) — never hard-code a role name.
//
// PGlite has ONE connection. "Logging in" is `SET SESSION AUTHORIZATION <role>` issued by the superuser that
// PGlite starts as; sessions take turns on the connection: when another session runs a statement the
// connection is switched (`SET SESSION AUTHORIZATION <superuser>; RESET ALL; SET SESSION AUTHORIZATION …`), so session
// settings (search_path, SET ROLE) do not survive a switch, while connection-level state (PREPAREd
// statements, temp tables) is shared by all sessions. Because the authenticated user is a superuser, a
// "user" on PGlite CAN escape with RESET/SET SESSION AUTHORIZATION and passwords are not checked:
// `engine.realLogin` is false there, and tests of authentication boundaries run only where it is true.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import type { SqlParamValue, SqlStatement } from '../../shared/sql/statement.js';
import { postgres as pgDialect } from '../../shared/sql/postgres-dialect.js';
import { toPositional } from './named-params.js';

export type Row = Record<string, unknown>;
export type EngineName = 'pglite' | 'postgres';

/** One logged-in role (or the admin). */
export interface Session {
  /** The role this session is authenticated as (the admin's is the superuser name). */
  readonly role: string;
  /** Run one statement. `params` is positional ($1…) for a string, or taken from the SqlStatement (:name). */
  query<T extends Row = Row>(sql: string | SqlStatement, params?: SqlParamValue[]): Promise<T[]>;
  /** Run statements one after another (no implicit transaction), each with its :name params. */
  exec(statements: readonly SqlStatement[]): Promise<void>;
  /** NOTICE/WARNING messages the server sent to this session, in order (leaky-function tests read these). */
  readonly notices: string[];
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** True when asUser is a separately authenticated connection (password checked, no way back to admin). */
  readonly realLogin: boolean;
  /** Name of the current database (per test file on the server). */
  readonly database: string;
  readonly asAdmin: Session;
  /** A unique role name for this engine instance (no role is created). */
  roleName(base: string): string;
  /** CREATE ROLE … LOGIN PASSWORD …; returns the real (suffixed) role name. */
  createLoginRole(base: string, password: string): Promise<string>;
  /** A session logged in as `role`. On the server the password is required and checked. */
  asUser(role: string, password?: string): Promise<Session>;
  query: Session['query'];
  exec: Session['exec'];
  close(): Promise<void>;
}

export interface EngineFactory {
  name: EngineName;
  create(): Promise<Engine>;
}

const suffix = (): string => randomBytes(3).toString('hex');

function normalise(sql: string | SqlStatement, params?: SqlParamValue[]): { text: string; values: SqlParamValue[] } {
  if (typeof sql === 'string') return { text: sql, values: params ?? [] };
  if (params) throw new Error('give params inside the SqlStatement, not as a second argument');
  return toPositional(sql);
}

// ---------------------------------------------------------------------------------------------- PGlite

// A mutation run (test/mutation/run.ts) starts an engine per test file per mutant, and PGlite's initdb is most
// of that (a minute on a loaded machine). It runs initdb once and names the dumped, untouched data directory in
// VG_PGLITE_INITDB_SNAPSHOT: an engine loaded from it starts in the state a fresh PGlite.create() gives.
function initdbSnapshot(): PGliteOptions {
  const file = process.env.VG_PGLITE_INITDB_SNAPSHOT;
  return file ? { loadDataDir: new Blob([readFileSync(file)]) } : {};
}

/** `options`: e.g. `{ extensions: { file_fdw } }` for tests that need a contrib extension (test/support/fdw-*.ts). */
export async function createPgliteEngine(options: PGliteOptions = {}): Promise<Engine> {
  const db = await PGlite.create(Object.keys(options).length === 0 ? initdbSnapshot() : options);
  const admin = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  const tag = suffix();
  let current = admin;
  // The one connection is shared; statements from different sessions must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const switchTo = async (role: string): Promise<void> => {
    if (current === role) return;
    if (db.isInTransaction())
      throw new Error(`PGlite: cannot switch to ${role} while ${current} has a transaction open`);
    // Not RESET SESSION AUTHORIZATION: on PGlite 0.5.x it leaves the last user in place. Naming the
    // superuser PGlite started as restores it (allowed because the authenticated user is that superuser).
    await db.exec(`SET SESSION AUTHORIZATION ${pgDialect.quoteIdent(admin)}; RESET ALL;`);
    if (role !== admin) await db.exec(`SET SESSION AUTHORIZATION ${pgDialect.quoteIdent(role)}`);
    current = role;
  };
  const session = (role: string): Session => {
    const notices: string[] = [];
    const onNotice = (n: { message?: string }): void => void notices.push(n.message ?? '');
    const run = async <T extends Row>(sql: string | SqlStatement, params?: SqlParamValue[]): Promise<T[]> =>
      serial(async () => {
        await switchTo(role);
        const { text, values } = normalise(sql, params);
        return (await db.query<T>(text, values, { onNotice })).rows;
      });
    return {
      role,
      notices,
      query: run,
      async exec(statements) {
        for (const s of statements) await run(s);
      },
      async close() {
        /* the connection belongs to the engine */
      },
    };
  };
  const adminSession = session(admin);
  return {
    name: 'pglite',
    realLogin: false,
    database: 'postgres',
    asAdmin: adminSession,
    roleName: (base) => `${base}_${tag}`,
    async createLoginRole(base, password) {
      const role = `${base}_${tag}`;
      await adminSession.query(
        `CREATE ROLE ${pgDialect.quoteIdent(role)} LOGIN PASSWORD ${pgDialect.quoteLiteral(password)}`,
      );
      return role;
    },
    async asUser(role) {
      const exists = await adminSession.query('SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin', [role]);
      if (exists.length === 0) throw new Error(`no login role ${role}`);
      return session(role);
    },
    query: adminSession.query,
    exec: adminSession.exec,
    close: () => serial(() => db.close()),
  };
}

// ------------------------------------------------------------------------------------ PostgreSQL server

/** A fresh database on the run's server, with helpers to act as the admin or as real login roles. */
export interface ServerDatabase {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** A new superuser `pg.Client` connected to this database (caller ends it). */
  adminClient(): Promise<pg.Client>;
  /** CREATE ROLE … LOGIN PASSWORD …; returns the real (suffixed) role name. */
  createLoginRole(base: string, password: string): Promise<string>;
  roleName(base: string): string;
  /** A new `pg.Client` authenticated as `role` with `password` (scram-sha-256, really checked). */
  connectAs(role: string, password: string): Promise<pg.Client>;
  /** Run statements as the superuser, one after another, `:name` params bound as $n. */
  exec(statements: readonly SqlStatement[]): Promise<void>;
  /** Drop the database and every role made through roleName/createLoginRole. */
  drop(): Promise<void>;
}

export async function createServerDatabase(url: string = inject('warehouseUrl')): Promise<ServerDatabase> {
  const base = new URL(url);
  const tag = suffix();
  const name = `vg_${tag}_${randomBytes(3).toString('hex')}`;
  const clientFor = async (user: string, password: string, database: string): Promise<pg.Client> => {
    const client = new pg.Client({
      host: base.hostname,
      port: Number(base.port || 5432),
      user,
      password,
      database,
    });
    // An error on an idle client (server shut down at teardown) must not crash the worker.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const superuser = decodeURIComponent(base.username);
  const superPassword = decodeURIComponent(base.password);
  const bootstrap = await clientFor(superuser, superPassword, base.pathname.slice(1) || 'postgres');
  try {
    await bootstrap.query(`CREATE DATABASE ${pgDialect.quoteIdent(name)}`);
  } finally {
    await bootstrap.end();
  }
  const roleName = (b: string): string => `${b}_${tag}`;
  const admin = await clientFor(superuser, superPassword, name);
  return {
    name,
    host: base.hostname,
    port: Number(base.port || 5432),
    adminClient: () => clientFor(superuser, superPassword, name),
    roleName,
    async createLoginRole(b, password) {
      const role = roleName(b);
      // Test-only: CREATE ROLE cannot take the password as a bound parameter.
      await admin.query(`CREATE ROLE ${pgDialect.quoteIdent(role)} LOGIN PASSWORD ${pgDialect.quoteLiteral(password)}`);
      return role;
    },
    connectAs: (role, password) => clientFor(role, password, name),
    async exec(statements) {
      for (const s of statements) {
        const { text, values } = toPositional(s);
        await admin.query(text, values);
      }
    },
    async drop() {
      await admin.end();
      const c = await clientFor(superuser, superPassword, base.pathname.slice(1) || 'postgres');
      try {
        await c.query(`DROP DATABASE IF EXISTS ${pgDialect.quoteIdent(name)} WITH (FORCE)`);
        const roles = await c.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE right(rolname, $1) = $2`, [
          tag.length + 1,
          `_${tag}`,
        ]);
        for (const { rolname } of roles.rows) await c.query(`DROP ROLE IF EXISTS ${pgDialect.quoteIdent(rolname)}`);
      } finally {
        await c.end();
      }
    },
  };
}

function clientSession(client: pg.Client, role: string): Session {
  const notices: string[] = [];
  client.on('notice', (n) => void notices.push(n.message ?? ''));
  const query = async <T extends Row>(sql: string | SqlStatement, params?: SqlParamValue[]): Promise<T[]> => {
    const { text, values } = normalise(sql, params);
    return (await client.query(text, values)).rows as T[];
  };
  return {
    role,
    notices,
    query,
    async exec(statements) {
      for (const s of statements) await query(s);
    },
    close: () => client.end(),
  };
}

export async function createServerEngine(url?: string): Promise<Engine> {
  const db = await createServerDatabase(url);
  const adminClient = await db.adminClient();
  const admin = clientSession(adminClient, decodeURIComponent(new URL(url ?? inject('warehouseUrl')).username));
  const userSessions: Session[] = [];
  return {
    name: 'postgres',
    realLogin: true,
    database: db.name,
    asAdmin: admin,
    roleName: db.roleName,
    createLoginRole: db.createLoginRole,
    async asUser(role, password) {
      if (password === undefined) throw new Error('the PostgreSQL server checks passwords: give one');
      const s = clientSession(await db.connectAs(role, password), role);
      userSessions.push(s);
      return s;
    },
    query: admin.query,
    exec: admin.exec,
    async close() {
      for (const s of userSessions) await s.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
      await db.drop();
    },
  };
}

/**
 * Both engines, for `describe.each(engines)('$name', ({ create }) => …)`. VG_TEST_ENGINES=postgres keeps one
 * (`npm run mutation` only: a compiler mutant changes the same PostgreSQL text both engines run).
 */
export const engines: EngineFactory[] = [
  { name: 'pglite' as const, create: createPgliteEngine },
  { name: 'postgres' as const, create: () => createServerEngine() },
].filter((e) => !process.env.VG_TEST_ENGINES || process.env.VG_TEST_ENGINES.split(',').includes(e.name));
