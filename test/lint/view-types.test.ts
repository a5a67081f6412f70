// CASE branch types, checked on the compiler's own typed output (CompiledView.columns[].branchTypes), not on the
// SQL text: a CASE whose result expressions fall in different type categories is refused by Redshift and
// PostgreSQL alike ("CASE types text and date cannot be matched"), and the view then fails closed for everyone.
import { describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { lintViewTypes, typeCategory } from '../support/lint/view-types.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { dataSource as breadthDataSource, docConfig, examples, policiesOf } from '../breadth/policy-doc-examples.js';
import { examplePolicySets, exampleDataSources, multiViewConfig, viewConfig } from './generated-redshift-sql.js';

describe('lintViewTypes (VG405)', () => {
  it('reports a CASE that mixes text and a date (the hash-on-date-with-exception shape), with the column', () => {
    const d = lintViewTypes([{ name: 'hired', branchTypes: ['date', 'varchar(64)'] }]);
    expect(d.map((x) => [x.code, x.path])).toEqual([['VG405', ['hired']]]);
    expect(d[0]!.summary).toMatch(/date, varchar\(64\) \(datetime and string\)/);
  });

  it('accepts one category, NULLs and untyped literals, and numbers or datetimes of different widths', () => {
    expect(
      lintViewTypes([
        { name: 'a', branchTypes: ['char(11)', 'varchar(11)', 'unknown'] },
        { name: 'b', branchTypes: ['int4', 'numeric(12,2)'] },
        { name: 'c', branchTypes: ['date', 'timestamp', 'unknown'] },
        { name: 'd', branchTypes: ['boolean'] },
      ]),
    ).toEqual([]);
  });

  it('knows every type the compiler emits (a new one must be categorised, not guessed)', () => {
    for (const t of [
      'text',
      'varchar(65535)',
      'char(1)',
      'int2',
      'int8',
      'numeric(38,0)',
      'float4',
      'float8',
      'boolean',
      'date',
      'timestamp',
      'timestamptz',
      'time',
      'timetz',
    ]) {
      expect(() => typeCategory(t), t).not.toThrow();
    }
    expect(() => typeCategory('jsonb')).toThrow(/unknown type/);
  });
});

// On Redshift, where a branch keeps its own type (PostgreSQL casts each branch to the column's output type).
describe('the typed output: each CASE branch of a masked column with its type, in order', () => {
  const mask = (column: string, body: Record<string, unknown>) =>
    PolicySchema.parse({
      id: `m-${column}`,
      version: 1,
      name: 'm',
      createdAt: '2024-01-01T00:00:00Z',
      scope: { kind: 'global' },
      type: 'mask',
      target: { kind: 'column', name: column },
      ...body,
    });
  const hr = { kind: 'everyoneExcept', except: { groups: ['hr'] } };
  it.each([
    // A hash makes the column text: the clear branch is cast to the hashed column's varchar.
    ['redshift', 'visited', { mask: { kind: 'hash' }, condition: hr }, ['varchar(64)', 'varchar(64)']],
    // An untyped constant and NULL take the other branches' type.
    ['redshift', 'salary', { mask: { kind: 'constant', value: '0' }, condition: hr }, ['numeric(10,2)', 'unknown']],
    ['redshift', 'salary', { mask: { kind: 'null' } }, ['unknown']],
    // A regex or partial mask gives the column's text, typed (not an untyped literal).
    [
      'redshift',
      'name',
      { mask: { kind: 'regex', pattern: '[aeiou]', replacement: '*' }, condition: hr },
      ['varchar(40)', 'varchar(40)'],
    ],
    // PostgreSQL casts each branch to the output type (castsEachCaseBranch): every branch has that type.
    ['postgres', 'visited', { mask: { kind: 'hash' }, condition: hr }, ['varchar(64)', 'varchar(64)']],
    [
      'postgres',
      'salary',
      { mask: { kind: 'constant', value: '0' }, condition: hr },
      ['numeric(10,2)', 'numeric(10,2)'],
    ],
    ['postgres', 'salary', { mask: { kind: 'null' } }, ['numeric(10,2)']],
  ] as const)('%s: %s %j', (dialect, column, body, types) => {
    const compiled = compileView(
      DataSourceSchema.parse(breadthDataSource(docConfig.database)),
      [mask(column, body)],
      docConfig,
      dialect === 'redshift' ? redshift : postgres,
    );
    expect(compiled.columns.find((c) => c.name === column)?.branchTypes).toEqual(types);
    expect(lintViewTypes(compiled.columns)).toEqual([]);
  });
});

describe('every view the compiler emits has CASE branches of one type category (both dialects, both modes)', () => {
  const hashOnDate = PolicySchema.parse({
    id: 'hash-hired',
    version: 1,
    name: 'hash hired',
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'global' },
    type: 'mask',
    target: { kind: 'column', name: 'visited' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
  });
  const cases = [
    ...exampleDataSources.flatMap((ds) =>
      examplePolicySets.flatMap(([label, policies]) =>
        [viewConfig, multiViewConfig].map((config) => ({
          label: `${ds.name} ${label} ${config.mode}`,
          ds,
          policies,
          config,
        })),
      ),
    ),
    ...examples.map((ex) => ({
      label: `breadth ${ex.id}`,
      ds: breadthDataSource(docConfig.database),
      policies: policiesOf(ex),
      config: docConfig,
    })),
    {
      label: 'hash of a date with an exception',
      ds: breadthDataSource(docConfig.database),
      policies: [hashOnDate],
      config: docConfig,
    },
  ];
  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    for (const dialect of [postgres, redshift]) {
      const compiled = compileView(DataSourceSchema.parse(c.ds), c.policies, c.config, dialect);
      expect(compiled.columns.map((col) => col.name)).toEqual(compiled.signature.columns.map((col) => col.name));
      expect(lintViewTypes(compiled.columns), `${dialect.name}: ${JSON.stringify(compiled.columns)}`).toEqual([]);
    }
  });
});
