// `viewguard plan` on real engines: the views it lists as changing are EXACTLY the views whose definition the
// apply of the same events then changes (pg_get_viewdef before/after), for a local policy, a global one that
// reaches two views, and a change that compiles to the same view; the users whose rows change and how, computed
// for them by the administrator, match what they see as real login roles after the apply; a view that would
// fail closed is reported with its diagnostic (exit 1); plan writes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { PolicySchema, type PolicyInput } from '../../shared/policy/policy.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { catalogReadStatement } from '../../shared/layout/catalog-reader.js';
import { EXIT, run, type CliIo } from '../../infra/cli/main.js';
import type { Plan } from '../../shared/operations/plan.js';
import { anyoneSubscription, profiles } from '../breadth/policy-doc-examples.js';
import { createOperationsWorld, event, type OperationsWorld } from './support/operations-world.js';

const policy = (p: Record<string, unknown>) =>
  PolicySchema.parse({ version: 1, createdAt: '2024-06-01T00:00:00Z', name: String(p.id), ...p } as PolicyInput);
const policyEvent = (p: ReturnType<typeof policy>, type = 'policy.updated') => event(type, p.id, { policy: p });

describe.each(engines)('plan on $name', ({ create }) => {
  let w: OperationsWorld;
  let dir: string;
  let n = 0;
  const staff = () =>
    DataSourceSchema.parse({
      ...w.ds,
      id: 'ds-staff',
      name: 'staff',
      tags: ['Staff'],
      columns: w.ds.columns.filter((c) => ['id', 'name', 'dept'].includes(c.name)).map((c) => ({ ...c, tags: [] })),
    });

  beforeAll(async () => {
    w = await createOperationsWorld(await create());
    dir = mkdtempSync(join(tmpdir(), 'viewguard-plan-'));
    await w.putDataSource(w.ds);
    await w.putDataSource(staff());
    await w.applyEvents([
      policyEvent(policy({ ...anyoneSubscription, scope: { kind: 'global' } }), 'policy.created'),
      policyEvent(
        policy({
          id: 'mask-pii',
          scope: { kind: 'global', tags: ['PII'] },
          type: 'mask',
          target: { kind: 'tag', tag: 'PII' },
          mask: { kind: 'hash' },
        }),
        'policy.created',
      ),
    ]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await w?.close();
  });

  const io = (): CliIo & { stdout: string[]; stderr: string[] } => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const connect = async () => ({
      warehouse: w.system,
      dialect: postgres,
      config: w.layout,
      where: 'test',
      close: async () => {},
    });
    return {
      env: {},
      cwd: dir,
      out: (l) => void stdout.push(l),
      err: (l) => void stderr.push(l),
      connect,
      stdout,
      stderr,
    };
  };
  const file = (content: unknown): string => {
    const path = join(dir, `input-${++n}.json`);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const planOf = async (...args: string[]): Promise<{ code: number; plan: Plan; text: string[] }> => {
    const json = io();
    const code = await run(['plan', ...args, '--json'], json);
    const text = io();
    await run(['plan', ...args, '--sql'], text);
    return { code, plan: JSON.parse(json.stdout.join('\n')) as Plan, text: text.stdout };
  };
  const changed = (a: Map<string, string>, b: Map<string, string>): string[] =>
    [...new Set([...a.keys(), ...b.keys()])]
      .filter((k) => a.get(k) !== b.get(k))
      .map((k) => `secure.${k}`)
      .sort();
  const listed = (p: Plan): string[] =>
    p.views
      .filter((v) => v.action !== 'unchanged')
      .map((v) => v.view!)
      .sort();

  /** Plan the events from a file, apply them through the pipeline, compare the plan with what changed. */
  async function planThenApply(events: ReturnType<typeof event>[]) {
    const before = await w.viewDefinitions();
    const epoch = await w.engine.query(catalogReadStatement(postgres));
    const result = await planOf(file(events));
    expect(await w.engine.query(catalogReadStatement(postgres)), 'plan writes nothing').toEqual(epoch);
    expect(await w.viewDefinitions(), 'plan writes nothing').toEqual(before);
    await w.applyEvents(events);
    const after = await w.viewDefinitions();
    expect(listed(result.plan), 'the views plan lists are the views the apply changed').toEqual(changed(before, after));
    return result;
  }

  it('a local row filter: one view replaced, the other untouched; who loses which rows', async () => {
    const rf = policy({
      id: 'rf-us',
      scope: { kind: 'local', dataSourceId: 'ds-customers' },
      type: 'rowFilter',
      filter: { kind: 'values', column: { kind: 'column', name: 'country' }, values: ['US'] },
      exception: { groups: ['compliance'] },
    });
    const { code, plan, text } = await planThenApply([policyEvent(rf, 'policy.created')]);
    expect(code).toBe(EXIT.ok);
    expect(plan.views).toMatchObject([
      {
        dataSourceId: 'ds-customers',
        view: 'secure.customers',
        action: 'replace',
        items: [{ object: 'policy:rf-us@view:ds-customers', version: 1, outcome: 'planned' }],
      },
    ]);
    expect(plan.impact).toEqual([
      {
        user: w.role.alice,
        view: 'secure.customers',
        rowsBefore: 5,
        rowsAfter: 3,
        rowsLost: 2,
        rowsGained: 0,
        columnsChanged: false,
      },
    ]);
    expect((await w.users.alice.query('SELECT id FROM secure.customers')).length).toBe(3);
    expect((await w.users.bob.query('SELECT id FROM secure.customers')).length).toBe(5);
    const sql = text.join('\n');
    expect(sql).toContain(
      '-- secure.customers: policy:rf-us@view:ds-customers v1, transaction 1 of 1\nCALL ' +
        '"immuta_procedures"."apply_policy"(',
    );
    expect(sql).toMatch(/CREATE OR REPLACE VIEW "secure"\."customers"/);
    expect(sql).toContain('--   :p_id = "rf-us"');
  });

  it(
    'a global mask reaches both views: both replaced, values change for every user (rows lost and gained, same ' +
      'columns)',
    async () => {
      const m = policy({
        id: 'mask-name',
        scope: { kind: 'global' },
        type: 'mask',
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'constant', value: 'X' },
      });
      const { plan } = await planThenApply([policyEvent(m, 'policy.created')]);
      expect(plan.views.map((v) => [v.view, v.action])).toEqual([
        ['secure.customers', 'replace'],
        ['secure.staff', 'replace'],
      ]);
      expect(plan.impact).toContainEqual({
        user: w.role.bob,
        view: 'secure.staff',
        rowsBefore: 5,
        rowsAfter: 5,
        rowsLost: 5,
        rowsGained: 5,
        columnsChanged: false,
      });
      expect(plan.impact).toContainEqual({
        user: w.role.alice,
        view: 'secure.customers',
        rowsBefore: 3,
        rowsAfter: 3,
        rowsLost: 3,
        rowsGained: 3,
        columnsChanged: false,
      });
    },
  );

  it(
    'a change that compiles to the same view (a new name) is ' +
      'listed unchanged, and the apply changes no definition',
    async () => {
      const m = policy({
        id: 'mask-name',
        version: 2,
        name: 'Names out',
        scope: { kind: 'global' },
        type: 'mask',
        target: { kind: 'column', name: 'name' },
        mask: { kind: 'constant', value: 'X' },
      });
      const { plan, text } = await planThenApply([policyEvent(m)]);
      expect(plan.views.map((v) => [v.view, v.action])).toEqual([
        ['secure.customers', 'unchanged'],
        ['secure.staff', 'unchanged'],
      ]);
      expect(plan.impact).toEqual([]);
      expect(text[0]).toBe(
        'plan: 1 event(s) → views: 0 created, 0 replaced, 0 dropped, 2 unchanged, 0 would fail closed',
      );
    },
  );

  it('a user event: the rows the user gains or loses in every view, before the profile is stored', async () => {
    const bob = event('user.updated', w.role.bob, {
      user: { userId: w.role.bob, version: 2, ...profiles.bob, groups: ['hr'] },
    });
    const { plan } = await planThenApply([bob]);
    expect(plan.views).toEqual([]);
    expect(plan.users).toEqual([{ user: w.role.bob, version: 2, outcome: 'update' }]);
    expect(plan.impact).toEqual([
      {
        user: w.role.bob,
        view: 'secure.customers',
        rowsBefore: 5,
        rowsAfter: 3,
        rowsLost: 2,
        rowsGained: 0,
        columnsChanged: false,
      },
    ]);
    expect((await w.users.bob.query('SELECT id FROM secure.customers')).length).toBe(3);
  });

  it(
    'a policy that cannot be compiled: the view would fail ' + 'closed, with the diagnostic; exit 1; nothing written',
    async () => {
      const bad = policy({
        id: 'mask-age',
        scope: { kind: 'local', dataSourceId: 'ds-customers' },
        type: 'mask',
        target: { kind: 'column', name: 'age' },
        mask: { kind: 'constant', value: 'old' },
      });
      const before = await w.viewDefinitions();
      const { code, plan, text } = await planOf(file(policyEvent(bad, 'policy.created')));
      expect(code).toBe(EXIT.findings);
      expect(plan.views).toMatchObject([{ view: 'secure.customers', action: 'fail-closed' }]);
      expect(plan.views[0]!.diagnostics.map((d) => d.code)).toEqual(['VG303', 'VG301']);
      expect(plan.impact.filter((i) => i.view === 'secure.customers').map((i) => i.rowsAfter)).toEqual([0, 0]);
      expect(text.join('\n')).toMatch(
        /secure\.customers\s+fail-closed\s+policy:mask-age@view:ds-customers v1\s+VG303 /,
      );
      expect(await w.viewDefinitions()).toEqual(before);
    },
  );

  it('a desired-state directory: policies it does not list are deleted; the plan says which views change', async () => {
    const desired = join(dir, 'desired');
    rmSync(desired, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(desired);
    const keep = (
      await w.engine.query<{ definition: string }>(
        'SELECT definition FROM ' +
          'immuta_system.policy_state WHERE ' +
          'policy_id ' +
          "IN ('sub-anyone', 'mask-pii', " +
          "'rf-us') ORDER BY policy_id",
      )
    ).map((r) => JSON.parse(r.definition) as unknown);
    writeFileSync(join(desired, 'policies.json'), JSON.stringify({ policies: keep }));
    const { plan } = await planOf(desired);
    expect(plan.views.map((v) => [v.view, v.action])).toEqual([
      ['secure.customers', 'replace'],
      ['secure.staff', 'replace'],
    ]);
    expect(plan.views.flatMap((v) => v.items.map((i) => i.object))).toEqual([
      'policy:mask-name@view:ds-customers',
      'policy:mask-name@view:ds-staff',
    ]);
  });

  it('input that is neither an event nor desired state: VG804 with the path, exit 2', async () => {
    const out = io();
    expect(
      await run(
        [
          'plan',
          file({
            ...policyEvent(
              policy({ id: 'x', scope: { kind: 'global' }, type: 'subscription', access: { kind: 'anyone' } }),
            ),
            data: { policy: { id: 'x' } },
          }),
        ],
        out,
      ),
    ).toBe(EXIT.usage);
    expect(out.stderr.join('\n')).toMatch(/VG804 .*input-\d+\.json: data\.policy\./);
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"type": ');
    const out2 = io();
    expect(await run(['plan', notJson], out2)).toBe(EXIT.usage);
    expect(out2.stderr[0]).toMatch(/VG804 .*broken\.json: not JSON/);
  });
});
