// The policy mapping, case by case (support/rule-cases.ts = the table in docs/immuta.md): a mapped rule gives
// exactly the expected v1 policies, which validate and compile without failing closed; an unmappable one gives ONE
// no-rows filter with the policy's reach and a VG705 diagnostic naming the rule and the reason — and none of the
// policy's other rules (never a partially applied policy). Plus: the doc table lists exactly these cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import type { ImmutaDataSource, ImmutaGlobalPolicy } from '../../shared/immuta/api-shapes.js';
import { mapDataSourcePolicies, mapGlobalPolicy } from '../../shared/immuta/map-policies.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { RULE_CASES, type RuleCase } from './support/rule-cases.js';

const DS: ImmutaDataSource = {
  id: '7',
  name: 'Payments',
  sqlTableName: 'payments',
  sqlSchemaName: 'fin',
  remoteSchema: 'raw',
  remoteTable: 'payments',
  subscriptionType: 'automatic',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const VIEW = DataSourceSchema.parse({
  id: 'immuta:ds:7',
  name: 'payments',
  version: 1,
  location: { database: 'postgres', schema: 'raw', table: 'payments' },
  kind: 'table',
  tags: ['Sales'],
  columns: [
    { name: 'id', type: 'int8' },
    { name: 'email', type: 'varchar(64)', tags: ['PII.Email'] },
    { name: 'country', type: 'varchar(8)', tags: ['Geo.Region'] },
    { name: 'dept', type: 'varchar(16)' },
    { name: 'purpose', type: 'varchar(16)' },
    { name: 'amount', type: 'numeric(10,2)' },
    { name: 'created_at', type: 'timestamp' },
  ],
});

function globalPolicy(c: RuleCase, extraRules: unknown[] = []): ImmutaGlobalPolicy {
  const rules =
    c.where === 'circumstances'
      ? [{ type: 'masking', config: { fields: [{ name: 'PII.Email' }], maskingConfig: { type: 'Consistent Value' } } }]
      : [c.json];
  return {
    id: '42',
    name: 'Case',
    type: 'data',
    createdAt: '2026-01-02T00:00:00.000Z',
    actions: [{ type: 'masking', rules: [...rules, ...extraRules] }],
    circumstances:
      c.where === 'circumstances'
        ? (c.json as unknown[])
        : [{ operator: 'or', type: 'columnTags', columnTag: { name: 'PII.Email' } }],
  };
}

function mapCase(c: RuleCase, extraRules: unknown[] = []) {
  if (c.where === 'global' || c.where === 'circumstances') return mapGlobalPolicy(globalPolicy(c, extraRules));
  if (c.where === 'local') return mapDataSourcePolicies(DS, [c.json, ...extraRules]);
  return mapDataSourcePolicies({ ...DS, ...(c.json as object) } as ImmutaDataSource, extraRules);
}

const strip = (p: Record<string, unknown>, keep: string[]) =>
  Object.fromEntries(Object.entries(p).filter(([k]) => keep.includes(k)));

describe('Immuta policy mapping (docs/immuta.md "Policy mapping", one case per row)', () => {
  for (const c of RULE_CASES) {
    it(`${c.id}: ${c.verdict}`, () => {
      const out = mapCase(c);
      // A data source's own rules come with its subscription policy (automatic → anyone).
      const policies =
        c.where === 'local'
          ? out.policies.filter((p) => p.type !== 'subscription' || p.id.endsWith(':failclosed'))
          : out.policies;
      if (c.verdict === 'mapped') {
        expect(out.diagnostics).toEqual([]);
        const keep =
          c.where === 'circumstances'
            ? ['scope']
            : ['type', 'target', 'mask', 'condition', 'where', 'filter', 'exception', 'access'];
        expect(policies.map((p) => strip(p as Record<string, unknown>, keep))).toEqual(c.expect);
        // Valid v1, and it compiles for a data source it reaches without failing closed (both dialects).
        const parsed = policies.map((p) => PolicySchema.parse(p));
        for (const dialect of [postgres, redshift]) {
          const compiled = compileView(
            VIEW,
            parsed.map((p) =>
              p.scope.kind === 'local' ? { ...p, scope: { kind: 'local' as const, dataSourceId: VIEW.id } } : p,
            ),
            { mode: 'single', database: 'postgres', viewSchema: 'secure' },
            dialect,
          );
          expect(
            compiled.diagnostics.filter((d) => d.severity === 'error'),
            `${c.id} on ${dialect.name}`,
          ).toEqual([]);
        }
      } else {
        expect(policies).toHaveLength(1);
        expect(policies[0]).toMatchObject({ type: 'rowFilter', filter: { kind: 'never' } });
        expect(policies[0]!.id).toMatch(/:failclosed$/);
        expect(out.diagnostics).toHaveLength(1);
        expect(out.diagnostics[0]!.code).toBe('VG705');
        expect(out.diagnostics[0]!.summary).toMatch(c.reason);
        expect(policies[0]!.name).toMatch(c.reason);
      }
    });
  }

  it('one unmappable rule replaces the WHOLE policy, its mappable rules included (never partially applied)', () => {
    const good = {
      type: 'masking',
      config: { fields: [{ name: 'PII.Email' }], maskingConfig: { type: 'Consistent Value' } },
    };
    const bad = RULE_CASES.find((c) => c.id === 'mask-format-preserving')!;
    for (const rules of [
      [good, bad.json],
      [bad.json, good],
    ]) {
      const out = mapGlobalPolicy({
        id: '9',
        name: 'Mixed',
        type: 'data',
        actions: [{ type: 'masking', rules }],
        circumstances: [{ operator: 'or', type: 'columnTags', columnTag: { name: 'PII' } }],
      });
      expect(out.policies.map((p) => p.id)).toEqual(['immuta:gp:9:failclosed']);
      expect(out.policies[0]!.scope).toEqual({ kind: 'global', tags: ['PII'] });
      expect(out.diagnostics[0]!.summary).toMatch(
        /^global policy 9 "Mixed", action 1 rule \d \(masking: Format Preserving Masking\)/,
      );
    }
    const local = mapDataSourcePolicies(DS, [
      { type: 'visibility', conditions: [{ type: 'groups', field: 'dept' }] },
      { type: 'minimization', config: { percent: 5 } },
    ]);
    expect(local.policies.map((p) => p.id)).toEqual(['immuta:ds:7:failclosed']);
    expect(local.policies[0]!.scope).toEqual({ kind: 'local', dataSourceId: 'immuta:ds:7' });
  });

  it('a policy whose circumstances cannot be read fails closed on every data source', () => {
    const out = mapGlobalPolicy({
      id: '5',
      name: 'By column name',
      type: 'data',
      actions: [
        {
          type: 'masking',
          rules: [
            { type: 'masking', config: { fields: [{ name: 'PII' }], maskingConfig: { type: 'Consistent Value' } } },
          ],
        },
      ],
      circumstances: [{ type: 'columnRegex', regex: 'ssn' }],
    });
    expect(out.policies[0]!.scope).toEqual({ kind: 'global' });
    expect(out.diagnostics[0]!.summary).toContain('every data source fail closed');
  });

  it('staged, disabled and deleted policies, and global subscription policies, give nothing', () => {
    const base = {
      id: '3',
      name: 'x',
      type: 'data',
      actions: [
        {
          type: 'masking',
          rules: [
            { type: 'masking', config: { fields: [{ name: 'PII' }], maskingConfig: { type: 'Consistent Value' } } },
          ],
        },
      ],
    };
    for (const p of [
      { ...base, staged: true },
      { ...base, disabled: true },
      { ...base, deleted: true },
      { ...base, type: 'subscription' },
    ]) {
      expect(mapGlobalPolicy(p)).toEqual({ policies: [], diagnostics: [] });
    }
  });

  it('docs/immuta.md lists exactly these cases, with these verdicts', () => {
    const doc = readFileSync(new URL('../../docs/immuta.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|[^|]*\|[^|]*\| (mapped|fails closed) \|/gm)].map((m) => [
      m[1],
      m[2] === 'mapped' ? 'mapped' : 'failClosed',
    ]);
    expect(rows).toEqual(RULE_CASES.map((c) => [c.id, c.verdict]));
  });
});
