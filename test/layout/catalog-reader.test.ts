// parseCatalog over the shapes drivers return (BIGINT as string/bigint/number, booleans as text), and the
// read statement's text per dialect. The read itself runs on real engines in procedures.test.ts.
import { describe, expect, it } from 'vitest';
import { catalogReadStatement, narrowSnapshot, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

describe('catalog reader', () => {
  it('coerces driver value shapes and parses definitions', () => {
    const snap = parseCatalog([
      { kind: 'epoch', id: null, version: '7', deleted: null, definition: null, view_signature: null },
      { kind: 'datasource', id: 'ds', version: 3n, deleted: 'f', definition: '{"a":[1]}', view_signature: 'sig' },
      { kind: 'policy', id: 'p', version: 2, deleted: true, definition: null, view_signature: null },
    ]);
    expect(snap).toEqual({
      epoch: 7,
      dataSources: new Map([['ds', { version: 3, deleted: false, definition: { a: [1] }, viewSignature: 'sig' }]]),
      policies: new Map([['p', { version: 2, deleted: true, definition: null }]]),
    });
  });

  it('fails on corrupt state rather than compiling against it', () => {
    const epoch = { kind: 'epoch', version: 1 };
    expect(() => parseCatalog([epoch, epoch])).toThrow(/more than one epoch/);
    expect(() => parseCatalog([epoch, { kind: 'policy', id: 'p', version: 'x', deleted: true }])).toThrow(
      /not an integer/,
    );
    expect(() =>
      parseCatalog([epoch, { kind: 'policy', id: 'p', version: 1, deleted: true, definition: '{' }]),
    ).toThrow(/not valid JSON/);
    expect(() => parseCatalog([epoch, { kind: 'other' }])).toThrow(/unexpected row kind/);
  });

  it('binds the data source id; reads all of them without one', () => {
    const one = catalogReadStatement(redshift, "ds'1");
    expect(one.params).toEqual({ datasource_id: "ds'1" });
    expect(one.sql).not.toContain("ds'1");
    expect(one.sql).toContain('varchar(65535)');
    expect(catalogReadStatement(redshift).params).toBeUndefined();
  });

  it('binds every id of a several-data-source read; refuses an empty list', () => {
    const some = catalogReadStatement(redshift, ["ds'1", 'ds-2', "ds'1"]);
    expect(some.params).toEqual({ datasource_id_1: "ds'1", datasource_id_2: 'ds-2' });
    expect(some.sql).toContain('WHERE datasource_id IN (:datasource_id_1, :datasource_id_2)');
    expect(some.sql).not.toContain("ds'1");
    expect(() => catalogReadStatement(redshift, [])).toThrow(/empty list/);
  });

  it('the several-data-source read passes the Redshift lint (the one-id and all forms are in its corpus)', () => {
    expect(lintRedshift(catalogReadStatement(redshift, ['a', 'b', 'c']).sql)).toEqual([]);
    // Control: the lint reads this statement's text (a PostgreSQL-only cast in the same place is rejected).
    expect(
      lintRedshift(catalogReadStatement(redshift, ['a', 'b']).sql.replace(':datasource_id_1', "'a'::regclass")).length,
    ).toBeGreaterThan(0);
  });

  it('narrowSnapshot keeps the epoch, every policy and only that data source', () => {
    const snap = parseCatalog([
      { kind: 'epoch', version: 4 },
      { kind: 'datasource', id: 'a', version: 1, deleted: false, definition: '{}', view_signature: null },
      { kind: 'datasource', id: 'b', version: 2, deleted: true, definition: null, view_signature: null },
      { kind: 'policy', id: 'p', version: 1, deleted: false, definition: '{}' },
    ]);
    expect(narrowSnapshot(snap, 'b')).toEqual({
      epoch: 4,
      dataSources: new Map([['b', snap.dataSources.get('b')]]),
      policies: snap.policies,
    });
    expect(narrowSnapshot(snap, 'c')).toEqual({ epoch: 4, dataSources: new Map(), policies: snap.policies });
  });
});
