import { createHash } from 'node:crypto';

// SQS FIFO MessageGroupId and MessageDeduplicationId are at most 128 characters. Object ids can be longer
// (and contain any unicode), so a long key is replaced by a readable prefix plus a SHA-256 digest: distinct
// objects keep distinct groups and the same object always maps to the same group.
const MAX = 128;

export function boundedKey(key: string): string {
  if (key.length <= MAX && /^[\x21-\x7e]*$/.test(key)) return key;
  const digest = createHash('sha256').update(key, 'utf8').digest('hex'); // 64 chars
  const prefix = key.replace(/[^\x21-\x7e]/g, '_').slice(0, MAX - digest.length - 1);
  return `${prefix}#${digest}`;
}

/** One message group per view: all changes to one data source's view stay in order. */
export const viewGroupId = (dataSourceId: string): string => boundedKey(`view:${dataSourceId}`);

/** One message group per user: profile updates stay in order. */
export const userGroupId = (userId: string): string => boundedKey(`user:${userId}`);

/** The same event for the same object is one message, however often the sender or EventBridge retries. */
export const deduplicationId = (eventId: string, objectKey: string): string => boundedKey(`${eventId}/${objectKey}`);
