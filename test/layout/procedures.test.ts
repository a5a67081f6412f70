// The guard procedures on real engines, called through the statements the pipeline sends: stale versions
// are skipped, a wrong epoch is a conflict, and either error rolls back the whole transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { kindOfMessage } from '../../shared/adapters/postgres-error-classifier.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { catalogReadStatement, parseCatalog, type CatalogSnapshot } from '../../shared/layout/catalog-reader.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { decodeAttributes, decodeList } from '../../shared/layout/profile-encoding.js';
import type { UserProfile } from '../../shared/policy/user-profile.js';
import { bootstrap, errorOf, layoutConfig, transactionAs } from './layout-fixture.js';

const d = postgres;

describe.each(engines)('guard procedures on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  const asSystem = (statements: Parameters<typeof transactionAs>[2]) =>
    transactionAs(engine.asAdmin, config.systemUser, statements);
  const read = async (datasourceId?: string): Promise<CatalogSnapshot> =>
    parseCatalog(await engine.query(catalogReadStatement(d, datasourceId)));
  // A statement after the CALL in the same transaction: must be undone when the CALL fails.
  const marker = (name: string) => stmt(`CREATE VIEW secure.${d.quoteIdent(name)} AS SELECT 1 AS x`);
  const viewExists = async (name: string) =>
    (await engine.query(`SELECT 1 FROM pg_views WHERE schemaname = 'secure' AND viewname = $1`, [name])).length === 1;

  beforeAll(async () => {
    engine = await create();
    config = layoutConfig(engine);
    await bootstrap(engine, config);
  });
  afterAll(() => engine?.close());

  it('apply_datasource stores a newer version and bumps the epoch; the catalog read returns it', async () => {
    const before = await read();
    const definition = { id: 'ds-1', columns: [{ name: "it's; -- $$" }] };
    await asSystem([
      planDatasourceStateCall(
        {
          datasourceId: 'ds-1',
          version: 3,
          deleted: false,
          definition,
          viewSignature: 'sig-a',
          expectedEpoch: before.epoch,
        },
        d,
      ),
      marker('v_ds1'),
    ]);
    const after = await read('ds-1');
    expect(after.epoch).toBe(before.epoch + 1);
    expect(after.dataSources.get('ds-1')).toEqual({ version: 3, deleted: false, definition, viewSignature: 'sig-a' });
    expect(await viewExists('v_ds1')).toBe(true);
  });

  it('a stale data source version raises viewguard:stale and rolls back the whole transaction', async () => {
    const before = await read();
    for (const version of [3, 2]) {
      const message = await errorOf(
        asSystem([
          planDatasourceStateCall(
            {
              datasourceId: 'ds-1',
              version,
              deleted: true,
              definition: null,
              viewSignature: null,
              expectedEpoch: before.epoch,
            },
            d,
          ),
          marker(`stale_${version}`),
        ]),
      );
      expect(kindOfMessage(message)).toBe('stale');
      expect(await viewExists(`stale_${version}`)).toBe(false);
    }
    expect(await read()).toEqual(before);
  });

  it('a wrong epoch raises viewguard:conflict and rolls back; the same change on the right epoch commits', async () => {
    const before = await read();
    const change = {
      datasourceId: 'ds-2',
      version: 1,
      deleted: false,
      definition: { a: 1 },
      viewSignature: 's',
      expectedEpoch: before.epoch - 1,
    };
    const message = await errorOf(asSystem([planDatasourceStateCall(change, d), marker('conflict_1')]));
    expect(kindOfMessage(message)).toBe('conflict');
    expect(await viewExists('conflict_1')).toBe(false);
    expect(await read()).toEqual(before);

    await asSystem([planDatasourceStateCall({ ...change, expectedEpoch: before.epoch }, d)]);
    expect((await read()).dataSources.get('ds-2')?.version).toBe(1);
  });

  it('a data source tombstone keeps its version; an older replay after it stays stale', async () => {
    const { epoch } = await read();
    await asSystem([
      planDatasourceStateCall(
        {
          datasourceId: 'ds-2',
          version: 5,
          deleted: true,
          definition: null,
          viewSignature: null,
          expectedEpoch: epoch,
        },
        d,
      ),
    ]);
    expect((await read()).dataSources.get('ds-2')).toEqual({
      version: 5,
      deleted: true,
      definition: null,
      viewSignature: null,
    });
    const message = await errorOf(
      asSystem([
        planDatasourceStateCall(
          {
            datasourceId: 'ds-2',
            version: 4,
            deleted: false,
            definition: {},
            viewSignature: 'x',
            expectedEpoch: epoch + 1,
          },
          d,
        ),
      ]),
    );
    expect(kindOfMessage(message)).toBe('stale');
  });

  it(
    'apply_policy upserts newer versions (bumping the epoch), ' + 'ignores older ones, records the view signature',
    async () => {
      let { epoch } = await read();
      const call = (version: number, expectedEpoch: number, signature: string) =>
        planPolicyStateCall(
          {
            policyId: 'p-1',
            version,
            deleted: false,
            definition: { v: version },
            datasourceId: 'ds-1',
            viewSignature: signature,
            expectedEpoch,
          },
          d,
        );

      await asSystem([call(2, epoch, 'sig-p2')]);
      let snap = await read();
      expect(snap.epoch).toBe(epoch + 1);
      expect(snap.policies.get('p-1')).toEqual({ version: 2, deleted: false, definition: { v: 2 } });
      expect(snap.dataSources.get('ds-1')?.viewSignature).toBe('sig-p2');
      epoch = snap.epoch;

      // Same or older version: no error (the view is still re-converged), state and epoch untouched.
      await asSystem([call(2, epoch, 'sig-again'), call(1, epoch, 'sig-older')]);
      snap = await read();
      expect(snap.epoch).toBe(epoch);
      expect(snap.policies.get('p-1')?.definition).toEqual({ v: 2 });
      expect(snap.dataSources.get('ds-1')?.viewSignature).toBe('sig-older');

      const message = await errorOf(asSystem([call(3, epoch + 7, 'x'), marker('policy_conflict')]));
      expect(kindOfMessage(message)).toBe('conflict');
      expect(await viewExists('policy_conflict')).toBe(false);

      await asSystem([
        planPolicyStateCall(
          {
            policyId: 'p-1',
            version: 3,
            deleted: true,
            definition: null,
            datasourceId: null,
            viewSignature: null,
            expectedEpoch: epoch,
          },
          d,
        ),
      ]);
      snap = await read();
      expect(snap.policies.get('p-1')).toEqual({ version: 3, deleted: true, definition: null });
      expect(snap.epoch).toBe(epoch + 1);
    },
  );

  it(
    'apply_user / delete_user: one CALL each; stale versions ' + 'are silent no-ops; a delete wipes entitlements',
    async () => {
      const profileRow = async (user: string) =>
        (
          await engine.query<Record<string, unknown>>(
            'SELECT version::int AS version, deleted, groups, attributes, projects, current_project, purposes, ' +
              'datasources FROM immuta_system.profile WHERE immuta__userid = $1',
            [user],
          )
        )[0];
      const profile: UserProfile = {
        userId: "o'brien; --",
        version: 4,
        groups: ['b|c', 'a=1', '%7C'],
        attributes: { 'dept=x': ['fin|ance', 'ops'] },
        projects: ['p1'],
        currentProject: 'p1',
        purposes: ['$$ research $$'],
        dataSources: ['ds-1'],
      };
      await asSystem([planUserUpsert(profile, d)]);
      let row = await profileRow(profile.userId);
      expect(row?.version).toBe(4);
      expect(decodeList(String(row?.groups))).toEqual([...profile.groups].sort());
      expect(decodeAttributes(String(row?.attributes))).toEqual({ 'dept=x': ['fin|ance', 'ops'] });

      await asSystem([planUserUpsert({ ...profile, version: 3, groups: ['older'] }, d)]);
      expect((await profileRow(profile.userId))?.groups).toBe(row?.groups);

      await asSystem([planUserDelete(profile.userId, 5, d)]);
      row = await profileRow(profile.userId);
      expect(row).toEqual({
        version: 5,
        deleted: true,
        groups: '|',
        attributes: '|',
        projects: '|',
        current_project: null,
        purposes: '|',
        datasources: '|',
      });

      await asSystem([planUserUpsert({ ...profile, version: 4 }, d), planUserDelete(profile.userId, 2, d)]);
      expect((await profileRow(profile.userId))?.deleted).toBe(true);

      // A delete that arrives before the user ever existed leaves a tombstone that outranks older upserts.
      await asSystem([planUserDelete('ghost', 9, d), planUserUpsert({ ...profile, userId: 'ghost', version: 8 }, d)]);
      expect((await profileRow('ghost'))?.deleted).toBe(true);
      await asSystem([planUserUpsert({ ...profile, userId: 'ghost', version: 10 }, d)]);
      expect((await profileRow('ghost'))?.deleted).toBe(false);
    },
  );

  it('the catalog read without the bootstrap fails instead of returning epoch 0', () => {
    expect(() => parseCatalog([])).toThrow(/no epoch row/);
  });
});
