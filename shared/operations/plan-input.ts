// What `viewguard plan` reads: webhook events (one envelope or a JSON array of them — what `npm run send`
// takes), validated against the contract like the routers do, or desired-state documents
// `{ "dataSources": [...], "policies": [...], "users": [...] }` turned into the events that would reach it.
import { diagnostic, formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import { EVENT_SCHEMAS, isEventType, type WebhookEvent } from '../events/event-types.js';
import { DataSourceSchema, type DataSource } from '../policy/data-source.js';
import { PolicySchema, type Policy } from '../policy/policy.js';
import { UserProfileSchema, type UserProfile } from '../policy/user-profile.js';
import { z } from 'zod';
import type { StoredProfile, StoredState } from './stored-state.js';

export interface PlanFile {
  name: string;
  text: string;
}

/** Desired state: a kind that is present is the COMPLETE set — stored objects of that kind it lacks are deleted. */
export interface DesiredState {
  dataSources?: DataSource[];
  policies?: Policy[];
  users?: UserProfile[];
}

const DesiredStateSchema = z
  .object({
    dataSources: z.array(DataSourceSchema).optional(),
    policies: z.array(PolicySchema).optional(),
    users: z.array(UserProfileSchema).optional(),
  })
  .strict();

export type PlanInput = { events: WebhookEvent[]; desired: DesiredState[] };

const bad = (file: string, summary: string, path: (string | number)[] = []): Diagnostic =>
  diagnostic('VG804', `${file}: ${summary}`, path);

function issues(file: string, error: z.ZodError, prefix: (string | number)[]): Diagnostic[] {
  return error.issues.map((i) => {
    const path = [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    return bad(file, `${formatPath(path) || '(document)'}: ${i.message}`, path);
  });
}

/** Every file's events and desired-state documents, in the given order; VG804 for anything else. */
export function readPlanInput(
  files: readonly PlanFile[],
): { ok: true; input: PlanInput } | { ok: false; diagnostics: Diagnostic[] } {
  const input: PlanInput = { events: [], desired: [] };
  const problems: Diagnostic[] = [];
  for (const f of files) {
    let json: unknown;
    try {
      json = JSON.parse(f.text);
    } catch (e) {
      problems.push(bad(f.name, `not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`));
      continue;
    }
    if (json !== null && typeof json === 'object' && !Array.isArray(json) && !('type' in json)) {
      const r = DesiredStateSchema.safeParse(json);
      if (r.success) input.desired.push(r.data as DesiredState);
      else problems.push(...issues(f.name, r.error, []));
      continue;
    }
    const list = Array.isArray(json) ? json : [json];
    list.forEach((event, i) => {
      const prefix = Array.isArray(json) ? [i] : [];
      const type = event !== null && typeof event === 'object' ? (event as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !isEventType(type)) {
        problems.push(
          bad(f.name, `${formatPath([...prefix, 'type']) || 'type'}: not an event type of the contract`, [
            ...prefix,
            'type',
          ]),
        );
        return;
      }
      const r = EVENT_SCHEMAS[type].safeParse(event);
      if (r.success) input.events.push(r.data as WebhookEvent);
      else problems.push(...issues(f.name, r.error, prefix));
    });
  }
  return problems.length > 0 ? { ok: false, diagnostics: problems } : { ok: true, input };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The events that take the stored state to a desired state: an upsert for each object that differs from what
 * is stored (with the document's version: one that is not newer shows up as stale in the plan, as it would in
 * the pipeline), a delete (stored version + 1) for each stored object of a listed kind that the document lacks.
 */
export function desiredStateEvents(
  desired: DesiredState,
  state: StoredState,
  profiles: readonly StoredProfile[],
  now: Date,
): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  let n = 0;
  const envelope = (type: string, subject: string, data: unknown): WebhookEvent =>
    ({
      specversion: '1.0',
      id: `plan-${++n}`,
      source: 'viewguard/plan',
      type,
      subject,
      time: now.toISOString(),
      datacontenttype: 'application/json',
      data,
    }) as unknown as WebhookEvent;
  // Data sources and policies alike: an upsert for each listed object that differs from the stored one, a delete
  // for each stored live one the document does not list.
  const objects = <T extends { id: string }>(
    want: T[] | undefined,
    stored: Map<string, { deleted: boolean; version: number; definition: unknown }>,
    kind: 'datasource' | 'policy',
    data: (o: T) => unknown,
  ) => {
    if (!want) return;
    const ids = new Set(want.map((o) => o.id));
    for (const o of want) {
      const row = stored.get(o.id);
      const live = row !== undefined && !row.deleted;
      if (!live || !sameJson(row.definition, o))
        events.push(envelope(`${kind}.${live ? 'updated' : 'created'}`, o.id, data(o)));
    }
    for (const [id, row] of stored)
      if (!row.deleted && !ids.has(id)) events.push(envelope(`${kind}.deleted`, id, { id, version: row.version + 1 }));
  };
  objects(desired.dataSources, state.snapshot.dataSources, 'datasource', (d) => ({ dataSource: d }));
  objects(desired.policies, state.snapshot.policies, 'policy', (p) => ({ policy: p }));
  if (desired.users) {
    const want = new Set(desired.users.map((u) => u.userId));
    for (const u of desired.users) events.push(envelope('user.updated', u.userId, { user: u }));
    for (const p of profiles)
      if (!p.deleted && !want.has(p.userId))
        events.push(envelope('user.deleted', p.userId, { userId: p.userId, version: p.version + 1 }));
  }
  return events;
}
