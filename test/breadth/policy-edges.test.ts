// Policy shapes the example-driven breadth tests do not reach, asserted as real login roles on PGlite and a
// real PostgreSQL server (rows and cells per user): purposes lists with several entries, a row filter whose
// tag is on several columns (every one must match), float columns (rounding by bucket; a mask that does not
// fit → NULL + VG303 warning), partial masks that keep the FIRST characters with preserveFormat, integer
// columns rounded by a fractional bucket, conflict tie-breaks among policies created at the same instant,
// and policies of another data source that must not reach this one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine, type Session } from '../support/engines.js';
import { bootstrap, layoutConfig, transactionAs } from '../layout/layout-fixture.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { compileView, type CompiledView } from '../../shared/compiler/view-compiler.js';
import { DataSourceSchema, type DataSource } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import { UserProfileSchema, type UserProfileInput } from '../../shared/policy/user-profile.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

type Row = [
  number,
  string,
  string,
  string | null,
  string,
  string | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
];
// id, name, country, billing_country, team, backup_team, score (float8), ratio (float4), qty (int4), phone, code
// (char(6))
const ROWS: Row[] = [
  [1, 'Ann', 'US', 'US', 'red', 'red', 1234.56, 0.75, 7, '+1-555-0101', 'AB-123'],
  [2, 'Bo', 'US', 'DE', 'red', 'blue', -987.65, 12.5, -8, '+49-30-1234', 'CD-4'],
  [3, 'Cy', 'DE', 'US', 'blue', 'red', 55.5, -3.25, 10, '123', 'E'],
  [4, 'Di', 'DE', 'DE', 'blue', 'blue', null, null, null, null, null],
  [5, 'Ed', 'US', null, 'red', null, 99.99, 1.5, 3, '+33 1 98', 'FG-567'],
];

const accounts = (database: string, id = 'ds-accounts', table = 'accounts'): DataSource =>
  DataSourceSchema.parse({
    id,
    name: table,
    version: 1,
    location: { database, schema: 'raw', table },
    kind: 'table',
    columns: [
      { name: 'id', type: 'int4' },
      { name: 'name', type: 'varchar(20)' },
      { name: 'country', type: 'varchar(2)', tags: ['Geo.Country'] },
      { name: 'billing_country', type: 'varchar(2)', tags: ['Geo.Country'] },
      { name: 'team', type: 'varchar(10)', tags: ['Org.Team'] },
      { name: 'backup_team', type: 'varchar(10)', tags: ['Org.Team'] },
      { name: 'score', type: 'float8', tags: ['Metric'] },
      { name: 'ratio', type: 'real', tags: ['Metric'] },
      { name: 'qty', type: 'int4' },
      { name: 'phone', type: 'varchar(20)' },
      { name: 'code', type: 'char(6)' },
    ],
  });

type Who = 'ann' | 'ben' | 'cat';
const PROFILES: Record<Who, Omit<UserProfileInput, 'userId' | 'version'>> = {
  // acts under Fraud (current project carries it, acknowledged)
  ann: {
    groups: ['red'],
    attributes: { country: ['US'] },
    projects: ['fraud'],
    currentProject: 'fraud',
    purposes: ['Fraud'],
    projectPurposes: { fraud: ['Fraud'] },
  },
  // acts under Marketing
  ben: {
    groups: ['red', 'blue'],
    attributes: { country: ['US', 'DE'] },
    projects: ['mkt'],
    currentProject: 'mkt',
    purposes: ['Marketing'],
    projectPurposes: { mkt: ['Marketing'] },
  },
  // acknowledged Fraud but has no project: acts under no purpose
  cat: { groups: ['blue'], attributes: { country: ['DE'] }, purposes: ['Fraud'] },
};

const local = (dataSourceId = 'ds-accounts') => ({ kind: 'local', dataSourceId }) as const;
const policy = (
  id: string,
  body: Omit<PolicyInput, 'id' | 'version' | 'name' | 'createdAt'> & Partial<PolicyInput>,
): Policy => PolicySchema.parse({ id, version: 1, name: id, createdAt: '2024-01-01T00:00:00Z', ...body });
const anyone = policy('sub-anyone', { scope: local(), type: 'subscription', access: { kind: 'anyone' } });
const ALL = [1, 2, 3, 4, 5];

describe.each(engines)('policy edges on $name', ({ create }) => {
  let engine: Engine;
  let layout: IntegrationConfig;
  let ds: DataSource;
  const users = {} as Record<Who, Session>;

  const apply = async (policies: Policy[], source = ds): Promise<CompiledView> => {
    const compiled = compileView(source, policies, layout, d, null);
    await transactionAs(engine.asAdmin, layout.systemUser, compiled.statements);
    return compiled;
  };
  /** The rows `who` sees: id and the given columns as text (NULL stays null), by id. */
  const see = async (who: Who, columns: string[] = [], view = 'accounts'): Promise<(string | number | null)[][]> => {
    const cols = ['id', ...columns.map((c) => `CAST(${d.quoteIdent(c)} AS text)`)].join(', ');
    const rows = await users[who].query(`SELECT ${cols} FROM secure.${d.quoteIdent(view)} ORDER BY id`);
    return rows.map((r) => Object.values(r) as (string | number | null)[]);
  };
  const ids = async (who: Who, view?: string): Promise<number[]> => (await see(who, [], view)).map((r) => Number(r[0]));
  const column = async (who: Who, name: string): Promise<(string | null)[]> =>
    (await see(who, [name])).map((r) => r[1] as string | null);

  beforeAll(async () => {
    engine = await create();
    ds = accounts(engine.database);
    const ddl =
      '(id int4, name varchar(20), country varchar(2), billing_country varchar(2), team varchar(10), backup_team ' +
      'varchar(10), score float8, ratio real, qty int4, phone varchar(20), code char(6))';
    const values = (table: string) =>
      ROWS.map((r) =>
        stmt(
          `INSERT INTO raw.${table} VALUES (${r.map((_, i) => `:v${i}`).join(', ')})`,
          undefined,
          Object.fromEntries(r.map((v, i) => [`v${i}`, v])),
        ),
      );
    await engine.exec([
      stmt('CREATE SCHEMA raw'),
      stmt(`CREATE TABLE raw.accounts ${ddl}`),
      stmt(`CREATE TABLE raw.other ${ddl}`),
      ...values('accounts'),
      ...values('other'),
    ]);
    layout = layoutConfig(engine, 'raw');
    await bootstrap(engine, layout);
    for (const who of ['ann', 'ben', 'cat'] as const) {
      const role = await engine.createLoginRole(who, `${who}-pw`);
      users[who] = await engine.asUser(role, `${who}-pw`);
      await transactionAs(engine.asAdmin, layout.systemUser, [
        planUserUpsert(UserProfileSchema.parse({ userId: role, version: 1, ...PROFILES[who] }), d),
      ]);
    }
  });
  afterAll(async () => {
    for (const s of Object.values(users)) await s.close();
    await engine?.close();
  });

  describe('several purposes: acting under ANY one of them is enough', () => {
    it(
      'row filter usingPurpose [Fraud, Marketing]: ann (Fraud) ' +
        'and ben (Marketing) see every row, cat (none) no row',
      async () => {
        await apply([
          anyone,
          policy('rf-purposes', {
            scope: local(),
            type: 'rowFilter',
            filter: { kind: 'usingPurpose', purposes: ['Fraud', 'Marketing'] },
          }),
        ]);
        expect(await ids('ann')).toEqual(ALL);
        expect(await ids('ben')).toEqual(ALL);
        expect(await ids('cat')).toEqual([]);
      },
    );

    it('subscription usingPurpose [Audit, Marketing]: only ben may query the view', async () => {
      await apply([
        policy('sub-purposes', {
          scope: local(),
          type: 'subscription',
          access: { kind: 'usingPurpose', purposes: ['Audit', 'Marketing'] },
        }),
      ]);
      expect(await ids('ben')).toEqual(ALL);
      expect(await ids('ann')).toEqual([]);
      expect(await ids('cat')).toEqual([]);
    });

    it("custom WHERE @isUsingPurpose('Marketing', 'Fraud'): ann and ben", async () => {
      await apply([
        anyone,
        policy('rf-where-purposes', {
          scope: local(),
          type: 'rowFilter',
          filter: { kind: 'where', clause: "@isUsingPurpose('Marketing', 'Fraud')" },
        }),
      ]);
      expect(await ids('ann')).toEqual(ALL);
      expect(await ids('ben')).toEqual(ALL);
      expect(await ids('cat')).toEqual([]);
    });

    it(
      'user criteria on acknowledged purposes: match any lets cat ' +
        '(acknowledged Fraud) in, match all lets nobody in',
      async () => {
        await apply([
          policy('sub-ack-any', {
            scope: local(),
            type: 'subscription',
            access: { kind: 'usersWith', who: { purposes: ['Fraud', 'Marketing'] } },
          }),
        ]);
        for (const who of ['ann', 'ben', 'cat'] as const) expect(await ids(who), who).toEqual(ALL);
        await apply([
          policy('sub-ack-all', {
            scope: local(),
            type: 'subscription',
            access: { kind: 'usersWith', who: { purposes: ['Fraud', 'Marketing'], match: 'all' } },
          }),
        ]);
        for (const who of ['ann', 'ben', 'cat'] as const) expect(await ids(who), who).toEqual([]);
      },
    );
  });

  describe('a row filter whose tag is on several columns: every one of them must match', () => {
    const byTag = (id: string, filter: object) => policy(id, { scope: local(), type: 'rowFilter', filter } as never);

    it(
      'attributeMatch on Geo.Country (country AND ' +
        'billing_country in the user’s countries; NULL matches ' +
        'nothing)',
      async () => {
        await apply([
          anyone,
          byTag('rf-attr', {
            kind: 'attributeMatch',
            column: { kind: 'tag', tag: 'Geo.Country' },
            attribute: 'country',
          }),
        ]);
        expect(await ids('ann')).toEqual([1]);
        expect(await ids('ben')).toEqual([1, 2, 3, 4]);
        expect(await ids('cat')).toEqual([4]);
      },
    );

    it('groupMatch on Org.Team (team AND backup_team among the user’s groups)', async () => {
      await apply([anyone, byTag('rf-groups', { kind: 'groupMatch', column: { kind: 'tag', tag: 'Org' } })]);
      expect(await ids('ann')).toEqual([1]);
      expect(await ids('ben')).toEqual([1, 2, 3, 4]);
      expect(await ids('cat')).toEqual([4]);
    });

    it('values / not values on Geo.Country', async () => {
      await apply([
        anyone,
        byTag('rf-values', { kind: 'values', column: { kind: 'tag', tag: 'Geo.Country' }, values: ['US'] }),
      ]);
      expect(await ids('cat')).toEqual([1]);
      await apply([
        anyone,
        byTag('rf-not', { kind: 'values', column: { kind: 'tag', tag: 'Geo.Country' }, values: ['US'], not: true }),
      ]);
      expect(await ids('cat')).toEqual([4]);
    });
  });

  describe('float and integer columns', () => {
    it('round by bucket on float8 and real: toward zero to a multiple of the bucket; the types are kept', async () => {
      const compiled = await apply([
        anyone,
        policy('round-score', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'score' },
          mask: { kind: 'round', bucket: 100 },
        }),
        policy('round-ratio', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'ratio' },
          mask: { kind: 'round', bucket: 0.5 },
        }),
      ]);
      expect(compiled.diagnostics).toEqual([]);
      expect(compiled.signature.columns.filter((c) => ['score', 'ratio'].includes(c.name)).map((c) => c.type)).toEqual([
        'float8',
        'float4',
      ]);
      expect(await column('ann', 'score')).toEqual(['1200', '-900', '0', null, '0']);
      expect(await column('ann', 'ratio')).toEqual(['0.5', '12.5', '-3', null, '1.5']);
    });

    it('round on a float column: a value smaller than the bucket is 0, a value exactly one bucket stays', async () => {
      // real: 0.75, 12.5, -3.25, NULL, 1.5 by 1.5
      await apply([
        anyone,
        policy('round-ratio-15', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'ratio' },
          mask: { kind: 'round', bucket: 1.5 },
        }),
      ]);
      expect(await column('ann', 'ratio')).toEqual(['0', '12', '-3', null, '1.5']);
    });

    it(
      'regex and partial masks do not fit a float column: NULL for the users it applies to + a VG303 warning at ' +
        '["mask"]',
      async () => {
        const compiled = await apply([
          anyone,
          policy('regex-score', {
            scope: local(),
            type: 'mask',
            target: { kind: 'column', name: 'score' },
            mask: { kind: 'regex', pattern: '[0-9]', replacement: 'x' },
            condition: { kind: 'everyoneExcept', except: { groups: ['blue'] } },
          }),
          policy('partial-ratio', {
            scope: local(),
            type: 'mask',
            target: { kind: 'column', name: 'ratio' },
            mask: { kind: 'partial', keep: 'last', count: 1 },
          }),
        ]);
        expect(compiled.failedClosed).toBe(false);
        expect(compiled.diagnostics).toEqual([
          {
            code: 'VG303',
            severity: 'warning',
            summary:
              'mask "regex-score" on column "score" (float8): regex masks need a string column; the column shows ' +
              'NULL instead',
            path: ['mask'],
          },
          {
            code: 'VG303',
            severity: 'warning',
            summary:
              'mask "partial-ratio" on column "ratio" (float4): partial masks need a string column; the column ' +
              'shows NULL instead',
            path: ['mask'],
          },
        ]);
        expect(await column('ann', 'score')).toEqual([null, null, null, null, null]);
        expect(await column('ann', 'ratio')).toEqual([null, null, null, null, null]);
        // the except group sees the clear value
        expect(await column('cat', 'score')).toEqual(['1234.56', '-987.65', '55.5', null, '99.99']);
      },
    );

    it('an integer column rounded by a whole bucket, and a bucket or unit that does not fit a number', async () => {
      const compiled = await apply([
        anyone,
        policy('round-qty', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'qty' },
          mask: { kind: 'round', bucket: 5 },
        }),
        policy('round-score-unit', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'score' },
          mask: { kind: 'round', unit: 'day' },
        }),
      ]);
      expect(await column('ben', 'qty')).toEqual(['5', '-5', '10', null, '0']);
      expect(await column('ben', 'score')).toEqual([null, null, null, null, null]);
      expect(compiled.diagnostics.map((x) => x.summary)).toEqual([
        'mask "round-score-unit" on column "score" (float8): rounding a number needs a bucket; the column shows ' +
          'NULL instead',
      ]);
    });

    it(
      'regression: a fractional bucket on an integer column ' + 'rounds toward zero, never up to the clear value',
      async () => {
        // qty 7, -8, 10, NULL, 3 with bucket 2.5: 5, -7.5, 10, NULL, 2.5 truncated to integers. The cast to int4
        // alone used to round 7.5 → 8 and 2.5 → 3: the clear values of rows 2 and 5.
        await apply([
          anyone,
          policy('round-qty-frac', {
            scope: local(),
            type: 'mask',
            target: { kind: 'column', name: 'qty' },
            mask: { kind: 'round', bucket: 2.5 },
          }),
        ]);
        expect(await column('ben', 'qty')).toEqual(['5', '-7', '10', null, '2']);
      },
    );
  });

  describe('partial masks keeping the FIRST characters', () => {
    it(
      'preserveFormat masks every character that is not a separator after the kept ones; values not longer than ' +
        'count are masked whole',
      async () => {
        await apply([
          anyone,
          policy('partial-phone', {
            scope: local(),
            type: 'mask',
            target: { kind: 'column', name: 'phone' },
            mask: { kind: 'partial', keep: 'first', count: 3, preserveFormat: true },
          }),
          policy('partial-code', {
            scope: local(),
            type: 'mask',
            target: { kind: 'column', name: 'code' },
            mask: { kind: 'partial', keep: 'first', count: 2, maskChar: '#', preserveFormat: true },
          }),
        ]);
        expect(await column('ann', 'phone')).toEqual(['+1-***-****', '+49-**-****', '***', null, '+33 * **']);
        // char(6): the padding is not data (read without it)
        expect(await column('ann', 'code')).toEqual(['AB-###', 'CD-#', '#', null, 'FG-###']);
      },
    );

    it('without preserveFormat every character after the kept ones is masked', async () => {
      await apply([
        anyone,
        policy('partial-phone-plain', {
          scope: local(),
          type: 'mask',
          target: { kind: 'column', name: 'phone' },
          mask: { kind: 'partial', keep: 'first', count: 3 },
        }),
      ]);
      expect(await column('ben', 'phone')).toEqual(['+1-********', '+49********', '***', null, '+33*****']);
    });
  });

  describe('conflicts among policies created at the same instant: the smallest id wins', () => {
    const at = '2024-03-01T00:00:00Z';
    const constant = (id: string, value: string) =>
      policy(id, {
        createdAt: at,
        scope: local(),
        type: 'mask',
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'constant', value },
      });

    it(
      'two masks naming the same column: "m-a" wins in either ' + 'order, with a VG304 warning naming the loser',
      async () => {
        for (const order of [
          [constant('m-b', 'B'), constant('m-a', 'A')],
          [constant('m-a', 'A'), constant('m-b', 'B')],
        ]) {
          const compiled = await apply([anyone, ...order]);
          expect(await column('cat', 'name')).toEqual(['A', 'A', 'A', 'A', 'A']);
          expect(compiled.diagnostics).toEqual([
            { code: 'VG304', severity: 'warning', summary: 'column "name": mask "m-a" wins over "m-b"', path: [] },
          ]);
        }
      },
    );

    it(
      'two untagged global subscriptions: "s-a" (red) wins over ' + '"s-b" (blue) in either order, reported as VG304',
      async () => {
        const sub = (id: string, group: string) =>
          policy(id, {
            createdAt: at,
            scope: { kind: 'global' },
            type: 'subscription',
            access: { kind: 'usersWith', who: { groups: [group] } },
          });
        for (const order of [
          [sub('s-b', 'blue'), sub('s-a', 'red')],
          [sub('s-a', 'red'), sub('s-b', 'blue')],
        ]) {
          const compiled = await apply(order);
          expect(await ids('ann')).toEqual(ALL);
          expect(await ids('cat')).toEqual([]);
          expect(compiled.diagnostics).toEqual([
            { code: 'VG304', severity: 'warning', summary: 'subscription policy "s-a" wins over "s-b"', path: [] },
          ]);
        }
      },
    );
  });

  describe("another data source's policies do not reach this one", () => {
    it(
      'a subscription, mask and row filter local to ds-other leave accounts closed to all but approved users, ' +
        'unmasked and unfiltered',
      async () => {
        const other = accounts(engine.database, 'ds-other', 'other');
        const foreign = [
          policy('sub-other', { scope: local('ds-other'), type: 'subscription', access: { kind: 'anyone' } }),
          policy('mask-other', {
            scope: local('ds-other'),
            type: 'mask',
            target: { kind: 'column', name: 'name' },
            mask: { kind: 'null' },
          }),
          policy('rf-other', { scope: local('ds-other'), type: 'rowFilter', filter: { kind: 'never' } }),
        ];
        // ds-other itself: everyone with a profile, names NULL, no rows
        await apply(foreign, other);
        expect(await ids('ann', 'other')).toEqual([]);
        // accounts: no subscription applies → only individually approved users (nobody here)
        const compiled = await apply(foreign);
        expect(compiled.diagnostics).toEqual([]);
        for (const who of ['ann', 'ben', 'cat'] as const) expect(await ids(who), who).toEqual([]);
        // with its own subscription: every row, names in clear (the other mask and filter do not apply)
        await apply([anyone, ...foreign]);
        expect(await see('ann', ['name'])).toEqual(ROWS.map((r) => [r[0], r[1]]));
      },
    );
  });
});
