// Time windows and date rounding must not depend on the session: any user may run SET timezone (PostgreSQL,
// and Redshift: https://docs.aws.amazon.com/redshift/latest/dg/r_timezone_config.html), and Redshift's GETDATE()
// returns the date and time "in the current session time zone"
// (https://docs.aws.amazon.com/redshift/latest/dg/r_GETDATE.html)
// while TIMESTAMPTZ → TIMESTAMP conversions (DATE_TRUNC's argument) use the session zone too
// (https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html). A user who changes the zone must see
// exactly the rows and values a UTC session sees.
//
// Both dialects' SQL runs here on real engines, as a real login role that sets extreme zones. The Redshift
// form needs GETDATE(): the test schema `clock` holds one that behaves as the AWS page says (the session's
// wall clock) and a `now()` — both read the instant from the setting vg.test_now when it is set, so month
// ends and daylight-saving changes can be tested at fixed instants (search_path `clock, pg_catalog` puts them
// before the built-ins).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import type { Dialect } from '../../shared/sql/dialect.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { engines, type Engine, type Session } from '../support/engines.js';
import { bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';

/** UTC first; the extremes of the zone range; a half-hour offset; a zone with daylight-saving changes. */
const ZONES = ['UTC', 'Etc/GMT-14', 'Etc/GMT+12', 'Asia/Kolkata', 'America/New_York'];
const DIALECTS: [string, Dialect][] = [
  ['postgres', postgres],
  ['redshift', redshift],
];
const COLUMN_KINDS = ['timestamptz', 'timestamp', 'date'] as const;
const HOUR = 3600_000;
/** Hours from "1 day ago" at which the rows are placed. */
const OFFSETS = [-13, -3, 3, 13];
/** 01:30 EDT, the first of the two 01:30s New York has on 2026-11-01. */
const DST_REPEATED_HOUR = '2026-11-01T05:30:00Z';

const CLOCK = [
  'CREATE SCHEMA clock',
  // The instant: vg.test_now when set, else the transaction's start.
  `CREATE FUNCTION clock.instant() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT ` +
    `COALESCE(CAST(NULLIF(current_setting('vg.test_now', true), '') AS timestamptz), pg_catalog.now()) $$`,
  'CREATE FUNCTION clock.now() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT clock.instant() $$',
  // GETDATE(): "the current date and time in the current session time zone" (TIMESTAMP).
  `CREATE FUNCTION clock.getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT clock.instant() AT TIME ZONE ` +
    `current_setting('TimeZone') $$`,
  'GRANT USAGE ON SCHEMA clock TO PUBLIC',
];

const source: DataSource = DataSourceSchema.parse({
  id: 'ds-events',
  name: 'events',
  version: 1,
  location: { database: 'x', schema: 'raw', table: 'events' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'int4' },
    { name: 'ttz', type: 'timestamptz' },
    { name: 'ts', type: 'timestamp' },
    { name: 'd', type: 'date' },
  ],
});

let n = 0;
const policy = (body: Record<string, unknown>): Policy =>
  PolicySchema.parse({
    id: `p${++n}`,
    version: 1,
    name: `p${n}`,
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-events' },
    ...body,
  });
const anyone = policy({ type: 'subscription', access: { kind: 'anyone' } });
const newerThan = (column: string, amount: number, unit: string): Policy =>
  policy({
    type: 'rowFilter',
    filter: { kind: 'timeWindow', column: { kind: 'column', name: column }, direction: 'newer', amount, unit },
  });
const roundTo = (column: string, unit: string): Policy =>
  policy({ type: 'mask', target: { kind: 'column', name: column }, mask: { kind: 'round', unit } });

describe.each(engines)('session time zone on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  let alice: Session;
  /** UTC instant the rows were placed around (ms). */
  let placedAt: number;

  beforeAll(async () => {
    engine = await create();
    await engine.exec(CLOCK.map((s) => stmt(s)));
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.events (id int4, ttz timestamptz, ts timestamp, d date)'),
    ]);
    // Rows 3 h and 13 h on either side of "1 day ago" (UTC), as instants, UTC wall clocks and UTC dates.
    placedAt = Date.now();
    for (const [i, h] of OFFSETS.entries()) {
      const at = new Date(placedAt - 24 * HOUR + h * HOUR).toISOString();
      await engine.query(
        stmt(
          `INSERT INTO raw.events VALUES (:id, CAST(:at AS timestamptz), CAST(:wall AS timestamp), CAST(:day AS date))`,
          undefined,
          {
            id: i + 1,
            at,
            wall: at.slice(0, 19).replace('T', ' '),
            day: at.slice(0, 10),
          },
        ),
      );
    }
    config = { ...layoutConfig(engine, 'raw') };
    await bootstrap(engine, config);
    const role = await engine.createLoginRole('alice', 'alice-pw');
    await transactionAs(engine.asAdmin, config.systemUser, [
      planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1 }), postgres),
    ]);
    alice = await engine.asUser(role, 'alice-pw');
  });
  afterAll(async () => {
    await alice?.close();
    await engine?.close();
  });

  /** Create the view from `dialect`'s statements as the system role (CREATE + GRANT, bound to the clock schema). */
  async function apply(dialect: Dialect, policies: Policy[]): Promise<void> {
    const compiled = compileView(
      { ...source, location: { ...source.location, database: engine.database } },
      policies,
      config,
      dialect,
    );
    expect(compiled.failedClosed, JSON.stringify(compiled.diagnostics)).toBe(false);
    const ddl = compiled.statements.filter((s) => /^(DROP|CREATE|GRANT)/.test(s.sql));
    await transactionAs(engine.asAdmin, config.systemUser, [
      stmt('SET LOCAL search_path TO clock, pg_catalog'),
      stmt('DROP VIEW IF EXISTS secure.events'),
      ...ddl,
    ]);
  }

  /** Run `sql` as alice in `zone` (and at the pinned instant `at`, if given). */
  async function asAliceIn<T extends Record<string, unknown>>(zone: string, sql: string, at?: string): Promise<T[]> {
    await alice.query(`SET timezone TO '${zone}'`);
    await alice.query(`SET vg.test_now TO '${at ?? ''}'`);
    await alice.query('SET search_path TO clock, pg_catalog');
    try {
      return await alice.query<T>(sql);
    } finally {
      await alice.query('RESET ALL');
    }
  }

  describe('the window boundary is the same instant in every zone (fixed instants: month ends, a DST change)', () => {
    const AT = [
      '2026-03-30T12:00:00Z',
      '2026-03-31T20:00:00Z',
      DST_REPEATED_HOUR,
      '2026-01-01T03:00:00Z',
      '2026-03-08T12:00:00Z',
    ];
    const WINDOWS: [number, string][] = [
      [1, 'month'],
      [30, 'day'],
      [1, 'day'],
      [5, 'hour'],
      [1, 'year'],
    ];
    for (const [name, dialect] of DIALECTS) {
      it(`${name}: timeAgo for timestamptz, timestamp and date columns`, async () => {
        for (const kind of COLUMN_KINDS) {
          for (const [amount, unit] of WINDOWS) {
            const expr = dialect.timeAgo(amount, unit, kind);
            for (const at of AT) {
              const epoch = async (zone: string) =>
                (await asAliceIn<{ e: string }>(zone, `SELECT CAST(EXTRACT(EPOCH FROM ${expr}) AS text) AS e`, at))[0]!
                  .e;
              const utc = await epoch('UTC');
              // The reference: the UTC calendar, computed here without SQL.
              const wall = new Date(at);
              if (unit === 'month')
                wall.setUTCMonth(
                  wall.getUTCMonth() - amount,
                  Math.min(
                    wall.getUTCDate(),
                    new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() - amount + 1, 0)).getUTCDate(),
                  ),
                );
              else if (unit === 'year') wall.setUTCFullYear(wall.getUTCFullYear() - amount);
              else wall.setTime(wall.getTime() - amount * { day: 24 * HOUR, hour: HOUR }[unit as 'day' | 'hour']);
              expect(Number(utc), `${name} ${kind} ${amount} ${unit} at ${at}`).toBe(wall.getTime() / 1000);
              for (const zone of ZONES.slice(1)) {
                const got = await epoch(zone);
                // Residual (docs/dialects.md): GETDATE() is a wall clock, so in the hour a zone repeats when daylight
                // saving ends, reading it back can pick the other occurrence — at most one hour, in that hour only.
                if (dialect === redshift && zone === 'America/New_York' && at === DST_REPEATED_HOUR)
                  expect(Math.abs(Number(got) - Number(utc))).toBeLessThanOrEqual(3600);
                else expect(got, `${name} ${kind} ${amount} ${unit} at ${at} in ${zone}`).toBe(utc);
              }
            }
          }
        }
      });
    }
  });

  for (const [name, dialect] of DIALECTS) {
    it(
      `${name}: a user who sets an extreme zone sees the same rows through a time window (timestamptz, timestamp, ` +
        `date)`,
      async () => {
        for (const column of ['ttz', 'ts', 'd']) {
          await apply(dialect, [anyone, newerThan(column, 1, 'day')]);
          const seen = async (zone: string) =>
            (await asAliceIn<{ id: number }>(zone, 'SELECT id FROM secure.events ORDER BY id')).map((r) => r.id);
          const utc = await seen('UTC');
          // Rows 3 h and 13 h newer than "1 day ago" are in; a date is in when its midnight is after the UTC wall
          // clock 1 day ago (the boundary is not midnight), i.e. when it is a later UTC date.
          const boundaryDay = new Date(Date.now() - 24 * HOUR).toISOString().slice(0, 10);
          const rowDay = (id: number) =>
            new Date(placedAt - 24 * HOUR + OFFSETS[id - 1]! * HOUR).toISOString().slice(0, 10);
          const expected = column === 'd' ? [1, 2, 3, 4].filter((id) => rowDay(id) > boundaryDay) : [3, 4];
          expect(utc, `${name} ${column}`).toEqual(expected);
          for (const zone of ['Etc/GMT-14', 'Etc/GMT+12'])
            expect(await seen(zone), `${name} ${column} in ${zone}`).toEqual(utc);
        }
      },
    );

    it(
      `${name}: rounding a timestamptz to the hour or day gives the same instants in every zone (no half-hour ` +
        `boundaries)`,
      async () => {
        for (const unit of ['hour', 'day']) {
          await apply(dialect, [anyone, roundTo('ttz', unit)]);
          const values = async (zone: string) =>
            (
              await asAliceIn<{ e: string }>(
                zone,
                'SELECT CAST(EXTRACT(EPOCH FROM ttz) AS text) AS e FROM secure.events ORDER BY id',
              )
            ).map((r) => Number(r.e));
          const utc = await values('UTC');
          const raw = await engine.query<{ e: string }>(
            'SELECT CAST(EXTRACT(EPOCH FROM ttz) AS text) AS e FROM raw.events ORDER BY id',
          );
          const step = unit === 'hour' ? 3600 : 86400;
          expect(utc).toEqual(raw.map((r) => Math.floor(Number(r.e) / step) * step));
          for (const zone of ZONES.slice(1)) expect(await values(zone), `${name} ${unit} in ${zone}`).toEqual(utc);
        }
      },
    );
  }
});
