// Multi-database mode on PostgreSQL (server only): the raw tables live in a second database of the same server,
// reached from the views' database through postgres_fdw — the local stand-in of Redshift's cross-database
// `database.schema.table` (docs/modes.md):
//
//   raw database:   the raw schemas + a login role `fdw_reader_<tag>` with USAGE/SELECT on them, nothing else;
//   views database: CREATE EXTENSION postgres_fdw; a foreign server for the raw database; each raw schema
//                   IMPORTed (IMPORT FOREIGN SCHEMA) into the local schema foreignImportSchema(database, schema),
//                   e.g. "vg_ab12_cd34.raw"; after the bootstrap, one user mapping — for the system role only.
//
// The views are owned by the system role, so postgres_fdw connects with the system role's user mapping (a
// foreign table read through a view uses the view owner's mapping). Users get no mapping, no USAGE on the
// server and no grant on the import schema (the bootstrap grants USAGE/SELECT there to the system role only).
//
// The mapping's password is a random credential of a test-only role, generated per run. CREATE USER MAPPING
// takes no bound parameters, so it is quoted into that one admin statement; it is never part of a view.
import { randomBytes } from 'node:crypto';
import { createServerDatabase, type Engine, type ServerDatabase } from './engines.js';
import { foreignImportSchema, postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';

export interface RemoteTable {
  schema: string;
  table: string;
  columns: readonly { name: string; type: string }[];
  rows: readonly (string | number | null)[][];
}

export interface RemoteDatabase {
  /** The raw database's name (the `database` of data sources and raw sources). */
  readonly name: string;
  /** The foreign server in the views' database. */
  readonly server: string;
  /** The remote login role the mappings sign in as. */
  readonly reader: string;
  /** The raw database itself (admin access for setup and assertions). */
  readonly db: ServerDatabase;
  /** CREATE USER MAPPING FOR `role` (the system role, after the bootstrap created it). */
  mapRole(role: string): Promise<void>;
  /** Drop the raw database and its roles. */
  drop(): Promise<void>;
}

/** Create a raw database with `tables`, and import its schemas into `engine`'s database (the views' one). */
export async function attachRemoteDatabase(engine: Engine, tables: readonly RemoteTable[]): Promise<RemoteDatabase> {
  if (engine.name !== 'postgres')
    throw new Error('postgres_fdw needs the PostgreSQL server (PGlite has one database and no postgres_fdw)');
  const db = await createServerDatabase();
  const password = randomBytes(18).toString('base64url');
  const reader = await db.createLoginRole('fdw_reader', password);
  const schemas = [...new Set(tables.map((t) => t.schema))];

  const remote: SqlStatement[] = [];
  for (const s of schemas) remote.push(stmt(`CREATE SCHEMA ${d.quoteIdent(s)}`));
  for (const t of tables) {
    const qualified = d.qualify(t.schema, t.table);
    remote.push(
      stmt(`CREATE TABLE ${qualified} (${t.columns.map((c) => `${d.quoteIdent(c.name)} ${c.type}`).join(', ')})`),
    );
    for (const row of t.rows) {
      const params: Record<string, string | number | null> = {};
      row.forEach((v, i) => (params[`v${i}`] = v));
      remote.push(
        stmt(`INSERT INTO ${qualified} VALUES (${row.map((_v, i) => `:v${i}`).join(', ')})`, undefined, params),
      );
    }
  }
  for (const s of schemas) {
    remote.push(stmt(`GRANT USAGE ON SCHEMA ${d.quoteIdent(s)} TO ${d.quoteIdent(reader)}`));
    remote.push(stmt(`GRANT SELECT ON ALL TABLES IN SCHEMA ${d.quoteIdent(s)} TO ${d.quoteIdent(reader)}`));
  }
  await db.exec(remote);

  const server = engine.roleName('vg_raw_server');
  const srv = d.quoteIdent(server);
  const mappingOptions = `OPTIONS (user ${d.quoteLiteral(reader)}, password ${d.quoteLiteral(password)})`;
  const local: SqlStatement[] = [
    stmt('CREATE EXTENSION IF NOT EXISTS postgres_fdw'),
    stmt(
      `CREATE SERVER ${srv} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${d.quoteLiteral(db.host)}, port ` +
        `${d.quoteLiteral(String(db.port))}, dbname ${d.quoteLiteral(db.name)})`,
    ),
    // IMPORT reads the remote catalog through the importing user's mapping: a mapping for the admin only while
    // importing, dropped right after.
    stmt(`CREATE USER MAPPING FOR CURRENT_USER SERVER ${srv} ${mappingOptions}`),
  ];
  for (const s of schemas) {
    const into = d.quoteIdent(foreignImportSchema(db.name, s));
    local.push(stmt(`CREATE SCHEMA ${into}`));
    local.push(stmt(`IMPORT FOREIGN SCHEMA ${d.quoteIdent(s)} FROM SERVER ${srv} INTO ${into}`));
  }
  local.push(stmt(`DROP USER MAPPING FOR CURRENT_USER SERVER ${srv}`));
  await engine.exec(local);

  return {
    name: db.name,
    server,
    reader,
    db,
    async mapRole(role) {
      await engine.exec([stmt(`CREATE USER MAPPING FOR ${d.quoteIdent(role)} SERVER ${srv} ${mappingOptions}`)]);
    },
    drop: () => db.drop(),
  };
}
