// The bootstrap's use of the layout plan (shared/layout/bootstrap-plan.ts) for Redshift: the plan itself, and the
// hash of its SQL that the stack puts on the custom resource so that a changed layout re-runs the bootstrap.
// The hash covers every statement's text, identity, database and parameter *names* — never the hashing key.
import { createHash } from 'node:crypto';
import { planBootstrap, type BootstrapStep, type InspectedLayout } from '../../shared/layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

/** What a fresh warehouse looks like: the full plan, every guarded statement included. */
export const EMPTY_WAREHOUSE: InspectedLayout = { systemRoleExists: false, schemaOwners: new Map() };

export function layoutPlan(config: IntegrationConfig, inspected: InspectedLayout, hashKey: string): BootstrapStep[] {
  return planBootstrap(config, redshift, inspected, { hashKey });
}

export function planFingerprint(steps: readonly BootstrapStep[]): string {
  const h = createHash('sha256');
  for (const s of steps) {
    h.update(JSON.stringify([s.runAs, s.database ?? null, s.statement.sql, Object.keys(s.statement.params ?? {}).sort()]));
    h.update('\n');
  }
  return h.digest('hex');
}

export function bootstrapPlanHash(config: IntegrationConfig): string {
  // Any non-empty key: it is bound as a parameter, so it does not reach the fingerprint.
  return planFingerprint(layoutPlan(config, EMPTY_WAREHOUSE, 'fingerprint-placeholder'));
}

/** The inspection travels from onEvent to isComplete as JSON. */
export const inspectionToJson = (i: InspectedLayout) => ({ systemRoleExists: i.systemRoleExists, schemaOwners: [...i.schemaOwners] });

export function inspectionFromJson(json: unknown): InspectedLayout {
  const j = json as { systemRoleExists?: unknown; schemaOwners?: unknown };
  if (typeof j?.systemRoleExists !== 'boolean' || !Array.isArray(j.schemaOwners)) throw new Error('bootstrap: malformed inspection');
  const owners = new Map<string, string | null>();
  for (const entry of j.schemaOwners) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (entry[1] !== null && typeof entry[1] !== 'string')) {
      throw new Error('bootstrap: malformed inspection');
    }
    owners.set(entry[0], entry[1]);
  }
  return { systemRoleExists: j.systemRoleExists, schemaOwners: owners };
}
