// Synthetic catalogs for the bench: data sources shaped like a warehouse's tables (an id, some tagged PII and
// region columns), a realistic policy set (a global subscription by tag, global masks by tag, a global row
// filter by tag, a few local policies), and CloudEvents webhooks signed the way a sender signs them.
import type { DataSource } from '../shared/policy/data-source.js';
import type { Policy } from '../shared/policy/policy.js';
import { DataSourceSchema } from '../shared/policy/data-source.js';
import { PolicySchema } from '../shared/policy/policy.js';
import { signWebhook } from '../shared/events/webhook-signature.js';
import type { WebhookEventInput } from '../shared/events/event-types.js';
import type { IngestRequest } from '../shared/events/ingest.js';

export const CREATED_AT = '2026-01-01T00:00:00Z';

/**
 * Data source i over raw table `schema.table` (many data sources may share one raw table: views are what is measured).
 */
export function dataSource(
  i: number,
  location: { database: string; schema: string; table: string },
  version = 1,
): DataSource {
  return DataSourceSchema.parse({
    id: `ds-${String(i).padStart(5, '0')}`,
    name: `view_${String(i).padStart(5, '0')}`,
    version,
    location,
    kind: 'table',
    columns: [
      { name: 'id', type: 'int8' },
      { name: 'region', type: 'varchar(8)', tags: ['Geo.Region'] },
      { name: 'dept', type: 'varchar(16)' },
      { name: 'email', type: 'varchar(64)', tags: ['PII.Email'] },
      { name: 'phone', type: 'varchar(20)', tags: ['PII.Phone'] },
      { name: 'amount', type: 'numeric(12,2)' },
      { name: 'created_at', type: 'timestamptz' },
    ],
    tags: i % 2 === 0 ? ['Sales'] : ['Sales', 'Finance'],
  });
}

export const policy = (p: Record<string, unknown>): Policy =>
  PolicySchema.parse({ version: 1, createdAt: CREATED_AT, ...p });

/** The standing policy set every compiled view is checked against (~1 of each kind, plus locals that miss). */
export function standingPolicies(): Policy[] {
  return [
    policy({
      id: 'sub-sales',
      name: 'Sales analysts',
      type: 'subscription',
      scope: { kind: 'global', tags: ['Sales'] },
      access: { kind: 'usersWith', who: { groups: ['analysts', 'finance'] } },
    }),
    policy({
      id: 'mask-email',
      name: 'Hash e-mail',
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII.Email' },
      mask: { kind: 'hash' },
      condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
    }),
    policy({
      id: 'mask-phone',
      name: 'Null phone',
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII.Phone' },
      mask: { kind: 'null' },
      condition: { kind: 'everyoneExcept', except: { groups: ['support'] } },
    }),
    policy({
      id: 'rf-region',
      name: 'Rows of my regions',
      type: 'rowFilter',
      scope: { kind: 'global', tags: ['Finance'] },
      filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: 'Geo.Region' }, attribute: 'region' },
      exception: { groups: ['auditors'] },
    }),
    ...Array.from({ length: 8 }, (_, k) =>
      policy({
        id: `local-${k}`,
        name: `Local ${k}`,
        type: 'mask',
        scope: { kind: 'local', dataSourceId: `ds-none-${k}` },
        target: { kind: 'column', name: 'amount' },
        mask: { kind: 'null' },
      }),
    ),
  ];
}

/** The global change pushed in the policy-push section: a new mask on a column every view has. */
export function globalChange(version: number): Policy {
  return policy({
    id: 'mask-amount-global',
    version,
    name: 'Round amounts for non-finance',
    type: 'mask',
    scope: { kind: 'global', tags: ['Sales'] },
    target: { kind: 'column', name: 'amount' },
    mask: { kind: 'constant', value: version % 2 === 0 ? '0.00' : '1.00' },
    condition: { kind: 'everyoneExcept', except: { groups: ['finance'] } },
  });
}

let seq = 0;
export function envelope(
  type: WebhookEventInput['type'],
  subject: string,
  data: unknown,
  time = new Date(),
): WebhookEventInput {
  return {
    specversion: '1.0',
    id: `bench-${process.pid}-${++seq}`,
    source: 'https://governance.example.com/bench',
    type,
    time: time.toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  } as WebhookEventInput;
}

/** The raw HTTP request a sender would POST for `event` (signed now). */
export function signedRequest(event: WebhookEventInput, secret: string, at = new Date()): IngestRequest {
  const body = JSON.stringify(event);
  return { body, headers: { 'content-type': 'application/json', ...signWebhook(body, secret, `msg-${event.id}`, at) } };
}
