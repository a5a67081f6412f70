// The orders fixture of the breadth tests that publish one orders table from several places (a native table, a
// CSV behind a foreign table, a remote database): external-tables.test.ts and modes.test.ts. The same three
// policies apply everywhere, so the same oracle says what each user must see; the readers are login roles.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Engine, Session } from '../../support/engines.js';
import { HASH_KEY, packed, transactionAs } from '../../layout/layout-fixture.js';
import { catalogReadStatement, parseCatalog } from '../../../shared/layout/catalog-reader.js';
import type { IntegrationConfig } from '../../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../../shared/layout/user-change-plan.js';
import { planViewChange, type ViewChangePlan, type ViewChange } from '../../../shared/compiler/view-change-plan.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../../shared/policy/policy.js';
import { UserProfileSchema } from '../../../shared/policy/user-profile.js';
import { postgres as d } from '../../../shared/sql/postgres-dialect.js';

export type OrderRow = { id: number; region: string; email: string | null };

/** The raw columns (native table, CSV, remote table). */
export const ORDER_COLUMNS = [
  { name: 'id', type: 'int4' },
  { name: 'region', type: 'varchar(10)' },
  { name: 'email', type: 'varchar(80)' },
];

/** The data source's columns: the tags are what the policies below target. */
export const ORDER_SOURCE_COLUMNS = [
  { name: 'id', type: 'int4' },
  { name: 'region', type: 'varchar(10)', tags: ['Geo.Region'] },
  { name: 'email', type: 'varchar(80)', tags: ['PII.Email'] },
];

const pol = (p: Omit<PolicyInput, 'name' | 'createdAt'> & Partial<PolicyInput>): Policy =>
  PolicySchema.parse({ name: String(p.id), createdAt: '2024-01-01T00:00:00Z', ...p });
export const POLICIES: Policy[] = [
  pol({ id: 'sub-any', version: 1, type: 'subscription', scope: { kind: 'global' }, access: { kind: 'anyone' } }),
  pol({
    id: 'rf-region',
    version: 1,
    type: 'rowFilter',
    scope: { kind: 'global' },
    filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo.Region' }, attribute: 'region' },
  }),
  pol({
    id: 'mask-pii',
    version: 1,
    type: 'mask',
    scope: { kind: 'global' },
    target: { kind: 'tag', tag: 'PII' },
    mask: { kind: 'hash' },
  }),
];

/** The readers with a profile and their region attribute; `zed` logs in too but has no profile row. */
export type ProfiledReaders = { eve: readonly string[]; max: readonly string[] };
export type Reader = keyof ProfiledReaders | 'zed';

/**
 * The oracle: what POLICIES allow a user with these regions to see of `rows` (filter by region, keyed hash of email).
 */
export const allowedRows = (regions: readonly string[], rows: readonly OrderRow[]): OrderRow[] =>
  rows
    .filter((r) => regions.includes(r.region))
    .map((r) => ({
      ...r,
      email:
        r.email === null
          ? null
          : createHash('sha256')
              .update(HASH_KEY + r.email, 'utf8')
              .digest('hex'),
    }));

/** Login roles eve, max and zed with a session each; eve and max get their profiles (bootstrap first). */
export async function createReaders(engine: Engine, config: IntegrationConfig, regions: ProfiledReaders) {
  const sessions = {} as Record<Reader, Session>;
  const roles = {} as Record<Reader, string>;
  for (const u of ['eve', 'max', 'zed'] as const) {
    roles[u] = await engine.createLoginRole(u, `${u}-pw`);
    sessions[u] = await engine.asUser(roles[u], `${u}-pw`);
  }
  for (const u of ['eve', 'max'] as const) {
    await transactionAs(engine.asAdmin, config.systemUser, [
      planUserUpsert(
        UserProfileSchema.parse({ userId: roles[u], version: 1, attributes: { region: [...regions[u]] } }),
        d,
      ),
    ]);
  }
  return { sessions, roles };
}

/** One view work item as the apply loop runs it: read the catalog, plan, one transaction as the system role. */
export async function applyViewItem(
  engine: Engine,
  config: IntegrationConfig,
  item: ViewChange,
): Promise<ViewChangePlan> {
  const plan = planViewChange(parseCatalog(await engine.query(catalogReadStatement(d))), item, config, d);
  expect(plan.skip).toBeUndefined();
  await transactionAs(engine.asAdmin, config.systemUser, packed(plan.statements));
  return plan;
}
