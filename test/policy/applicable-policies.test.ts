// Which policies apply and who wins a conflict; the reach of a policy change.
import { describe, expect, it } from 'vitest';
import { affectedDataSources, applicablePolicies, policyApplies } from '../../shared/policy/applicable-policies.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';

const ds = (id: string, tags: string[], columns: [string, string[]][]): DataSource =>
  DataSourceSchema.parse({
    id,
    name: id,
    version: 1,
    location: { database: 'db', schema: 's', table: id },
    kind: 'table',
    columns: columns.map(([name, t]) => ({ name, type: 'text', tags: t })),
    tags,
  });
const p = (x: Omit<PolicyInput, 'version' | 'name' | 'createdAt'> & Partial<PolicyInput>): Policy =>
  PolicySchema.parse({ version: 1, name: String(x.id), createdAt: '2024-01-01T00:00:00Z', ...x });

const customers = ds(
  'customers',
  ['Sales'],
  [
    ['email', ['PII.Email']],
    ['ssn', ['PII.Gov.SSN']],
    ['country', ['Geo']],
  ],
);
const logs = ds('logs', [], [['msg', []]]);

describe('policyApplies', () => {
  it(
    'local by id; global by scope tag on the data source or a ' +
      'column, hierarchically; untagged global = everywhere',
    () => {
      const sub = (scope: PolicyInput['scope']) =>
        p({ id: 's', type: 'subscription', scope, access: { kind: 'anyone' } });
      expect(policyApplies(sub({ kind: 'local', dataSourceId: 'customers' }), customers)).toBe(true);
      expect(policyApplies(sub({ kind: 'local', dataSourceId: 'customers' }), logs)).toBe(false);
      expect(policyApplies(sub({ kind: 'global', tags: ['PII'] }), customers)).toBe(true);
      expect(policyApplies(sub({ kind: 'global', tags: ['PII.Gov'] }), customers)).toBe(true);
      expect(policyApplies(sub({ kind: 'global', tags: ['PII.Phone'] }), customers)).toBe(false);
      expect(policyApplies(sub({ kind: 'global' }), logs)).toBe(true);
    },
  );
  it('a global mask or row filter applies only where its column exists', () => {
    const mask = p({
      id: 'm',
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII' },
      mask: { kind: 'null' },
    });
    expect(policyApplies(mask, customers)).toBe(true);
    expect(policyApplies(mask, logs)).toBe(false);
    const rf = p({
      id: 'r',
      type: 'rowFilter',
      scope: { kind: 'global' },
      filter: { kind: 'groupMatch', column: { kind: 'column', name: 'country' } },
    });
    expect(policyApplies(rf, customers)).toBe(true);
    expect(policyApplies(rf, logs)).toBe(false);
    // a local one is kept (and fails the view closed in the compiler)
    expect(policyApplies({ ...rf, scope: { kind: 'local', dataSourceId: 'logs' } }, logs)).toBe(true);
  });
});

describe('conflict resolution', () => {
  const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
  it('masks: explicit column > deepest tag > earliest > smallest id; VG304 warnings name the losers', () => {
    const pii = p({
      id: 'pii',
      createdAt: at(1),
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII' },
      mask: { kind: 'hash' },
    });
    const gov = p({
      id: 'gov',
      createdAt: at(9),
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII.Gov' },
      mask: { kind: 'null' },
    });
    const emailB = p({
      id: 'b',
      createdAt: at(5),
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'column', name: 'email' },
      mask: { kind: 'null' },
    });
    const emailA = p({
      id: 'a',
      createdAt: at(5),
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'column', name: 'email' },
      mask: { kind: 'null' },
    });
    const r = applicablePolicies(customers, [pii, gov, emailB, emailA]);
    expect(Object.fromEntries([...r.masks].map(([c, m]) => [c, m.policy.id]))).toEqual({ email: 'a', ssn: 'gov' });
    expect(r.diagnostics.map((x) => [x.code, x.severity])).toEqual([
      ['VG304', 'warning'],
      ['VG304', 'warning'],
    ]);
  });
  it('subscription: local > deepest scope tag > earliest', () => {
    const sub = (id: string, s: number, scope: PolicyInput['scope']) =>
      p({ id, createdAt: at(s), type: 'subscription', scope, access: { kind: 'anyone' } });
    const untagged = sub('untagged', 0, { kind: 'global' });
    const shallow = sub('shallow', 1, { kind: 'global', tags: ['PII'] });
    const deep = sub('deep', 9, { kind: 'global', tags: ['PII.Gov'] });
    const local = sub('local', 99, { kind: 'local', dataSourceId: 'customers' });
    expect(applicablePolicies(customers, [untagged, shallow, deep, local]).subscription!.id).toBe('local');
    expect(applicablePolicies(customers, [untagged, shallow, deep]).subscription!.id).toBe('deep');
    expect(applicablePolicies(customers, [untagged, shallow]).subscription!.id).toBe('shallow');
    expect(applicablePolicies(customers, [sub('later', 5, { kind: 'global' }), untagged]).subscription!.id).toBe(
      'untagged',
    );
    expect(applicablePolicies(customers, []).subscription).toBeNull();
  });
  it('row filters all apply, oldest first', () => {
    const rf = (id: string, s: number) =>
      p({ id, createdAt: at(s), type: 'rowFilter', scope: { kind: 'global' }, filter: { kind: 'never' } });
    expect(applicablePolicies(logs, [rf('y', 2), rf('x', 1)]).rowFilters.map((x) => x.id)).toEqual(['x', 'y']);
  });
});

describe('affectedDataSources', () => {
  it('is the union of what the policy matched before and matches after', () => {
    const other = ds('other', ['Geo.City'], [['c', []]]);
    const before = p({
      id: 's',
      type: 'subscription',
      scope: { kind: 'global', tags: ['PII'] },
      access: { kind: 'anyone' },
    });
    const after = { ...before, scope: { kind: 'global' as const, tags: ['Geo.City'] } };
    expect(affectedDataSources([customers, logs, other], before, after)).toEqual(['customers', 'other']);
    expect(affectedDataSources([customers, logs, other], null, after)).toEqual(['other']);
    expect(affectedDataSources([customers, logs, other], before, null)).toEqual(['customers']);
  });
});

describe('applicablePolicies uses only the policies that apply to the data source', () => {
  it('a local subscription, mask and row filter for another data source do not open, mask or filter this one', () => {
    const forLogs = [
      p({
        id: 'sub-logs',
        type: 'subscription',
        scope: { kind: 'local', dataSourceId: 'logs' },
        access: { kind: 'anyone' },
      }),
      p({
        id: 'mask-logs',
        type: 'mask',
        scope: { kind: 'local', dataSourceId: 'logs' },
        target: { kind: 'column', name: 'email' },
        mask: { kind: 'null' },
      }),
      p({
        id: 'rf-logs',
        type: 'rowFilter',
        scope: { kind: 'local', dataSourceId: 'logs' },
        filter: { kind: 'never' },
      }),
      p({
        id: 'sub-geo',
        type: 'subscription',
        scope: { kind: 'global', tags: ['Geo.City'] },
        access: { kind: 'anyone' },
      }),
    ];
    const r = applicablePolicies(customers, forLogs);
    expect(r.subscription).toBeNull();
    expect([...r.masks.keys()]).toEqual([]);
    expect(r.rowFilters).toEqual([]);
    expect(r.diagnostics).toEqual([]);
    const onLogs = applicablePolicies(logs, forLogs);
    expect(onLogs.subscription?.id).toBe('sub-logs');
    expect(onLogs.rowFilters.map((x) => x.id)).toEqual(['rf-logs']);
  });
});

describe('ties at the same createdAt: the smallest id wins, in any input order', () => {
  const at = '2024-02-02T00:00:00Z';
  it('masks on one column', () => {
    const m = (id: string) =>
      p({
        id,
        createdAt: at,
        type: 'mask',
        scope: { kind: 'global' },
        target: { kind: 'tag', tag: 'PII.Email' },
        mask: { kind: 'null' },
      });
    for (const order of [
      [m('m2'), m('m1'), m('m3')],
      [m('m3'), m('m1'), m('m2')],
      [m('m1'), m('m3'), m('m2')],
    ]) {
      const r = applicablePolicies(customers, order);
      expect(r.masks.get('email')!.policy.id).toBe('m1');
      expect(r.diagnostics).toEqual([
        { code: 'VG304', severity: 'warning', summary: 'column "email": mask "m1" wins over "m2", "m3"', path: [] },
      ]);
    }
  });
  it('subscriptions at the same depth, and the VG304 warning naming the winner and every loser in rank order', () => {
    const s = (id: string, createdAt = at) =>
      p({
        id,
        createdAt,
        type: 'subscription',
        scope: { kind: 'global', tags: ['Sales'] },
        access: { kind: 'anyone' },
      });
    for (const order of [
      [s('b'), s('a'), s('c')],
      [s('c'), s('b'), s('a')],
    ]) {
      const r = applicablePolicies(customers, order);
      expect(r.subscription!.id).toBe('a');
      expect(r.diagnostics).toEqual([
        { code: 'VG304', severity: 'warning', summary: 'subscription policy "a" wins over "b", "c"', path: [] },
      ]);
    }
    // an earlier createdAt beats a smaller id
    expect(applicablePolicies(customers, [s('a'), s('z', '2023-01-01T00:00:00Z')]).subscription!.id).toBe('z');
    // one subscription: no conflict, no warning
    expect(applicablePolicies(customers, [s('a')]).diagnostics).toEqual([]);
  });
  it('row filters of the same createdAt are ordered by id', () => {
    const rf = (id: string) =>
      p({ id, createdAt: at, type: 'rowFilter', scope: { kind: 'global' }, filter: { kind: 'never' } });
    expect(applicablePolicies(logs, [rf('r3'), rf('r1'), rf('r2')]).rowFilters.map((x) => x.id)).toEqual([
      'r1',
      'r2',
      'r3',
    ]);
  });
});
