// The Redshift compatibility shim against the examples and rules of the AWS pages it cites
// (docs/dialects.md, "Executing the Redshift dialect"), on the PostgreSQL server; and the translation:
// routed calls, a quoted date part, SYSDATE as a call, literals and everything else left as written.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerEngine, type Engine } from '../support/engines.js';
import { installShim, translateRedshift, type ShimSession } from './redshift-shim.js';

describe('Redshift compatibility shim (PostgreSQL server)', () => {
  let engine: Engine;
  let shim: ShimSession;
  beforeAll(async () => {
    engine = await createServerEngine();
    shim = await installShim(engine);
  });
  afterAll(() => engine?.close());

  /** One Redshift expression, translated and evaluated in a Redshift-reading transaction. */
  const value = async (redshiftExpr: string): Promise<unknown> => {
    await engine.query('BEGIN');
    try {
      for (const s of shim.begin) await engine.query(s);
      const [row] = await engine.query(translateRedshift(`SELECT ${redshiftExpr} AS v`));
      return row!.v;
    } finally {
      await engine.query('ROLLBACK');
    }
  };

  it('translation: routes the built-ins, quotes a bare date part, calls SYSDATE, keeps literals and the rest', () => {
    expect(
      translateRedshift(
        `SELECT DATEADD(day, -30, GETDATE()), REGEXP_REPLACE(t."x", 'a\\\\b', '''') FROM "s"."t" t WHERE SYSDATE > t.c`,
      ),
    ).toBe(
      `SELECT redshift_shim.DATEADD('day', -30, redshift_shim.GETDATE()), redshift_shim.REGEXP_REPLACE(t."x", ` +
        `'a\\\\b', '''') FROM "s"."t" t WHERE redshift_shim.sysdate() > t.c`,
    );
    expect(translateRedshift('CREATE VIEW "v" AS SELECT 1 AS "a" WITH NO SCHEMA BINDING')).toBe(
      'CREATE VIEW "v" AS SELECT 1 AS "a"',
    );
  });

  it("literals read as Redshift reads them: '\\\\' is one backslash", async () => {
    expect(await value(`'a\\\\b'`)).toBe('a\\b');
    expect(await value(`'it''s'`)).toBe("it's");
  });

  it('SHA2(x, 256): the lowercase hex SHA-256 (bits 0 = 256); NULL stays NULL', async () => {
    const hex = createHash('sha256').update('Zoë|%', 'utf8').digest('hex');
    expect(await value(`SHA2('Zoë|%', 256)`)).toBe(hex);
    expect(await value(`SHA2('Zoë|%', 0)`)).toBe(hex);
    expect(await value('SHA2(NULL, 256)')).toBeNull();
  });

  it(
    'REGEXP_REPLACE replaces every match, takes position ' + 'and parameters, and reads POSIX classes as ASCII',
    async () => {
      expect(await value(`REGEXP_REPLACE('banana', 'a', '*')`)).toBe('b*n*n*');
      expect(await value(`REGEXP_REPLACE('BaNana', 'a', '*', 1, 'i')`)).toBe('B*N*n*');
      expect(await value(`REGEXP_REPLACE('banana', 'a', '*', 3)`)).toBe('ban*n*');
      // é, 中 and « are not ASCII punctuation or space: masked; the backslash, - and the space are kept.
      expect(await value(`REGEXP_REPLACE('é-中 «a\\\\b»', '[^[:space:][:punct:]]', '*')`)).toBe('*-* **\\**');
    },
  );

  it('DATEADD: parts and abbreviations; a month added to the 31st gives the month end (the page example)', async () => {
    expect(await value(`CAST(DATEADD(month, 1, CAST('2008-01-31' AS date)) AS text)`)).toBe('2008-02-29 00:00:00');
    expect(await value(`CAST(DATEADD(mins, -90, CAST('2024-01-01 00:00:00' AS timestamp)) AS text)`)).toBe(
      '2023-12-31 22:30:00',
    );
    expect(await value(`CAST(DATEADD(qtr, 1, CAST('2024-11-30 10:00:00' AS timestamp)) AS text)`)).toBe(
      '2025-02-28 10:00:00',
    );
  });

  it('GETDATE() has whole seconds; STRTOL reads hex with a sign, white space and 0x', async () => {
    expect(String(await value('CAST(GETDATE() AS text)'))).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await value(`STRTOL('ff', 16)`)).toBe('255');
    expect(await value(`STRTOL('  -0x1F', 16)`)).toBe('-31');
    expect(await value(`STRTOL(SUBSTRING(MD5('a|b'), 1, 8), 16)`)).toBe(
      String(parseInt(createHash('md5').update('a|b').digest('hex').slice(0, 8), 16)),
    );
  });

  it('DATE_TRUNC truncates a timestamptz in UTC whatever the session time zone', async () => {
    await engine.query('BEGIN');
    try {
      await engine.query("SET LOCAL TimeZone = 'Asia/Kolkata'");
      const [row] = await engine.query(
        translateRedshift(
          `SELECT CAST(DATE_TRUNC('day', CAST('2024-01-01 20:00:00+00' AS timestamptz)) AT TIME ZONE 'UTC' AS ` +
            `text) AS v`,
        ),
      );
      expect(row!.v).toBe('2024-01-01 00:00:00');
    } finally {
      await engine.query('ROLLBACK');
    }
  });
});
