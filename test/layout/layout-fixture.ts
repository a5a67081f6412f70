// Shared setup for the layout tests: an engine with the integration bootstrapped through the real plan
// (inspect → plan → run as admin + system role), and helpers to run a transaction as the system role.
import type { Engine, Session } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import type { PlannedStatement, SqlStatement } from '../../shared/sql/statement.js';
import { packTransactions } from '../../shared/sql/transaction-packer.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import {
  bootstrapScript,
  inspectStatement,
  parseInspection,
  planBootstrap,
  type BootstrapStep,
} from '../../shared/layout/bootstrap-plan.js';

export const HASH_KEY = 'k3y-that-must-never-appear-in-sql-9f2c';

export function layoutConfig(engine: Engine, rawSchema?: string): IntegrationConfig {
  const r = parseIntegrationConfig({
    mode: 'single',
    database: engine.database,
    viewSchema: 'secure',
    systemUser: engine.roleName('immuta_system_user'),
    rawSources: rawSchema ? [{ schema: rawSchema }] : [],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
}

/** Inspect, plan and run the bootstrap; returns the plan that ran. */
export async function bootstrap(
  engine: Engine,
  config: IntegrationConfig,
  hashKey = HASH_KEY,
): Promise<BootstrapStep[]> {
  const inspected = parseInspection(await engine.query(inspectStatement(config, postgres)));
  const steps = planBootstrap(config, postgres, inspected, { hashKey });
  await engine.exec(bootstrapScript(steps, config, postgres));
  // The script must hand the session back to the admin (a leftover SET ROLE would run later admin work as
  // the system role).
  const [who] = await engine.query<{ u: string }>('SELECT current_user AS u');
  if (who?.u !== engine.asAdmin.role) throw new Error(`bootstrap left the session as ${who?.u}`);
  return steps;
}

/**
 * Run statements as ONE transaction acting as `role` (what the apply loop does as the system user).
 * Rolls back and rethrows on any error.
 */
export async function transactionAs(
  session: Session,
  role: string | null,
  statements: readonly SqlStatement[],
): Promise<void> {
  await session.query('BEGIN');
  try {
    if (role) await session.query(`SET LOCAL ROLE ${postgres.quoteIdent(role)}`);
    for (const s of statements) await session.query(s);
    await session.query('COMMIT');
  } catch (error) {
    await session.query('ROLLBACK');
    throw error;
  }
}

/** The one transaction the apply loop sends for these plan statements (the packer adds the name-resolution pin). */
export function packed(statements: readonly PlannedStatement[], dialect: Dialect = postgres): PlannedStatement[] {
  const transactions = packTransactions([{ statements, tag: null }], dialect);
  if (transactions.length !== 1) throw new Error(`expected one transaction, got ${transactions.length}`);
  return transactions[0]!.statements;
}

/** Error message of a rejected promise (fails the test when it resolves). */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected an error, got success');
}
