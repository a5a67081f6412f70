// `npm run send` end to end, as a user runs it: the real local server (`npm start`'s entry point, PGlite in a
// temp DATA_DIR, a free port) in one process, the send command in others. An accepted event; a schema error
// caught locally (nothing of its batch sent); a wrong secret (401 from the server); events from stdin through
// the package.json script; and, after the queue drained, exactly the accepted events in the warehouse.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../infra/local/local-config.js';
import { EXIT, runSend, type SendIo } from '../../infra/local/send-webhook.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { ChildProcesses, type OwnedChild } from '../support/child-processes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SECRET = generateWebhookSecret();
const OTHER_SECRET = generateWebhookSecret();
const children = new ChildProcesses();
let dir: string;
let dataDir: string;
let port: string;
let server: OwnedChild;

/** The environment a user's shell would have: no leftovers from ours decide the secret or the port. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['WEBHOOK_SECRET', 'WAREHOUSE_URL', 'PORT'] as const) if (!(name in extra)) delete env[name];
  return env;
}

/**
 * Run the send command in its own process. Through `npm run send` when the test runs under npm/npx (so the
 * package.json script is what is exercised), else through tsx on the same file.
 */
async function send(args: string[], options: { stdin?: string; env?: Record<string, string>; viaNpm?: boolean } = {}) {
  const npm = process.env.npm_execpath;
  const argv =
    options.viaNpm && npm
      ? [npm, 'run', '--silent', 'send', '--', ...args]
      : [TSX, 'infra/local/send-webhook.ts', ...args];
  const { child, closed } = children.start(process.execPath, argv, {
    cwd: ROOT,
    env: cleanEnv({ WEBHOOK_SECRET: SECRET, PORT: port, ...options.env }),
    stdin: options.stdin ?? '',
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await closed;
  return { code, stdout, stderr };
}

const status = async () =>
  (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as Record<string, number | null>;

const user = (id: string, userId: string, version: number, groups: string[]) => ({
  ...EVENT_EXAMPLES['user.updated'],
  id,
  subject: userId,
  data: { user: { userId, version, groups } },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vg-send-'));
  dataDir = join(dir, 'pglite');
  server = children.start(process.execPath, [TSX, 'infra/local/main.ts'], {
    cwd: ROOT,
    env: cleanEnv({ PORT: '0', DATA_DIR: dataDir, WEBHOOK_SECRET: SECRET }),
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = server.output().match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) {
      port = m[1]!;
      break;
    }
    if (Date.now() > deadline || server.child.exitCode !== null)
      throw new Error(`server did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run send against the running local server', () => {
  it(
    '--example prints the contract example, which is sent and accepted (202) with the secret from WEBHOOK_SECRET ' +
      'and the URL from PORT',
    async () => {
      // As the README shows it: `npm run -s send -- --example user.updated > alice.json`.
      const example = await send(['--example', 'user.updated'], { viaNpm: true });
      expect(example.code).toBe(EXIT.accepted);
      expect(JSON.parse(example.stdout)).toEqual(EVENT_EXAMPLES['user.updated']);
      const file = join(dir, 'alice.json');
      await writeFile(file, example.stdout);

      const res = await send([file]);
      expect(res, server.output()).toMatchObject({ code: EXIT.accepted, stdout: '202 evt-0007\n' });
      expect(await status()).toMatchObject({ eventsReceived: 1 });
    },
  );

  it('a schema error is caught locally with its code and JSON path, and nothing of the batch is sent', async () => {
    const bad = user('evt-bad', 'dave', -1, ['analysts']);
    const file = join(dir, 'batch.json');
    await writeFile(file, JSON.stringify([user('evt-dave', 'dave', 1, []), { ...bad, subject: 'someone-else' }]));

    const res = await send([file]);
    expect(res.code).toBe(EXIT.notAccepted);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^invalid \[1\] evt-bad: /);
    expect(lines[0]).toContain('VG504 data.user.version: ');
    expect(lines[0]).toContain('VG504 subject: subject must equal data.user.userId ("dave")');
    expect(lines[1]).toBe('nothing sent: 1 of 2 event(s) invalid');
    // The valid first event was not sent either.
    expect(await status()).toMatchObject({ eventsReceived: 1 });
  });

  it('input that is not JSON is VG503, reported on one line', async () => {
    const res = await send(['-'], { stdin: '{"id": \n' });
    expect(res.code).toBe(EXIT.notAccepted);
    expect(res.stdout).toMatch(/^invalid VG503 standard input is not JSON: [^\n]+\n$/);
  });

  it(
    'a wrong secret passes the local check but the server ' +
      'answers 401 VG501; the secrets never appear in the output',
    async () => {
      const file = join(dir, 'mallory.json');
      await writeFile(file, JSON.stringify(user('evt-mallory', 'mallory', 1, ['admins'])));
      const res = await send([file, '--secret', OTHER_SECRET, '--url', `http://127.0.0.1:${port}/webhooks`]);
      expect(res.code).toBe(EXIT.notAccepted);
      expect(res.stdout).toBe('401 evt-mallory: VG501 no webhook-signature matches the body\n');
      expect(res.stdout + res.stderr).not.toContain(OTHER_SECRET.slice('whsec_'.length));
      expect(res.stdout + res.stderr).not.toContain(SECRET.slice('whsec_'.length));
      expect(await status()).toMatchObject({ eventsReceived: 1 });
    },
  );

  it('an array on stdin through the package.json script: one line per event, in order', async () => {
    const res = await send(['-'], {
      stdin: JSON.stringify([user('evt-bob', 'bob', 1, ['support']), user('evt-carol', 'carol', 2, ['finance'])]),
      viaNpm: true,
    });
    expect(res, res.stderr).toMatchObject({ code: EXIT.accepted, stdout: '202 [0] evt-bob\n202 [1] evt-carol\n' });
    expect(await status()).toMatchObject({ eventsReceived: 3 });
  });

  it('no server at the URL: one ERR line per event and a non-zero exit', async () => {
    const res = await send([join(dir, 'alice.json')], { env: { PORT: '1' } });
    expect(res.code).toBe(EXIT.notAccepted);
    expect(res.stdout).toMatch(
      /^ERR evt-0007: cannot reach http:\/\/127\.0\.0\.1:1\/webhooks: .+\(is npm start running\?\)\n$/,
    );
  });

  it('once drained, the warehouse holds exactly the accepted events', async () => {
    const deadline = Date.now() + 45_000;
    let drained = await status();
    while (!(drained.applied === 3 && drained.queueDepth === 0 && drained.inFlight === 0)) {
      if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(drained)}\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
      drained = await status();
    }
    expect(drained).toMatchObject({ applied: 3, failed: 0, dlqDepth: 0, lastError: null });
    server.child.kill('SIGTERM');
    expect(await server.closed, server.output()).toBe(0);

    // The server closed PGlite; read its data directory as the superuser.
    const db = await PGlite.create(dataDir);
    try {
      const rows = await db.query(
        'SELECT immuta__userid AS "user", version::int AS version, deleted, groups FROM immuta_system.profile ' +
          'ORDER BY 1',
      );
      expect(rows.rows).toEqual([
        { user: 'alice', version: 7, deleted: false, groups: '|analysts|' },
        { user: 'bob', version: 1, deleted: false, groups: '|support|' },
        { user: 'carol', version: 2, deleted: false, groups: '|finance|' },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('send command line (in process)', () => {
  const io = (env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const value: SendIo = {
      env,
      readStdin: async () => '',
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      now: () => new Date(),
    };
    return { value, out, err };
  };

  it.each([
    [['x.json'], {}, 'no signing secret'],
    [['x.json', '--secret', 'not base64 !!'], {}, 'not a Standard Webhooks secret'],
    [['x.json', '--url', 'ftp://host/webhooks'], { WEBHOOK_SECRET: SECRET }, '--url must be http'],
    [['x.json'], { WEBHOOK_SECRET: SECRET, PORT: 'eighty' }, 'PORT must be a port number'],
    [['a.json', 'b.json'], { WEBHOOK_SECRET: SECRET }, 'exactly one input'],
    [['--example', 'user.created'], {}, 'unknown event type "user.created"; one of: datasource.created'],
    [['--nope'], {}, "Unknown option '--nope'"],
    [[join(tmpdir(), 'vg-send-missing', 'x.json')], { WEBHOOK_SECRET: SECRET }, 'cannot read'],
  ] as const)('%j is a usage error (exit 2) saying %s', async (argv, env, message) => {
    const t = io(env);
    expect(await runSend([...argv], t.value)).toBe(EXIT.usage);
    expect(t.out).toEqual([]);
    expect(t.err.join('\n')).toContain(message);
    expect(t.err.join('\n')).not.toContain('not base64 !!');
  });

  it('an empty array sends nothing and is not a success', async () => {
    const t = io({ WEBHOOK_SECRET: SECRET });
    t.value.readStdin = async () => '[]';
    expect(await runSend(['-'], t.value)).toBe(EXIT.notAccepted);
    expect(t.out).toEqual(['invalid standard input is an empty array: nothing to send']);
  });
});
