// The policy router's view sets (shared/routing/route-policy.ts): how a change reaching many views is cut
// into items, the message each becomes, and the schema of such an item — generated over id lists, set sizes
// and the fan-out threshold, against the rule as the docs state it (docs/architecture.md "A policy pushed to
// many views"): below `chunkFrom` views one item per view in the view's group; from it on, the views in order
// in items of at most `viewsPerItem` views (and 100,000 bytes of ids), each in the group `policy:<id>`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affectedDigest } from '../../shared/compiler/view-change-plan.js';
import type { CatalogSnapshot } from '../../shared/layout/catalog-reader.js';
import { boundedKey, viewGroupId } from '../../shared/routing/fifo-group-key.js';
import { policyMessage, policyWorkItems, viewSets, type PolicyEvent } from '../../shared/routing/route-policy.js';
import { parseWorkItem, WorkItemFormatError } from '../../shared/routing/work-item.js';

const snapshotWith = (ids: string[]): CatalogSnapshot => ({
  epoch: 1,
  policies: new Map(),
  dataSources: new Map(
    ids.map((id) => [
      id,
      {
        version: 1,
        deleted: false,
        viewSignature: null,
        definition: {
          id,
          name: `v_${ids.indexOf(id)}`,
          version: 1,
          location: { database: 'db', schema: 'raw', table: 't' },
          kind: 'table',
          columns: [{ name: 'id', type: 'int4', tags: ['T'] }],
          tags: [],
        },
      },
    ]),
  ),
});

const event = (): PolicyEvent =>
  ({
    specversion: '1.0',
    id: 'e-1',
    source: 'urn:test',
    type: 'policy.created',
    time: '2026-01-01T00:00:00Z',
    subject: 'p1',
    data: {
      policy: {
        id: 'p1',
        version: 1,
        name: 'p',
        createdAt: '2026-01-01T00:00:00Z',
        type: 'mask',
        scope: { kind: 'global' },
        target: { kind: 'tag', tag: 'T' },
        mask: { kind: 'null' },
      },
    },
  }) as unknown as PolicyEvent;

describe('view sets from the policy router', () => {
  it('cuts the reach in order into sets within the size limits; below chunkFrom, one item per view', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 45 }),
        fc.integer({ min: 1, max: 12 }),
        (ids, chunkFrom, per) => {
          const items = policyWorkItems(event(), snapshotWith(ids), { chunkFrom, viewsPerItem: per });
          const reach = [...ids].sort();
          const covered = items.flatMap((i) => i.dataSourceIds ?? (i.dataSourceId === null ? [] : [i.dataSourceId]));
          expect([...covered].sort()).toEqual(reach);
          for (const item of items) {
            expect(item.fanOutDigest).toBe(affectedDigest(ids));
            const m = policyMessage(item);
            expect(parseWorkItem(m.body)).toMatchObject({
              kind: 'policy',
              policyId: 'p1',
              dataSourceId: item.dataSourceId,
              ...(item.dataSourceIds ? { dataSourceIds: item.dataSourceIds } : {}),
            });
            if (ids.length < chunkFrom) {
              expect(item.dataSourceIds).toBeUndefined();
              expect(m.groupId).toBe(viewGroupId(item.dataSourceId!));
            } else {
              expect(item.dataSourceId).toBeNull();
              expect(item.dataSourceIds!.length).toBeGreaterThan(0);
              expect(item.dataSourceIds!.length).toBeLessThanOrEqual(per);
              expect(m.groupId).toBe(boundedKey('policy:p1'));
            }
          }
          // Distinct sets are distinct messages; the same set from the same event is the same message.
          const dedup = items.map((i) => policyMessage(i).deduplicationId);
          expect(new Set(dedup).size).toBe(items.length);
          expect(
            policyWorkItems(event(), snapshotWith(ids), { chunkFrom, viewsPerItem: per }).map(
              (i) => policyMessage(i).deduplicationId,
            ),
          ).toEqual(dedup);
        },
      ),
    );
  });

  it('keeps the ids of one set under 100,000 bytes, in order, never empty', () => {
    const long = Array.from({ length: 30 }, (_, i) => `${'é'.repeat(5_000)}-${i}`);
    const sets = viewSets(long, 370);
    expect(sets.flat()).toEqual(long);
    for (const s of sets) {
      expect(s.length).toBeGreaterThan(0);
      expect(s.reduce((n, id) => n + Buffer.byteLength(JSON.stringify(id)) + 1, 0)).toBeLessThanOrEqual(100_000);
    }
    expect(sets.length).toBeGreaterThan(1);
  });

  it('a view set names its views once, with dataSourceId null', () => {
    const base = JSON.parse(
      policyMessage(policyWorkItems(event(), snapshotWith(['a', 'b']), { chunkFrom: 2, viewsPerItem: 5 })[0]!).body,
    ) as Record<string, unknown>;
    expect(() => parseWorkItem(JSON.stringify({ ...base, dataSourceIds: ['a', 'a'] }))).toThrow(WorkItemFormatError);
    expect(() => parseWorkItem(JSON.stringify({ ...base, dataSourceId: 'a' }))).toThrow(WorkItemFormatError);
    expect(() => parseWorkItem(JSON.stringify({ ...base, dataSourceIds: [] }))).toThrow(WorkItemFormatError);
  });
});
