// What a stack deletion removes when `retainDataOnDelete` is false: the integration's own schemas (views, state,
// profile, functions, procedures) — never raw data, never the system user (an administrator decides about roles).
// Redshift: DROP SCHEMA [ IF EXISTS ] name [, ...] [ CASCADE | RESTRICT ]
// (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_SCHEMA.html); one schema per statement so that each
// drop is visible in the plan.
import type { Dialect } from '../../shared/sql/dialect.js';
import { planned, stmt } from '../../shared/sql/statement.js';
import { integrationSchemaNames, schemasOf, type IntegrationConfig } from '../../shared/layout/integration-config.js';
import type { BootstrapStep } from '../../shared/layout/bootstrap-plan.js';

export function planTeardown(config: IntegrationConfig, dialect: Dialect): BootstrapStep[] {
  // The view schema first: its views depend on the system schema's user_profile.
  return [config.viewSchema, ...integrationSchemaNames(schemasOf(config))].map((schema) => ({
    runAs: 'system' as const,
    statement: planned(
      'drop',
      stmt(
        `DROP SCHEMA IF EXISTS ${dialect.quoteIdent(schema)} CASCADE`,
        `remove ${schema} (retainDataOnDelete=false)`,
      ),
      { pinned: true },
    ),
  }));
}
