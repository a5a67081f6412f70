// What travels on the work queue: one object change, carrying the object's FULL desired state (or its
// delete) so that the apply step never needs the original event. Parsed with zod on the way out of the
// queue too: a body we did not write (or an older format) is a permanent failure, never a guess.
import { z } from 'zod';
import { formatIssues } from '../diagnostics/zod-issues.js';
import { DataSourceSchema } from '../policy/data-source.js';
import { PolicySchema } from '../policy/policy.js';
import { UserProfileSchema } from '../policy/user-profile.js';

const version = z.number().int().min(0);
const origin = {
  /** The CloudEvents id of the event this item came from (dedup ids and logs). */
  eventId: z.string().min(1),
  /** The event's time (RFC 3339): the start of the end-to-end lag metric. */
  eventTime: z.iso.datetime({ offset: true }),
};

/** A data source's full state, or its delete ({id, version}; definition kept when the event carried one). */
export const DataSourceWorkItemSchema = z
  .object({
    kind: z.literal('datasource'),
    ...origin,
    dataSourceId: z.string().min(1),
    version,
    deleted: z.boolean(),
    definition: DataSourceSchema.nullable(),
  })
  .refine((i) => i.deleted || i.definition !== null, { message: 'an upsert carries the definition' })
  .refine((i) => i.definition === null || (i.definition.id === i.dataSourceId && i.definition.version === i.version), {
    message: 'definition id/version must match the item',
  });

/**
 * One policy change for ONE view. `dataSourceId` null = the policy applies to no view yet (the item still
 * stores the policy state, in the group `policy:<id>`). `fanOutDigest` = affectedDigest() of the set the
 * router fanned out to, so the apply step can tell whether its own guarded read widens that set.
 * `dataSourceIds` (with `dataSourceId` null): the change for SEVERAL views — a view set, in the group
 * `policy:<id>` (shared/apply/apply-view-set.ts; docs/architecture.md "A policy pushed to many views").
 */
export const PolicyWorkItemSchema = z
  .object({
    kind: z.literal('policy'),
    ...origin,
    policyId: z.string().min(1),
    version,
    deleted: z.boolean(),
    definition: PolicySchema.nullable(),
    dataSourceId: z.string().min(1).nullable(),
    dataSourceIds: z.array(z.string().min(1)).min(1).optional(),
    fanOutDigest: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .refine(
    (i) =>
      i.dataSourceIds === undefined ||
      (i.dataSourceId === null && new Set(i.dataSourceIds).size === i.dataSourceIds.length),
    {
      message: 'a view set has dataSourceId null and distinct dataSourceIds',
    },
  )
  .refine((i) => i.deleted || i.definition !== null, { message: 'an upsert carries the definition' })
  .refine((i) => i.definition === null || (i.definition.id === i.policyId && i.definition.version === i.version), {
    message: 'definition id/version must match the item',
  });

/** A user's full profile, or its delete. */
export const UserWorkItemSchema = z
  .object({
    kind: z.literal('user'),
    ...origin,
    userId: z.string().min(1),
    version,
    deleted: z.boolean(),
    profile: UserProfileSchema.nullable(),
  })
  .refine((i) => i.deleted === (i.profile === null), { message: 'an upsert carries the profile; a delete does not' })
  .refine((i) => i.profile === null || (i.profile.userId === i.userId && i.profile.version === i.version), {
    message: 'profile userId/version must match the item',
  });

export const WorkItemSchema = z.discriminatedUnion('kind', [
  DataSourceWorkItemSchema,
  PolicyWorkItemSchema,
  UserWorkItemSchema,
]);

export type DataSourceWorkItem = z.infer<typeof DataSourceWorkItemSchema>;
export type PolicyWorkItem = z.infer<typeof PolicyWorkItemSchema>;
export type UserWorkItem = z.infer<typeof UserWorkItemSchema>;
export type WorkItem = z.infer<typeof WorkItemSchema>;

/** The object a work item changes, for logs, dedup ids and status ("policy p1 → view ds1"). */
export function workItemObject(item: WorkItem): string {
  switch (item.kind) {
    case 'datasource':
      return `datasource:${item.dataSourceId}`;
    case 'policy':
      if (item.dataSourceIds)
        return `policy:${item.policyId}@views:${item.dataSourceIds.length}(${item.dataSourceIds[0]}…)`;
      return `policy:${item.policyId}@${item.dataSourceId === null ? '-' : `view:${item.dataSourceId}`}`;
    case 'user':
      return `user:${item.userId}`;
  }
}

export class WorkItemFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkItemFormatError';
  }
}

/** Parse a queue body. Throws WorkItemFormatError (permanent: redelivery cannot fix it) with the zod paths. */
export function parseWorkItem(body: string): WorkItem {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new WorkItemFormatError('work item body is not JSON');
  }
  const r = WorkItemSchema.safeParse(json);
  if (!r.success) {
    throw new WorkItemFormatError(`work item does not match the schema: ${formatIssues(r.error, '(item)')}`);
  }
  return r.data;
}

/** A policy item for several views (a view set: `dataSourceIds`). */
export type ViewSetWorkItem = PolicyWorkItem & { dataSourceId: null; dataSourceIds: string[] };

export const isViewSet = (item: WorkItem): item is ViewSetWorkItem =>
  item.kind === 'policy' && item.dataSourceIds !== undefined;
