// A real PostgreSQL server for the adapter tests: the run's one launcher (test/support/embedded-server.ts: root
// handling, scram-sha-256, loopback only, data directory deleted on stop), plus pools that are ended at stop.
// The adapter tests start their own server rather than the run's shared one because they terminate backends
// and cancel statements on it.
import pg from 'pg';
import { startEmbeddedServer } from '../../support/embedded-server.js';

export interface RealPostgres {
  port: number;
  connection: { host: string; port: number; user: string; password: string; database: string };
  pool(max?: number): pg.Pool;
  stop(): Promise<void>;
}

export async function startRealPostgres(): Promise<RealPostgres> {
  const server = await startEmbeddedServer({ name: 'viewguard-adapters-pg' });
  const url = new URL(server.url);
  const connection = {
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  };
  const pools: pg.Pool[] = [];
  return {
    port: connection.port,
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
