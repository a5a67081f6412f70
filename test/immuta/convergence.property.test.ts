// Versions that only go forward, as a property: whatever the interleaving of Immuta changes, notices (sent, lost
// or duplicated), notice syncs (some during an Immuta outage, so their hints are retried), reconciles, clock skew
// between the notice and reconcile functions, and bus deliveries in any order (with redeliveries and replays),
//   1. after one reconcile at a quiet moment (what the 15-minute schedule guarantees) the warehouse holds exactly
//      Immuta's latest state, mapped; and
//   2. when no notice was lost, the clocks agree and the pipeline keeps up (each sync starts after the events of
//      the previous ones were applied), it holds it even without that reconcile. (When an event is still on its
//      way as a later sync deletes its object, that sync cannot see it: the object can come back until the next
//      reconcile deletes it — the reason the reconcile runs on a schedule; docs/immuta.md "Versions".)
// The real code runs: the receiver (signed notices), the hints, fetchDesired against the fake Immuta (in process),
// the mapping, the diff and the versions. The warehouse is a model with the apply guards' rule (an event applies
// only when its version is above the stored one; deletions leave tombstones) — the pipeline's own convergence
// property proves the real apply keeps that rule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { objectVersion, type WebhookEvent } from '../../shared/events/event-types.js';
import type { BusEntry } from '../../shared/ports/event-bus.js';
import { parseImmutaConfig } from '../../shared/immuta/connector-config.js';
import { fetchDesired, FULL_SCOPE, scopeOfHints } from '../../shared/immuta/fetch-state.js';
import { ImmutaClient } from '../../shared/immuta/immuta-client.js';
import type { Hint } from '../../shared/immuta/notice.js';
import { signImmutaNotice, SIGNATURE_HEADER } from '../../shared/immuta/notice-signature.js';
import { receiveNotice } from '../../shared/immuta/receive-notice.js';
import { canonical, syncScope, versionClock, type SyncDeps } from '../../shared/immuta/sync.js';
import { encodedProfile, type StoredObject, type WarehouseState } from '../../shared/immuta/warehouse-state.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { FakeImmuta, loadTenant, type FakeTenant } from '../../infra/local/fake-immuta.js';

const RUNS = Number(process.env.IMMUTA_CONVERGENCE_RUNS ?? 100);

// ---- the objects that change, and their variants ----
type Target = { kind: 'ds'; id: 1 | 2 } | { kind: 'gp'; id: 10 | 11 } | { kind: 'user'; userid: string };
const TARGETS: Target[] = [
  { kind: 'ds', id: 1 },
  { kind: 'ds', id: 2 },
  { kind: 'gp', id: 10 },
  { kind: 'gp', id: 11 },
  { kind: 'user', userid: 'alice@example.com' },
  { kind: 'user', userid: 'bob@example.com' },
  { kind: 'user', userid: 'carol@example.com' },
];
const BASE = loadTenant();

function applyVariant(tenant: FakeTenant, t: Target, v: number): void {
  if (t.kind === 'ds') {
    tenant.dataSources = tenant.dataSources.filter((d) => d.dataSource.id !== t.id);
    if (v === 0) return; // deleted in Immuta
    const ds = structuredClone(BASE.dataSources.find((d) => d.dataSource.id === t.id)!);
    if (v === 2) ds.dictionary = ds.dictionary.slice(0, -1);
    if (v === 3) ds.dataSource.subscriptionType = 'automatic';
    if (v === 4)
      ds.jsonRules = [
        {
          type: 'masking',
          config: { fields: ['email', 'customer_email'].slice(t.id - 1, t.id), maskingConfig: { type: 'Reversible' } },
        },
      ]; // fails closed
    if (v === 5) ds.tags = [...ds.tags, 'Finance'];
    tenant.dataSources.push(ds);
  } else if (t.kind === 'gp') {
    tenant.globalPolicies = tenant.globalPolicies.filter((p) => p.id !== t.id);
    if (v === 0) return;
    const mask = (type: string) => ({
      id: t.id,
      name: `policy ${t.id}`,
      type: 'data',
      createdAt: '2026-01-06T10:00:00.000Z',
      actions: [
        {
          type: 'masking',
          rules: [{ type: 'masking', config: { fields: [{ name: 'PII.Email' }], maskingConfig: { type } } }],
        },
      ],
      circumstances: [{ operator: 'or', type: 'columnTags', columnTag: { name: 'PII.Email' } }],
    });
    const rows = {
      id: t.id,
      name: `policy ${t.id}`,
      type: 'data',
      createdAt: '2026-01-07T10:00:00.000Z',
      actions: [
        {
          type: 'visibility',
          rules: [
            {
              type: 'visibility',
              conditions: [
                { type: 'authorizations', field: { name: 'Geo.Region' }, authorization: { auth: 'region' } },
              ],
            },
          ],
        },
      ],
      circumstances: [{ operator: 'or', type: 'tags', tag: { name: 'Sales' } }],
    };
    tenant.globalPolicies.push(
      [
        mask('Consistent Value'),
        mask('Null Value'),
        rows,
        mask('Format Preserving Masking'),
        { ...rows, staged: true },
      ][v - 1]!,
    );
  } else {
    tenant.users = tenant.users.filter((u) => u.userid !== t.userid);
    if (v === 0) return;
    const u = structuredClone(BASE.users.find((x) => x.userid === t.userid)!);
    if (v === 2) u.authorizations = { region: ['eu', 'us'] };
    if (v === 3) u.disabled = true;
    if (v === 4)
      (u.profile as { externalUserIds: Record<string, string> }).externalUserIds = {
        redshiftUser: `${t.userid.split('@')[0]}_new`,
      }; // renamed in Redshift
    if (v === 5) tenant.groups.find((g) => g.name === 'hr')!.members.push({ userid: t.userid, iamid: 'bim' });
    tenant.users.push(u);
  }
}

const noticeFor = (t: Target): { notificationType: string; metadata: Record<string, unknown> } =>
  t.kind === 'ds'
    ? { notificationType: 'dataSourceUpdated', metadata: { dataSourceId: t.id } }
    : t.kind === 'gp'
      ? { notificationType: 'globalPolicyUpdated', metadata: { policyId: t.id } }
      : { notificationType: 'userUpdated', metadata: { userid: t.userid } };

type Op =
  | { op: 'change'; target: number; variant: number; notice: 'sent' | 'lost' | 'twice' }
  | { op: 'hints'; outage: boolean }
  | { op: 'reconcile'; outage: boolean }
  | { op: 'deliver'; pick: number }
  | { op: 'replay'; pick: number }
  | { op: 'tick'; ms: number }
  | { op: 'skew'; ms: number };

const opArb = (withLoss: boolean, withSkew: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('change' as const),
        target: fc.nat(TARGETS.length - 1),
        variant: fc.integer({ min: 0, max: 5 }),
        notice: withLoss
          ? fc.constantFrom('sent' as const, 'lost' as const, 'twice' as const)
          : fc.constantFrom('sent' as const, 'twice' as const),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('hints' as const), outage: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reconcile' as const), outage: fc.boolean() }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
    ...(withSkew
      ? [
          {
            weight: 1,
            arbitrary: fc.record({ op: fc.constant('skew' as const), ms: fc.integer({ min: -5000, max: 5000 }) }),
          },
        ]
      : []),
  );

/** The warehouse as the apply guards keep it: newer versions only; deletions leave tombstones. */
class ModelWarehouse {
  readonly state: WarehouseState = { dataSources: new Map(), policies: new Map(), users: new Map() };
  apply(event: WebhookEvent): void {
    const version = objectVersion(event);
    const [map, value] = event.type.startsWith('datasource.')
      ? [
          this.state.dataSources,
          event.type === 'datasource.deleted' ? null : (event.data as { dataSource: unknown }).dataSource,
        ]
      : event.type.startsWith('policy.')
        ? [this.state.policies, event.type === 'policy.deleted' ? null : (event.data as { policy: unknown }).policy]
        : [
            this.state.users,
            event.type === 'user.deleted'
              ? null
              : encodedProfile((event.data as { user: Parameters<typeof encodedProfile>[0] }).user),
          ];
    const stored = map.get(event.subject);
    if (stored && stored.version >= version) return;
    map.set(event.subject, { version, deleted: value === null, definition: value ?? stored?.definition ?? null });
  }
  read = async (): Promise<WarehouseState> => structuredClone(this.state);
}

/**
 * What differs from Immuta before the quiet reconcile and after it ('' = nothing), and whether notices were lost or
 * clocks skewed.
 */
async function run(
  ops: Op[],
  order: number[],
  keepUp = false,
): Promise<{ before: string; after: string; lost: boolean; skewed: boolean }> {
  const fake = new FakeImmuta({ tenant: loadTenant(), apiKey: 'k', noticeSecret: 's' });
  const parsed = parseImmutaConfig({ url: 'http://127.0.0.1:1' });
  if (!parsed.ok) throw new Error('config');
  const client = new ImmutaClient({
    baseUrl: 'http://127.0.0.1:1',
    apiKey: async () => 'k',
    fetch: fake.fetch,
    maxAttempts: 1,
    sleep: async () => undefined,
  });
  const wh = new ModelWarehouse();
  let clock = Date.parse('2026-03-01T00:00:00Z');
  let skew = 0;
  const inFlight: WebhookEvent[] = [];
  const delivered: WebhookEvent[] = [];
  const hints: Hint[] = [];
  let lost = false;
  let skewed = false;
  const bus = {
    put: async (entries: BusEntry[]) => (
      inFlight.push(...entries.map((e) => JSON.parse(e.detail) as WebhookEvent)),
      { failed: [] }
    ),
  };
  const fetchDeps = {
    client,
    config: parsed.value,
    placement: { database: 'postgres', externalSchemas: new Set<string>() },
  };
  const noticeClock = versionClock(() => clock);
  const reconcileClock = versionClock(() => clock + skew);
  const deps = (version: () => number): SyncDeps => ({
    fetch: fetchDeps,
    state: { read: wh.read },
    bus,
    now: () => new Date(clock),
    version,
  });
  // The connector is connected: a first reconcile brought the tenant in (README "Connect Immuta", step 6).
  await syncScope(FULL_SCOPE, 'reconcile', deps(reconcileClock));
  while (inFlight.length > 0) wh.apply(inFlight.shift()!);
  const sync = async (outage: boolean, fn: () => Promise<unknown>) => {
    fake.faults.outage = outage;
    try {
      await fn();
      return true;
    } catch {
      return false;
    } finally {
      fake.faults.outage = false;
    }
  };
  const deliver = (i: number) => {
    const [e] = inFlight.splice(i % inFlight.length, 1);
    wh.apply(e!);
    delivered.push(e!);
  };
  const catchUp = () => {
    while (keepUp && inFlight.length > 0) deliver(0);
  };
  const processHints = async (outage: boolean) => {
    catchUp();
    if (hints.length === 0) return;
    const taken = hints.splice(0);
    if (!(await sync(outage, () => syncScope(scopeOfHints(taken), 'notice', deps(noticeClock)))))
      hints.unshift(...taken);
  };
  for (const o of ops) {
    if (o.op === 'change') {
      const t = TARGETS[o.target]!;
      applyVariant(fake.tenant, t, o.variant);
      if (o.notice === 'lost') lost = true;
      const n = noticeFor(t);
      const body = JSON.stringify({
        text: 'changed',
        attachments: [{ text: 'changed' }],
        metadata: { notificationType: n.notificationType, ...n.metadata },
      });
      for (let i = 0; i < (o.notice === 'lost' ? 0 : o.notice === 'twice' ? 2 : 1); i++) {
        const out = await receiveNotice(
          { body, headers: { [SIGNATURE_HEADER]: signImmutaNotice(body, 's') } },
          { secrets: { get: async () => 's' }, secretName: 'n', hints: { send: async (h) => void hints.push(...h) } },
        );
        if (out.status !== 202) throw new Error(`notice answered ${out.status}`);
      }
    } else if (o.op === 'hints') await processHints(o.outage);
    else if (o.op === 'reconcile') {
      catchUp();
      await sync(o.outage, () => syncScope(FULL_SCOPE, 'reconcile', deps(reconcileClock)));
    } else if (o.op === 'deliver' && inFlight.length > 0) deliver(o.pick);
    else if (o.op === 'replay' && delivered.length > 0) wh.apply(delivered[o.pick % delivered.length]!);
    else if (o.op === 'tick') clock += o.ms;
    else if (o.op === 'skew') {
      skew = o.ms;
      skewed ||= o.ms !== 0;
    }
  }
  // Quiet: Immuta is up, every pending hint is synced, every event is delivered (in the generated order).
  await processHints(false);
  let k = 0;
  while (inFlight.length > 0) deliver(order[k++ % order.length] ?? 0);
  const before = await compare(fetchDeps, wh);
  clock += 1;
  await syncScope(FULL_SCOPE, 'reconcile', deps(reconcileClock));
  while (inFlight.length > 0) deliver(order[k++ % order.length] ?? 0);
  const after = await compare(fetchDeps, wh);
  return { before, after, lost, skewed };
}

/** '' when the warehouse holds exactly Immuta's state (mapped); else what differs. */
async function compare(fetchDeps: Parameters<typeof fetchDesired>[0], wh: ModelWarehouse): Promise<string> {
  const desired = await fetchDesired(fetchDeps, FULL_SCOPE);
  const live = (m: Map<string, StoredObject>) => new Map([...m].filter(([, s]) => !s.deleted));
  const problems: string[] = [];
  const check = (
    what: string,
    want: Map<string, unknown>,
    have: Map<string, StoredObject>,
    norm: (v: unknown) => string,
  ) => {
    const got = live(have);
    for (const [id, v] of want)
      if (!got.has(id) || norm(got.get(id)!.definition) !== norm(v)) problems.push(`${what} ${id} differs`);
    for (const id of got.keys()) if (!want.has(id)) problems.push(`${what} ${id} should be gone`);
  };
  check('data source', desired.dataSources, wh.state.dataSources, (v) => canonical(DataSourceSchema.parse(v)));
  check('policy', desired.policies, wh.state.policies, (v) => canonical(PolicySchema.parse(v)));
  check('user', new Map([...desired.users].map(([id, p]) => [id, encodedProfile(p)])), wh.state.users, canonical);
  return problems.join('; ');
}

describe(`Immuta sync convergence (property, ${RUNS} runs per variant)`, () => {
  it('with lost notices, outages, retries, replays and clock skew: one quiet reconcile converges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb(true, true), { minLength: 5, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        async (ops, order) => {
          const r = await run(ops, order);
          expect(r.after).toBe('');
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);

  it(
    'with every notice delivered, one clock and a pipeline ' + 'that keeps up: converged without the reconcile',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb(false, false), { minLength: 5, maxLength: 40 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
          async (ops, order) => {
            const r = await run(ops, order, true);
            expect(r.lost || r.skewed).toBe(false);
            expect(r.before).toBe('');
            expect(r.after).toBe('');
          },
        ),
        { numRuns: RUNS },
      );
    },
    300_000,
  );
});
