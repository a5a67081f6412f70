// Redshift fidelity of everything the layout generates for Redshift: each statement passes the Redshift
// lint (real PostgreSQL parser + allow-lists from the AWS SQL reference, plpgsql bodies included).
import { describe, expect, it } from 'vitest';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { functionDefinitions, procedureDefinitions } from '../../shared/layout/routine-definitions.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { bootstrapScript, inspectStatement, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import { catalogReadStatement } from '../../shared/layout/catalog-reader.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';

const config: IntegrationConfig = {
  mode: 'multi',
  database: 'immuta',
  viewSchema: 'secure',
  systemUser: 'immuta_system_user',
  rawSources: [{ database: 'sales', schema: 'raw' }],
};
const fresh = { systemRoleExists: false, schemaOwners: new Map<string, string | null>([['secure', 'someone_else']]) };

const statements = [
  inspectStatement(config, redshift),
  ...bootstrapScript(planBootstrap(config, redshift, fresh, { hashKey: 'k' }), config, redshift),
  ...planBootstrap(config, redshift, fresh, { hashKey: 'k' })
    .filter((s) => s.database === 'sales')
    .map((s) => s.statement),
  catalogReadStatement(redshift, 'ds'),
  catalogReadStatement(redshift),
  planDatasourceStateCall(
    { datasourceId: 'ds', version: 1, deleted: false, definition: {}, viewSignature: 's', expectedEpoch: 0 },
    redshift,
  ),
  planPolicyStateCall(
    {
      policyId: 'p',
      version: 1,
      deleted: false,
      definition: {},
      datasourceId: 'ds',
      viewSignature: 's',
      expectedEpoch: 0,
    },
    redshift,
  ),
  planUserUpsert(
    {
      userId: 'u',
      version: 1,
      groups: ['g'],
      attributes: {},
      projects: [],
      currentProject: null,
      purposes: [],
      dataSources: [],
    },
    redshift,
  ),
  planUserDelete('u', 2, redshift),
];

describe('Redshift lint of the layout', () => {
  it.each(statements.map((s) => [s.comment ?? s.sql.slice(0, 60), s.sql]))('%s', (_name, sql) => {
    expect(lintRedshift(sql)).toEqual([]);
  });
});

// Control: the lint does look at these statements — the PostgreSQL dialect's versions (LOCK modes,
// OPERATOR(pg_catalog.||), pg_catalog.now()) are rejected.
describe('Redshift lint rejects the PostgreSQL forms', () => {
  it.each(
    [...procedureDefinitions(postgres), ...functionDefinitions(postgres)].map((r) => [r.qualifiedName, r.create.sql]),
  )('%s', (_n, sql) => {
    expect(lintRedshift(sql).length).toBeGreaterThan(0);
  });
});
