// The `viewguard` command itself: argument handling and exit codes in-process (run()), and the bin end to end
// on a clean local warehouse — PGlite in DATA_DIR (spawned as `node infra/cli/viewguard.mjs`, the file the
// package's "bin" names) and the PostgreSQL server through WAREHOUSE_URL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { EXIT, run, type CliIo } from '../../infra/cli/main.js';
import { openLocalWarehouse } from '../../infra/local/local-warehouse.js';
import { parseIntegrationConfig } from '../../shared/layout/integration-config.js';
import { applyWorkItem } from '../../shared/apply/apply-work-item.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { stmt } from '../../shared/sql/statement.js';
import { planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { UserProfileSchema } from '../../shared/policy/user-profile.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import type { Warehouse } from '../../shared/ports/warehouse.js';
import { createServerDatabase, type ServerDatabase } from '../support/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'infra/cli/viewguard.mjs');

function capture(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { env, cwd: ROOT, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), stdout, stderr };
}

/** One data source (orders: id, region, email) with a hash mask, a region filter and the anyone subscription. */
async function seed(system: Warehouse, database: string, reader: string): Promise<void> {
  const now = new Date().toISOString();
  const config = { mode: 'single' as const, database, viewSchema: 'secure' };
  const deps = { warehouse: system, queue: { send: async () => undefined }, dialect: postgres, config };
  const ds = DataSourceSchema.parse({
    id: 'ds-orders',
    name: 'orders',
    version: 1,
    kind: 'table' as const,
    tags: [],
    location: { database, schema: 'public', table: 'orders' },
    columns: [
      { name: 'id', type: 'int4', tags: [] },
      { name: 'region', type: 'varchar(8)', tags: [] },
      { name: 'email', type: 'varchar(40)', tags: ['PII'] },
    ],
  });
  await applyWorkItem(
    {
      kind: 'datasource',
      eventId: 'e1',
      eventTime: now,
      dataSourceId: ds.id,
      version: 1,
      deleted: false,
      definition: ds,
    },
    deps,
  );
  const policies = [
    { id: 'sub', type: 'subscription', scope: { kind: 'global' }, access: { kind: 'anyone' } },
    {
      id: 'mask-pii',
      type: 'mask',
      scope: { kind: 'global' },
      target: { kind: 'tag', tag: 'PII' },
      mask: { kind: 'hash' },
    },
    {
      id: 'rf-region',
      type: 'rowFilter',
      scope: { kind: 'global' },
      filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'region' }, attribute: 'region' },
    },
  ];
  for (const p of policies) {
    const definition = PolicySchema.parse({ version: 1, name: p.id, createdAt: '2024-01-01T00:00:00Z', ...p });
    await applyWorkItem(
      {
        kind: 'policy',
        eventId: `e-${p.id}`,
        eventTime: now,
        policyId: p.id,
        version: 1,
        deleted: false,
        definition,
        dataSourceId: ds.id,
        fanOutDigest: '0'.repeat(64),
      } as never,
      deps,
    );
  }
  await system.transaction([
    planUserUpsert(UserProfileSchema.parse({ userId: reader, version: 1, attributes: { region: ['eu'] } }), postgres),
  ]);
}

const RAW = [
  stmt('CREATE TABLE public.orders (id int4, region varchar(8), email varchar(40))'),
  stmt("INSERT INTO public.orders VALUES (1, 'eu', 'a@x'), (2, 'us', 'b@x'), (3, 'eu', NULL)"),
];

describe('viewguard command line', () => {
  it('prints the usage for --help (exit 0) and for no command or an unknown one (exit 2)', async () => {
    const help = capture();
    expect(await run(['--help'], help)).toBe(EXIT.ok);
    expect(help.stdout.join('\n')).toMatch(/^usage: viewguard <command>/);
    const none = capture();
    expect(await run([], none)).toBe(EXIT.usage);
    const unknown = capture();
    expect(await run(['dirft'], unknown)).toBe(EXIT.usage);
    expect(unknown.stderr[0]).toMatch(/^viewguard: unknown command "dirft"\n\nusage:/);
  });

  it('explain without --as, with two views, or with a bad --sample is a usage error (exit 2)', async () => {
    const connect = async () => ({
      warehouse: null as never,
      dialect: postgres,
      config: null as never,
      where: '',
      close: async () => {},
    });
    for (const [argv, message] of [
      [['explain', 'v'], /needs --as <user>/],
      [['explain', 'a', 'b', '--as', 'u'], /explain takes one view/],
      [['explain', 'v', '--as', 'u', '--sample', 'many'], /--sample takes a whole number/],
    ] as const) {
      const io = capture();
      expect(await run([...argv], { ...io, connect })).toBe(EXIT.usage);
      expect(io.stderr[0]).toMatch(message);
    }
  });

  it('without a local warehouse it says how to get one (exit 2)', async () => {
    const io = capture({ DATA_DIR: join(tmpdir(), 'viewguard-none') });
    expect(await run(['explain', 'orders', '--as', 'x'], io)).toBe(EXIT.usage);
    expect(io.stderr[0]).toMatch(/no local warehouse in .*viewguard-none \(DATA_DIR\): run `npm start` once/);
  });

  it('Redshift flags that do not name one way to sign in are usage errors (exit 2)', async () => {
    for (const [argv, message] of [
      [['explain', 'v', '--as', 'u', '--cluster', 'c'], /--database is required/],
      [['explain', 'v', '--as', 'u', '--cluster', 'c', '--database', 'd'], /--cluster needs --db-user or --secret-arn/],
      [['explain', 'v', '--as', 'u', '--workgroup', 'w', '--database', 'd'], /--workgroup needs --secret-arn/],
    ] as const) {
      const io = capture();
      expect(await run([...argv], io)).toBe(EXIT.usage);
      expect(io.stderr[0]).toMatch(message);
    }
  });
});

describe('the viewguard bin on PGlite in DATA_DIR', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viewguard-cli-'));
    const config = parseIntegrationConfig({
      mode: 'single',
      database: 'postgres',
      viewSchema: 'secure',
      rawSources: [{ schema: 'public' }],
    });
    if (!config.ok) throw new Error('config');
    const local = await openLocalWarehouse(config.value, 'k', { dataDir: dir, prepare: (admin) => admin(RAW) });
    try {
      await local.admin([stmt('CREATE ROLE reader LOGIN')]);
      await seed(local.system, 'postgres', 'reader');
    } finally {
      await local.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bin = (...argv: string[]) =>
    spawnSync(process.execPath, [BIN, ...argv], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dir, WAREHOUSE_URL: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('explain: table output, exit 0', () => {
    const r = bin('explain', 'orders', '--as', 'reader', '--sample', '5');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(EXIT.ok);
    expect(r.stdout).toContain('secure.orders as reader (data source ds-orders)');
    expect(r.stdout).toContain('subscription: sub — anyone with a profile → admitted');
    expect(r.stdout).toMatch(/rows: 2 \(3 before row filters\)/);
  });

  it('refuses a data directory another process has open (PGlite keeps postmaster.pid while open)', async () => {
    writeFileSync(join(dir, 'postmaster.pid'), '1\n');
    try {
      const io = capture({ DATA_DIR: dir, WAREHOUSE_URL: '' });
      expect(await run(['explain', 'orders', '--as', 'reader'], io)).toBe(EXIT.usage);
      expect(io.stderr[0]).toMatch(/is in use \(npm start\?\): stop it first/);
    } finally {
      rmSync(join(dir, 'postmaster.pid'));
    }
  });

  it('explain --json and an unknown view (VG801, exit 2) through the same local connection, in-process', async () => {
    const json = capture({ DATA_DIR: dir, WAREHOUSE_URL: '' });
    expect(await run(['explain', 'secure.orders', '--as', 'reader', '--json', '--sample', '5'], json)).toBe(EXIT.ok);
    const e = JSON.parse(json.stdout.join('\n')) as {
      rows: number;
      sample: { rows: string[][] };
      columns: { column: string; mask: { policy: string } | null }[];
    };
    expect(e.rows).toBe(2);
    expect(e.sample.rows.map((row) => row.slice(0, 2))).toEqual([
      ['1', 'eu'],
      ['3', 'eu'],
    ]);
    expect(e.sample.rows[0]![2]).toMatch(/^[0-9a-f]{64}$/);
    expect(e.columns.find((c) => c.column === 'email')!.mask!.policy).toBe('mask-pii');
    const unknown = capture({ DATA_DIR: dir, WAREHOUSE_URL: '' });
    expect(await run(['explain', 'ordrs', '--as', 'reader'], unknown)).toBe(EXIT.usage);
    expect(unknown.stderr[0]).toMatch(/^viewguard explain: VG801 no registered data source has the view "ordrs"/);
  });
});

describe('viewguard on the PostgreSQL server through WAREHOUSE_URL', () => {
  let db: ServerDatabase;
  let url: string;
  beforeAll(async () => {
    db = await createServerDatabase();
    const base = new URL(inject('warehouseUrl'));
    base.pathname = `/${db.name}`;
    url = base.href;
    const config = parseIntegrationConfig({
      mode: 'single',
      database: db.name,
      viewSchema: 'secure',
      systemUser: db.roleName('sys'),
      rawSources: [{ schema: 'public' }],
    });
    if (!config.ok) throw new Error('config');
    const local = await openLocalWarehouse(config.value, 'k', { url, prepare: (admin) => admin(RAW) });
    try {
      await seed(local.system, db.name, db.roleName('reader'));
    } finally {
      await local.close();
    }
  });
  afterAll(() => db?.drop());

  it('explain runs as the system role the settings name', async () => {
    const io = capture({ WAREHOUSE_URL: url, SYSTEM_USER: db.roleName('sys') });
    expect(await run(['explain', 'orders', '--as', db.roleName('reader'), '--json'], io)).toBe(EXIT.ok);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ view: 'secure.orders', rows: 2, rowsBeforeFilters: 3 });
  });
});
