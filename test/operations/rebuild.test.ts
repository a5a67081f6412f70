// `viewguard rebuild` on real engines: after a "restore" that lost every view and a routine's body, one run
// re-creates the routines and re-applies every view from the stored state (progress per view, bounded
// transactions), so users see again exactly what they saw and drift is clean; a run that fails part-way keeps
// its checkpoint at the last view of its unbroken run of successes and `--resume` picks up from there.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import { detectDrift } from '../../shared/operations/drift.js';
import { EXIT, run, type CliIo } from '../../infra/cli/main.js';
import { anyoneSubscription } from '../breadth/policy-doc-examples.js';
import { createOperationsWorld, event, type OperationsWorld } from './support/operations-world.js';

describe.each(engines)('rebuild on $name', ({ create }) => {
  let w: OperationsWorld;
  let dir: string;
  let before: unknown[][];
  const seen = async () => [
    await w.users.alice.query('SELECT * FROM secure.customers ORDER BY id'),
    await w.users.bob.query('SELECT * FROM secure.customers ORDER BY id'),
    await w.users.alice.query('SELECT * FROM secure.staff ORDER BY id'),
  ];
  const cli = (warehouse: Warehouse) => {
    const stdout: string[] = [];
    const io: CliIo = {
      env: {},
      cwd: dir,
      out: (l) => void stdout.push(l),
      err: (l) => void stdout.push(l),
      connect: async () => ({ warehouse, dialect: postgres, config: w.layout, where: 'test', close: async () => {} }),
    };
    return { io, stdout };
  };
  const loseEverything = async () => {
    for (const v of ['customers', 'staff', 'team']) await w.engine.query(`DROP VIEW IF EXISTS secure.${v}`);
    await w.engine.query(
      'CREATE OR REPLACE FUNCTION ' +
        'immuta_functions.f_list_item(text) ' +
        'RETURNS text IMMUTABLE AS $$ ' +
        "SELECT 'x' $$ LANGUAGE sql",
    );
  };

  beforeAll(async () => {
    w = await createOperationsWorld(await create());
    dir = mkdtempSync(join(tmpdir(), 'viewguard-rebuild-'));
    await w.putDataSource(w.ds);
    const part = (id: string, name: string) =>
      DataSourceSchema.parse({
        ...w.ds,
        id,
        name,
        tags: [],
        columns: w.ds.columns.filter((c) => ['id', 'name', 'dept'].includes(c.name)).map((c) => ({ ...c, tags: [] })),
      });
    await w.putDataSource(part('ds-staff', 'staff'));
    await w.putDataSource(part('ds-team', 'team'));
    // Through the routers: each policy reaches every view it applies to.
    const policies = [
      PolicySchema.parse({ ...anyoneSubscription, scope: { kind: 'global' } }),
      PolicySchema.parse({
        version: 1,
        createdAt: '2024-06-01T00:00:00Z',
        name: 'own dept',
        id: 'rf-dept',
        scope: { kind: 'global' },
        type: 'rowFilter',
        filter: { kind: 'groupMatch', column: { kind: 'column', name: 'dept' } },
        exception: { groups: ['compliance'] },
      }),
    ];
    await w.applyEvents(policies.map((p) => event('policy.created', p.id, { policy: p })));
    before = await seen();
    expect(before[2], 'alice (analysts) sees the staff row of her department').toEqual([
      { id: 5, name: 'Ed', dept: 'analysts' },
    ]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await w?.close();
  });

  it(
    're-creates the routines and every view from the stored ' + 'state; users see what they saw; drift is clean',
    async () => {
      await loseEverything();
      const { io, stdout } = cli(w.system);
      expect(await run(['rebuild'], io)).toBe(EXIT.ok);
      expect(stdout).toEqual([
        '[1/3] ds-customers: applied (1 transaction)',
        '[2/3] ds-staff: applied (1 transaction)',
        '[3/3] ds-team: applied (1 transaction)',
        'rebuild: 7 routine(s) re-created; 3 of 3 view(s) re-applied; 0 failed',
      ]);
      expect(await seen()).toEqual(before);
      expect((await detectDrift({ warehouse: w.system, dialect: postgres, config: w.layout })).findings).toEqual([]);
    },
  );

  it(
    'a run that fails part-way keeps its checkpoint; --resume retries from there and removes the checkpoint when ' +
      'done',
    async () => {
      await loseEverything();
      const file = join(dir, 'rebuild.progress');
      let refused = false;
      // The warehouse refuses the second view's DDL once (as an engine error would).
      const flaky: Warehouse = {
        query: (s) => w.system.query(s),
        async transaction(statements) {
          if (!refused && statements.some((s) => s.sql.includes('VIEW "secure"."staff"'))) {
            refused = true;
            throw new Error('connection reset while applying staff');
          }
          return w.system.transaction(statements);
        },
      };
      const first = cli(flaky);
      expect(await run(['rebuild', '--resume', file], first.io)).toBe(EXIT.findings);
      expect(first.stdout).toContain('[2/3] ds-staff: failed — connection reset while applying staff');
      expect(readFileSync(file, 'utf8').trim()).toBe('ds-customers');
      const second = cli(w.system);
      expect(await run(['rebuild', '--resume', file, '--json'], second.io)).toBe(EXIT.ok);
      expect(second.stdout.slice(0, 3)).toEqual([
        `resuming after data source ds-customers (${file})`,
        '[2/3] ds-staff: applied (1 transaction)',
        '[3/3] ds-team: applied (1 transaction)',
      ]);
      expect(JSON.parse(second.stdout.slice(3).join('\n'))).toMatchObject({
        skipped: 1,
        total: 3,
        views: [
          { dataSourceId: 'ds-staff', outcome: 'applied' },
          { dataSourceId: 'ds-team', outcome: 'applied' },
        ],
      });
      expect(existsSync(file)).toBe(false);
      expect(await seen()).toEqual(before);
    },
  );

  it('is idempotent: a rebuild of an intact warehouse changes no definition', async () => {
    const defs = await w.viewDefinitions();
    const { io } = cli(w.system);
    expect(await run(['rebuild'], io)).toBe(EXIT.ok);
    expect(await w.viewDefinitions()).toEqual(defs);
  });
});
