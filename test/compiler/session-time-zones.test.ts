// A user cannot change what a view shows by changing their session's time zone (docs/policies.md: time
// windows are relative to the query time, date/timestamp rounding of timestamptz is in UTC on both engines).
// Each check runs as a real login role that first runs `SET TimeZone` itself — UTC, Etc/GMT-14 (UTC+14) and
// Etc/GMT+12 (UTC−12), the two ends of the clock — on PGlite and a real PostgreSQL server, and asserts the
// rows and cells it gets. Without the UTC handling a user at UTC+14 would see a 30-hour-old row through a
// "newer than 1 day" filter, or learn the hidden time of day from where a rounded timestamp falls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const ZONES = ['UTC', 'Etc/GMT-14', 'Etc/GMT+12'] as const;
// Rounding is also checked in a zone whose clocks skipped midnight (Brazil's DST began at 00:00 on 2018-11-04):
// that date's midnight does not exist there, so a date read as a timestamptz in the session's zone moves.
const ROUNDING_ZONES = [...ZONES, 'America/Sao_Paulo'] as const;

const eventsSource = (database: string): DataSource =>
  DataSourceSchema.parse({
    id: 'ds-events',
    name: 'events',
    version: 1,
    location: { database, schema: 'raw', table: 'events' },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'at_tz', type: 'timestamptz' },
      { name: 'at_ts', type: 'timestamp' },
      { name: 'on_date', type: 'date' },
    ],
  });

const policy = (
  id: string,
  body: Omit<PolicyInput, 'id' | 'version' | 'name' | 'createdAt' | 'scope'> & Partial<PolicyInput>,
): Policy =>
  PolicySchema.parse({
    id,
    version: 1,
    name: id,
    createdAt: '2024-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-events' },
    ...body,
  });
const anyone = policy('sub', { type: 'subscription', access: { kind: 'anyone' } });
const window = (column: string, direction: 'newer' | 'older', amount: number, unit: 'hour' | 'day'): Policy =>
  policy(`rf-${column}-${direction}`, {
    type: 'rowFilter',
    filter: { kind: 'timeWindow', column: { kind: 'column', name: column }, direction, amount, unit },
  });
const rounded = (column: string, unit: 'day' | 'month'): Policy =>
  policy(`round-${column}`, { type: 'mask', target: { kind: 'column', name: column }, mask: { kind: 'round', unit } });

describe.each(engines)('session time zones on $name', ({ create }) => {
  let engine: Engine;
  let layout: IntegrationConfig;
  let ds: DataSource;
  let user: Session;

  /** Compile for PostgreSQL and apply as the system role in one transaction (what the apply loop does). */
  const apply = async (policies: Policy[]): Promise<void> => {
    const compiled = compileView(ds, policies, layout, d, null);
    expect(compiled.diagnostics).toEqual([]);
    await transactionAs(engine.asAdmin, layout.systemUser, compiled.statements);
  };
  /** The user sets their session's zone, then queries; the zone is read back in the same statement. */
  const seeIn = async (zone: string, select: string): Promise<Record<string, unknown>[]> => {
    await user.query(`SET TimeZone = ${d.quoteLiteral(zone)}`);
    const rows = await user.query(`SELECT current_setting('TimeZone') AS tz, ${select} FROM secure.events ORDER BY id`);
    for (const r of rows) expect(r.tz).toBe(zone);
    return rows.map(({ tz: _tz, ...rest }) => rest);
  };
  const idsIn = async (zone: string): Promise<number[]> => (await seeIn(zone, 'id')).map((r) => Number(r.id));

  beforeAll(async () => {
    engine = await create();
    ds = eventsSource(engine.database);
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt('CREATE TABLE raw.events (id int4, at_tz timestamptz, at_ts timestamp, on_date date)'),
    ]);
    layout = layoutConfig(engine, 'raw');
    await bootstrap(engine, layout);
    const role = await engine.createLoginRole('tz_user', 'tz-pw');
    user = await engine.asUser(role, 'tz-pw');
    await transactionAs(engine.asAdmin, layout.systemUser, [
      planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1 }), d),
    ]);
  });
  afterAll(async () => {
    await user?.close();
    await engine?.close();
  });

  describe('time windows are relative to the query time, whatever the session zone', () => {
    beforeAll(async () => {
      // Rows 30 h, 20 h and 2 h old; timestamp columns hold the UTC wall clock (what Redshift stores), and
      // the date column today's UTC date minus 0, 1 and 2 days.
      await engine.exec([
        stmt('TRUNCATE raw.events'),
        stmt(
          `INSERT INTO raw.events
           SELECT id, now() - make_interval(hours => age), (now() AT TIME ZONE 'UTC') - make_interval(hours => age),
                  CAST(now() AT TIME ZONE 'UTC' AS date) - days
           FROM (VALUES (1, 30, 2), (2, 20, 1), (3, 2, 0)) AS v(id, age, days)`,
        ),
      ]);
    });

    it('timestamptz: newer than 1 day keeps the 20 h and 2 h rows; older than 1 day the 30 h row', async () => {
      await apply([anyone, window('at_tz', 'newer', 1, 'day')]);
      for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([2, 3]);
      await apply([anyone, window('at_tz', 'older', 1, 'day')]);
      for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([1]);
    });

    it('timestamp (UTC wall clock): newer than 24 hours keeps the 20 h and 2 h rows in every zone', async () => {
      await apply([anyone, window('at_ts', 'newer', 24, 'hour')]);
      for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([2, 3]);
      await apply([anyone, window('at_ts', 'older', 24, 'hour')]);
      for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([1]);
    });

    it(
      'date: newer than 1 day keeps only today (UTC) in every ' + 'zone; older than 1 day the dates before yesterday',
      async () => {
        // today 00:00 ≥ now − 1 day > yesterday 00:00, in UTC, unless the query runs exactly at midnight
        await apply([anyone, window('on_date', 'newer', 1, 'day')]);
        for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([3]);
        await apply([anyone, window('on_date', 'older', 1, 'day')]);
        for (const zone of ZONES) expect(await idsIn(zone), zone).toEqual([1, 2]);
      },
    );
  });

  describe('rounding to a day or a month happens in UTC, whatever the session zone', () => {
    beforeAll(async () => {
      // Times of day chosen so that UTC−12 and UTC+14 put them on another local day (and row 2 in another
      // local month) than UTC: truncating in the session's zone would move every one of them. Row 4 is the
      // day São Paulo skipped midnight.
      await engine.exec([
        stmt('TRUNCATE raw.events'),
        stmt(
          `INSERT INTO raw.events VALUES
             (1, '2024-05-17 05:30:00+00', '2024-05-17 05:30:00', '2024-05-17'),
             (2, '2024-05-01 03:00:00+00', '2024-05-01 03:00:00', '2024-05-01'),
             (3, '2024-02-29 13:45:00+00', '2024-02-29 13:45:00', '2024-02-29'),
             (4, '2018-11-04 12:00:00+00', '2018-11-04 12:00:00', '2018-11-04')`,
        ),
      ]);
    });

    it('timestamptz truncated to the day: the instant is midnight UTC of its UTC day', async () => {
      await apply([anyone, rounded('at_tz', 'day')]);
      const expected = ['2024-05-17', '2024-05-01', '2024-02-29', '2018-11-04'].map(
        (day) => Date.parse(`${day}T00:00:00Z`) / 1000,
      );
      for (const zone of ROUNDING_ZONES) {
        expect(
          (await seeIn(zone, 'CAST(EXTRACT(EPOCH FROM at_tz) AS int8) AS s')).map((r) => Number(r.s)),
          zone,
        ).toEqual(expected);
      }
      await apply([anyone, rounded('at_tz', 'month')]);
      const months = ['2024-05-01', '2024-05-01', '2024-02-01', '2018-11-01'].map(
        (day) => Date.parse(`${day}T00:00:00Z`) / 1000,
      );
      for (const zone of ROUNDING_ZONES) {
        expect(
          (await seeIn(zone, 'CAST(EXTRACT(EPOCH FROM at_tz) AS int8) AS s')).map((r) => Number(r.s)),
          zone,
        ).toEqual(months);
      }
    });

    it('timestamp truncated to the day and the month keeps its wall-clock date', async () => {
      await apply([anyone, rounded('at_ts', 'day')]);
      for (const zone of ROUNDING_ZONES) {
        expect(
          (await seeIn(zone, 'CAST(at_ts AS text) AS v')).map((r) => r.v),
          zone,
        ).toEqual(['2024-05-17 00:00:00', '2024-05-01 00:00:00', '2024-02-29 00:00:00', '2018-11-04 00:00:00']);
      }
      await apply([anyone, rounded('at_ts', 'month')]);
      for (const zone of ROUNDING_ZONES) {
        expect(
          (await seeIn(zone, 'CAST(at_ts AS text) AS v')).map((r) => r.v),
          zone,
        ).toEqual(['2024-05-01 00:00:00', '2024-05-01 00:00:00', '2024-02-01 00:00:00', '2018-11-01 00:00:00']);
      }
    });

    it('date truncated to the day keeps the date; to the month gives the first of its month', async () => {
      await apply([anyone, rounded('on_date', 'day')]);
      for (const zone of ROUNDING_ZONES)
        expect(
          (await seeIn(zone, 'CAST(on_date AS text) AS v')).map((r) => r.v),
          zone,
        ).toEqual(['2024-05-17', '2024-05-01', '2024-02-29', '2018-11-04']);
      await apply([anyone, rounded('on_date', 'month')]);
      for (const zone of ROUNDING_ZONES)
        expect(
          (await seeIn(zone, 'CAST(on_date AS text) AS v')).map((r) => r.v),
          zone,
        ).toEqual(['2024-05-01', '2024-05-01', '2024-02-01', '2018-11-01']);
    });
  });
});
