// `explain --as` on real engines: for every policy kind of the docs' examples (test/breadth/policy-doc-examples.ts)
// the administrator's answer FOR a user — row count and every row, each value as text — equals what that user
// gets querying the view as a real login role. The stored state is written by the real apply loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/engines.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { explain } from '../../shared/operations/explain.js';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { anyoneSubscription, examples, policiesOf, type UserName } from '../breadth/policy-doc-examples.js';
import { createOperationsWorld, type OperationsWorld } from './support/operations-world.js';

/**
 * Every column of the view as text, in the view's column order, ordered by every column (what explain's sample does).
 */
async function whatTheUserSees(w: OperationsWorld, user: UserName): Promise<(string | null)[][]> {
  const cols = w.ds.columns.map((c, i) => `CAST(${postgres.quoteIdent(c.name)} AS text) AS c${i}`).join(', ');
  const order = w.ds.columns.map((_c, i) => String(i + 1)).join(', ');
  const rows = await w.users[user].query(`SELECT ${cols} FROM secure.customers ORDER BY ${order}`);
  return rows.map((r) => w.ds.columns.map((_c, i) => (r[`c${i}`] ?? null) as string | null));
}

describe.each(engines)('explain --as on $name', ({ create }) => {
  let w: OperationsWorld;
  beforeAll(async () => {
    w = await createOperationsWorld(await create());
    await w.putDataSource(w.ds);
  });
  afterAll(() => w?.close());

  const ask = (user: string, view = 'customers') =>
    explain({ warehouse: w.system, dialect: postgres, config: w.layout, view, user, sample: 1000 });

  for (const ex of examples) {
    it(`doc example ${ex.id} (${ex.section}): the answer is what alice and bob see`, async () => {
      await w.setPolicies(policiesOf(ex));
      for (const user of ['alice', 'bob'] as const) {
        const seen = await whatTheUserSees(w, user);
        const answer = await ask(w.role[user]);
        expect(answer.rows, user).toBe(seen.length);
        expect(answer.sample.rows, user).toEqual(seen);
        expect(answer.failedClosed).toBe(false);
        const named = [
          answer.subscription.policy,
          ...answer.columns.map((c) => c.mask?.policy),
          ...answer.rowFilters.map((f) => f.policy),
        ];
        expect(named, 'the example policy is named where it applies').toContain(ex.id);
      }
    });
  }

  it(
    'names the winner and the losers of each conflict, the ' +
      'subscription decision and what the user gets per column',
    async () => {
      const p = (x: object) => PolicySchema.parse({ version: 1, createdAt: '2024-06-01T00:00:00Z', name: 'x', ...x });
      await w.setPolicies([
        PolicySchema.parse(anyoneSubscription),
        p({
          id: 'sub-analysts',
          scope: { kind: 'global', tags: ['Customer'] },
          type: 'subscription',
          access: { kind: 'usersWith', who: { groups: ['analysts'] } },
        }),
        p({
          id: 'mask-pii',
          scope: { kind: 'global', tags: ['PII'] },
          type: 'mask',
          target: { kind: 'tag', tag: 'PII' },
          mask: { kind: 'hash' },
        }),
        p({
          id: 'mask-email',
          scope: { kind: 'global', tags: ['PII'] },
          type: 'mask',
          target: { kind: 'tag', tag: 'PII.Email' },
          mask: { kind: 'null' },
          condition: { kind: 'everyoneExcept', except: { groups: ['compliance'] } },
        }),
        p({
          id: 'rf-us',
          scope: { kind: 'local', dataSourceId: 'ds-customers' },
          type: 'rowFilter',
          filter: { kind: 'values', column: { kind: 'column', name: 'country' }, values: ['US'] },
          exception: { groups: ['hr'] },
        }),
      ]);
      const alice = await ask(w.role.alice);
      expect(alice.subscription).toMatchObject({ policy: 'sub-anyone', losers: ['sub-analysts'], admitted: true });
      const email = alice.columns.find((c) => c.column === 'email')!;
      expect(email.mask).toMatchObject({ policy: 'mask-email', losers: ['mask-pii'], forUser: 'null' });
      expect(alice.columns.find((c) => c.column === 'ssn')!.mask).toMatchObject({
        policy: 'mask-pii',
        losers: [],
        forUser: 'hash',
      });
      expect(alice.rowFilters).toEqual([
        { policy: 'rf-us', filter: 'column country in ("US")', liftedByException: false, rowsAlone: 3 },
      ]);
      expect(alice.rowsBeforeFilters).toBe(5);
      expect(alice.rows).toBe(3);
      const bob = await ask(w.role.bob, 'ds-customers');
      expect(bob.columns.find((c) => c.column === 'email')!.mask!.forUser).toBe('clear');
      expect(bob.rowFilters[0]!.liftedByException).toBe(true);
      expect(bob.rows).toBe(5);
      expect(bob.sample.rows).toEqual(await whatTheUserSees(w, 'bob'));
      expect(bob.profile).toMatchObject({ userId: w.role.bob, groups: ['compliance', 'hr'] });
    },
  );

  it('a user without a profile row sees nothing, and explain says so', async () => {
    const answer = await ask(w.engine.roleName('nobody'), 'secure.customers');
    expect(answer).toMatchObject({ profile: null, rows: 0, rowsBeforeFilters: 0, subscription: { admitted: false } });
    expect(answer.sample.rows).toEqual([]);
  });

  it('an unknown view is VG801', async () => {
    const err = await ask(w.role.alice, 'custmers').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as DiagnosticError).diagnostics.map((d) => d.code)).toEqual(['VG801']);
  });
});
