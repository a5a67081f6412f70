// fast-check generators for the generative differential test: a *world* is a few users and a batch of
// *cases*; each case is one or two data sources (every column type of docs/policies.md, lengths and
// precision at their edges, hostile names and values) with rows, and a policy set over every policy kind.
// Names, groups, attributes and values come from small shared vocabularies (quotes, `|`, `%`, `=`, `.`,
// unicode) so that policies, users and rows actually meet.
import fc from 'fast-check';
import type { DataSourceInput } from '../../shared/policy/data-source.js';
import type { PolicyInput } from '../../shared/policy/policy.js';
import type { UserProfileInput } from '../../shared/policy/user-profile.js';
import { REGEX_PATTERNS } from '../support/reference/regex-patterns.js';
import { refType, type RefType } from '../support/reference/values.js';
import type { Cond } from '../support/reference/where-clause.js';
import { clauseArb } from './clause-arbitraries.js';
import { valueArb, type GenValue } from './value-arbitraries.js';

import { ATTR_KEYS, ATTR_VALUES, COLUMN_NAMES, DS_IDS, GROUPS, PROJECTS, PURPOSES, TAGS } from './vocabulary.js';

const CREATED = [
  '2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00Z',
  '2024-03-01T12:00:00+02:00',
  '2023-12-31T23:00:00-01:00',
];

/** Every declared spelling of docs/policies.md's type table, with lengths, precision and scale at their edges. */
export const typeArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('varchar(1)', 'varchar(12)', 'character varying(3)', 'nvarchar(65535)', 'varchar', 'VARCHAR(64)'),
  fc.integer({ min: 1, max: 70 }).map((n) => `varchar(${n})`),
  fc.constantFrom('char(1)', 'char(5)', 'character(11)', 'nchar(2)', 'bpchar(4)', 'char', 'char(4096)', 'bpchar'),
  fc.constant('text'),
  fc.constantFrom('smallint', 'int2', 'integer', 'int', 'int4', 'bigint', 'int8'),
  fc.constantFrom(
    'numeric(1,0)',
    'numeric(1,1)',
    'numeric(38,0)',
    'numeric(38,38)',
    'numeric(38,20)',
    'decimal(5)',
    'numeric',
    'numeric(10,2)',
    'decimal(4,4)',
  ),
  fc.integer({ min: 1, max: 38 }).chain((p) => fc.integer({ min: 0, max: p }).map((s) => `numeric(${p},${s})`)),
  fc.constantFrom('real', 'float4', 'double precision', 'float8', 'float'),
  fc.constantFrom(
    'boolean',
    'bool',
    'date',
    'timestamp',
    'timestamp without time zone',
    'timestamptz',
    'timestamp with time zone',
    'time',
    'time without time zone',
    'timetz',
    'time with time zone',
  ),
);

export interface GenColumn {
  name: string;
  type: string;
  tags: string[];
}

export interface GenDataSource {
  input: DataSourceInput;
  rows: GenValue[][];
}

export interface GenCase {
  dataSources: GenDataSource[];
  policies: PolicyInput[];
  /** Clause trees by clause text. */
  clauses: [string, Cond][];
}

export interface GenUser {
  profile: Omit<UserProfileInput, 'userId' | 'version'> | null;
}

export interface GenWorld {
  users: GenUser[];
  cases: GenCase[];
}

const subset = <T>(xs: readonly T[], max = xs.length): fc.Arbitrary<T[]> =>
  fc.uniqueArray(fc.constantFrom(...xs), { maxLength: max });

const columnsArb: fc.Arbitrary<GenColumn[]> = fc
  .uniqueArray(fc.constantFrom(...COLUMN_NAMES), { minLength: 1, maxLength: 5 })
  .chain((names) =>
    fc.tuple(...names.map((name) => fc.record({ name: fc.constant(name), type: typeArb, tags: subset(TAGS, 2) }))),
  );

const dataSourceArb = (index: number): fc.Arbitrary<GenDataSource> =>
  fc
    .record({
      columns: columnsArb,
      tags: subset(TAGS, 2),
      id: fc.constantFrom(...DS_IDS),
      nRows: fc.integer({ min: 0, max: 6 }),
    })
    .chain(({ columns, tags, id, nRows }) =>
      fc
        .array(fc.tuple(...columns.map((c) => valueArb(refType(c.type)!))), { minLength: nRows, maxLength: nRows })
        .map((rows) => ({
          input: {
            id: index === 0 ? id : `${id}-${index}`,
            name: `view ${index}`,
            version: 1,
            location: { database: 'set-by-runner', schema: 'raw', table: `t${index}` },
            kind: 'table' as const,
            columns,
            tags,
          },
          rows,
        })),
    );

export const criteriaArb = fc
  .record({
    groups: subset(GROUPS, 2),
    attributes: fc.dictionary(
      fc.constantFrom(...ATTR_KEYS),
      fc.uniqueArray(fc.constantFrom(...ATTR_VALUES), { minLength: 1, maxLength: 2 }),
      { maxKeys: 1 },
    ),
    purposes: subset(PURPOSES, 1),
    match: fc.constantFrom('any' as const, 'all' as const),
  })
  .filter((c) => c.groups.length + Object.keys(c.attributes).length + c.purposes.length > 0);

const scopeArb = (dsIds: string[]) =>
  fc.oneof(
    fc.constantFrom(...dsIds).map((dataSourceId) => ({ kind: 'local' as const, dataSourceId })),
    subset(TAGS, 2).map((tags) => ({ kind: 'global' as const, ...(tags.length ? { tags } : {}) })),
  );

const targetArb = (columns: string[]) =>
  fc.oneof(
    fc.constantFrom(...columns, 'missing').map((name) => ({ kind: 'column' as const, name })),
    fc.constantFrom(...TAGS).map((tag) => ({ kind: 'tag' as const, tag })),
  );

const maskFnArb = fc.oneof(
  fc.constant({ kind: 'hash' as const }),
  fc.constant({ kind: 'null' as const }),
  fc
    .constantFrom(
      'REDACTED',
      '',
      '0',
      '-7',
      '1.5',
      '32768',
      'true',
      'FALSE',
      '2024-02-29',
      '2023-02-29',
      '0000-01-01',
      '2024-01-01 10:00:00',
      '2024-01-01T10:00:00+05:30',
      '12:30:00',
      '25:00',
      "o'k|%=",
      'Zoë',
      'x'.repeat(70),
    )
    .map((value) => ({ kind: 'constant' as const, value })),
  fc.record({
    kind: fc.constant('regex' as const),
    pattern: fc.constantFrom(...Object.keys(REGEX_PATTERNS)),
    replacement: fc.constantFrom('*', '', "'", '|x|', 'ü', '%'),
    global: fc.boolean(),
    caseInsensitive: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('round' as const),
    bucket: fc.option(fc.constantFrom(1, 4, 10, 1000, 2.5, 0.125, 0.0001, 1e15), { nil: undefined }),
    unit: fc.option(
      fc.constantFrom(
        'year' as const,
        'quarter' as const,
        'month' as const,
        'week' as const,
        'day' as const,
        'hour' as const,
        'minute' as const,
      ),
      { nil: undefined },
    ),
  }),
  fc.record({
    kind: fc.constant('partial' as const),
    keep: fc.constantFrom('first' as const, 'last' as const),
    count: fc.constantFrom(0, 1, 2, 4, 1000),
    maskChar: fc.constantFrom('*', '#', '•', "'"),
    preserveFormat: fc.boolean(),
  }),
);

const conditionArb = fc.oneof(
  fc.constant({ kind: 'everyone' as const }),
  criteriaArb.map((except) => ({ kind: 'everyoneExcept' as const, except })),
  fc.record({
    kind: fc.constant('everyoneWho' as const),
    who: criteriaArb,
    otherwise: fc.oneof(fc.constant({ kind: 'clear' as const }), maskFnArb),
  }),
);

interface PolicyGen {
  policy: PolicyInput;
  clauses: [string, Cond][];
}

const header = (i: number) =>
  fc
    .record({ createdAt: fc.constantFrom(...CREATED) })
    .map(({ createdAt }) => ({ id: `p${i}|${i % 3 === 0 ? "'" : '%'}`, version: 1, name: `policy ${i}`, createdAt }));

function policyArb(i: number, ds: GenDataSource[]): fc.Arbitrary<PolicyGen> {
  const columns = [...new Set(ds.flatMap((d) => d.input.columns.map((c) => c.name)))];
  const typedColumns = ds[0]!.input.columns.map((c) => ({
    name: c.name,
    type: refType(c.type)! as RefType,
    tags: c.tags ?? [],
  }));
  const dsIds = ds.map((d) => d.input.id);
  const subscription = fc
    .record({
      h: header(i),
      scope: scopeArb(dsIds),
      access: fc.oneof(
        fc.constant({ kind: 'anyone' as const }),
        criteriaArb.map((who) => ({ kind: 'usersWith' as const, who })),
        fc.constant({ kind: 'approved' as const }),
        subset(PURPOSES, 2)
          .filter((p) => p.length > 0)
          .map((purposes) => ({ kind: 'usingPurpose' as const, purposes })),
      ),
    })
    .map(({ h, scope, access }): PolicyGen => ({ policy: { ...h, scope, type: 'subscription', access }, clauses: [] }));
  const mask = fc
    .record({
      h: header(i),
      scope: scopeArb(dsIds),
      target: targetArb(columns),
      mask: maskFnArb,
      condition: conditionArb,
      where: fc.option(clauseArb(typedColumns), { nil: undefined, freq: 3 }),
    })
    .map(({ h, scope, target, mask: fn, condition, where }): PolicyGen => ({
      policy: { ...h, scope, type: 'mask', target, mask: fn, condition, ...(where ? { where: where.text } : {}) },
      clauses: where ? [[where.text, where.tree]] : [],
    }));
  const filter = fc
    .record({
      h: header(i),
      scope: scopeArb(dsIds),
      rule: filterRuleArb(columns, typedColumns),
      exception: fc.option(criteriaArb, { nil: undefined }),
    })
    .map(({ h, scope, rule, exception }): PolicyGen => ({
      policy: { ...h, scope, type: 'rowFilter', filter: rule.rule, ...(exception ? { exception } : {}) },
      clauses: rule.clause ? [[rule.clause.text, rule.clause.tree]] : [],
    }));
  return fc.oneof(
    { arbitrary: subscription, weight: 2 },
    { arbitrary: mask, weight: 4 },
    { arbitrary: filter, weight: 3 },
  );
}

function filterRuleArb(columns: string[], typedColumns: { name: string; type: RefType; tags: string[] }[]) {
  const col = targetArb(columns);
  type Rule = { rule: Extract<PolicyInput, { type: 'rowFilter' }>['filter']; clause?: { text: string; tree: Cond } };
  return fc.oneof(
    fc
      .record({ column: col, attribute: fc.constantFrom(...ATTR_KEYS) })
      .map((r): Rule => ({ rule: { kind: 'attributeMatch', ...r } })),
    col.map((column): Rule => ({ rule: { kind: 'groupMatch', column } })),
    fc.constant<Rule>({ rule: { kind: 'never' } }),
    fc
      .record({
        column: col,
        values: fc.array(
          fc.constantFrom(
            'US',
            'hr',
            '1',
            '0',
            '-7',
            '1.50',
            'true',
            '2024-02-29',
            '2023-02-30',
            '12:00:00',
            "o'k",
            'x|y',
            'Zoë',
            '',
          ),
          { minLength: 1, maxLength: 3 },
        ),
        not: fc.boolean(),
      })
      .map((r): Rule => ({ rule: { kind: 'values', ...r } })),
    fc
      .record({
        column: col,
        direction: fc.constantFrom('newer' as const, 'older' as const),
        amount: fc.constantFrom(1, 2, 30, 400, 100000),
        unit: fc.constantFrom(
          'minute' as const,
          'hour' as const,
          'day' as const,
          'week' as const,
          'month' as const,
          'year' as const,
        ),
      })
      .map((r): Rule => ({ rule: { kind: 'timeWindow', ...r } })),
    fc
      .record({ column: col, percent: fc.constantFrom(0.01, 12.5, 50, 99.99, 100) })
      .map((r): Rule => ({ rule: { kind: 'minimize', ...r } })),
    subset(PURPOSES, 2)
      .filter((p) => p.length > 0)
      .map((purposes): Rule => ({ rule: { kind: 'usingPurpose', purposes } })),
    clauseArb(typedColumns).map((c): Rule => ({ rule: { kind: 'where', clause: c.text }, clause: c })),
  );
}

const BASELINE: PolicyInput = {
  id: 'baseline',
  version: 1,
  name: 'anyone',
  createdAt: '2030-01-01T00:00:00Z',
  scope: { kind: 'global' },
  type: 'subscription',
  access: { kind: 'anyone' },
};

export const caseArb: fc.Arbitrary<GenCase> = fc
  .integer({ min: 1, max: 2 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => dataSourceArb(i))))
  .chain((dataSources) =>
    fc.integer({ min: 0, max: 5 }).chain((k) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: 9 }).map((n) => n < 7),
          k === 0
            ? fc.constant([] as PolicyGen[])
            : fc.tuple(...Array.from({ length: k }, (_, i) => policyArb(i, dataSources))),
        )
        .map(([baseline, gens]) => ({
          dataSources,
          // Most cases let everyone with a profile subscribe (the weakest subscription: every other one wins over
          // it), so that masks and filters are seen; the others keep the default (approved users only).
          policies: [...(baseline ? [BASELINE] : []), ...gens.map((g) => g.policy)],
          clauses: gens.flatMap((g) => g.clauses),
        })),
    ),
  );

const profileArb = fc.record({
  groups: subset(GROUPS, 3),
  attributes: fc.dictionary(fc.constantFrom(...ATTR_KEYS), subset(ATTR_VALUES, 2), { maxKeys: 2 }),
  projects: subset(PROJECTS, 2),
  currentProject: fc.option(fc.constantFrom(...PROJECTS), { nil: null }),
  purposes: subset(PURPOSES, 3),
  projectPurposes: fc.option(fc.dictionary(fc.constantFrom(...PROJECTS), subset(PURPOSES, 2), { maxKeys: 3 }), {
    nil: undefined,
  }),
  dataSources: subset(DS_IDS, 2),
});

export const USERS_PER_WORLD = 3;

/**
 * A world: the users (each a real login role; null = no profile row) and up to `cases` cases (exactly, with `exact`).
 */
export const worldArb = (cases: number, exact = false): fc.Arbitrary<GenWorld> =>
  fc.record({
    users: fc.array(
      fc.option(profileArb, { nil: null, freq: 8 }).map((profile) => ({ profile })),
      { minLength: USERS_PER_WORLD, maxLength: USERS_PER_WORLD },
    ),
    cases: fc.array(caseArb, { minLength: exact ? cases : 1, maxLength: cases }),
  });
