// The Redshift compatibility schema: PostgreSQL functions that behave like the Redshift built-ins the
// Redshift dialect emits, so that its views EXECUTE on the test server (docs/dialects.md, "Executing the
// Redshift dialect"). Each function follows its AWS page (URL above it); what a shim cannot reproduce is
// listed there as needing a cluster. Calls are routed here by the tree translation in redshift-shim.ts.

export const SHIM_SCHEMA = 'redshift_shim';

const AWS = 'https://docs.aws.amazon.com/redshift/latest/dg/';

export interface ShimFunction {
  /** Lower-case Redshift name the translation routes to the shim. */
  name: string;
  page: string;
  create: string[];
}

// The ASCII members of each POSIX class, as the inside of a bracket expression PostgreSQL reads (ARE: `\\`,
// `\]` and `\-` are the characters themselves): Redshift's classes are ASCII-only
// (pattern-matching-conditions-posix.html).
const ASCII_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: String.raw` \t\n\r\f\v`,
  punct: String.raw`!"#$%&'()*+,\-./:;<=>?@[\\\]^_` + '`{|}~',
  xdigit: '0-9A-Fa-f',
};

const s = SHIM_SCHEMA;
const fn = (name: string, page: string, ...create: string[]): ShimFunction => ({ name, page: AWS + page, create });

export const SHIM_FUNCTIONS: ShimFunction[] = [
  // SHA2(string, bits): the hex digest as lowercase VARCHAR; bits 0 means 256; NULL in, NULL out.
  fn(
    'sha2',
    'SHA2.html',
    `CREATE FUNCTION ${s}.sha2(v text, bits integer) RETURNS varchar LANGUAGE sql IMMUTABLE STRICT AS $$
       SELECT CASE bits WHEN 0 THEN encode(sha256(convert_to(v, 'UTF8')), 'hex') WHEN 224 THEN
         encode(sha224(convert_to(v, 'UTF8')), 'hex')
         WHEN 256 THEN encode(sha256(convert_to(v, 'UTF8')), 'hex') WHEN 384 THEN encode(sha384(convert_to(v,
           'UTF8')), 'hex')
         WHEN 512 THEN encode(sha512(convert_to(v, 'UTF8')), 'hex') END $$`,
  ),
  // GETDATE(): the current date and time in the session time zone (UTC by default), at the start of the
  // current statement even inside a transaction block; TIMESTAMP with whole seconds (the page's example).
  fn(
    'getdate',
    'r_GETDATE.html',
    `CREATE FUNCTION ${s}.getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$
       SELECT date_trunc('second', statement_timestamp() AT TIME ZONE current_setting('TimeZone')) $$`,
  ),
  // SYSDATE: the start of the current transaction, in the session time zone; TIMESTAMP with microseconds.
  fn(
    'sysdate',
    'r_SYSDATE.html',
    `CREATE FUNCTION ${s}.sysdate() RETURNS timestamp LANGUAGE sql STABLE AS $$
       SELECT transaction_timestamp() AT TIME ZONE current_setting('TimeZone') $$`,
  ),
  // DATEADD(datepart, interval, {date|time|timestamp}): a month added to a day the next month lacks gives the
  // month's last day; returns TIMESTAMP (date and timestamp arguments) or TIMESTAMPTZ.
  fn(
    'dateadd',
    'r_DATEADD_function.html',
    `CREATE FUNCTION ${s}.datepart_interval(part text, n bigint) RETURNS interval LANGUAGE sql IMMUTABLE STRICT AS $$
       SELECT CASE
         WHEN lower(part) IN ('year', 'years', 'y', 'yr', 'yrs') THEN make_interval(years => n::int)
         WHEN lower(part) IN ('quarter', 'quarters', 'qtr', 'qtrs') THEN make_interval(months => 3 * n::int)
         WHEN lower(part) IN ('month', 'months', 'mon', 'mons') THEN make_interval(months => n::int)
         WHEN lower(part) IN ('week', 'weeks', 'w') THEN make_interval(weeks => n::int)
         WHEN lower(part) IN ('day', 'days', 'd') THEN make_interval(days => n::int)
         WHEN lower(part) IN ('hour', 'hours', 'h', 'hr', 'hrs') THEN make_interval(hours => n::int)
         WHEN lower(part) IN ('minute', 'minutes', 'm', 'min', 'mins') THEN make_interval(mins => n::int)
         WHEN lower(part) IN ('second', 'seconds', 's', 'sec', 'secs') THEN make_interval(secs => n)
       END $$`,
    `CREATE FUNCTION ${s}.dateadd(part text, n bigint, ts timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE ` +
      `STRICT AS $$ SELECT ts + ${s}.datepart_interval(part, n) $$`,
    `CREATE FUNCTION ${s}.dateadd(part text, n bigint, d date) RETURNS timestamp LANGUAGE sql IMMUTABLE STRICT AS ` +
      `$$ SELECT CAST(d AS timestamp) + ${s}.datepart_interval(part, n) $$`,
    `CREATE FUNCTION ${s}.dateadd(part text, n bigint, ts timestamptz) RETURNS timestamptz LANGUAGE sql STABLE ` +
      `STRICT AS $$ SELECT ts + ${s}.datepart_interval(part, n) $$`,
  ),
  // CONVERT_TIMEZONE(['source_timezone',] 'target_timezone', 'timestamp'): the source defaults to UTC.
  fn(
    'convert_timezone',
    'CONVERT_TIMEZONE.html',
    `CREATE FUNCTION ${s}.convert_timezone(target text, ts timestamp) RETURNS timestamp LANGUAGE sql STABLE STRICT ` +
      `AS $$ SELECT (ts AT TIME ZONE 'UTC') AT TIME ZONE target $$`,
    `CREATE FUNCTION ${s}.convert_timezone(source text, target text, ts timestamp) RETURNS timestamp LANGUAGE sql ` +
      `STABLE STRICT AS $$ SELECT (ts AT TIME ZONE source) AT TIME ZONE target $$`,
    `CREATE FUNCTION ${s}.convert_timezone(target text, ts timestamptz) RETURNS timestamp LANGUAGE sql STABLE ` +
      `STRICT AS $$ SELECT ts AT TIME ZONE target $$`,
  ),
  // STRTOL(num_string, base) → BIGINT: leading white space, an optional sign, for base 16 an optional 0x.
  fn(
    'strtol',
    'r_STRTOL.html',
    `CREATE FUNCTION ${s}.strtol(v text, base integer) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
       WITH t AS (SELECT ltrim(v, E' \\t\\n\\r') AS x), sgn AS (
         SELECT CASE WHEN left(x, 1) = '-' THEN -1 ELSE 1 END AS sign, CASE WHEN left(x, 1) IN ('+', '-') THEN
           substr(x, 2) ELSE x END AS body FROM t),
       digits AS (SELECT sign, CASE WHEN base = 16 AND lower(left(body, 2)) = '0x' THEN substr(body, 3) ELSE
         body END AS d FROM sgn)
       SELECT sign * COALESCE((
           SELECT sum((strpos('0123456789abcdefghijklmnopqrstuvwxyz', lower(c)) - 1)::numeric
                      * power(base::numeric, length(d) - i))
           FROM unnest(string_to_array(d, NULL)) WITH ORDINALITY AS u(c, i)), 0)::bigint
       FROM digits $$`,
  ),
  // REGEXP_REPLACE(source, pattern [, replace_string [, position [, parameters]]]): EVERY occurrence is
  // replaced (there is no occurrence argument); parameters 'c' (default) or 'i'; POSIX classes are
  // ASCII-only, so [:punct:] and the others are spelled out in ASCII before PostgreSQL reads the pattern.
  fn(
    'regexp_replace',
    'REGEXP_REPLACE.html',
    `CREATE FUNCTION ${s}.posix_ascii(pattern text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
       SELECT ${Object.entries(ASCII_CLASSES).reduce(
         (acc, [cls, members]) => `replace(${acc}, '[:${cls}:]', $m$${members}$m$)`,
         'pattern',
       )} $$`,
    `CREATE FUNCTION ${s}.regexp_replace(src text, pattern text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$ ` +
      `SELECT pg_catalog.regexp_replace(src, ${s}.posix_ascii(pattern), '', 'g') $$`,
    `CREATE FUNCTION ${s}.regexp_replace(src text, pattern text, repl text) RETURNS text LANGUAGE sql IMMUTABLE ` +
      `STRICT AS $$ SELECT pg_catalog.regexp_replace(src, ${s}.posix_ascii(pattern), repl, 'g') $$`,
    `CREATE FUNCTION ${s}.regexp_replace(src text, pattern text, repl text, pos integer) RETURNS text LANGUAGE
      sql IMMUTABLE STRICT AS $$
       SELECT left(src, pos - 1) || pg_catalog.regexp_replace(substr(src, pos), ${s}.posix_ascii(pattern), repl,
         'g') $$`,
    `CREATE FUNCTION ${s}.regexp_replace(src text, pattern text, repl text, pos integer, params text) RETURNS
      text LANGUAGE sql IMMUTABLE STRICT AS $$
       SELECT CASE WHEN params ~ '[^ci]' THEN CAST(NULL AS text) ELSE
         left(src, pos - 1) || pg_catalog.regexp_replace(substr(src, pos), ${s}.posix_ascii(pattern), repl,
           CASE WHEN params LIKE '%i%' THEN 'gi' ELSE 'g' END) END $$`,
  ),
  // DATE_TRUNC('datepart', timestamp): TIMESTAMPTZ values are UTC, so they are truncated in UTC.
  fn(
    'date_trunc',
    'r_DATE_TRUNC.html',
    `CREATE FUNCTION ${s}.date_trunc(part text, ts timestamp) RETURNS timestamp LANGUAGE sql IMMUTABLE STRICT AS ` +
      `$$ SELECT pg_catalog.date_trunc(part, ts) $$`,
    `CREATE FUNCTION ${s}.date_trunc(part text, ts timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT ` +
      `AS $$ SELECT pg_catalog.date_trunc(part, ts, 'UTC') $$`,
  ),
  // LEN(expression): characters; trailing spaces of a CHAR are not counted.
  fn(
    'len',
    'r_LEN.html',
    `CREATE FUNCTION ${s}.len(v text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT ` +
      `pg_catalog.length(v) $$`,
    `CREATE FUNCTION ${s}.len(v character) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT ` +
      `pg_catalog.length(v) $$`,
  ),
];
