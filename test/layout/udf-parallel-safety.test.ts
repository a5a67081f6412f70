// The profile UDFs (f_list_item, f_attribute_item) are PARALLEL SAFE on PostgreSQL, so a query whose row
// filter calls them can still get parallel workers (docs/performance.md, section a); on Redshift the CREATE
// FUNCTION has no PARALLEL clause at all (and passes the Redshift lint). Checked on the real engines: the label
// in pg_proc, and on the PostgreSQL server a parallel plan with it and none without it (the control).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { bootstrap, layoutConfig } from './layout-fixture.js';
import { functionDefinitions } from '../../shared/layout/routine-definitions.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

describe('Redshift form of the UDFs', () => {
  it('has no PARALLEL clause and passes the Redshift lint; the same with the clause does not', () => {
    for (const f of functionDefinitions(redshift)) {
      expect(f.create.sql).not.toMatch(/PARALLEL/i);
      expect(lintRedshift(f.create.sql)).toEqual([]);
      expect(lintRedshift(`${f.create.sql} PARALLEL SAFE`).length).toBeGreaterThan(0);
    }
  });
});

describe.each(engines)('UDF parallel safety on $name', ({ create }) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await create();
    await engine.exec([stmt('CREATE SCHEMA raw'), stmt('CREATE TABLE raw.items (id int4, region text)')]);
    await bootstrap(engine, layoutConfig(engine, 'raw'));
  });
  afterAll(() => engine?.close());

  it(
    'both functions are labelled PARALLEL SAFE (and still ' + 'IMMUTABLE, SQL, not SECURITY DEFINER: inlinable)',
    async () => {
      const rows = await engine.query<{
        proname: string;
        proparallel: string;
        provolatile: string;
        prosecdef: boolean;
        lanname: string;
      }>(
        `SELECT p.proname, p.proparallel, p.provolatile, p.prosecdef, l.lanname FROM pg_catalog.pg_proc p
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace JOIN pg_catalog.pg_language l ON l.oid = p.prolang
        WHERE n.nspname = 'immuta_functions' ORDER BY p.proname`,
      );
      expect(rows.map((r) => r.proname)).toEqual(['f_attribute_item', 'f_list_item']);
      for (const r of rows)
        expect(r).toMatchObject({ proparallel: 's', provolatile: 'i', prosecdef: false, lanname: 'sql' });
      expect(functionDefinitions(postgres).every((f) => / PARALLEL SAFE$/.test(f.create.sql))).toBe(true);
    },
  );

  it(
    'a filter through f_list_item gets a parallel plan; the ' + 'same function PARALLEL UNSAFE (as before) gets none',
    async () => {
      if (engine.name === 'pglite') return; // PGlite is one process: it never plans workers.
      await engine.exec([
        stmt(
          'INSERT INTO raw.items SELECT g, ' +
            "(ARRAY['eu','us','apac'])[1 " +
            '+ g % 3] FROM ' +
            'pg_catalog.generate_series(1, ' +
            '20000) g',
        ),
        stmt('ANALYZE raw.items'),
      ]);
      // Make a parallel plan the cheapest even for a small table, in this session only.
      const force = [
        'SET parallel_setup_cost = 0',
        'SET parallel_tuple_cost = 0',
        'SET min_parallel_table_scan_size = 0',
        'SET max_parallel_workers_per_gather = 2',
      ];
      const query =
        'EXPLAIN (FORMAT JSON) SELECT ' +
        'count(*) FROM raw.items WHERE ' +
        'POSITION(immuta_functions.f_list_item(region) ' +
        "IN '|eu|apac|') > 0";
      const plan = async (): Promise<string> => {
        await engine.exec(force.map((s) => stmt(s)));
        return JSON.stringify((await engine.query(query))[0]);
      };
      expect(await plan()).toMatch(/"Node Type":"Gather/);
      await engine.exec([stmt('ALTER FUNCTION immuta_functions.f_list_item(text) PARALLEL UNSAFE')]);
      try {
        expect(await plan()).not.toMatch(/"Node Type":"Gather/);
      } finally {
        await engine.exec([stmt('ALTER FUNCTION immuta_functions.f_list_item(text) PARALLEL SAFE')]);
      }
    },
  );
});
