// Validation of the policy model v1: valid documents parse (with defaults), invalid ones give coded
// diagnostics with the JSON path of each problem.
import { describe, expect, it } from 'vitest';
import { parseDataSource, parsePolicy, parseUserProfile } from '../../shared/policy/validate.js';
import { parseColumnType } from '../../shared/policy/column-type.js';
import { tagDepth, tagIsUnder } from '../../shared/policy/tag.js';

const header = {
  id: 'p1',
  version: 1,
  name: 'n',
  createdAt: '2024-05-01T10:00:00Z',
  scope: { kind: 'global', tags: ['PII'] },
};

describe('parsePolicy', () => {
  it('accepts each policy type and fills defaults', () => {
    const mask = parsePolicy({
      ...header,
      type: 'mask',
      target: { kind: 'tag', tag: 'PII.Email' },
      mask: { kind: 'hash' },
    });
    expect(mask.ok && mask.value.type === 'mask' && mask.value.condition).toEqual({ kind: 'everyone' });
    const who = parsePolicy({
      ...header,
      type: 'mask',
      target: { kind: 'column', name: 'ssn' },
      mask: { kind: 'null' },
      condition: { kind: 'everyoneWho', who: { groups: ['g'] } },
    });
    expect(who.ok && who.value.type === 'mask' && who.value.condition).toEqual({
      kind: 'everyoneWho',
      who: { groups: ['g'], attributes: {}, purposes: [], match: 'any' },
      otherwise: { kind: 'clear' },
    });
    expect(parsePolicy({ ...header, type: 'subscription', access: { kind: 'approved' } }).ok).toBe(true);
    expect(
      parsePolicy({ ...header, type: 'rowFilter', filter: { kind: 'never' }, exception: { purposes: ['audit'] } }).ok,
    ).toBe(true);
  });

  it('reports every problem as VG202 with its JSON path', () => {
    const r = parsePolicy({
      ...header,
      createdAt: 'yesterday',
      scope: { kind: 'local' },
      type: 'mask',
      target: { kind: 'tag', tag: 'PII..Email' },
      mask: { kind: 'constant' },
      condition: { kind: 'everyoneExcept', except: {} },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.every((x) => x.code === 'VG202' && x.summary.startsWith('invalid policy: '))).toBe(true);
    expect(r.diagnostics.map((x) => x.path.join('.')).sort()).toEqual([
      'condition.except',
      'createdAt',
      'mask.value',
      'scope.dataSourceId',
      'target.tag',
    ]);
  });

  it('an unknown type is one diagnostic at ["type"]; a base path prefixes every path', () => {
    const r = parsePolicy({ ...header, type: 'teleport' }, ['data']);
    expect(r.ok ? [] : r.diagnostics.map((x) => x.path)).toEqual([['data', 'type']]);
  });
});

describe('parseDataSource / parseUserProfile', () => {
  const ds = {
    id: 'd',
    name: 'v',
    version: 0,
    location: { database: 'db', schema: 's', table: 't' },
    kind: 'table',
    columns: [{ name: 'a', type: 'int' }],
  };
  it('accepts a data source and defaults tags', () => {
    const r = parseDataSource(ds);
    expect(r.ok && r.value.columns[0]).toEqual({ name: 'a', type: 'int', tags: [] });
  });
  it('rejects unknown column types, duplicate columns, negative versions (VG201 with paths)', () => {
    const r = parseDataSource({
      ...ds,
      version: -1,
      kind: 'view',
      columns: [
        { name: 'a', type: 'blob' },
        { name: 'a', type: 'int8' },
      ],
    });
    expect(r.ok ? [] : r.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`).sort()).toEqual(
      ['VG201 columns.0.type', 'VG201 kind', 'VG201 version'].sort(),
    );
    const dup = parseDataSource({
      ...ds,
      columns: [
        { name: 'a', type: 'int' },
        { name: 'a', type: 'int8' },
      ],
    });
    expect(dup.ok ? [] : dup.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`)).toEqual(['VG201 columns.1.name']);
    expect(dup.ok ? [] : dup.diagnostics.map((x) => x.summary)).toEqual(['invalid data source: duplicate column "a"']);
  });
  it('user profile defaults and VG203', () => {
    const r = parseUserProfile({ userId: 'u', version: 2 });
    expect(r.ok && r.value).toEqual({
      userId: 'u',
      version: 2,
      groups: [],
      attributes: {},
      projects: [],
      currentProject: null,
      purposes: [],
      dataSources: [],
    });
    const projects = { projects: ['churn'], currentProject: 'churn', projectPurposes: { churn: ['Fraud Detection'] } };
    expect(parseUserProfile({ userId: 'u', version: 2, ...projects })).toMatchObject({ ok: true, value: projects });
    const empty = parseUserProfile({ userId: 'u', version: 2, projectPurposes: { '': ['x'], churn: [''] } });
    expect(empty.ok ? [] : empty.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`).sort()).toEqual([
      'VG203 projectPurposes.',
      'VG203 projectPurposes.churn.0',
    ]);
    const bad = parseUserProfile({ userId: '', version: 1.5, attributes: { k: 'v' } });
    expect(bad.ok ? [] : bad.diagnostics.map((x) => `${x.code} ${x.path.join('.')}`).sort()).toEqual([
      'VG203 attributes.k',
      'VG203 userId',
      'VG203 version',
    ]);
    expect(bad.ok ? [] : bad.diagnostics.map((x) => x.summary.split(': ')[0])).toEqual(
      Array(3).fill('invalid user profile'),
    );
  });
});

describe('column types', () => {
  it.each([
    ['VARCHAR( 20 )', 'varchar(20)'],
    ['character varying', 'varchar(256)'],
    ['nchar(3)', 'char(3)'],
    ['integer', 'int4'],
    ['BIGINT', 'int8'],
    ['decimal(12, 2)', 'numeric(12,2)'],
    ['numeric', 'numeric(18,0)'],
    ['double precision', 'float8'],
    ['timestamp with time zone', 'timestamptz'],
    ['bool', 'boolean'],
  ])('%s → %s', (declared, canonical) => expect(parseColumnType(declared)?.sql).toBe(canonical));
  it.each(['varchar(0)', 'varchar(65536)', 'numeric(39,0)', 'numeric(5,6)', 'super', 'geometry', 'int; drop'])(
    '%s is unknown',
    (t) => expect(parseColumnType(t)).toBeNull(),
  );
});

describe('tags', () => {
  it('are hierarchical by whole segments', () => {
    expect(tagIsUnder('PII.Email', 'PII')).toBe(true);
    expect(tagIsUnder('PII', 'PII')).toBe(true);
    expect(tagIsUnder('PIIX', 'PII')).toBe(false);
    expect(tagIsUnder('PII', 'PII.Email')).toBe(false);
    expect(tagDepth('A.B.C')).toBe(3);
  });
});
