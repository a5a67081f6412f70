// The inspection travels from onEvent to isComplete as JSON (a Map does not survive the round trip).
import type { InspectedLayout } from '../../shared/layout/bootstrap-plan.js';

export const inspectionToJson = (i: InspectedLayout) => ({
  systemRoleExists: i.systemRoleExists,
  schemaOwners: [...i.schemaOwners],
});

export function inspectionFromJson(json: unknown): InspectedLayout {
  const j = json as { systemRoleExists?: unknown; schemaOwners?: unknown };
  if (typeof j?.systemRoleExists !== 'boolean' || !Array.isArray(j.schemaOwners))
    throw new Error('bootstrap: malformed inspection');
  const owners = new Map<string, string | null>();
  for (const entry of j.schemaOwners) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (entry[1] !== null && typeof entry[1] !== 'string')) {
      throw new Error('bootstrap: malformed inspection');
    }
    owners.set(entry[0], entry[1]);
  }
  return { systemRoleExists: j.systemRoleExists, schemaOwners: owners };
}
