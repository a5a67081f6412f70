// The layout plan the bootstrap custom resource runs on Redshift, and the hash of its SQL that the stack puts on
// the custom resource so that a changed layout re-runs the bootstrap. Both sides compute it from here: the
// stack at synth time, the handler when it plans. The hash covers every statement's text, identity, database and
// parameter *names* — never the hashing key.
import { createHash } from 'node:crypto';
import { planBootstrap, type BootstrapStep, type InspectedLayout } from '../layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../layout/integration-config.js';
import { redshift } from '../sql/redshift-dialect.js';

/** What a fresh warehouse looks like: the full plan, every guarded statement included. */
export const EMPTY_WAREHOUSE: InspectedLayout = { systemRoleExists: false, schemaOwners: new Map() };

/** `systemSignIn`: how the deployment signs the system user in (signInOf its identity); the hash plans as 'iam'. */
export function layoutPlan(
  config: IntegrationConfig,
  inspected: InspectedLayout,
  hashKey: string,
  systemSignIn?: 'iam' | 'password',
): BootstrapStep[] {
  return planBootstrap(config, redshift, inspected, { hashKey, ...(systemSignIn ? { systemSignIn } : {}) });
}

export function planFingerprint(steps: readonly BootstrapStep[]): string {
  const h = createHash('sha256');
  for (const s of steps) {
    h.update(
      JSON.stringify([s.runAs, s.database ?? null, s.statement.sql, Object.keys(s.statement.params ?? {}).sort()]),
    );
    h.update('\n');
  }
  return h.digest('hex');
}

export function bootstrapPlanHash(config: IntegrationConfig): string {
  // Any non-empty key: it is bound as a parameter, so it does not reach the fingerprint.
  return planFingerprint(layoutPlan(config, EMPTY_WAREHOUSE, 'fingerprint-placeholder'));
}
