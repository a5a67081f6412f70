// Each rule of the Redshift lint has an accepted and a rejected example; deleting a rule makes its rejected
// example pass the lint and this test fail.
import { describe, expect, it } from 'vitest';
import { lintRedshift, MAX_STATEMENT_BYTES } from '../support/lint/redshift-lint.js';
import { normaliseRedshift } from '../support/lint/redshift-normalise.js';
import {
  REDSHIFT_EXPRESSIONS,
  REDSHIFT_FUNCTIONS,
  REDSHIFT_VALUE_FUNCTIONS,
} from '../support/lint/redshift-function-allow-list.js';
import { REDSHIFT_ARGUMENTS } from '../support/lint/redshift-function-arguments.js';

const codes = (sql: string): string[] => lintRedshift(sql).map((d) => d.code);

const accepted: [string, string][] = [
  [
    'plain select with the compiler’s functions',
    `SELECT SHA2(CAST(t."email" AS VARCHAR) || k.hash_key, 256) AS "email", COALESCE(NULLIF(a, ''), 'x'), CASE ` +
      `WHEN POSITION('|g|' IN p.groups) > 0 THEN 1 ELSE 0 END, STRPOS(b, 'x'), REPLACE(b, 'a', 'b'), LEFT(b, 2), ` +
      `RIGHT(b, 2), SUBSTRING(b, 1, 3), LEN(b), LENGTH(b), LOWER(b), UPPER(b), MD5(b), TRIM(b), CONCAT(a, b), NVL(a, ` +
      `b), ABS(n), MOD(n, 2), ROUND(n, 1), FLOOR(n), CEIL(n), DATE_TRUNC('month', d), TO_CHAR(d, 'YYYY'), ` +
      `REGEXP_REPLACE(b, '[0-9]', '*'), GETDATE(), current_user FROM raw.t t CROSS JOIN (SELECT groups FROM ` +
      `immuta_system.user_profile) p CROSS JOIN (SELECT hash_key FROM immuta_system.hash_key) k WHERE n BETWEEN 1 ` +
      `AND 2 AND b LIKE 'a%' AND b IN ('a', 'b')`,
  ],
  ['create view', `CREATE OR REPLACE VIEW "vs"."v" AS SELECT 1 AS a`],
  ['late-binding view', `CREATE VIEW vs.v AS SELECT a FROM spectrum.t WITH NO SCHEMA BINDING`],
  // cross-database_limitation.html: objects of another database only in late-binding (or materialized) views
  [
    'late-binding view over another database',
    `CREATE VIEW vs.v AS SELECT t.a FROM sales.public.t t CROSS JOIN (SELECT 1 AS x FROM ` +
      `immuta_system.user_profile) p WITH NO SCHEMA BINDING`,
  ],
  [
    'late-binding view with a CTE (its name needs no schema)',
    `CREATE VIEW vs.v AS WITH c AS (SELECT a FROM s.t) SELECT a FROM c WITH NO SCHEMA BINDING`,
  ],
  ['our own UDF and procedure', `SELECT immuta_functions.f_list_item(CAST(a AS VARCHAR)) FROM t`],
  ['call with :name params', `CALL immuta_procedures.apply_user(:userid, :version, :groups)`],
  ['grant', `GRANT SELECT ON vs.v TO PUBLIC`],
  [
    'alter default privileges',
    `ALTER DEFAULT PRIVILEGES FOR USER immuta_system_user IN SCHEMA vs GRANT SELECT ON TABLES TO PUBLIC`,
  ],
  ['lock', `LOCK immuta_system.catalog_epoch`],
  ['create user without password', `CREATE USER "immuta_system_user" PASSWORD DISABLE`],
  [
    'default privileges on procedures',
    `ALTER DEFAULT PRIVILEGES FOR USER u IN SCHEMA s GRANT EXECUTE ON PROCEDURES TO u`,
  ],
  [
    'create table with constraints',
    `CREATE TABLE IF NOT EXISTS immuta_system.profile (immuta__userid VARCHAR(128) NOT NULL PRIMARY KEY, version ` +
      `BIGINT, deleted BOOLEAN DEFAULT FALSE, updated_at TIMESTAMP)`,
  ],
  [
    'scalar SQL UDF',
    `CREATE OR REPLACE FUNCTION immuta_functions.f_list_item(VARCHAR) RETURNS VARCHAR IMMUTABLE AS $$ SELECT '|' ` +
      `|| REPLACE($1, '%', '%25') || '|' $$ LANGUAGE sql`,
  ],
  [
    'procedure with plpgsql body',
    `CREATE OR REPLACE PROCEDURE immuta_procedures.apply_user(p_userid VARCHAR, p_version BIGINT) AS $$
DECLARE v BIGINT;
BEGIN
  LOCK immuta_system.catalog_epoch;
  SELECT version INTO v FROM immuta_system.profile WHERE immuta__userid = p_userid;
  IF v >= p_version THEN RAISE EXCEPTION 'viewguard:stale %', p_userid; END IF;
  UPDATE immuta_system.profile SET version = p_version, updated_at = GETDATE() WHERE immuta__userid = p_userid;
EXCEPTION WHEN OTHERS THEN RAISE;
END $$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = immuta_system`,
  ],
  ['nonatomic procedure', `CREATE PROCEDURE p.q(a INT) NONATOMIC AS $$ BEGIN NULL; END $$ LANGUAGE plpgsql`],
  ['a string with a backslash and a colon', `SELECT 'a\\b :notaparam' AS x`],
  ['with recursive cte', `WITH c AS (SELECT 1 AS a) SELECT a FROM c`],
  ['USAGE on the sql and plpgsql languages (r_GRANT.html)', `GRANT USAGE ON LANGUAGE sql, plpgsql TO u`],
  [
    'IS TRUE as a WHERE predicate, also in a sub-select (r_Boolean_type.html)',
    `SELECT (SELECT 1 FROM u WHERE u.f IS TRUE) FROM t WHERE flag IS NOT FALSE AND x IS UNKNOWN`,
  ],
  ['LOCK of several tables', `LOCK TABLE a, b`],
  [
    'CREATE USER with Redshift options (r_CREATE_USER.html)',
    `CREATE USER u PASSWORD 'Abcdefg1' CREATEDB CONNECTION LIMIT 5 VALID UNTIL '2030-01-01'`,
  ],
  ['ALTER USER password', `ALTER USER u PASSWORD DISABLE`],
  [
    'constant arguments of the right kind',
    `SELECT SHA2(a, 256), DATE_TRUNC('month', d), STRTOL(a, 16), REGEXP_REPLACE(a, 'x', 'y', 1, 'i'), DATEADD(day, ` +
      `-1, d), DATEDIFF('week', d, e), NVL(a, b, c), COUNT(*), COUNT(DISTINCT a) FROM t`,
  ],
  // r_OPERATOR_SYMBOLS.html, pattern-matching-conditions-posix.html, r_comparison_condition.html
  [
    'documented operators',
    `SELECT -a, |/ n, ||/ n, @ n, n ^ 2, n % 2, n & 1, n << 1, n >> 1, b ~ 'x', b !~ 'x', b ILIKE 'x', b NOT LIKE ` +
      `'x' FROM t`,
  ],
  [
    'IN / = ANY / <> ALL with a subquery',
    `SELECT 1 FROM t WHERE a IN (SELECT b FROM u) AND a = ANY (SELECT b FROM u) AND a <> ALL (SELECT b FROM u) AND ` +
      `a NOT IN (SELECT b FROM u)`,
  ],
  [
    'TEXT, BPCHAR and INTERVAL (r_Character_types.html, r_interval_data_types.html)',
    `SELECT CAST(NULL AS text), CAST(a AS bpchar), INTERVAL '1 day' FROM t`,
  ],
  [
    'hash and string functions whose citations were re-checked',
    `SELECT SHA1(a), FUNC_SHA1(a), CHARINDEX('x', a), REGEXP_SUBSTR(a, 'x'), REGEXP_COUNT(a, 'x'), REGEXP_INSTR(a, ` +
      `'x'), TRANSLATE(a, 'a', 'b'), INITCAP(a), LPAD(a, 3), RPAD(a, 3), REVERSE(a), SPLIT_PART(a, ',', 1), ` +
      `QUOTE_IDENT(a), QUOTE_LITERAL(a), OCTET_LENGTH(a), CHAR_LENGTH(a), NVL2(a, 1, 2), GREATEST(1, 2), LEAST(1, 2) ` +
      `FROM t`,
  ],
  [
    'date, math and aggregate functions whose citations were re-checked',
    `SELECT DATE_PART('year', d), DATEDIFF(day, d, GETDATE()), CONVERT_TIMEZONE('UTC', d), TO_DATE(a, 'YYYY'), ` +
      `TO_NUMBER(a, '99'), TO_TIMESTAMP(a, 'YYYY'), EXTRACT(year FROM d), SIGN(n), POWER(n, 2), COUNT(*), SUM(n), ` +
      `MIN(n), MAX(n), AVG(n), ROW_NUMBER() OVER (ORDER BY n), RANK() OVER (ORDER BY n), DENSE_RANK() OVER (ORDER BY ` +
      `n), CURRENT_DATE, SESSION_USER, USER FROM t GROUP BY d, a, n`,
  ],
];

const rejected: [string, string, string, RegExp][] = [
  ['security_barrier view', 'VG403', `CREATE VIEW v WITH (security_barrier) AS SELECT 1`, /security_barrier/],
  [
    'ordinary view over another database (cross-database_limitation.html)',
    'VG403',
    `CREATE VIEW vs.v AS SELECT a FROM sales.public.t`,
    /sales\.public\.t \(another database\) must be late-binding/,
  ],
  [
    'late-binding view with an unqualified table (r_CREATE_VIEW.html)',
    'VG403',
    `CREATE VIEW vs.v AS SELECT a FROM t WITH NO SCHEMA BINDING`,
    /qualify every table with its schema \(t\)/,
  ],
  ['check option', 'VG403', `CREATE VIEW v AS SELECT a FROM t WITH CHECK OPTION`, /CHECK OPTION/],
  [
    'LEAKPROOF function',
    'VG403',
    `CREATE FUNCTION f(INT) RETURNS INT LEAKPROOF AS $$ SELECT $1 $$ LANGUAGE sql`,
    /LEAKPROOF/,
  ],
  [
    'python UDF',
    'VG403',
    `CREATE FUNCTION f(INT) RETURNS INT STABLE AS $$ return 1 $$ LANGUAGE plpythonu`,
    /plpythonu/,
  ],
  // r_GRANT.html has USAGE ON LANGUAGE; viewguard refuses a Python one (end of support), with its own code.
  ['grant on a Python language', 'VG407', `GRANT USAGE ON LANGUAGE plpythonu TO u`, /Python/],
  ['grant of ALL on a language', 'VG403', `GRANT ALL ON LANGUAGE sql TO u`, /other than USAGE/],
  ['grant on an unknown language', 'VG403', `GRANT USAGE ON LANGUAGE plv8 TO u`, /language plv8/],
  // r_Boolean_type.html: IS comparisons only as a predicate in the WHERE clause
  ['IS TRUE in the select list', 'VG403', `SELECT flag IS TRUE FROM t`, /outside a WHERE clause/],
  [
    'IS FALSE inside a CASE of the select list',
    'VG403',
    `SELECT CASE WHEN flag IS NOT FALSE THEN 1 END FROM t`,
    /outside a WHERE clause/,
  ],
  ['IS UNKNOWN in a join condition', 'VG403', `SELECT 1 FROM t JOIN u ON t.flag IS UNKNOWN`, /outside a WHERE clause/],
  // r_LOCK.html: LOCK [ TABLE ] table_name [, ...] — the default mode parses like an explicit ACCESS EXCLUSIVE
  ['LOCK with an explicit ACCESS EXCLUSIVE MODE', 'VG403', `LOCK TABLE t IN ACCESS EXCLUSIVE MODE`, /IN <mode> MODE/],
  ['LOCK ONLY', 'VG403', `LOCK ONLY t`, /LOCK ONLY/],
  ['LOCK NOWAIT', 'VG403', `LOCK t NOWAIT`, /NOWAIT/],
  // r_CREATE_USER.html: PASSWORD is required; no LOGIN/INHERIT/…; CREATE ROLE takes no options
  ['CREATE USER without PASSWORD', 'VG403', `CREATE USER u`, /without PASSWORD/],
  ['CREATE USER with LOGIN', 'VG403', `CREATE USER u LOGIN PASSWORD 'Abcdefg1'`, /LOGIN\/NOLOGIN/],
  ['CREATE USER with INHERIT', 'VG403', `CREATE USER u PASSWORD 'Abcdefg1' INHERIT`, /user option inherit/],
  ['CREATE ROLE with an option', 'VG403', `CREATE ROLE r NOLOGIN`, /CREATE ROLE option/],
  ['ALTER USER with a PostgreSQL-only option', 'VG403', `ALTER USER u BYPASSRLS`, /user option bypassrls/],
  // Argument counts and constant kinds (redshift-function-arguments.ts, each function's page)
  [
    'CONCAT with three arguments (r_CONCAT.html)',
    'VG406',
    `SELECT CONCAT(a, b, c) FROM t`,
    /CONCAT takes 2 arguments, not 3/,
  ],
  ['LEFT with one argument', 'VG406', `SELECT LEFT(a) FROM t`, /LEFT takes 2 arguments, not 1/],
  [
    'TO_TIMESTAMP epoch form (r_TO_TIMESTAMP.html)',
    'VG406',
    `SELECT TO_TIMESTAMP(e) FROM t`,
    /TO_TIMESTAMP takes 2 to 3 arguments, not 1/,
  ],
  [
    'SHA2 with an unsupported bit length (SHA2.html)',
    'VG406',
    `SELECT SHA2(a, 255) FROM t`,
    /argument 2 of SHA2 must be one of 0, 224, 256, 384, 512/,
  ],
  [
    'SHA2 with a computed bit length',
    'VG406',
    `SELECT SHA2(a, n) FROM t`,
    /argument 2 of SHA2 must be an integer constant/,
  ],
  [
    'DATE_TRUNC with a computed date part',
    'VG406',
    `SELECT DATE_TRUNC(p, d) FROM t`,
    /argument 1 of DATE_TRUNC must be a string constant/,
  ],
  [
    'DATE_TRUNC with an unknown date part',
    'VG406',
    `SELECT DATE_TRUNC('fortnight', d) FROM t`,
    /argument 1 of DATE_TRUNC must be one of/,
  ],
  [
    'STRTOL with base 40 (r_STRTOL.html)',
    'VG406',
    `SELECT STRTOL(a, 40) FROM t`,
    /argument 2 of STRTOL must be an integer from 2 to 36/,
  ],
  [
    'REGEXP_REPLACE with the PostgreSQL g flag (REGEXP_REPLACE.html)',
    'VG406',
    `SELECT REGEXP_REPLACE(a, 'x', 'y', 1, 'g') FROM t`,
    /argument 5 of REGEXP_REPLACE/,
  ],
  [
    'DATEADD with a computed date part',
    'VG406',
    `SELECT DATEADD(lower(p), 1, d) FROM t`,
    /argument 1 of DATEADD must be a date part/,
  ],
  [
    'named SQL UDF argument',
    'VG403',
    `CREATE FUNCTION f(a INT) RETURNS INT STABLE AS $$ SELECT a $$ LANGUAGE sql`,
    /named arguments/,
  ],
  [
    'SQL UDF reading a table',
    'VG403',
    `CREATE FUNCTION f(INT) RETURNS INT STABLE AS $$ SELECT x FROM t $$ LANGUAGE sql`,
    /FROM in a SQL UDF/,
  ],
  ["E'' string", 'VG403', `SELECT E'a\\nb'`, /E''/],
  ["U&'' string", 'VG403', `SELECT U&'d\\0061t'`, /U&/],
  ['ON CONFLICT', 'VG403', `INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING`, /ON CONFLICT/],
  ['RETURNING', 'VG403', `DELETE FROM t RETURNING *`, /RETURNING/],
  ['::regclass', 'VG403', `SELECT 't'::regclass`, /type regclass/],
  ['jsonb type', 'VG403', `CREATE TABLE t (a jsonb)`, /type jsonb/],
  ['array literal', 'VG403', `SELECT ARRAY[1, 2]`, /A_ArrayExpr/],
  ['= ANY(array)', 'VG403', `SELECT 1 WHERE 1 = ANY(x)`, /ANY\/ALL/],
  ['jsonb operator', 'VG403', `SELECT a -> 'b' FROM t`, /operator ->/],
  // r_OPERATOR_SYMBOLS.html has no |, # or prefix ~; the POSIX page documents only (!)~ (case-sensitive).
  ['bitwise OR', 'VG403', `SELECT a | b FROM t`, /operator \|/],
  ['bitwise XOR', 'VG403', `SELECT a # b FROM t`, /operator #/],
  ['bitwise NOT', 'VG403', `SELECT ~a FROM t`, /prefix operator ~/],
  ['case-insensitive POSIX match', 'VG403', `SELECT a ~* 'x' FROM t`, /operator ~\*/],
  ['< ANY (subquery)', 'VG403', `SELECT 1 FROM t WHERE a < ANY (SELECT b FROM u)`, /< ANY\/SOME/],
  ['= ALL (subquery)', 'VG403', `SELECT 1 FROM t WHERE a = ALL (SELECT b FROM u)`, /= ALL/],
  ['NAME type (not a Redshift data type)', 'VG403', `SELECT CAST(a AS name) FROM t`, /type name/],
  ['leader-node-only CURRENT_SCHEMA', 'VG402', `SELECT current_schema FROM t`, /CURRENT_SCHEMA/],
  ['IS DISTINCT FROM', 'VG403', `SELECT a IS DISTINCT FROM b FROM t`, /DISTINCT FROM/],
  ['FOR UPDATE', 'VG403', `SELECT epoch FROM e FOR UPDATE`, /FOR UPDATE/],
  ['DISTINCT ON', 'VG403', `SELECT DISTINCT ON (a) a FROM t`, /DISTINCT ON/],
  ['LATERAL', 'VG403', `SELECT * FROM t, LATERAL (SELECT t.a) x`, /LATERAL/],
  ['function in FROM', 'VG403', `SELECT * FROM generate_series(1, 3)`, /RangeFunction/],
  ['LOCK mode', 'VG403', `LOCK t IN SHARE MODE`, /MODE/],
  ['DO block', 'VG403', `DO $$ BEGIN NULL; END $$`, /DoStmt/],
  ['COLLATE', 'VG403', `SELECT a COLLATE "C" FROM t`, /CollateClause/],
  ['two statements in one', 'VG403', `SELECT 1; SELECT 2`, /2 statements/],
  ['unknown function', 'VG402', `SELECT pg_sleep(1)`, /pg_sleep/],
  ['leader-node-only NOW()', 'VG402', `SELECT now()`, /now/],
  ['CURRENT_TIMESTAMP', 'VG402', `SELECT CURRENT_TIMESTAMP`, /CURRENT_TIMESTAMP/],
  ['schema-qualified foreign function', 'VG402', `SELECT public.evil(a) FROM t`, /public\.evil/],
  ['pg_catalog function written explicitly', 'VG402', `SELECT pg_catalog.pg_read_file('x')`, /pg_read_file/],
  ['aggregate FILTER', 'VG403', `SELECT count(*) FILTER (WHERE a) FROM t`, /FILTER/],
  [
    'plpgsql WHEN condition',
    'VG403',
    `CREATE PROCEDURE p() AS $$ BEGIN NULL; EXCEPTION WHEN unique_violation THEN NULL; END $$ LANGUAGE plpgsql`,
    /only WHEN OTHERS/,
  ],
  [
    'plpgsql RAISE USING',
    'VG403',
    `CREATE PROCEDURE p() AS $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'P0001'; END $$ LANGUAGE plpgsql`,
    /USING/,
  ],
  [
    'plpgsql FOREACH',
    'VG403',
    `CREATE PROCEDURE p(a INT) AS $$ DECLARE x INT; BEGIN FOREACH x IN ARRAY a LOOP NULL; END LOOP; END $$ ` +
      `LANGUAGE plpgsql`,
    /FOREACH/,
  ],
  [
    'unsupported SQL inside a procedure',
    'VG403',
    `CREATE PROCEDURE p() AS $$ BEGIN INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; END $$ LANGUAGE plpgsql`,
    /ON CONFLICT/,
  ],
  [
    'unsupported function inside a procedure expression',
    'VG402',
    `CREATE PROCEDURE p() AS $$ DECLARE x TIMESTAMP; BEGIN x := now(); END $$ LANGUAGE plpgsql`,
    /now/,
  ],
  ['procedure option', 'VG403', `CREATE PROCEDURE p() AS $$ BEGIN NULL; END $$ LANGUAGE plpgsql COST 5`, /cost/i],
  [
    'a TEXT procedure argument (cut at 256 bytes)',
    'VG403',
    `CREATE PROCEDURE p(a VARCHAR(65535), b pg_catalog.text) AS $$ BEGIN EXECUTE b; END $$ LANGUAGE plpgsql`,
    /TEXT procedure argument/,
  ],
  ['does not parse', 'VG401', `SELEC 1`, /parse/],
];

describe('lintRedshift', () => {
  it.each(accepted)('accepts %s', (_name, sql) => {
    expect(lintRedshift(sql)).toEqual([]);
  });

  it.each(rejected)('rejects %s with %s', (_name, code, sql, summary) => {
    const diags = lintRedshift(sql);
    expect(diags.map((d) => d.code)).toContain(code);
    expect(diags.map((d) => d.summary).join('\n')).toMatch(summary);
  });

  it('rejects a statement over the Data API size limit (VG404), counting UTF-8 bytes', () => {
    const under = `SELECT '${'a'.repeat(MAX_STATEMENT_BYTES - 20)}'`;
    expect(codes(under)).toEqual([]);
    // 'é' is 2 bytes: the character count stays under the limit, the byte count does not.
    const over = `SELECT '${'é'.repeat(MAX_STATEMENT_BYTES / 2)}'`;
    expect(over.length).toBeLessThan(MAX_STATEMENT_BYTES);
    expect(codes(over)).toContain('VG404');
  });

  it('every allowed function has an argument specification (count and constants)', () => {
    expect(Object.keys(REDSHIFT_FUNCTIONS).filter((f) => !REDSHIFT_ARGUMENTS[f])).toEqual([]);
    expect(Object.keys(REDSHIFT_ARGUMENTS).filter((f) => !REDSHIFT_FUNCTIONS[f])).toEqual([]);
  });

  it('every allow-list entry cites an AWS Redshift reference page', () => {
    for (const [name, entry] of Object.entries({
      ...REDSHIFT_FUNCTIONS,
      ...REDSHIFT_EXPRESSIONS,
      ...REDSHIFT_VALUE_FUNCTIONS,
    })) {
      expect(entry.url, name).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/redshift\/latest\/dg\/[A-Za-z0-9_-]+\.html$/);
    }
    // The one URL the re-check corrected (the guessed r_FUNC_SHA1.html does not exist).
    expect(REDSHIFT_FUNCTIONS.func_sha1!.url).toMatch(/\/FUNC_SHA1\.html$/);
  });
});

describe('normaliseRedshift', () => {
  it('removes only the documented Redshift-only syntax', () => {
    expect(normaliseRedshift(`CREATE VIEW v AS SELECT 1 WITH NO SCHEMA BINDING;`)).toEqual({
      sql: 'CREATE VIEW v AS SELECT 1',
      applied: ['no-schema-binding'],
    });
    expect(
      normaliseRedshift(`CREATE PROCEDURE p() NONATOMIC AS $$ BEGIN NULL; END $$ LANGUAGE plpgsql`).applied,
    ).toEqual(['nonatomic']);
    // Not a view: the clause is left for the parser to reject.
    expect(normaliseRedshift(`SELECT 1 WITH NO SCHEMA BINDING`).applied).toEqual([]);
  });
  it('rewrites :name parameters but not casts, strings or identifiers (byte offsets with multi-byte text)', () => {
    expect(normaliseRedshift(`SELECT 'é:x', ":y", a::int, :p, :q, :p`).sql).toBe(
      `SELECT 'é:x', ":y", a::int, $1, $2, $1`,
    );
  });
});
