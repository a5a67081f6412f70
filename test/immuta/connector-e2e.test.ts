// The connector end to end, locally: the fake Immuta (over HTTP) changes its tenant and sends a signed notice
// to the local server's POST /immuta, the connector fetches the truth from the fake's API, and the views — read
// AS each analyst — change. One scenario per notice category, then the failure modes: a bad signature changes
// nothing; an Immuta outage delays and recovers by itself; a dropped notice is fixed by the next reconcile; a
// rule that cannot be expressed fails the data sources it reaches closed, and fixing it brings them back.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalServer, listen } from '../../infra/local/http-server.js';
import { SIGNATURE_HEADER } from '../../shared/immuta/notice-signature.js';
import { useImmutaHarness } from './support/harness.js';

const isHash = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

describe('Immuta connector end to end (fake Immuta over HTTP → POST /immuta → fetch → local pipeline → PGlite)', () => {
  const h = useImmutaHarness();
  let server: Server;
  let noticeUrl = '';

  beforeAll(async () => {
    server = createLocalServer(h().pipeline, () => undefined, h().connector);
    noticeUrl = `http://127.0.0.1:${await listen(server, 0)}/immuta`;
    // Register the webhook the way an operator does (docs/immuta.md, runbook).
    const token = (await (
      await fetch(`${h().fake.url}/bim/apikey/authenticate`, {
        method: 'POST',
        body: JSON.stringify({ apikey: h().fake.apiKey }),
      })
    ).json()) as { token: string };
    const res = await fetch(`${h().fake.url}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        webhooks: [{ url: noticeUrl, name: 'viewguard', global: true, notificationType: ['ALL_NOTIFICATIONS'] }],
      }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const notify = async (notificationType: string, metadata: Record<string, unknown>) => {
    const statuses = await h().fake.notify({ notificationType, metadata, text: `Someone: ${notificationType}` });
    await h().settle();
    return statuses;
  };

  it('a first reconcile brings every data source, policy and user in, and the views obey them', async () => {
    const report = await h().connector.reconcile();
    await h().pipeline.drain(20_000);
    expect(report.diagnostics).toEqual([]);
    // 2 data sources, 3 policies (1 global mask, 2 subscriptions) + 1 local rule, 3 users
    expect(report.changed).toBe(2 + 3 + 3 + 1);
    const alice = await h().seen('alice', 'orders');
    expect(alice.map((r) => r.order_id)).toEqual([1, 2, 3]);
    expect(alice.every((r) => isHash(r.customer_email))).toBe(true);
    expect((await h().seen('bob', 'orders')).every((r) => String(r.customer_email).includes('@'))).toBe(true);
    expect(await h().seen('carol', 'orders')).toEqual([]);
    expect((await h().seen('carol', 'customers')).map((r) => r.customer_id)).toEqual([10]);
    expect(await h().seen('alice', 'customers')).toEqual([]);
    // Nothing differs any more.
    expect((await h().connector.reconcile()).changed).toBe(0);
  });

  it('data source notice: a column dropped in Immuta leaves the view', async () => {
    const ds = h().fake.dataSource(1)!;
    ds.dictionary = ds.dictionary.filter((c) => c.name !== 'amount');
    expect(await notify('dataSourceUpdated', { dataSourceId: 1 })).toEqual([202]);
    expect(Object.keys((await h().seen('alice', 'orders'))[0]!)).toEqual(['order_id', 'region', 'customer_email']);
  });

  it('policy notice: the global mask now excepts analysts too', async () => {
    const gp = h().fake.tenant.globalPolicies[0]!;
    const rule = (gp.actions as { rules: { exceptions: { conditions: unknown[] } }[] }[])[0]!.rules[0]!;
    rule.exceptions.conditions.push({ type: 'groups', group: { name: 'analysts' } });
    await notify('globalPolicyUpdated', { policyId: 10 });
    expect((await h().seen('alice', 'orders')).every((r) => String(r.customer_email).includes('@'))).toBe(true);
  });

  it('user notice: carol joins analysts and sees orders', async () => {
    h()
      .fake.tenant.groups.find((g) => g.name === 'analysts')!
      .members.push({ userid: 'carol@example.com', iamid: 'bim' });
    await notify('groupUserAdded', { userid: 'carol@example.com' });
    expect((await h().seen('carol', 'orders')).map((r) => r.order_id)).toEqual([1, 2, 3]);
  });

  it('access notice: alice is approved for customers and sees her region’s rows', async () => {
    h().fake.dataSource(2)!.access.push({ userid: 'alice@example.com', iamid: 'bim', state: 'subscribed' });
    await notify('modelAccessApproved', { userid: 'alice@example.com', dataSourceId: 2 });
    expect((await h().seen('alice', 'customers')).map((r) => r.customer_id)).toEqual([10]);
  });

  it('project and purpose notices: a purpose restriction on orders follows alice’s current project', async () => {
    const fake = h().fake;
    fake.dataSource(1)!.jsonRules = [
      { type: 'prerequisite', operator: 'or', conditions: [{ type: 'purposes', value: 'Fraud Detection' }] },
    ];
    await notify('policyUpdated', { dataSourceId: 1 });
    expect(await h().seen('alice', 'orders')).toEqual([]);
    fake.tenant.projects.push({
      id: 500,
      name: 'Fraud Q3',
      purposes: ['Fraud Detection'],
      members: [{ userid: 'alice@example.com', iamid: 'bim', acknowledged: true }],
    });
    fake.user('alice@example.com')!.profile = {
      ...(fake.user('alice@example.com')!.profile as object),
      currentProject: 500,
    };
    await notify('switchedCurrentProject', { userid: 'alice@example.com' });
    expect((await h().seen('alice', 'orders')).map((r) => r.order_id)).toEqual([1, 2, 3]);
    expect(await h().seen('bob', 'orders')).toEqual([]);
    fake.dataSource(1)!.jsonRules = null;
    await notify('policyUpdated', { dataSourceId: 1 });
    expect((await h().seen('bob', 'orders')).map((r) => r.order_id)).toEqual([1, 2, 3]);
  });

  it('deletion notice: a data source deleted in Immuta loses its view’s rows for everyone', async () => {
    h().fake.tenant.dataSources = h().fake.tenant.dataSources.filter((d) => d.dataSource.id !== 2);
    await notify('modelDeleted', { dataSourceId: 2 });
    for (const u of ['alice', 'bob', 'carol']) expect(await h().seen(u, 'customers')).toEqual([]);
  });

  it('a bad signature is 401 and changes nothing', async () => {
    const before = h().pipeline.status();
    const body = JSON.stringify({ text: 'forged', metadata: { notificationType: 'modelDeleted', dataSourceId: 1 } });
    for (const headers of [{}, { [SIGNATURE_HEADER]: '0'.repeat(64) }] as Record<string, string>[]) {
      const res = await fetch(noticeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      expect(res.status).toBe(401);
    }
    await h().settle();
    expect(h().connector.status().hintsPending).toBe(0);
    expect(h().pipeline.status()).toEqual(before);
  });

  it('an Immuta outage delays and never corrupts; the change lands by itself once Immuta is back', async () => {
    const fake = h().fake;
    fake.tenant.groups.find((g) => g.name === 'analysts')!.members = fake.tenant.groups
      .find((g) => g.name === 'analysts')!
      .members.filter((m) => m.userid !== 'carol@example.com');
    fake.faults.outage = true;
    await fake.notify({
      notificationType: 'groupUserDeleted',
      metadata: { userid: 'carol@example.com' },
      text: 'carol left analysts',
    });
    try {
      await expect(h().connector.processHints()).rejects.toThrow(/unavailable/);
    } finally {
      fake.faults.outage = false;
    }
    await h().pipeline.drain(20_000);
    expect((await h().seen('carol', 'orders')).length).toBe(3); // unchanged, not half-applied
    expect(h().connector.status().hintsPending).toBe(1);
    await new Promise((r) => setTimeout(r, 1100)); // the hint's backoff
    await h().settle();
    expect(await h().seen('carol', 'orders')).toEqual([]);
  });

  it('a dropped notice is fixed by the next reconcile, which reports the drift', async () => {
    const fake = h().fake;
    fake.user('bob@example.com')!.authorizations = { region: ['us'], department: ['hr'] };
    fake.tenant.groups.find((g) => g.name === 'analysts')!.members.push({ userid: 'carol@example.com', iamid: 'bim' });
    fake.faults.dropNotices = true;
    await notify('groupUserAdded', { userid: 'carol@example.com' });
    fake.faults.dropNotices = false;
    expect(await h().seen('carol', 'orders')).toEqual([]); // the notice never arrived
    const report = await h().connector.reconcile();
    await h().pipeline.drain(20_000);
    expect(report.events.map((e) => e.subject).sort()).toEqual(['bob', 'carol']);
    expect((await h().seen('carol', 'orders')).length).toBe(3);
    expect((await h().connector.reconcile()).changed).toBe(0);
  });

  it(
    'a rule that cannot be expressed fails the data sources ' + 'it reaches closed (VG705); fixing it reopens them',
    async () => {
      const fake = h().fake;
      fake.tenant.globalPolicies.push({
        // Older than policy 10, so its mask wins the conflict on PII.Email once it applies (docs/policies.md).
        id: 11,
        name: 'Encrypt e-mail',
        type: 'data',
        createdAt: '2025-12-01T00:00:00Z',
        actions: [
          {
            type: 'masking',
            rules: [
              {
                type: 'masking',
                config: { fields: [{ name: 'PII.Email' }], maskingConfig: { type: 'Consistent Value' } },
              },
              {
                type: 'masking',
                config: { fields: [{ name: 'PII.Email' }], maskingConfig: { type: 'Format Preserving Masking' } },
              },
            ],
          },
        ],
        circumstances: [{ operator: 'or', type: 'columnTags', columnTag: { name: 'PII.Email' } }],
      });
      await notify('globalPolicyCreated', { policyId: 11 });
      expect(await h().seen('bob', 'orders')).toEqual([]);
      const vg705 = h()
        .connector.diagnostics.filter((d) => d.code === 'VG705')
        .at(-1)!;
      expect(vg705.summary).toContain(
        'global policy 11 "Encrypt e-mail", action 1 rule 2 (masking: Format Preserving Masking)',
      );
      expect(vg705.summary).toContain('data sources tagged PII.Email fail closed');
      // Never partially applied: the mappable first rule was not emitted either.
      const ids = [
        ...(await h().wh.system.query({
          sql: "SELECT policy_id FROM immuta_system.policy_state WHERE NOT deleted AND policy_id LIKE 'immuta:gp:11:%'",
        })),
      ].map((r) => r.policy_id);
      expect(ids).toEqual(['immuta:gp:11:failclosed']);
      (fake.tenant.globalPolicies[1]!.actions as { rules: unknown[] }[])[0]!.rules.pop();
      await notify('globalPolicyUpdated', { policyId: 11 });
      expect((await h().seen('bob', 'orders')).map((r) => r.order_id)).toEqual([1, 2, 3]);
      expect((await h().seen('bob', 'orders')).every((r) => isHash(r.customer_email))).toBe(true);
    },
  );
});
