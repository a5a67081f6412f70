// user.* event → one work message in the user's group. An entitlement change is a profile row, no DDL.
import type { WebhookEventOf } from '../events/event-types.js';
import type { WorkMessage } from '../ports/work-queue.js';
import type { UserWorkItem } from './work-item.js';
import { deduplicationId, userGroupId } from './fifo-group-key.js';

export type UserEvent = WebhookEventOf<'user.updated' | 'user.deleted'>;

export function userWorkItem(event: UserEvent): UserWorkItem {
  const origin = { eventId: event.id, eventTime: event.time };
  if (event.type === 'user.deleted') {
    return {
      kind: 'user',
      ...origin,
      userId: event.data.userId,
      version: event.data.version,
      deleted: true,
      profile: null,
    };
  }
  const u = event.data.user;
  return { kind: 'user', ...origin, userId: u.userId, version: u.version, deleted: false, profile: u };
}

export function routeUserEvent(event: UserEvent): WorkMessage[] {
  const item = userWorkItem(event);
  return [
    {
      groupId: userGroupId(item.userId),
      deduplicationId: deduplicationId(event.id, `user:${item.userId}`),
      body: JSON.stringify(item),
    },
  ];
}
