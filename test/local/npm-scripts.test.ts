// `npm start` and `npm run demo` as a newcomer runs them (node with tsx's loader on the real entry points, as
// the npm scripts do; separate processes):
// start answers /status, prints a generated signing secret, shuts down cleanly on SIGTERM and boots again on
// the same DATA_DIR (the bootstrap is idempotent on a persisted PGlite); the demo exits 0 with every
// expectation held.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildProcesses } from '../support/child-processes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const children = new ChildProcesses();
const dirs: string[] = [];

// The scripts run under `node --import tsx`, not tsx's CLI: the CLI relays a SIGTERM to its child and SIGKILLs it
// (exit 143) when the child does not acknowledge within 30 ms, which a loaded machine misses — a server stopped
// that way never closes its PGlite data directory.
function run(script: string, env: Record<string, string>) {
  const env2: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete env2.WEBHOOK_SECRET;
  delete env2.WAREHOUSE_URL;
  const { child, output, closed } = children.start(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: env2,
  });
  const waitFor = async (re: RegExp, ms = 120_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = output().match(re);
      if (m) return m;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in output:\n${output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited: closed, waitFor, output };
}

afterAll(async () => {
  await children.stopAll();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves /status, prints a dev secret, stops on SIGTERM, and restarts on the same data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vg-start-'));
    dirs.push(dataDir);
    for (const round of [1, 2]) {
      const p = run('infra/local/main.ts', { PORT: '0', DATA_DIR: dataDir, RAW_SCHEMAS: 'public' });
      const [, port] = await p.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      await p.waitFor(/signing secret for this run: whsec_[A-Za-z0-9+/=]+/);
      const status = await (await fetch(`http://127.0.0.1:${port}/status`)).json();
      expect(status).toEqual({
        queueDepth: 0,
        inFlight: 0,
        dlqDepth: 0,
        applied: 0,
        failed: 0,
        skipped: 0,
        eventsReceived: 0,
        failedClosed: 0,
        lastError: null,
      });
      p.child.kill('SIGTERM');
      expect(await p.exited, `round ${round}:\n${p.output()}`).toBe(0);
    }
    // Hang guards, not speed limits: two cold starts of tsx + PGlite took 70 s on a 2-core machine at load 20.
  }, 300_000);
});

describe('npm run demo', () => {
  it('exits 0 with every expectation held, printing progress', async () => {
    const p = run('infra/local/demo.ts', {});
    const code = await p.exited;
    expect(code, p.output()).toBe(0);
    expect(p.output()).toMatch(/every expectation held/);
    expect(p.output()).not.toMatch(/FAIL/);
    expect(p.output().match(/^\s+ok\s/gm)?.length).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
