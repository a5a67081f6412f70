// Tags are hierarchical: `PII.Email` is under `PII`. A tag is one or more non-empty segments joined by '.'.
import { z } from 'zod';

export const TagSchema = z
  .string()
  .regex(/^[^.\s][^.]*(\.[^.\s][^.]*)*$/, 'a tag is non-empty segments separated by "." (e.g. "PII.Email")');

export type Tag = z.infer<typeof TagSchema>;

/** True when `tag` equals `ancestor` or lies under it (`PII.Email` is under `PII`, not under `PI`). */
export function tagIsUnder(tag: string, ancestor: string): boolean {
  return tag === ancestor || tag.startsWith(`${ancestor}.`);
}

/** Depth of a tag: `PII` is 1, `PII.Email` is 2. Deeper = more specific. */
export function tagDepth(tag: string): number {
  return tag.split('.').length;
}
