// vitest globalSetup: one real PostgreSQL server for the whole test run (each test file then creates its own
// database on it, see engines.ts). When WAREHOUSE_URL is set (a superuser URL) that server is used instead.
// The server and why it is set up so (root, scram-sha-256): embedded-server.ts.
import type { TestProject } from 'vitest/node';
import { startEmbeddedServer } from './embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL server (database `postgres`). */
    warehouseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const external = process.env.WAREHOUSE_URL;
  if (external) {
    project.provide('warehouseUrl', external);
    return;
  }
  const server = await startEmbeddedServer({
    name: 'viewguard-pg',
    settings: {
      max_connections: '200',
      // Parallel test files each hold a few connections and create views in bulk.
      max_locks_per_transaction: '256',
    },
  });
  project.provide('warehouseUrl', server.url);
  return server.stop;
}
