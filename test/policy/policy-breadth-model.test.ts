// The policy-breadth additions to the model stay backwards compatible (v1 JSON parses unchanged, new fields
// optional) and reject what the compiler could not express safely; which of the new policies apply where.
import { describe, expect, it } from 'vitest';
import { applicablePolicies, policyApplies } from '../../shared/policy/applicable-policies.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';

const head = { id: 'p', version: 1, name: 'p', createdAt: '2024-01-01T00:00:00Z', scope: { kind: 'global' } };
const ok = (x: object) => PolicySchema.safeParse({ ...head, ...x }).success;
const ds = DataSourceSchema.parse({
  id: 'orders',
  name: 'orders',
  version: 1,
  location: { database: 'd', schema: 's', table: 't' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'int8' },
    { name: 'placed', type: 'timestamp', tags: ['Time'] },
  ],
});

describe('policy breadth model', () => {
  it('v1 policies and profiles parse as before (new fields are optional)', () => {
    expect(ok({ type: 'mask', target: { kind: 'column', name: 'x' }, mask: { kind: 'hash' } })).toBe(true);
    const profile = UserProfileSchema.parse({ userId: 'u', version: 1, purposes: ['a'] });
    expect(profile.projectPurposes).toBeUndefined();
  });

  it('mask options are validated', () => {
    const mask = (m: object) => ok({ type: 'mask', target: { kind: 'column', name: 'x' }, mask: m });
    expect(mask({ kind: 'round', bucket: 0.25 })).toBe(true);
    expect(mask({ kind: 'round', bucket: 0 })).toBe(false);
    expect(mask({ kind: 'round', bucket: 1e-12 })).toBe(false); // would print as 1e-12: not a plain decimal
    expect(mask({ kind: 'round', unit: 'fortnight' })).toBe(false);
    expect(mask({ kind: 'partial', keep: 'last', count: 4, maskChar: '**' })).toBe(false);
    expect(mask({ kind: 'partial', keep: 'last', count: 4, maskChar: '\\' })).toBe(false);
    expect(mask({ kind: 'partial', keep: 'middle', count: 4 })).toBe(false);
    expect(mask({ kind: 'regex', pattern: '', replacement: 'x' })).toBe(false);
    expect(mask({ kind: 'regex', pattern: '([a-z]', replacement: 'x' })).toBe(false);
    expect(mask({ kind: 'regex', pattern: '*a', replacement: 'x' })).toBe(false);
    expect(mask({ kind: 'regex', pattern: '[[:alnum:]]+@', replacement: 'x' })).toBe(true);
  });

  it('row filter options are validated', () => {
    const filter = (f: object) => ok({ type: 'rowFilter', filter: f });
    expect(filter({ kind: 'minimize', column: { kind: 'column', name: 'id' }, percent: 12.5 })).toBe(true);
    expect(filter({ kind: 'minimize', column: { kind: 'column', name: 'id' }, percent: 0 })).toBe(false);
    expect(filter({ kind: 'minimize', column: { kind: 'column', name: 'id' }, percent: 12.345 })).toBe(false);
    expect(filter({ kind: 'values', column: { kind: 'column', name: 'id' }, values: [] })).toBe(false);
    expect(
      filter({
        kind: 'timeWindow',
        column: { kind: 'column', name: 'id' },
        direction: 'newer',
        amount: 0,
        unit: 'day',
      }),
    ).toBe(false);
    expect(filter({ kind: 'where', clause: '' })).toBe(false);
    expect(ok({ type: 'subscription', access: { kind: 'usingPurpose', purposes: [] } })).toBe(false);
  });

  it('global column filters apply only where the column exists; purpose and WHERE filters everywhere', () => {
    const p = (filter: object) => PolicySchema.parse({ ...head, type: 'rowFilter', filter });
    expect(
      policyApplies(
        p({ kind: 'timeWindow', column: { kind: 'tag', tag: 'Time' }, direction: 'newer', amount: 1, unit: 'day' }),
        ds,
      ),
    ).toBe(true);
    expect(policyApplies(p({ kind: 'values', column: { kind: 'column', name: 'country' }, values: ['US'] }), ds)).toBe(
      false,
    );
    expect(policyApplies(p({ kind: 'usingPurpose', purposes: ['x'] }), ds)).toBe(true);
    expect(policyApplies(p({ kind: 'where', clause: 'id > 1' }), ds)).toBe(true);
    // a global clause applies only where what it names exists; an unreadable one applies (and fails closed)
    expect(policyApplies(p({ kind: 'where', clause: "country = 'US'" }), ds)).toBe(false);
    expect(policyApplies(p({ kind: 'where', clause: "@columnTagged('Time') > '2024-01-01'" }), ds)).toBe(true);
    expect(policyApplies(p({ kind: 'where', clause: "@columnTagged('Geo') = 'US'" }), ds)).toBe(false);
    expect(policyApplies(p({ kind: 'where', clause: 'id = (' }), ds)).toBe(true);
    const localWhere = PolicySchema.parse({
      ...head,
      scope: { kind: 'local', dataSourceId: 'orders' },
      type: 'rowFilter',
      filter: { kind: 'where', clause: "country = 'US'" },
    });
    expect(policyApplies(localWhere, ds)).toBe(true);
    const maskWhere = (where: string) =>
      PolicySchema.parse({
        ...head,
        type: 'mask',
        target: { kind: 'column', name: 'id' },
        mask: { kind: 'null' },
        where,
      });
    expect(policyApplies(maskWhere("country = 'US'"), ds)).toBe(false);
    expect(policyApplies(maskWhere('id > 5'), ds)).toBe(true);
    expect(
      applicablePolicies(ds, [
        p({ kind: 'usingPurpose', purposes: ['x'] }),
        p({ kind: 'minimize', column: { kind: 'column', name: 'id' }, percent: 5 }),
      ]).rowFilters,
    ).toHaveLength(2);
  });
});
