// External tables on PostgreSQL: the local stand-in of a Redshift Spectrum table is a file_fdw foreign table over
// a CSV file (docs/modes.md). The real server ships file_fdw; PGlite ships it as an extension bundle, loaded
// here at creation (`fileFdwEngines`). The CSV is written by the server itself (COPY … TO from a staging table
// filled with bound values), so the file is where the server — not this process — can read it: the same code
// on PGlite's in-memory file system, on the embedded server and on a WAREHOUSE_URL server on another host.
import { randomBytes } from 'node:crypto';
import { file_fdw } from '@electric-sql/pglite/contrib/file_fdw';
import { createPgliteEngine, createServerEngine, type Engine, type EngineFactory } from './engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';

/** Both engines with file_fdw available (PGlite loads its bundle; the server has the contrib module). */
export const fileFdwEngines: EngineFactory[] = [
  { name: 'pglite', create: () => createPgliteEngine({ extensions: { file_fdw } }) },
  { name: 'postgres', create: () => createServerEngine() },
];

/** The foreign server every CSV table uses (created once per database). */
export const CSV_SERVER = 'vg_csv_files';

export interface CsvTable {
  schema: string;
  table: string;
  columns: readonly { name: string; type: string }[];
  rows: readonly (string | number | null)[][];
}

/**
 * Write `rows` to a new CSV file on the server and create `schema.table` as a file_fdw foreign table over it
 * (owned by the admin; nobody else gets a grant here). Returns the file's path on the server.
 */
export async function createCsvForeignTable(engine: Engine, t: CsvTable): Promise<string> {
  // In the server's data directory (superuser-readable setting), which goes when the server goes: a file in
  // /tmp would outlive every run.
  const [{ dir }] = await engine.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
  const path = `${dir}/vg-external-${randomBytes(6).toString('hex')}.csv`;
  const cols = t.columns.map((c) => `${d.quoteIdent(c.name)} ${c.type}`).join(', ');
  const stage = d.quoteIdent(`vg_csv_stage_${randomBytes(4).toString('hex')}`);
  const statements: SqlStatement[] = [
    stmt('CREATE EXTENSION IF NOT EXISTS file_fdw'),
    stmt(`CREATE SERVER IF NOT EXISTS ${d.quoteIdent(CSV_SERVER)} FOREIGN DATA WRAPPER file_fdw`),
    stmt(`CREATE TEMP TABLE ${stage} (${cols})`),
  ];
  for (const row of t.rows) {
    const params: Record<string, string | number | null> = {};
    row.forEach((v, i) => (params[`v${i}`] = v));
    statements.push(
      stmt(`INSERT INTO ${stage} VALUES (${row.map((_v, i) => `:v${i}`).join(', ')})`, undefined, params),
    );
  }
  statements.push(
    // COPY takes no parameters; the path is ours (random hex), quoted like any literal.
    stmt(`COPY ${stage} TO ${d.quoteLiteral(path)} WITH (FORMAT csv, HEADER true)`),
    stmt(`DROP TABLE ${stage}`),
    stmt(`CREATE SCHEMA IF NOT EXISTS ${d.quoteIdent(t.schema)}`),
    stmt(
      `CREATE FOREIGN TABLE ${d.qualify(t.schema, t.table)} (${cols}) SERVER ${d.quoteIdent(CSV_SERVER)} ` +
        `OPTIONS (filename ${d.quoteLiteral(path)}, format 'csv', header 'true')`,
    ),
  );
  await engine.exec(statements);
  return path;
}
