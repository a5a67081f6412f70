// Data sources (docs/policies.md "Data sources", the column types of shared/policy/column-type.ts) and tags
// at their edges, as the sender of a datasource event sees them: accepted with the documented defaults, or
// refused (400, VG504) with the path of the offending field and the reason. The canonical type the compiler
// works with is what the view's column is declared as.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { parseWebhook } from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { parseColumnType } from '../../shared/policy/column-type.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');
type Json = Record<string, unknown>;

/** Send `dataSource` as a datasource.created webhook: the accepted data source, or [path, summary] pairs. */
function send(dataSource: Json): { dataSource?: Json; refused?: [string, string][] } {
  const event = { ...EVENT_EXAMPLES['datasource.created'], subject: String(dataSource.id), data: { dataSource } };
  const body = JSON.stringify(event);
  const r = parseWebhook(body, signWebhook(body, secret, 'msg_1', now), secret, now);
  if (r.ok) return { dataSource: (r.event.data as { dataSource: Json }).dataSource };
  expect(r.status).toBe(400);
  expect(r.diagnostics.every((d) => d.code === 'VG504')).toBe(true);
  return { refused: r.diagnostics.map((d) => [d.path.slice(2).join('.'), d.summary]) };
}

const ds = (extra: Json = {}): Json => ({
  id: 'ds',
  name: 'orders',
  version: 0,
  location: { database: 'sales', schema: 'public', table: 'orders' },
  kind: 'table',
  columns: [{ name: 'a', type: 'int4' }],
  ...extra,
});
const accepted = (d: Json): Json => {
  const r = send(d);
  expect(r.refused).toBeUndefined();
  return r.dataSource!;
};
const refused = (d: Json, path: string, why: RegExp | string): void => {
  const r = send(d);
  expect(r.refused?.map(([p]) => p)).toEqual([path]);
  expect(r.refused![0]![1]).toMatch(why);
};
const TAG = 'a tag is non-empty segments separated by "." (e.g. "PII.Email")';
const UNKNOWN = 'unknown column type (see docs/policies.md for the types the compiler knows)';

describe('data source events at the edges of the model', () => {
  it('tags default to none on the data source and on each column; external tables are data sources too', () => {
    expect(accepted(ds({ kind: 'external' }))).toEqual({
      ...ds({ kind: 'external' }),
      columns: [{ name: 'a', type: 'int4', tags: [] }],
      tags: [],
    });
  });

  it('at least one column, each name once (compared exactly: "A" and "a" are two columns)', () => {
    refused(ds({ columns: [] }), 'columns', />=1/);
    const twice = [
      { name: 'a', type: 'int4' },
      { name: 'A', type: 'int4' },
      { name: 'a', type: 'text' },
    ];
    refused(ds({ columns: twice }), 'columns.2.name', 'duplicate column "a"');
    expect(accepted(ds({ columns: twice.slice(0, 2) })).columns).toHaveLength(2);
    refused(ds({ columns: [{ name: '', type: 'int4' }] }), 'columns.0.name', />=1/);
    for (const field of ['database', 'schema', 'table']) {
      const location = { database: 'sales', schema: 'public', table: 'orders', [field]: '' };
      refused(ds({ location }), `location.${field}`, />=1/);
    }
    refused(ds({ name: '' }), 'name', />=1/);
  });

  it('tags are non-empty segments separated by "." without leading white space', () => {
    for (const tag of ['P', 'PII', 'PII.Email', 'A.B.C', 'PII Email', 'a-b.c d'])
      expect(accepted(ds({ tags: [tag] })).tags).toEqual([tag]);
    for (const tag of ['', '.P', 'P.', 'P..Q', ' P', 'P. Q', 'P.\tQ']) refused(ds({ tags: [tag] }), 'tags.0', TAG);
    refused(ds({ columns: [{ name: 'a', type: 'int4', tags: ['P.'] }] }), 'columns.0.tags.0', TAG);
  });
});

describe('column types: every documented spelling, its canonical type, and the bounds', () => {
  // [declared, canonical, family]: the list at the top of shared/policy/column-type.ts and docs/policies.md.
  const known: [string, string, string][] = [
    ['varchar(1)', 'varchar(1)', 'string'],
    ['character varying(65535)', 'varchar(65535)', 'string'],
    ['NVARCHAR (20)', 'varchar(20)', 'string'],
    ['varchar', 'varchar(256)', 'string'],
    ['character  varying', 'varchar(256)', 'string'],
    ['char(4096)', 'char(4096)', 'string'],
    ['character(3)', 'char(3)', 'string'],
    ['nchar(2)', 'char(2)', 'string'],
    ['bpchar(5)', 'char(5)', 'string'],
    ['char', 'char(1)', 'string'],
    ['character', 'char(1)', 'string'],
    ['bpchar', 'char(1)', 'string'],
    ['text', 'text', 'string'],
    ['smallint', 'int2', 'integer'],
    ['int2', 'int2', 'integer'],
    ['integer', 'int4', 'integer'],
    ['int', 'int4', 'integer'],
    ['INT4', 'int4', 'integer'],
    ['bigint', 'int8', 'integer'],
    ['int8', 'int8', 'integer'],
    ['numeric(1,0)', 'numeric(1,0)', 'numeric'],
    ['decimal( 38 , 38 )', 'numeric(38,38)', 'numeric'],
    ['numeric(7)', 'numeric(7,0)', 'numeric'],
    ['decimal', 'numeric(18,0)', 'numeric'],
    ['real', 'float4', 'float'],
    ['float4', 'float4', 'float'],
    ['double precision', 'float8', 'float'],
    ['float8', 'float8', 'float'],
    ['float', 'float8', 'float'],
    ['boolean', 'boolean', 'boolean'],
    ['bool', 'boolean', 'boolean'],
    ['date', 'date', 'date'],
    ['timestamp', 'timestamp', 'timestamp'],
    ['timestamp without time zone', 'timestamp', 'timestamp'],
    ['timestamptz', 'timestamptz', 'timestamp'],
    [' Timestamp   With Time Zone ', 'timestamptz', 'timestamp'],
    ['time', 'time', 'time'],
    ['time without time zone', 'time', 'time'],
    ['timetz', 'timetz', 'time'],
    ['time with time zone', 'timetz', 'time'],
  ];
  it.each(known)('%j is accepted as %s (%s)', (declared, canonical, family) => {
    expect(accepted(ds({ columns: [{ name: 'a', type: declared }] })).columns).toEqual([
      { name: 'a', type: declared, tags: [] },
    ]);
    expect(parseColumnType(declared)).toMatchObject({ sql: canonical, family });
  });

  it('a value of a number type, written as text, is never longer than the width the compiler gives that text', () => {
    // The longest value of numeric(p,s) as PostgreSQL writes it: a sign, p digits, the point when s > 0, and
    // the leading zero when every digit is a fraction digit (numeric(2,2): -0.99).
    const longest = (p: number, s: number) =>
      `-${s === p ? '0' : ''}${'9'.repeat(p - s)}${s ? '.' : ''}${'9'.repeat(s)}`;
    for (const [p, s] of [
      [1, 0],
      [2, 2],
      [5, 2],
      [38, 0],
      [38, 37],
      [38, 38],
    ] as const) {
      const width = parseColumnType(`numeric(${p},${s})`)!.textWidth!;
      expect(longest(p, s).length, `numeric(${p},${s})`).toBeLessThanOrEqual(width);
      expect(width - longest(p, s).length, `numeric(${p},${s})`).toBeLessThanOrEqual(s === 0 ? 1 : 0);
    }
    for (const [type, v] of [
      ['int2', '-32768'],
      ['int4', '-2147483648'],
      ['int8', '-9223372036854775808'],
    ])
      expect(parseColumnType(type)!.textWidth).toBe(v!.length);
  });

  it.each([
    'varchar(0)',
    'varchar(65536)',
    'char(0)',
    'char(4097)',
    'numeric(0)',
    'numeric(39,0)',
    'numeric(5,6)',
    'varchar(-1)',
    'xvarchar(5)',
    'xnumeric(5)',
    'numeric(5)x',
    'decimalx',
    'varchar(5)x',
    'int4[]',
    'super',
    'timestamp(3)',
    'double',
  ])('%j is refused', (declared) => {
    refused(ds({ columns: [{ name: 'a', type: declared }] }), 'columns.0.type', UNKNOWN);
  });
});
