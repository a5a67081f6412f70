// One sync: Immuta's state for a scope → the differences with what the warehouse applied → our own contract
// events on the existing bus (same validation, routers, queue and apply as a webhook; no second path).
//
// Versions only go forward (docs/immuta.md "Versions"): every event carries
//   version = max(start of this sync, stored version + 1)
// where the start is read from a version clock (microseconds since the epoch, strictly increasing within a
// process) BEFORE the first read of Immuta: an event of version v carries Immuta's state as of v or later; a
// later sync (notice, reconcile or retry) starts later and carries a higher version; a deletion is versioned the
// same way; and the stored-version floor keeps a version above what the warehouse holds even when clocks
// disagree. The apply guards skip anything not newer, so the newest read always wins.
//
// Mode `notice` re-sends every object the notices NAMED, even when the warehouse seems to hold it already (an
// older event for it may still be on its way); everything else — and everything in mode `reconcile` — is sent
// only when it differs from the warehouse. Deletions of what Immuta no longer has are sent in both modes.
import { createHash } from 'node:crypto';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { busEntrySize, MAX_BUS_ENTRY_BYTES, toBusEntry } from '../events/bus-entry.js';
import { EVENT_SCHEMAS, type WebhookEvent } from '../events/event-types.js';
import { DataSourceSchema } from '../policy/data-source.js';
import { PolicySchema } from '../policy/policy.js';
import type { EventBus } from '../ports/event-bus.js';
import type { EventType } from '../routing/routing-table.js';
import { fetchDesired, type FetchDeps, type SyncScope } from './fetch-state.js';
import { encodedProfile, type StateReader, type StoredObject, type WarehouseState } from './warehouse-state.js';

export const EVENT_SOURCE_URI = 'urn:viewguard:immuta-connector';

export type SyncMode = 'notice' | 'reconcile';

export interface SyncDeps {
  fetch: FetchDeps;
  state: StateReader;
  bus: EventBus;
  /** The CloudEvents `time` of the events. */
  now: () => Date;
  /** The version clock (versionClock()): one per process, so two syncs of one process never share a version. */
  version: () => number;
}

/** Microseconds since the epoch, strictly increasing for this clock (safe integers until the year 2255). */
export function versionClock(now: () => number = Date.now): () => number {
  let last = 0;
  return () => (last = Math.max(now() * 1000, last + 1));
}

export interface SyncReport {
  /** Immuta objects read. */
  checked: number;
  /** Events emitted: objects that differed (reconcile) or were refreshed (notice), deletions included. */
  changed: number;
  events: WebhookEvent[];
  diagnostics: Diagnostic[];
}

/** JSON with sorted keys and without `version`: two definitions are the same state when these are equal. */
export function canonical(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([k, x]) => k !== 'version' && x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, walk(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

function sameAs(
  schema: typeof DataSourceSchema | typeof PolicySchema,
  desired: unknown,
  stored: StoredObject | undefined,
): boolean {
  if (!stored || stored.deleted) return false;
  const a = schema.safeParse(desired);
  const b = schema.safeParse(stored.definition);
  return a.success && b.success && canonical(a.data) === canonical(b.data);
}

const nextVersion = (start: number, stored: StoredObject | undefined): number =>
  Math.max(start, (stored?.version ?? -1) + 1);

interface Change {
  type: EventType;
  subject: string;
  version: number;
  data: Record<string, unknown>;
}

function envelope(change: Change, now: Date): unknown {
  // The id is unique per object version: a retried put of the same change deduplicates downstream.
  const digest = createHash('sha256').update(`${change.type}\u0000${change.subject}`).digest('hex').slice(0, 24);
  return {
    specversion: '1.0',
    id: `immuta-${digest}-v${change.version}`,
    source: EVENT_SOURCE_URI,
    type: change.type,
    time: now.toISOString(),
    subject: change.subject,
    datacontenttype: 'application/json',
    data: change.data,
  };
}

function changes(
  desired: Awaited<ReturnType<typeof fetchDesired>>,
  stored: WarehouseState,
  mode: SyncMode,
  start: number,
): Change[] {
  const out: Change[] = [];
  const resend = (named: boolean) => mode === 'notice' && named;
  const upsert = (
    kind: 'datasource' | 'policy',
    key: 'dataSource' | 'policy',
    id: string,
    value: Record<string, unknown>,
    s: StoredObject | undefined,
    same: boolean,
  ) => {
    if (same && !resend(kind === 'datasource' ? desired.named.dataSource(id) : desired.named.policy(id))) return;
    const version = nextVersion(start, s);
    out.push({
      type: `${kind}.${s && !s.deleted ? 'updated' : 'created'}` as EventType,
      subject: id,
      version,
      data: { [key]: { ...value, version } },
    });
  };
  for (const [id, ds] of desired.dataSources)
    upsert(
      'datasource',
      'dataSource',
      id,
      ds,
      stored.dataSources.get(id),
      sameAs(DataSourceSchema, ds, stored.dataSources.get(id)),
    );
  for (const [id, p] of desired.policies)
    upsert('policy', 'policy', id, p, stored.policies.get(id), sameAs(PolicySchema, p, stored.policies.get(id)));
  for (const [userId, profile] of desired.users) {
    const s = stored.users.get(userId);
    if (
      !resend(desired.named.user(userId)) &&
      s &&
      !s.deleted &&
      canonical(s.definition) === canonical(encodedProfile(profile))
    )
      continue;
    const version = nextVersion(start, s);
    out.push({ type: 'user.updated', subject: userId, version, data: { user: { ...profile, version } } });
  }
  // Deletions last: a policy that now fails closed is in place before the rules it replaces go.
  for (const [id, s] of stored.policies) {
    if (!s.deleted && !desired.policies.has(id) && desired.covers.policy(id))
      out.push({
        type: 'policy.deleted',
        subject: id,
        version: nextVersion(start, s),
        data: { id, version: nextVersion(start, s) },
      });
  }
  for (const [id, s] of stored.dataSources) {
    if (!s.deleted && !desired.dataSources.has(id) && desired.covers.dataSource(id))
      out.push({
        type: 'datasource.deleted',
        subject: id,
        version: nextVersion(start, s),
        data: { id, version: nextVersion(start, s) },
      });
  }
  for (const [userId, s] of stored.users) {
    if (!s.deleted && !desired.users.has(userId) && desired.covers.user(userId))
      out.push({
        type: 'user.deleted',
        subject: userId,
        version: nextVersion(start, s),
        data: { userId, version: nextVersion(start, s) },
      });
  }
  return out;
}

/** Fetch, diff and emit one scope. Throws when Immuta, the warehouse or the bus failed: the caller retries. */
export async function syncScope(scope: SyncScope, mode: SyncMode, deps: SyncDeps): Promise<SyncReport> {
  const start = deps.version();
  const desired = await fetchDesired(deps.fetch, scope);
  const stored = await deps.state.read();
  const diagnostics = [...desired.diagnostics];
  const events: WebhookEvent[] = [];
  for (const change of changes(desired, stored, mode, start)) {
    const parsed = EVENT_SCHEMAS[change.type].safeParse(envelope(change, deps.now()));
    if (!parsed.success) {
      diagnostics.push(
        diagnostic(
          'VG710',
          `${change.type} ${JSON.stringify(change.subject).slice(0, 200)}: ` +
            `${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; not sent`,
        ),
      );
      continue;
    }
    const event = parsed.data as WebhookEvent;
    if (busEntrySize(toBusEntry(event)) >= MAX_BUS_ENTRY_BYTES) {
      diagnostics.push(
        diagnostic(
          'VG710',
          `${change.type} ${JSON.stringify(change.subject).slice(0, 200)}: larger than an event bus entry; not sent`,
        ),
      );
      continue;
    }
    events.push(event);
  }
  if (events.length > 0) {
    const result = await deps.bus.put(events.map(toBusEntry));
    if (result.failed.length > 0) {
      throw new Error(
        `the event bus did not take ${result.failed.length} of ${events.length} events (${result.failed[0]!.code}` +
          `); the sync is retried`,
      );
    }
  }
  return { checked: desired.checked, changed: events.length, events, diagnostics };
}
