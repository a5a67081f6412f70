// Notices → hints: every notification type the connector knows becomes the right kind of refresh, with the id
// when the notice names one; what it cannot read becomes a full refresh; informational types become nothing.
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_TARGETS, noticeHints } from '../../shared/immuta/notice.js';
import { FULL_SCOPE, scopeOfHints } from '../../shared/immuta/fetch-state.js';

const notice = (notificationType: string, metadata: Record<string, unknown> = {}) => ({
  text: 'Someone did something.',
  attachments: [{ text: '…' }],
  metadata: { notificationType, ...metadata },
});

describe('notice → hints', () => {
  it.each([
    ['modelCreated', { dataSourceId: 7 }, [{ kind: 'dataSource', id: '7' }]],
    ['modelDeleted', { dataSourceId: '7' }, [{ kind: 'dataSource', id: '7' }]],
    ['dataSourceUpdated', {}, [{ kind: 'allDataSources' }]],
    ['modelTagAdded', { dataSourceId: 7 }, [{ kind: 'dataSource', id: '7' }]],
    ['policyUpdated', { dataSourceId: 7 }, [{ kind: 'dataSource', id: '7' }]],
    ['globalPolicyUpdated', { policyId: 10 }, [{ kind: 'policy', id: '10' }]],
    ['globalPolicyDeleted', {}, [{ kind: 'allPolicies' }]],
    ['modelAccessApproved', { userid: 'carol@example.com' }, [{ kind: 'user', id: 'carol@example.com' }]],
    ['userUpdated', { userid: 'alice@example.com' }, [{ kind: 'user', id: 'alice@example.com' }]],
    ['groupUserAdded', {}, [{ kind: 'allUsers' }]],
    ['attributeRemoved', { userid: 'bob@example.com' }, [{ kind: 'user', id: 'bob@example.com' }]],
    ['switchedCurrentProject', { userid: 'alice@example.com' }, [{ kind: 'user', id: 'alice@example.com' }]],
    ['purposeUpdated', {}, [{ kind: 'allUsers' }]],
    ['apiKeyRevoked', {}, []],
    ['bulkJobStatus', {}, []],
  ])('%s %j → %j', (type, metadata, expected) => {
    expect(
      noticeHints(notice(type, metadata)).map(({ kind, id }) => (id === undefined ? { kind } : { kind, id })),
    ).toEqual(expected);
  });

  it('every known type maps to a refresh or is knowingly ignored', () => {
    for (const [type, target] of Object.entries(NOTIFICATION_TARGETS)) {
      const hints = noticeHints(notice(type));
      expect(hints.length, type).toBe(target === 'ignore' ? 0 : 1);
    }
  });

  it('reads the type and id from the body, from a metadata object, or from metadata given as JSON text', () => {
    expect(noticeHints({ notificationType: 'modelDeleted', dataSourceId: 3 })).toMatchObject([
      { kind: 'dataSource', id: '3' },
    ]);
    expect(
      noticeHints({ text: 'x', metadata: JSON.stringify({ notificationType: 'userDeleted', userid: 'zed' }) }),
    ).toMatchObject([{ kind: 'user', id: 'zed' }]);
    expect(noticeHints({ text: 'x', metadata: { type: 'globalPolicyCreated', policy: { id: 4 } } })).toMatchObject([
      { kind: 'policy', id: '4' },
    ]);
  });

  it('anything it cannot read is a full refresh, never nothing', () => {
    for (const json of [
      undefined,
      null,
      'text',
      [1, 2],
      {},
      { text: 'Alice changed something' },
      notice('somethingNew'),
      { metadata: '{not json' },
    ]) {
      expect(noticeHints(json), JSON.stringify(json)).toEqual([expect.objectContaining({ kind: 'all' })]);
    }
  });

  it('hints merge into one scope; a full refresh covers everything', () => {
    expect(
      scopeOfHints([
        { kind: 'dataSource', id: '1' },
        { kind: 'dataSource', id: '1' },
        { kind: 'user', id: 'a' },
      ]),
    ).toEqual({ dataSources: ['1'], policies: [], users: ['a'], refreshUsers: true });
    expect(scopeOfHints([{ kind: 'allPolicies' }, { kind: 'policy', id: '3' }])).toEqual({
      dataSources: [],
      policies: 'all',
      users: [],
    });
    expect(scopeOfHints([{ kind: 'user', id: 'a' }, { kind: 'all' }])).toEqual(FULL_SCOPE);
  });
});
