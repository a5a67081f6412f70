// The hashing key (immuta_system.hash_key) must not reach a user through a view's error messages, and must
// not appear in the text of any statement we send (nor in errors or logs).
//
// Errors: the key is joined inside the view and only ever flows into the hash, so every error a user can
// provoke (casts, division, name errors with DETAIL/HINT, direct reads) can at most show a hashed value.
// Protection: the view selects the key in a subquery of its own (never a view column) and security_barrier
// keeps user predicates after the view's own. Removing the hash (mask → clear) would still not show the
// key; what would is the `||` hijack recorded as an open gap in search-path-hijack.test.ts.
//
// Statement text: a TCP proxy records every frontend message while the shipped PostgreSQL adapter
// (shared/adapters/postgres-warehouse.ts) runs the bootstrap, a view publish and a user change. The key must
// travel only inside Bind messages (bound parameter values), never in Query/Parse text — which is what
// PostgreSQL writes to its log for log_statement / log_min_error_statement / pg_stat_activity. It must also
// not come back in any ErrorResponse/NoticeResponse. Checked that it can fail: the same capture flags the
// key when it is spliced as a literal (last test).
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { engines, createServerEngine, type Engine, type Session } from '../support/engines.js';
import { postgres as d } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { PostgresWarehouse } from '../../shared/adapters/postgres-warehouse.js';
import {
  bootstrapScript,
  inspectStatement,
  parseInspection,
  planBootstrap,
} from '../../shared/layout/bootstrap-plan.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { compileView } from '../../shared/compiler/view-compiler.js';
import { planDatasourceStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import {
  HOSTILE_HASH_KEY,
  createRawTable,
  inDatabase,
  installSecureWarehouse,
  type SecureWarehouse,
} from './secure-warehouse.js';
import { staff, staffColumns, staffPolicies, staffRows } from './staff-fixture.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Everything an error carries that a client could log or show. */
async function errorText(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const x = e as Record<string, unknown>;
    return [x.message, x.detail, x.hint, x.where, x.internalQuery, x.context]
      .filter((v) => v != null)
      .map(String)
      .join('\n');
  }
  expect.fail('expected an error');
}

describe.each(engines)('the hashing key through error messages on $name', ({ create }) => {
  let engine: Engine;
  let wh: SecureWarehouse;
  let ms: Session;

  beforeAll(async () => {
    engine = await create();
    await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
    wh = await installSecureWarehouse(engine, { rawSchemas: ['raw'] });
    expect((await wh.publish(inDatabase(staff, engine), staffPolicies)).failedClosed).toBe(false);
    let mallory: string;
    ({ role: mallory, session: ms } = await wh.login('mallory'));
    await wh.setUser({ userId: mallory, version: 1, groups: ['red'], dataSources: [staff.id] });
  });
  afterAll(() => engine?.close());

  it('baseline: the view really hashes with the key', async () => {
    expect(await ms.query('SELECT email FROM secure.staff ORDER BY id')).toEqual([
      { email: sha(wh.hashKey + 'r1@x.io') },
      { email: sha(wh.hashKey + 'r2@x.io') },
    ]);
  });

  it.each([
    ['direct read', 'SELECT hash_key FROM immuta_system.hash_key'],
    ['scalar subquery in a view query', 'SELECT (SELECT hash_key FROM immuta_system.hash_key) FROM secure.staff'],
    ['the view’s internal alias', 'SELECT k.hash_key FROM secure.staff'],
    ['a misspelt column (HINT lists candidates)', 'SELECT hash_keyy FROM secure.staff'],
    ['cast of the hashed column', 'SELECT CAST(email AS int) FROM secure.staff'],
    ['cast in WHERE (oracle on every row)', 'SELECT id FROM secure.staff WHERE CAST(email AS int) = 1'],
    ['division using the hashed column', `SELECT id FROM secure.staff WHERE 1 / (length(email) - 64) = 0`],
    [
      'regclass of the key table',
      `SELECT pg_catalog.pg_relation_size('immuta_system.hash_key'), * FROM immuta_system.hash_key`,
    ],
  ])('%s: the error does not carry the key', async (_what, sql) => {
    const text = await errorText(ms.query(sql));
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(wh.hashKey);
    expect(text).not.toContain('vg-key');
  });
});

// ------------------------------------------------------------------------------------------ wire capture

interface Capture {
  port: number;
  frontend: Buffer[];
  backend: Buffer[];
  close(): Promise<void>;
}

async function captureProxy(host: string, port: number): Promise<Capture> {
  const frontend: Buffer[] = [];
  const backend: Buffer[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    sockets.push(client, upstream);
    client.on('data', (b) => void (frontend.push(b), upstream.write(b)));
    upstream.on('data', (b) => void (backend.push(b), client.write(b)));
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    frontend,
    backend,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Split a protocol stream into typed messages; `startup` = the first message has no type byte. */
function messages(stream: Buffer, startup: boolean): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  let i = 0;
  if (startup) i = stream.readInt32BE(0);
  while (i + 5 <= stream.length) {
    const type = String.fromCharCode(stream[i]!);
    const len = stream.readInt32BE(i + 1);
    out.push({ type, body: stream.subarray(i + 5, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

describe('the hashing key on the wire (real server, shipped adapter)', () => {
  let engine: Engine;
  let capture: Capture;
  let client: pg.Client;

  beforeAll(async () => {
    engine = await createServerEngine();
    await createRawTable(engine, 'raw', 'staff', staffColumns, staffRows);
    const url = new URL(inject('warehouseUrl'));
    capture = await captureProxy(url.hostname, Number(url.port));
    client = new pg.Client({
      host: '127.0.0.1',
      port: capture.port,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: engine.database,
    });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    await client?.end().catch(() => undefined);
    await capture?.close();
    await engine?.close();
  });

  const keyIn = (b: Buffer, key: string): boolean => b.includes(Buffer.from(key, 'utf8'));

  it('bootstrap, view publish and a user change send the key only as a bound parameter', async () => {
    const warehouse = new PostgresWarehouse(client);
    const parsed = parseIntegrationConfig({
      mode: 'single',
      database: engine.database,
      viewSchema: 'secure',
      systemUser: engine.roleName('immuta_system_user'),
      rawSources: [{ schema: 'raw' }],
    });
    if (!parsed.ok) throw new Error('config');
    const config = parsed.value;
    const inspected = parseInspection(await warehouse.query(inspectStatement(config, d)));
    await warehouse.transaction(
      bootstrapScript(planBootstrap(config, d, inspected, { hashKey: HOSTILE_HASH_KEY }), config, d),
    );
    // Re-running the bootstrap is part of normal operation (it is a plan): the key is sent again, bound.
    await warehouse.transaction(
      bootstrapScript(
        planBootstrap(config, d, parseInspection(await warehouse.query(inspectStatement(config, d))), {
          hashKey: HOSTILE_HASH_KEY,
        }),
        config,
        d,
      ),
    );
    const ds = inDatabase(staff, engine);
    const compiled = compileView(ds, staffPolicies, config, d, null);
    const sys = stmt(`SET LOCAL ROLE ${d.quoteIdent(config.systemUser)}`);
    await warehouse.transaction([
      sys,
      planDatasourceStateCall(
        { datasourceId: ds.id, version: 1, deleted: false, definition: ds, viewSignature: null, expectedEpoch: 0 },
        d,
      ),
      ...compiled.statements,
    ]);
    await warehouse.transaction([
      sys,
      planUserUpsert(UserProfileSchema.parse({ userId: 'someone', version: 1, groups: ['red'] }), d),
    ]);
    // A failing statement that carries the key (a second key row: unique violation). PostgreSQL logs the
    // text of a failing statement (log_min_error_statement = error) and, by default
    // (log_parameter_max_length_on_error = 0), not its parameters; the error itself must not echo the key.
    await expect(
      warehouse.transaction([
        sys,
        stmt('INSERT INTO immuta_system.hash_key (key_id, hash_key) VALUES (1, :k)', 'duplicate key row', {
          k: HOSTILE_HASH_KEY,
        }),
      ]),
    ).rejects.toThrow();

    const front = messages(Buffer.concat(capture.frontend), true);
    const back = messages(Buffer.concat(capture.backend), false);
    const key = HOSTILE_HASH_KEY;
    const bindsWithKey = front.filter((m) => m.type === 'B' && keyIn(m.body, key));
    expect(bindsWithKey.length, 'the key was sent at all (bound): two bootstraps + the failing insert').toBe(3);
    expect(
      front.filter((m) => (m.type === 'Q' || m.type === 'P') && keyIn(m.body, key)).map((m) => m.body.toString()),
    ).toEqual([]);
    expect(
      front.filter((m) => m.type === 'Q' || m.type === 'P').length,
      'the capture saw the statements',
    ).toBeGreaterThan(40);
    const errors = back.filter((m) => m.type === 'E' || m.type === 'N');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((m) => keyIn(m.body, key)).map((m) => m.body.toString())).toEqual([]);
  });

  it('negative control: the same capture flags a key spliced into statement text', async () => {
    const before = capture.frontend.length;
    // Test-only splice (inside a comment, so the text stays valid whatever the key contains).
    await client.query(`SELECT 1 AS x -- ${HOSTILE_HASH_KEY}`);
    const front = messages(Buffer.concat(capture.frontend.slice(before)), false);
    expect(front.some((m) => (m.type === 'Q' || m.type === 'P') && keyIn(m.body, HOSTILE_HASH_KEY))).toBe(true);
  });
});
