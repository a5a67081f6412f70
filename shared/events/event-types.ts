// Webhook contract v1: one schema per event type (the type list is the routing table's). Each event carries
// the full desired state of one object and its version, never a delta; `subject` must be that object's id.
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../routing/routing-table.js';
import { DataSourceSchema } from '../policy/data-source.js';
import { PolicySchema } from '../policy/policy.js';
import { UserProfileSchema } from '../policy/user-profile.js';
import { envelopeAttributes } from './cloud-event-envelope.js';

const version = z
  .number()
  .int()
  .min(0)
  .describe('The object version; monotonic per object. A stale version is skipped.');

export const DataSourceUpsertDataSchema = z.object({ dataSource: DataSourceSchema });
export const DataSourceDeletedDataSchema = z.object({ id: z.string().min(1), version });
export const PolicyUpsertDataSchema = z.object({ policy: PolicySchema });
export const PolicyDeletedDataSchema = z.object({ id: z.string().min(1), version });
export const UserUpdatedDataSchema = z.object({ user: UserProfileSchema });
export const UserDeletedDataSchema = z.object({ userId: z.string().min(1), version });

/**
 * One event type: the envelope with `type` fixed and `data` typed. `idPath` says where the object id sits in
 * the data; `subject` must equal it, so routing by subject and processing by data can never disagree.
 */
function eventSchema<T extends EventType, D extends z.ZodType>(type: T, data: D, idPath: readonly string[]) {
  return z.object({ ...envelopeAttributes, type: z.literal(type), data }).superRefine((event, ctx) => {
    const { data: value, subject } = event as { data: unknown; subject: string };
    const objectId = idPath.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], value);
    if (subject !== objectId) {
      ctx.addIssue({
        code: 'custom',
        path: ['subject'],
        message: `subject must equal data.${idPath.join('.')} (${JSON.stringify(objectId)})`,
      });
    }
  });
}

export const DataSourceCreatedEventSchema = eventSchema('datasource.created', DataSourceUpsertDataSchema, [
  'dataSource',
  'id',
]);
export const DataSourceUpdatedEventSchema = eventSchema('datasource.updated', DataSourceUpsertDataSchema, [
  'dataSource',
  'id',
]);
export const DataSourceDeletedEventSchema = eventSchema('datasource.deleted', DataSourceDeletedDataSchema, ['id']);
export const PolicyCreatedEventSchema = eventSchema('policy.created', PolicyUpsertDataSchema, ['policy', 'id']);
export const PolicyUpdatedEventSchema = eventSchema('policy.updated', PolicyUpsertDataSchema, ['policy', 'id']);
export const PolicyDeletedEventSchema = eventSchema('policy.deleted', PolicyDeletedDataSchema, ['id']);
export const UserUpdatedEventSchema = eventSchema('user.updated', UserUpdatedDataSchema, ['user', 'userId']);
export const UserDeletedEventSchema = eventSchema('user.deleted', UserDeletedDataSchema, ['userId']);

/** One schema per type, for parsing (the parser picks by type so each error names exact fields). */
export const EVENT_SCHEMAS = {
  'datasource.created': DataSourceCreatedEventSchema,
  'datasource.updated': DataSourceUpdatedEventSchema,
  'datasource.deleted': DataSourceDeletedEventSchema,
  'policy.created': PolicyCreatedEventSchema,
  'policy.updated': PolicyUpdatedEventSchema,
  'policy.deleted': PolicyDeletedEventSchema,
  'user.updated': UserUpdatedEventSchema,
  'user.deleted': UserDeletedEventSchema,
} as const satisfies Record<EventType, z.ZodType>;

/** Every v1 event: the published contract (exported as schemas/webhook-event.schema.json). */
export const WebhookEventSchema = z.discriminatedUnion('type', [
  DataSourceCreatedEventSchema,
  DataSourceUpdatedEventSchema,
  DataSourceDeletedEventSchema,
  PolicyCreatedEventSchema,
  PolicyUpdatedEventSchema,
  PolicyDeletedEventSchema,
  UserUpdatedEventSchema,
  UserDeletedEventSchema,
]);

export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type WebhookEventInput = z.input<typeof WebhookEventSchema>;
export type WebhookEventOf<T extends EventType> = Extract<WebhookEvent, { type: T }>;

export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** The object's version, whichever the type (used for logs and by consumers that skip stale versions). */
export function objectVersion(event: WebhookEvent): number {
  switch (event.type) {
    case 'datasource.created':
    case 'datasource.updated':
      return event.data.dataSource.version;
    case 'policy.created':
    case 'policy.updated':
      return event.data.policy.version;
    case 'user.updated':
      return event.data.user.version;
    default:
      return event.data.version;
  }
}
