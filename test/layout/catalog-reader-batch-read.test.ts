// The catalog read of several data sources at once (catalogReadStatement(dialect, ids[]), used by the combined
// consumer for the group heads of a batch) on real engines: it returns exactly the epoch, the requested data
// sources and every policy, and each data source's part of it (narrowSnapshot) is what that data source's own
// read returns — so a head planned from the batch read is planned from the same input as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import {
  catalogReadStatement,
  narrowSnapshot,
  parseCatalog,
  type CatalogSnapshot,
} from '../../shared/layout/catalog-reader.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { bootstrap, layoutConfig, transactionAs } from './layout-fixture.js';

// An id that would widen the read if it were spliced into the text.
const HOSTILE = "ds-x') OR ('1' = '1";

describe.each(engines)('catalog read of several data sources on $name', ({ create }) => {
  let engine: Engine;
  let config: IntegrationConfig;
  const read = async (ids?: string | string[]): Promise<CatalogSnapshot> =>
    parseCatalog(await engine.query(catalogReadStatement(d, ids)));

  beforeAll(async () => {
    engine = await create();
    config = layoutConfig(engine);
    await bootstrap(engine, config);
    for (const [i, id] of ['ds-1', 'ds-2', 'ds-3', 'ds-4', HOSTILE].entries()) {
      const { epoch } = await read();
      await transactionAs(engine.asAdmin, config.systemUser, [
        planDatasourceStateCall(
          {
            datasourceId: id,
            version: i + 1,
            deleted: id === 'ds-4',
            definition: { id },
            viewSignature: `sig-${i}`,
            expectedEpoch: epoch,
          },
          d,
        ),
      ]);
    }
    const { epoch } = await read();
    await transactionAs(engine.asAdmin, config.systemUser, [
      planPolicyStateCall(
        {
          policyId: 'p-1',
          version: 1,
          deleted: false,
          definition: { id: 'p-1' },
          datasourceId: 'ds-1',
          viewSignature: 'sig-p',
          expectedEpoch: epoch,
        },
        d,
      ),
    ]);
  });
  afterAll(() => engine?.close());

  it('returns the epoch, exactly the requested data sources (tombstones included) and every policy', async () => {
    const all = await read();
    const some = await read(['ds-3', 'ds-1', 'ds-4', 'ds-missing']);
    expect(some.epoch).toBe(all.epoch);
    expect([...some.dataSources.keys()].sort()).toEqual(['ds-1', 'ds-3', 'ds-4']);
    expect(some.dataSources.get('ds-4')).toEqual(all.dataSources.get('ds-4'));
    expect(some.policies).toEqual(all.policies);
    expect(some.policies.size).toBeGreaterThan(0);
  });

  it("each data source's part of the batch read equals its own read", async () => {
    const ids = ['ds-1', 'ds-2', 'ds-4', 'ds-missing', HOSTILE];
    const batch = await read(ids);
    for (const id of ids) expect(narrowSnapshot(batch, id)).toEqual(await read(id));
  });

  it('binds the ids: a hostile id reads only itself, duplicates read once', async () => {
    expect([...(await read([HOSTILE])).dataSources.keys()]).toEqual([HOSTILE]);
    expect([...(await read(["ds-1') OR ('1' = '1"])).dataSources.keys()]).toEqual([]);
    const rows = await engine.query(catalogReadStatement(d, ['ds-2', 'ds-2', 'ds-3']));
    expect(rows.filter((r) => r.kind === 'datasource').map((r) => r.id)).toEqual(
      expect.arrayContaining(['ds-2', 'ds-3']),
    );
    expect(rows.filter((r) => r.kind === 'datasource')).toHaveLength(2);
  });
});
