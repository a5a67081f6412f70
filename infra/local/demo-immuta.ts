// `npm run demo:immuta`: the Immuta connector in one process, against the fake Immuta (a test double serving
// Immuta's API shapes from infra/local/fake-immuta-tenant.json): Immuta-style signed notices → POST /immuta
// → the connector fetches the truth from the (fake) API → the views change, read AS each analyst; then a notice
// that is dropped leaves a view stale until the next reconcile fixes it. Exit 0 only when every expectation held.
import { createLocalServer, listen } from './http-server.js';
import { LocalImmutaConnector } from './local-immuta.js';
import { LocalPipeline } from './local-pipeline.js';
import { generateWebhookSecret } from './local-config.js';
import { localHashKey, openLocalWarehouse, type LocalWarehouse } from './local-warehouse.js';
import { parseImmutaConfig, placementFor } from '../../shared/immuta/connector-config.js';
import { SIGNATURE_HEADER } from '../../shared/immuta/notice-signature.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { FakeImmuta } from './fake-immuta.js';

const started = Date.now();
const say = (line: string): void => console.log(line);
const failures: string[] = [];
const USERS = ['alice', 'bob', 'carol'] as const;

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'analytics',
  rawSources: [{ schema: 'raw' }],
});
if (!parsed.ok) throw new Error('demo config is invalid');
const config = parsed.value;

const RAW = [
  stmt('CREATE SCHEMA raw'),
  stmt('CREATE TABLE raw.orders (order_id int8, region varchar(8), customer_email varchar(64), amount numeric(10,2))'),
  stmt(
    "INSERT INTO raw.orders VALUES (1, 'eu', 'ana@example.com', 120.00), (2, 'us', 'ben@example.com', 80.50), (3, " +
      "'eu', 'cy@example.com', 42.00)",
  ),
  stmt('CREATE TABLE raw.customers (customer_id int8, name varchar(32), email varchar(64), country varchar(8))'),
  stmt("INSERT INTO raw.customers VALUES (10, 'Ana', 'ana@example.com', 'eu'), (11, 'Ben', 'ben@example.com', 'us')"),
  ...USERS.map((u) => stmt(`CREATE ROLE ${d.quoteIdent(u)} LOGIN`)),
];

const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
function expect(what: string, ok: boolean): void {
  say(`    ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}
const show = (v: unknown): string =>
  typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? `#${v.slice(0, 6)}…` : v === null ? 'NULL' : String(v);

async function rows(wh: LocalWarehouse, who: string, view: string): Promise<Record<string, unknown>[]> {
  try {
    return await wh.queryAs!(who, stmt(`SELECT * FROM ${d.qualify(config.viewSchema, view)} ORDER BY 1`));
  } catch {
    return [];
  }
}

async function table(wh: LocalWarehouse): Promise<Record<string, Record<string, Record<string, unknown>[]>>> {
  const out: Record<string, Record<string, Record<string, unknown>[]>> = {};
  for (const view of ['orders', 'customers']) {
    out[view] = {};
    for (const who of USERS) {
      const r = await rows(wh, who, view);
      out[view][who] = r;
      say(
        `    ${who.padEnd(6)} ${view.padEnd(10)} ${String(r.length).padStart(2)} rows  ` +
          `${r.length === 0 ? '(no rows)' : r.map((x) => Object.values(x).map(show).join(' ')).join(' | ')}`,
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  say(
    'viewguard Immuta demo: the fake Immuta → signed notices → POST /immuta → fetch from the Immuta API → our ' +
      'events → pipeline → PGlite',
  );
  say('  (the fake is a test double written from Immuta’s public API shapes; nothing here talks to a real tenant)');
  const fake = await FakeImmuta.start();
  const wh = await openLocalWarehouse(config, localHashKey(), { prepare: (admin) => admin(RAW) });
  const pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: generateWebhookSecret() });
  const settings = parseImmutaConfig({ url: fake.url });
  if (!settings.ok) throw new Error('immuta settings');
  const connector = new LocalImmutaConnector({
    pipeline,
    config: settings.value,
    placement: placementFor(config),
    apiKey: fake.apiKey,
    noticeSecret: fake.noticeSecret,
  });
  const server = createLocalServer(pipeline, () => undefined, connector);
  const port = await listen(server, 0);
  const noticeUrl = `http://127.0.0.1:${port}/immuta`;
  try {
    say(
      `\n  [${elapsed()}] fake Immuta at ${fake.url}; local server at http://127.0.0.1:${port}; webhook registered ` +
        `→ ${noticeUrl}`,
    );
    fake.webhooks.push({
      id: 1,
      url: noticeUrl,
      name: 'viewguard',
      global: true,
      notificationType: ['ALL_NOTIFICATIONS'],
    });

    say(
      `\n  [${elapsed()}] 1. connect: the first reconcile reads the whole tenant (2 data sources, a global mask on ` +
        `PII.Email except hr, 3 users)`,
    );
    let report = await connector.reconcile();
    await pipeline.drain(20_000);
    say(`    reconcile: checked ${report.checked} Immuta objects, sent ${report.changed} events`);
    let v = await table(wh);
    expect(
      'analysts alice and bob see orders; carol (no group) does not',
      v.orders!.alice!.length === 3 && v.orders!.bob!.length === 3 && v.orders!.carol!.length === 0,
    );
    expect(
      'alice sees hashed e-mails, bob (hr) clear ones',
      v.orders!.alice!.every((r) => /^[0-9a-f]{64}$/.test(String(r.customer_email))) &&
        v.orders!.bob!.every((r) => String(r.customer_email).includes('@')),
    );

    say(
      `\n  [${elapsed()}] 2. in Immuta, carol joins the analysts group; Immuta sends a signed notice (no state in it)`,
    );
    fake.tenant.groups.find((g) => g.name === 'analysts')!.members.push({ userid: 'carol@example.com', iamid: 'bim' });
    const statuses = await fake.notify({
      notificationType: 'groupUserAdded',
      metadata: { userid: 'carol@example.com' },
      text: 'Admin added carol@example.com to the group analysts.',
    });
    say(`    POST /immuta answered ${statuses.join(', ')}; the connector fetches carol from Immuta’s API`);
    await connector.processHints();
    await pipeline.drain(20_000);
    v = await table(wh);
    expect('notice → fetch → carol now sees the 3 orders', v.orders!.carol!.length === 3);

    say(
      `\n  [${elapsed()}] 3. in Immuta, the e-mail mask becomes "make null" (global policy 10); notice: ` +
        `globalPolicyUpdated`,
    );
    const rule = (
      fake.tenant.globalPolicies[0]!.actions as { rules: { config: { maskingConfig: { type: string } } }[] }[]
    )[0]!.rules[0]!;
    rule.config.maskingConfig.type = 'Null Value';
    await fake.notify({
      notificationType: 'globalPolicyUpdated',
      metadata: { policyId: 10 },
      text: 'Admin updated the global policy Hash e-mail addresses.',
    });
    await connector.processHints();
    await pipeline.drain(20_000);
    v = await table(wh);
    expect(
      'alice now sees NULL e-mails',
      v.orders!.alice!.every((r) => r.customer_email === null),
    );

    say(`\n  [${elapsed()}] 4. a forged notice (wrong signature) is refused and changes nothing`);
    const forged = await fetch(noticeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: '0'.repeat(64) },
      body: JSON.stringify({ text: 'x', metadata: { notificationType: 'modelDeleted', dataSourceId: 1 } }),
    });
    expect(
      `POST /immuta with a wrong signature → ${forged.status}`,
      forged.status === 401 && connector.status().hintsPending === 0,
    );

    say(
      `\n  [${elapsed()}] 5. in Immuta, alice is disabled — but the notice is LOST (Immuta does not retry on its own)`,
    );
    fake.user('alice@example.com')!.disabled = true;
    fake.faults.dropNotices = true;
    await fake.notify({
      notificationType: 'userDisabled',
      metadata: { userid: 'alice@example.com' },
      text: 'Admin disabled alice@example.com.',
    });
    fake.faults.dropNotices = false;
    await connector.processHints();
    await pipeline.drain(20_000);
    v = await table(wh);
    expect('stale: alice still sees orders (the warehouse never heard of it)', v.orders!.alice!.length === 3);
    say(`    the scheduled reconcile runs (every 15 minutes in AWS; IMMUTA_RECONCILE_SECONDS with npm start)`);
    report = await connector.reconcile();
    await pipeline.drain(20_000);
    say(`    reconcile: checked ${report.checked}, changed ${report.changed} — drift (VG711): a notice was lost`);
    v = await table(wh);
    expect(
      'the reconcile found the drift and alice sees nothing any more',
      report.changed === 1 && v.orders!.alice!.length === 0 && v.customers!.alice!.length === 0,
    );
    expect('a second reconcile finds nothing to change', (await connector.reconcile()).changed === 0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await connector.stop();
    await fake.close();
    await wh.close();
  }
  const failed = `${failures.length} expectation(s) FAILED:\n    - ${failures.join('\n    - ')}`;
  say(`\n  [${elapsed()}] ${failures.length === 0 ? 'every expectation held' : failed}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
