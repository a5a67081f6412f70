// Child processes a test file starts (`npm start`, `npm run demo`, `npm run send`), owned until stopAll().
// `node tsx script` runs the script in a second node process, and `npm run` adds npm and a shell: SIGKILL to the
// process we spawned would leave the script running (a server holding a port and its data directory). So each
// child leads its own process group and stopAll() kills the group.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface OwnedChild {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived (a spawn error is appended too). */
  output(): string;
  /** The exit code (null when ended by a signal or when it could not be spawned), once all output is read. */
  readonly closed: Promise<number | null>;
}

export class ChildProcesses {
  private readonly children: ChildProcess[] = [];

  start(command: string, args: readonly string[], options: SpawnOptions & { stdin?: string } = {}): OwnedChild {
    const { stdin, ...spawnOptions } = options;
    const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const closed = new Promise<number | null>((resolve) => {
      // A failed spawn (EAGAIN on a loaded machine, a missing binary) emits 'error'; it ends the child's story.
      child.on('error', (err) => {
        out += `\n[spawn error] ${err.message}\n`;
        resolve(null);
      });
      child.on('close', (code) => resolve(code));
    });
    child.stdin!.on('error', () => undefined); // the child may exit before reading its input (EPIPE)
    child.stdin!.end(stdin ?? '');
    return { child, output: () => out, closed };
  }

  /** SIGKILL every child's whole process group (whatever is still running in it) and wait for the children. */
  async stopAll(): Promise<void> {
    for (const child of this.children.splice(0)) {
      if (child.pid === undefined) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: nothing of that group is left
      }
      if (child.exitCode === null && child.signalCode === null)
        await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}
