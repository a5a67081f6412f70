// The routers: event → work messages (groups, dedup ids, bodies that parse back), and the policy router's
// fan-out read from a real catalog on PGlite (stored policy ∪ new policy; no view → the policy's own group).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalWarehouse, type LocalWarehouse } from '../../infra/local/local-warehouse.js';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { WebhookEventSchema, type WebhookEvent, type WebhookEventInput } from '../../shared/events/event-types.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { applyWorkItem } from '../../shared/apply/apply-work-item.js';
import { boundedKey, deduplicationId, userGroupId, viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { routeDataSourceEvent } from '../../shared/routing/route-datasource.js';
import { routeEvent, routeToQueue } from '../../shared/routing/route-event.js';
import { policyGroupId, routePolicyEvent } from '../../shared/routing/route-policy.js';
import { routeUserEvent } from '../../shared/routing/route-user.js';
import { RoutedEventError, parseRoutedEvent } from '../../shared/routing/routed-event.js';
import { parseWorkItem, type PolicyWorkItem } from '../../shared/routing/work-item.js';
import type { WorkMessage, WorkQueue } from '../../shared/ports/work-queue.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const ev = (input: WebhookEventInput): WebhookEvent => WebhookEventSchema.parse(input);

class RecordingQueue implements WorkQueue {
  readonly calls: WorkMessage[][] = [];
  async send(messages: WorkMessage[]): Promise<void> {
    this.calls.push(messages);
  }
}

describe('data source and user routers', () => {
  it('datasource.created → one message in the view group with the full state', () => {
    const e = ev(EVENT_EXAMPLES['datasource.created']);
    const [m, ...rest] = routeDataSourceEvent(e as Parameters<typeof routeDataSourceEvent>[0]);
    expect(rest).toEqual([]);
    expect(m!.groupId).toBe(viewGroupId('ds-orders'));
    expect(m!.deduplicationId).toBe(deduplicationId(e.id, 'datasource:ds-orders'));
    expect(parseWorkItem(m!.body)).toMatchObject({
      kind: 'datasource',
      dataSourceId: 'ds-orders',
      version: 1,
      deleted: false,
      eventId: e.id,
      eventTime: e.time,
    });
  });

  it('datasource.deleted → a delete item {id, version} without a definition', () => {
    const e = ev(EVENT_EXAMPLES['datasource.deleted']);
    const item = parseWorkItem(routeDataSourceEvent(e as Parameters<typeof routeDataSourceEvent>[0])[0]!.body);
    expect(item).toMatchObject({ kind: 'datasource', deleted: true, definition: null });
  });

  it('user events → one message in the user group; delete carries no profile', () => {
    for (const type of ['user.updated', 'user.deleted'] as const) {
      const e = ev(EVENT_EXAMPLES[type]);
      const [m] = routeUserEvent(e as Parameters<typeof routeUserEvent>[0]);
      const item = parseWorkItem(m!.body);
      expect(item.kind).toBe('user');
      expect(m!.groupId).toBe(userGroupId(e.subject));
      expect(item).toMatchObject({ deleted: type === 'user.deleted', userId: e.subject });
    }
  });

  it('a long unicode id still gives ≤128-char keys, distinct per object', () => {
    const long = 'ü'.repeat(300);
    expect(viewGroupId(long).length).toBeLessThanOrEqual(128);
    expect(viewGroupId(long)).not.toBe(viewGroupId(`${long}x`));
    expect(policyGroupId(long)).toBe(boundedKey(`policy:${long}`));
  });

  it('the bus detail is validated again, for the router it reached', () => {
    const e = EVENT_EXAMPLES['policy.updated'];
    expect(() => parseRoutedEvent(JSON.stringify(e), 'datasource')).toThrow(/not routed to the datasource router/);
    expect(() => parseRoutedEvent({ ...e, subject: 'someone-else' }, 'policy')).toThrow(RoutedEventError);
    expect(() => parseRoutedEvent('{not json', 'policy')).toThrow(/not JSON/);
    expect(() => parseRoutedEvent({ ...e, type: 'policy.exploded' }, 'policy')).toThrow(/unknown event type/);
    expect(parseRoutedEvent(JSON.stringify(e), 'policy').id).toBe(e.id);
  });
});

describe('policy router on PGlite', () => {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'postgres',
    viewSchema: 'secure',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  const config = parsed.value;
  let wh: LocalWarehouse;
  const queue = new RecordingQueue();
  const deps = () => ({ warehouse: wh.system, queue, dialect: d, config });
  const ds = (i: number, tags: string[]) => ({
    kind: 'datasource' as const,
    eventId: `e-ds-${i}`,
    eventTime: '2026-11-27T10:00:00Z',
    dataSourceId: `ds-${i}`,
    version: 1,
    deleted: false,
    definition: {
      id: `ds-${i}`,
      name: `t_${i}`,
      version: 1,
      location: { database: 'postgres', schema: 'raw', table: 't' },
      kind: 'table' as const,
      columns: [{ name: 'id', type: 'int4', tags: [] }],
      tags,
    },
  });
  const policyEvent = (
    id: string,
    version: number,
    tags: string[] | null,
    eventId = `e-${id}-${version}`,
  ): WebhookEvent =>
    ev({
      specversion: '1.0',
      id: eventId,
      source: 'urn:t',
      time: '2026-11-27T10:00:00Z',
      ...(tags === null
        ? { type: 'policy.deleted', subject: id, data: { id, version } }
        : {
            type: 'policy.updated',
            subject: id,
            data: {
              policy: {
                id,
                version,
                name: id,
                createdAt: '2026-01-01T00:00:00Z',
                type: 'subscription',
                scope: { kind: 'global', tags },
                access: { kind: 'anyone' },
              },
            },
          }),
    } as WebhookEventInput);

  beforeAll(async () => {
    wh = await openLocalWarehouse(config, 'router-test-key', {
      prepare: (admin) => admin([stmt('CREATE SCHEMA raw'), stmt('CREATE TABLE raw.t (id int4)')]),
    });
    // 12 data sources tagged A, one tagged B.
    for (let i = 0; i < 12; i++) await applyWorkItem(ds(i, ['A']), deps());
    await applyWorkItem(ds(99, ['B']), deps());
  });
  afterAll(() => wh?.close());

  // One item per view (a fan-out below the view-set threshold, here raised above the 13 views).
  const perView = () => ({ ...deps(), policyFanOut: { chunkFrom: Number.MAX_SAFE_INTEGER, viewsPerItem: 370 } });

  it('by default a change reaching 11 views or more goes out as view sets in the policy group', async () => {
    const r = await routeToQueue(policyEvent('p-s', 1, ['A']), 'policy', deps());
    expect(r.messages.map((m) => m.groupId)).toEqual([policyGroupId('p-s')]);
    const [item] = r.messages.map((m) => parseWorkItem(m.body) as PolicyWorkItem);
    expect(item).toMatchObject({
      dataSourceId: null,
      fanOutDigest: affectedDigest(Array.from({ length: 12 }, (_, i) => `ds-${i}`)),
    });
    expect([...item!.dataSourceIds!].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `ds-${i}`).sort());
    expect(r.sends).toBe(1);
  });

  it('fans out to every view the new state matches, one message per view group, sent 10 at a time', async () => {
    const r = await routeToQueue(policyEvent('p-a', 1, ['A']), 'policy', perView());
    expect(r.messages.map((m) => m.groupId).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => viewGroupId(`ds-${i}`)).sort(),
    );
    expect(queue.calls.slice(-2).map((c) => c.length)).toEqual([10, 2]);
    expect(r.sends).toBe(2);
    const items = r.messages.map((m) => parseWorkItem(m.body) as PolicyWorkItem);
    expect(new Set(items.map((i) => i.fanOutDigest))).toEqual(
      new Set([affectedDigest(items.map((i) => i.dataSourceId!))]),
    );
    expect(new Set(r.messages.map((m) => m.deduplicationId)).size).toBe(12);
  });

  it('a narrowed policy reaches the views of its STORED state too (old ∪ new)', async () => {
    const [stored] = await routeEvent(policyEvent('p-b', 1, ['B']), deps());
    await applyWorkItem(parseWorkItem(stored!.body), deps());
    const widened = await routeEvent(policyEvent('p-b', 2, ['A']), perView());
    expect(widened).toHaveLength(13); // ds-99 (stored B) ∪ the 12 tagged A
    expect(widened.map((m) => m.groupId)).toContain(viewGroupId('ds-99'));
  });

  it('a delete reaches the views the stored policy matched', async () => {
    const msgs = await routePolicyEvent(
      policyEvent('p-b', 3, null) as Parameters<typeof routePolicyEvent>[0],
      wh.system,
      d,
    );
    expect(msgs.map((m) => m.groupId)).toEqual([viewGroupId('ds-99')]);
    expect(parseWorkItem(msgs[0]!.body)).toMatchObject({ deleted: true, definition: null, dataSourceId: 'ds-99' });
  });

  it('a policy that reaches no view → one message in its own group with dataSourceId null', async () => {
    const msgs = await routeEvent(policyEvent('p-none', 1, ['Nothing']), deps());
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.groupId).toBe(policyGroupId('p-none'));
    expect(parseWorkItem(msgs[0]!.body)).toMatchObject({ dataSourceId: null, fanOutDigest: affectedDigest([]) });
  });

  it('the same event routed twice gives the same dedup ids (the queue drops the repeat)', async () => {
    const a = await routeEvent(policyEvent('p-a', 5, ['A'], 'same-event'), deps());
    const b = await routeEvent(policyEvent('p-a', 5, ['A'], 'same-event'), deps());
    expect(b.map((m) => m.deduplicationId)).toEqual(a.map((m) => m.deduplicationId));
  });
});
