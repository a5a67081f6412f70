// A userId is the Redshift user name the profile row is matched with (current_user). Spellings no Redshift user
// can have — a lower-case iamr: prefix, the IAMA: login prefix, upper case without case-sensitive identifiers,
// more than 127 bytes, surrounding spaces, control characters — are accepted (202: the event is valid and the
// profile is stored) with VG508 warnings in the answer, so the sender learns that the profile matches nobody.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { ingest, type IngestDeps } from '../../shared/events/ingest.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { userNameProblems } from '../../shared/policy/user-name.js';
import type { BusEntry } from '../../shared/ports/event-bus.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');

function deps(): IngestDeps & { entries: BusEntry[] } {
  const entries: BusEntry[] = [];
  return {
    entries,
    bus: { put: async (e) => (entries.push(...e), { failed: [] }) },
    secrets: { get: async () => secret },
    now: () => now,
  };
}

const userUpdated = (userId: string) => {
  const ex = structuredClone(EVENT_EXAMPLES['user.updated']) as { subject: string; data: { user: { userId: string } } };
  ex.subject = userId;
  ex.data.user.userId = userId;
  return JSON.stringify(ex);
};
const userDeleted = (userId: string) => {
  const ex = structuredClone(EVENT_EXAMPLES['user.deleted']) as { subject: string; data: { userId: string } };
  ex.subject = userId;
  ex.data.userId = userId;
  return JSON.stringify(ex);
};
const send = (body: string, d = deps()) => ingest({ body, headers: signWebhook(body, secret, 'msg_1', now) }, d);

describe('userId spellings (docs/policies.md "User names")', () => {
  it.each([
    'alice',
    'IAM:alice',
    'IAMR:Analyst-Role',
    'AWSIDC:ann@example.com',
    'IAM:Ann.Lee+ops@corp',
    'éa_1',
    'a'.repeat(127),
    'ops_iam:bob', // an IAM-like word that is not a prefix is part of an ordinary name
  ])('%s can be a Redshift user: accepted, no warning', async (userId) => {
    expect(userNameProblems(userId)).toEqual([]);
    const out = await send(userUpdated(userId));
    expect(out.status).toBe(202);
    expect(out.body).toEqual({ id: EVENT_EXAMPLES['user.updated'].id });
  });

  it.each([
    ['iamr:analyst', /starts with iamr:; Redshift names the users of IAM identities IAMR:/],
    ['Iam:bob', /starts with Iam:/],
    ['awsidc:ann@example.com', /AWSIDC:/],
    ['IAMA:temp_user', /IAMA:, the login prefix GetClusterCredentials adds/],
    ['Alice', /folds user names to lower case unless enable_case_sensitive_identifier is on/],
    [' alice', /white space/],
    ['alice ', /white space/],
    ['al\u007fice', /control character/],
    ['alice\n', /control character/],
    ['é'.repeat(64), /128 bytes; Redshift names are at most 127/],
  ])('%j is accepted (202) with a VG508 warning naming why', async (userId, why) => {
    const d = deps();
    const out = await send(userUpdated(userId), d);
    expect(out.status).toBe(202);
    expect(d.entries).toHaveLength(1);
    const body = out.body as {
      id: string;
      warnings?: { code: string; severity: string; summary: string; path: unknown[] }[];
    };
    expect(body.warnings?.map((w) => [w.code, w.severity, w.path])).toEqual(
      expect.arrayContaining([['VG508', 'warning', ['data', 'user', 'userId']]]),
    );
    expect(body.warnings!.map((w) => w.summary).join('\n')).toMatch(why);
    expect(out.diagnostics).toEqual(body.warnings);
  });

  it('the warning says why and what follows, in full; several problems are one warning each', async () => {
    const out = await send(userUpdated('Alice '));
    expect((out.body as { warnings: { summary: string }[] }).warnings.map((w) => w.summary)).toEqual([
      'userId "Alice " begins or ends with white space: no Redshift session\'s current_user can equal it, so ' +
        'this profile matches nobody',
      'userId "Alice " has upper-case letters; Redshift folds user names to lower case unless ' +
        "enable_case_sensitive_identifier is on: no Redshift session's current_user can equal it, so this " +
        'profile matches nobody',
    ]);
  });

  it('a user.deleted event is checked too (path data.userId)', async () => {
    const out = await send(userDeleted('iamr:gone'));
    expect(out.status).toBe(202);
    expect((out.body as { warnings?: { path: unknown[] }[] }).warnings?.[0]?.path).toEqual(['data', 'userId']);
  });

  it('other event types never carry warnings', async () => {
    const out = await send(JSON.stringify(EVENT_EXAMPLES['policy.updated']));
    expect(out.body).toEqual({ id: EVENT_EXAMPLES['policy.updated'].id });
  });
});
