// Two pipeline connections racing on a real PostgreSQL server (PGlite has one connection): the epoch lock
// turns a write-skew race into a conflict for the loser, and two first upserts of one user serialize
// instead of failing with a unique violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerEngine, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { kindOfMessage } from '../../shared/adapters/postgres-error-classifier.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { catalogReadStatement, parseCatalog } from '../../shared/layout/catalog-reader.js';
import { planDatasourceStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { bootstrap, errorOf, layoutConfig } from './layout-fixture.js';

describe('guard procedures under concurrency (PostgreSQL server)', () => {
  let engine: Engine;
  let config: IntegrationConfig;
  let a: Session;
  let b: Session;

  const begin = async (s: Session, statement: SqlStatement): Promise<void> => {
    await s.query('BEGIN');
    await s.query(`SET LOCAL ROLE ${d.quoteIdent(config.systemUser)}`);
    await s.query(statement);
  };
  /** Resolves when `s`'s backend is waiting for a lock. */
  const waitingOnLock = async (s: Session): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const rows = await engine.query(
        `SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'`,
        [s.role],
      );
      if (rows.length > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${s.role} never waited on a lock`);
  };

  beforeAll(async () => {
    engine = await createServerEngine();
    config = layoutConfig(engine);
    await bootstrap(engine, config);
    // Two pipeline workers: login roles that may act as the system role.
    const w1 = await engine.createLoginRole('worker1', 'pw1');
    const w2 = await engine.createLoginRole('worker2', 'pw2');
    await engine.exec([
      { sql: `GRANT ${d.quoteIdent(config.systemUser)} TO ${d.quoteIdent(w1)}, ${d.quoteIdent(w2)}` },
    ]);
    a = await engine.asUser(w1, 'pw1');
    b = await engine.asUser(w2, 'pw2');
  });
  afterAll(() => engine?.close());

  it('two catalog changes compiled against the same epoch: the second waits, then gets conflict', async () => {
    const { epoch } = parseCatalog(await engine.query(catalogReadStatement(d)));
    const change = (id: string) =>
      planDatasourceStateCall(
        { datasourceId: id, version: 1, deleted: false, definition: {}, viewSignature: 's', expectedEpoch: epoch },
        d,
      );
    await begin(a, change('ds-a'));
    // Observe b's outcome from the start: once a commits, b's error can reach us before a's COMMIT reply does
    // (a loaded machine reorders the two backends), and a rejection nobody listens to yet is an unhandled one.
    const second = errorOf(begin(b, change('ds-b')));
    await waitingOnLock(b);
    await a.query('COMMIT');
    const message = await second;
    await b.query('ROLLBACK');
    expect(kindOfMessage(message)).toBe('conflict');
    const after = parseCatalog(await engine.query(catalogReadStatement(d)));
    expect([...after.dataSources.keys()]).toEqual(['ds-a']);
    expect(after.epoch).toBe(epoch + 1);
  });

  it('two first upserts of one user serialize: no unique violation, the newer version wins', async () => {
    const p = (version: number, group: string) =>
      planUserUpsert(
        {
          userId: 'racer',
          version,
          groups: [group],
          attributes: {},
          projects: [],
          currentProject: null,
          purposes: [],
          dataSources: [],
        },
        d,
      );
    await begin(a, p(2, 'newer'));
    // Settled from the start, for the same reason as above (a unique violation here would be the defect).
    const second = begin(b, p(1, 'older')).then(
      () => 'done',
      (e: unknown) => `failed: ${e instanceof Error ? e.message : String(e)}`,
    );
    await waitingOnLock(b);
    await a.query('COMMIT');
    expect(await second).toBe('done');
    await b.query('COMMIT');
    expect(
      await engine.query(`SELECT version::int AS v, groups FROM immuta_system.profile WHERE immuta__userid = 'racer'`),
    ).toEqual([{ v: 2, groups: '|newer|' }]);
  });
});
