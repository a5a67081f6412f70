// `npm run demo`: the whole pipeline on a fresh in-memory PGlite, driven through its HTTP face with signed
// webhooks, step by step. After each step the queue is drained and every analyst's view is read AS THAT
// ANALYST'S ROLE; each expectation is checked. Exit 0 only when every one held.
import { createLocalServer, listen } from './http-server.js';
import { generateWebhookSecret } from './local-config.js';
import { LocalPipeline } from './local-pipeline.js';
import { localHashKey, openLocalWarehouse, type LocalWarehouse } from './local-warehouse.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import type { WebhookEventInput } from '../../shared/events/event-types.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';

const started = Date.now();
const say = (line: string): void => console.log(line);
const failures: string[] = [];

const parsed = parseIntegrationConfig({
  mode: 'single',
  database: 'postgres',
  viewSchema: 'analytics',
  rawSources: [{ schema: 'raw' }],
});
if (!parsed.ok) throw new Error('demo config is invalid');
const config = parsed.value;
const USERS = ['alice', 'bob', 'carol'] as const;
type User = (typeof USERS)[number];

// Raw data (admin-only; analysts can never read these tables directly).
const RAW = [
  stmt('CREATE SCHEMA raw'),
  stmt('CREATE TABLE raw.orders (order_id int8, region varchar(8), customer_email varchar(64), amount numeric(10,2))'),
  stmt(
    "INSERT INTO raw.orders VALUES (1, 'eu', " +
      "'ana@example.com', 120.00), (2, 'us', " +
      "'ben@example.com', 80.50), (3, 'eu', " +
      "'cy@example.com', 42.00), (4, 'us', " +
      "'di@example.com', " +
      '310.25)',
  ),
  stmt('CREATE TABLE raw.customers (customer_id int8, name varchar(32), email varchar(64), country varchar(8))'),
  stmt(
    'INSERT INTO raw.customers VALUES (10, ' +
      "'Ana', 'ana@example.com', 'eu'), (11, " +
      "'Ben', 'ben@example.com', 'us'), (12, " +
      "'Cy', 'cy@example.com', 'eu')",
  ),
  ...USERS.map((u) => stmt(`CREATE ROLE ${d.quoteIdent(u)} LOGIN`)),
];

let seq = 0;
function envelope<T extends WebhookEventInput['type']>(type: T, subject: string, data: unknown): WebhookEventInput {
  return {
    specversion: '1.0',
    id: `demo-${++seq}`,
    source: 'https://governance.example.com/demo',
    type,
    time: new Date().toISOString(),
    subject,
    datacontenttype: 'application/json',
    data,
  } as WebhookEventInput;
}

const createdAt = '2026-01-01T00:00:00Z';
const orders = (version: number) => ({
  id: 'ds-orders',
  name: 'orders',
  version,
  location: { database: 'postgres', schema: 'raw', table: 'orders' },
  kind: 'table',
  columns: [
    { name: 'order_id', type: 'int8' },
    { name: 'region', type: 'varchar(8)', tags: ['Geo.Region'] },
    { name: 'customer_email', type: 'varchar(64)', tags: ['PII.Email'] },
    { name: 'amount', type: 'numeric(10,2)' },
  ],
  tags: ['Sales'],
});
const customers = {
  id: 'ds-customers',
  name: 'customers',
  version: 1,
  location: { database: 'postgres', schema: 'raw', table: 'customers' },
  kind: 'table',
  columns: [
    { name: 'customer_id', type: 'int8' },
    { name: 'name', type: 'varchar(32)' },
    { name: 'email', type: 'varchar(64)', tags: ['PII.Email'] },
    { name: 'country', type: 'varchar(8)', tags: ['Geo.Region'] },
  ],
  tags: ['Sales'],
};
const user = (userId: User, version: number, groups: string[], region: string[]) =>
  envelope('user.updated', userId, { user: { userId, version, groups, attributes: { region } } });

interface Seen {
  rows: Record<string, unknown>[];
  error?: string;
}

async function see(wh: LocalWarehouse, who: User, view: string): Promise<Seen> {
  try {
    const rows = await wh.queryAs!(who, stmt(`SELECT * FROM ${d.qualify(config.viewSchema, view)} ORDER BY 1`));
    return { rows };
  } catch (err) {
    return { rows: [], error: err instanceof Error ? err.message : String(err) };
  }
}

const isHash = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const show = (v: unknown): string => (isHash(v) ? `#${String(v).slice(0, 6)}…` : v === null ? 'NULL' : String(v));

function table(view: string, seen: Record<User, Seen>): void {
  for (const who of USERS) {
    const s = seen[who];
    if (s.error) {
      say(`    ${who.padEnd(6)} ${view.padEnd(10)} error: ${s.error}`);
      continue;
    }
    const body =
      s.rows.length === 0 ? '(no rows)' : s.rows.map((r) => Object.values(r).map(show).join(' ')).join(' | ');
    say(`    ${who.padEnd(6)} ${view.padEnd(10)} ${String(s.rows.length).padStart(2)} rows  ${body}`);
  }
}

function expect(what: string, ok: boolean): void {
  say(`    ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

async function main(): Promise<void> {
  say('viewguard demo: signed webhooks → ingest → routers → FIFO queue → apply → PGlite, read back as each analyst');
  const secret = generateWebhookSecret();
  const wh = await openLocalWarehouse(config, localHashKey(), { prepare: (admin) => admin(RAW) });
  say(`  [${elapsed()}] PGlite ready: raw tables loaded, layout bootstrapped (schema "${config.viewSchema}")`);
  const pipeline = new LocalPipeline({ config, warehouse: wh.system, webhookSecret: secret });
  const server = createLocalServer(pipeline);
  const port = await listen(server, 0);
  try {
    const post = async (event: WebhookEventInput): Promise<void> => {
      const body = JSON.stringify(event);
      const headers = signWebhook(body, secret, `msg-${event.id}`, new Date());
      const res = await fetch(`http://127.0.0.1:${port}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      if (res.status !== 202) throw new Error(`webhook ${event.type} answered ${res.status}: ${await res.text()}`);
    };
    const step = async (title: string, events: WebhookEventInput[]): Promise<Record<string, Record<User, Seen>>> => {
      say(`\n  [${elapsed()}] ${title}`);
      for (const e of events) await post(e);
      await pipeline.drain(20_000);
      const st = pipeline.status();
      say(
        `    posted ${events.length} webhook(s); queue drained (applied ${st.applied}, skipped ${st.skipped}, ` +
          `failed ${st.failed}, DLQ ${st.dlqDepth})`,
      );
      const out: Record<string, Record<User, Seen>> = {};
      for (const view of ['orders', 'customers']) {
        out[view] = Object.fromEntries(
          await Promise.all(USERS.map(async (u) => [u, await see(wh, u, view)] as const)),
        ) as Record<User, Seen>;
        table(view, out[view]);
      }
      return out;
    };
    const ids = (s: Seen, col = 'order_id') => s.rows.map((r) => Number(r[col]));

    // 1 — users and data sources; only individually approved users see anything without a subscription.
    let v = await step(
      '1. users alice (analysts, eu), bob (analysts+hr, us), carol (no groups, eu; approved for orders); register ' +
        'orders + customers',
      [
        user('alice', 1, ['analysts'], ['eu']),
        user('bob', 1, ['analysts', 'hr'], ['us']),
        envelope('user.updated', 'carol', {
          user: { userId: 'carol', version: 1, groups: [], attributes: { region: ['eu'] }, dataSources: ['ds-orders'] },
        }),
        envelope('datasource.created', 'ds-orders', { dataSource: orders(1) }),
        envelope('datasource.created', 'ds-customers', { dataSource: customers }),
      ],
    );
    expect(
      'no subscription policy: only carol (approved for orders) sees orders, all 4 rows',
      ids(v.orders!.carol).length === 4 && v.orders!.alice.rows.length === 0 && v.orders!.bob.rows.length === 0,
    );
    expect(
      'nobody sees customers',
      USERS.every((u) => v.customers![u].rows.length === 0),
    );

    // 2 — a global subscription by tag, and a global mask by tag.
    v = await step(
      '2. global subscription on tag Sales for group analysts; global mask: hash every PII column except for group hr',
      [
        envelope('policy.created', 'sub-sales', {
          policy: {
            id: 'sub-sales',
            version: 1,
            name: 'Sales analysts',
            createdAt,
            type: 'subscription',
            scope: { kind: 'global', tags: ['Sales'] },
            access: { kind: 'usersWith', who: { groups: ['analysts'] } },
          },
        }),
        envelope('policy.created', 'mask-pii', {
          policy: {
            id: 'mask-pii',
            version: 1,
            name: 'Hash PII',
            createdAt,
            type: 'mask',
            scope: { kind: 'global' },
            target: { kind: 'tag', tag: 'PII' },
            mask: { kind: 'hash' },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        }),
      ],
    );
    expect(
      'alice and bob see all 4 orders and 3 customers; carol (not an analyst) sees none',
      ids(v.orders!.alice).length === 4 &&
        ids(v.orders!.bob).length === 4 &&
        v.orders!.carol.rows.length === 0 &&
        v.customers!.alice.rows.length === 3,
    );
    expect(
      'alice sees hashed e-mails in both views',
      v.orders!.alice.rows.every((r) => isHash(r.customer_email)) &&
        v.customers!.alice.rows.every((r) => isHash(r.email)),
    );
    expect(
      'bob (hr) sees clear e-mails',
      v.orders!.bob.rows.every((r) => String(r.customer_email).includes('@')),
    );
    expect(
      'the same e-mail hashes to the same value in both views (joinable)',
      v.orders!.alice.rows[0]!.customer_email === v.customers!.alice.rows[0]!.email,
    );

    // 3 — a local row filter on one data source.
    v = await step("3. local row filter on orders: rows whose region is one of the user's region attribute values", [
      envelope('policy.created', 'rf-orders-region', {
        policy: {
          id: 'rf-orders-region',
          version: 1,
          name: 'Orders by region',
          createdAt,
          type: 'rowFilter',
          scope: { kind: 'local', dataSourceId: 'ds-orders' },
          filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'region' }, attribute: 'region' },
        },
      }),
    ]);
    expect(
      'alice (eu) sees orders 1 and 3; bob (us) sees 2 and 4',
      JSON.stringify(ids(v.orders!.alice)) === '[1,3]' && JSON.stringify(ids(v.orders!.bob)) === '[2,4]',
    );
    expect('customers is not filtered (the filter is local to orders)', v.customers!.alice.rows.length === 3);

    // 4 — an entitlement change: one profile row, no DDL.
    const before = pipeline.status().applied;
    v = await step('4. carol joins group analysts (an entitlement change: one profile statement, no view DDL)', [
      user('carol', 2, ['analysts'], ['eu']),
    ]);
    const last = pipeline.outcomes.at(-1)!;
    expect(
      'the change was one work item of one statement',
      pipeline.status().applied === before + 1 && last.kind === 'user' && last.statements.finished === 1,
    );
    expect(
      'carol now sees eu orders 1 and 3 with hashed e-mails',
      JSON.stringify(ids(v.orders!.carol)) === '[1,3]' && v.orders!.carol.rows.every((r) => isHash(r.customer_email)),
    );
    expect(
      'carol cannot read the raw table',
      await wh.queryAs!('carol', stmt('SELECT 1 FROM raw.orders')).then(
        () => false,
        () => true,
      ),
    );
    const st = pipeline.status();
    expect('nothing failed or dead-lettered', st.failed === 0 && st.dlqDepth === 0 && st.lastError === null);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await wh.close();
  }
  const failed = `${failures.length} expectation(s) FAILED:\n    - ${failures.join('\n    - ')}`;
  say(`\n  [${elapsed()}] ${failures.length === 0 ? 'every expectation held' : failed}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

function elapsed(): string {
  return `${((Date.now() - started) / 1000).toFixed(1)}s`;
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
