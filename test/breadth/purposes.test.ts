// Purposes and projects: "limit usage to purpose" policies (subscription and row filter `usingPurpose`,
// custom WHERE @isUsingPurpose). A user acts under a purpose when their current project carries it and they
// acknowledged it (shared/policy/purposes.ts). Switching project or acknowledging a purpose is a user event:
// it goes through the real pipeline path (user.updated event → route → work item → applyWorkItem) and must
// be exactly ONE statement, a CALL of apply_user — no DDL — while what the user sees changes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { UserUpdatedEventSchema } from '../../shared/events/event-types.js';
import { activePurposeNeedle, encodePurposes, listNeedle } from '../../shared/layout/profile-encoding.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { applyWorkItem } from '../../shared/apply/apply-work-item.js';
import { routeUserEvent, type UserEvent } from '../../shared/routing/route-user.js';
import { parseWorkItem } from '../../shared/routing/work-item.js';
import { activePurposes } from '../../shared/policy/purposes.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { UserProfileSchema, type UserProfileInput } from '../../shared/policy/user-profile.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { engines } from '../support/engines.js';
import { createBreadthWorld, type BreadthWorld } from '../compiler/breadth-harness.js';
import { examples, policiesOf, profiles, seeOf, type UserName } from './policy-doc-examples.js';

describe('which purposes a user acts under', () => {
  const base = { userId: 'u', version: 1 };
  it(
    'current project ∩ its purposes ∩ acknowledged; not a ' + 'member → none; v1 payload (no projectPurposes) → none',
    () => {
      expect(activePurposes(UserProfileSchema.parse({ ...base, ...profiles.alice }))).toEqual(['Fraud Detection']);
      expect(activePurposes(UserProfileSchema.parse({ ...base, ...profiles.bob }))).toEqual([]);
      expect(activePurposes(UserProfileSchema.parse({ ...base, ...profiles.alice, projects: ['campaign'] }))).toEqual(
        [],
      );
      expect(activePurposes(UserProfileSchema.parse({ ...base, ...profiles.alice, currentProject: null }))).toEqual([]);
      expect(
        activePurposes(UserProfileSchema.parse({ ...base, projects: ['p'], currentProject: 'p', purposes: ['x'] })),
      ).toEqual([]);
      // only the carried purposes the user acknowledged; another project's purposes do not count
      const some = { projects: ['p', 'q'], currentProject: 'p', projectPurposes: { p: ['a', 'b', 'c'], q: ['z'] } };
      expect(activePurposes(UserProfileSchema.parse({ ...base, ...some, purposes: ['c', 'a', 'z'] })).sort()).toEqual([
        'a',
        'c',
      ]);
    },
  );

  it('encoding: acknowledged items |x| and active items |=x| never match each other', () => {
    const enc = encodePurposes(['a=b', 'Fraud'], ['Fraud']);
    expect(enc).toBe('|=Fraud|Fraud|a%3Db|');
    expect(enc.includes(activePurposeNeedle('Fraud'))).toBe(true);
    expect(enc.includes(listNeedle('Fraud'))).toBe(true);
    expect(enc.includes(activePurposeNeedle('a=b'))).toBe(false);
    // an acknowledged purpose literally named "=Fraud" is escaped, so it is not an active item
    expect(encodePurposes(['=Fraud'], []).includes(activePurposeNeedle('Fraud'))).toBe(false);
    // v1 statement shape unchanged for v1 payloads: acknowledged purposes only
    const v1 = planUserUpsert(UserProfileSchema.parse({ ...base, purposes: ['x'] }), postgres);
    expect(v1.params!.p_purposes).toBe('|x|');
  });
});

/** A Warehouse that runs each transaction as the system role on the engine and records the statements. */
function recordingWarehouse(w: BreadthWorld, log: SqlStatement[][]): Warehouse {
  return {
    query: (s) => w.engine.asAdmin.query(s),
    async transaction(statements) {
      log.push(statements);
      await w.applyAsSystem(statements);
    },
  };
}

describe.each(engines)('purposes on $name', ({ create }) => {
  let w: BreadthWorld;
  let version = 1;
  beforeAll(async () => {
    w = await createBreadthWorld(await create());
  });
  afterAll(() => w?.close());
  // Every test starts from the documented profiles, whichever test changed them before (a newer version each time).
  beforeEach(async () => {
    for (const user of ['alice', 'bob'] as const) await w.setProfile(user, ++version, profiles[user]);
  });

  for (const ex of examples.filter((e) => e.section === 'Purposes')) {
    it(`doc example ${ex.id}: ${ex.title}`, async () => {
      const compiled = await w.apply(policiesOf(ex));
      expect(compiled.diagnostics).toEqual([]);
      for (const user of ['alice', 'bob'] as const)
        expect(await w.see(user, ex.columns), user).toEqual(seeOf(ex, user, w.role[user]));
    });
  }

  /** A user.updated event through route → work item → applyWorkItem; returns the transactions it ran. */
  async function userEvent(
    user: UserName,
    profile: Omit<UserProfileInput, 'userId' | 'version'>,
  ): Promise<SqlStatement[][]> {
    version += 1;
    const event = UserUpdatedEventSchema.parse({
      ...EVENT_EXAMPLES['user.updated'],
      id: `evt-purpose-${version}`,
      subject: w.role[user],
      data: { user: { userId: w.role[user], version, ...profile } },
    }) as UserEvent;
    const [message, ...more] = routeUserEvent(event);
    expect(more).toEqual([]);
    const log: SqlStatement[][] = [];
    const outcome = await applyWorkItem(parseWorkItem(message!.body), {
      warehouse: recordingWarehouse(w, log),
      queue: {
        send: async () => {
          throw new Error('a user event never enqueues work');
        },
      } as never,
      dialect: postgres,
      config: w.layout,
    });
    expect(outcome.status).toBe('applied');
    return log;
  }

  const exactlyOneCall = (log: SqlStatement[][]) => {
    expect(log).toHaveLength(1);
    expect(log[0]).toHaveLength(1);
    expect(log[0]![0]!.sql).toMatch(/^CALL "immuta_procedures"\."apply_user"\(/);
  };

  it('bob acknowledges Marketing while in the campaign project: one CALL, and he now sees the rows', async () => {
    await w.apply(policiesOf(examples.find((e) => e.id === 'where-tagged')!));
    expect(await w.see('bob', ['id'])).toEqual([]);
    const log = await userEvent('bob', { ...profiles.bob, purposes: ['Marketing'] });
    exactlyOneCall(log);
    expect((await w.see('bob', ['id'])).length).toBe(5);
  });

  it(
    'alice switches her current project: one CALL, no DDL (view ' + 'definition unchanged), access follows the project',
    async () => {
      await w.apply(policiesOf(examples.find((e) => e.id === 'sub-purpose')!));
      expect((await w.see('alice', ['id'])).length).toBe(5);
      const [before] = await w.engine.query<{ d: string }>("SELECT pg_get_viewdef('secure.customers'::regclass) AS d");
      // campaign carries Marketing, which she has not acknowledged: she acts under no purpose
      const log = await userEvent('alice', { ...profiles.alice, currentProject: 'campaign' });
      exactlyOneCall(log);
      expect(await w.see('alice', ['id'])).toEqual([]);
      // acknowledging Marketing does not help for a Fraud Detection subscription
      exactlyOneCall(
        await userEvent('alice', {
          ...profiles.alice,
          currentProject: 'campaign',
          purposes: ['Fraud Detection', 'Marketing'],
        }),
      );
      expect(await w.see('alice', ['id'])).toEqual([]);
      // back to fraud-q3
      exactlyOneCall(await userEvent('alice', { ...profiles.alice, purposes: ['Fraud Detection', 'Marketing'] }));
      expect((await w.see('alice', ['id'])).length).toBe(5);
      const [after] = await w.engine.query<{ d: string }>("SELECT pg_get_viewdef('secure.customers'::regclass) AS d");
      expect(after!.d).toBe(before!.d);
    },
  );

  it('a v1 user payload (no projectPurposes) acts under no purpose: fail closed', async () => {
    await w.apply([PolicySchema.parse(examples.find((e) => e.id === 'sub-purpose')!.policy)]);
    const { projectPurposes: _dropped, ...v1 } = profiles.alice;
    exactlyOneCall(await userEvent('alice', v1));
    expect(await w.see('alice', ['id'])).toEqual([]);
  });
});
