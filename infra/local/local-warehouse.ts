// The local warehouse: PGlite (in a data directory, or in memory) or the PostgreSQL server WAREHOUSE_URL
// names, bootstrapped with the layout plan (shared/layout/bootstrap-plan.ts: inspect → plan → run: admin steps, then
// system steps under actAs),
// then handed to the pipeline ACTING AS THE SYSTEM ROLE, like the Data API's system user in AWS — the
// views and procedures are owned by that role and nothing in the pipeline runs as a superuser.
//   PGlite: one connection; after the bootstrap the connection itself switches role (SET ROLE, the
//           dialect's actAs) so every later transaction of the adapter runs as the system role.
//   Server: a second pool whose every new connection first runs the same actAs statement.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { toPositional } from '../../shared/adapters/named-parameters.js';
import { PGliteWarehouse } from '../../shared/adapters/pglite-warehouse.js';
import { PostgresWarehouse } from '../../shared/adapters/postgres-warehouse.js';
import {
  bootstrapScript,
  inspectStatement,
  parseInspection,
  planBootstrap,
} from '../../shared/layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import type { Row, Warehouse } from '../../shared/ports/warehouse.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';

export interface LocalWarehouse {
  /** Acts as the system role: what the routers and the apply loop use. */
  system: Warehouse;
  kind: 'pglite' | 'postgres';
  /** Set for PGlite: run statements as another role (the demo reads as each analyst). */
  queryAs?(role: string | null, statement: SqlStatement): Promise<Row[]>;
  /** Run admin statements (raw tables, login roles) one by one. */
  admin(statements: readonly SqlStatement[]): Promise<void>;
  close(): Promise<void>;
}

export interface OpenLocalWarehouseOptions {
  /** PGlite data directory; undefined = in memory. Ignored when `url` is set. */
  dataDir?: string;
  /** A PostgreSQL superuser URL (WAREHOUSE_URL). */
  url?: string;
  /** Called before the bootstrap with an admin runner (e.g. the demo's raw tables, which the grants need). */
  prepare?: (admin: (statements: readonly SqlStatement[]) => Promise<void>) => Promise<void>;
}

/** The hashing key for a local install: HASH_KEY, or random (stored only on the first bootstrap). */
export const localHashKey = (): string => process.env.HASH_KEY || randomBytes(32).toString('hex');

async function bootstrap(admin: Warehouse, config: IntegrationConfig, hashKey: string): Promise<void> {
  const inspected = parseInspection(await admin.query(inspectStatement(config, postgres)));
  const steps = planBootstrap(config, postgres, inspected, { hashKey });
  // One transaction: a half-bootstrapped layout never stays behind.
  await admin.transaction(bootstrapScript(steps, config, postgres));
}

export async function openLocalWarehouse(
  config: IntegrationConfig,
  hashKey: string,
  options: OpenLocalWarehouseOptions = {},
): Promise<LocalWarehouse> {
  if (options.url) return openServer(config, hashKey, options.url, options.prepare);
  const wh = await PGliteWarehouse.open(options.dataDir);
  const adminRun = async (statements: readonly SqlStatement[]) => {
    for (const s of statements) await wh.transaction([s]);
  };
  try {
    await options.prepare?.(adminRun);
    await bootstrap(wh, config, hashKey);
    // Session level, outside any transaction: it survives the adapter's transactions.
    await wh.db.exec(postgres.actAs(config.systemUser));
  } catch (err) {
    await wh.close();
    throw err;
  }
  const runAs = async <T>(
    role: string | null,
    fn: (q: (s: SqlStatement) => Promise<Row[]>) => Promise<T>,
  ): Promise<T> =>
    wh.db.transaction(async (tx) => {
      // SET LOCAL ROLE: reverts at the end of this transaction, back to the system role. NONE = the
      // session user (the superuser PGlite starts as).
      await tx.query(role === null ? 'SET LOCAL ROLE NONE' : `SET LOCAL ROLE ${postgres.quoteIdent(role)}`);
      return fn(async (s) => {
        const p = toPositional(s.sql, s.params);
        return (await tx.query<Row>(p.text, p.values)).rows;
      });
    });
  return {
    system: wh,
    kind: 'pglite',
    queryAs: (role, statement) => runAs(role, (q) => q(statement)),
    admin: (statements) =>
      runAs(null, async (q) => {
        for (const s of statements) await q(s);
      }),
    close: () => wh.close(),
  };
}

async function openServer(
  config: IntegrationConfig,
  hashKey: string,
  url: string,
  prepare: OpenLocalWarehouseOptions['prepare'],
): Promise<LocalWarehouse> {
  const adminPool = new pg.Pool({ connectionString: url, max: 2 });
  const admin = new PostgresWarehouse(adminPool);
  const adminRun = async (statements: readonly SqlStatement[]) => {
    for (const s of statements) await admin.transaction([s]);
  };
  try {
    await prepare?.(adminRun);
    await bootstrap(admin, config, hashKey);
  } catch (err) {
    await admin.close();
    throw err;
  }
  const systemPool = new pg.Pool({ connectionString: url, max: 4 });
  // pg queues a client's queries, so this runs before the first statement the adapter sends. If it fails the
  // connection is ended (its queued statements fail as transient): never run the pipeline as the admin.
  systemPool.on('connect', (client) => void client.query(postgres.actAs(config.systemUser)).catch(() => client.end()));
  const system = new PostgresWarehouse(systemPool);
  return {
    system,
    kind: 'postgres',
    admin: adminRun,
    async close() {
      await system.close();
      await admin.close();
    },
  };
}
