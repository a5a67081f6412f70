// CPU time the PostgreSQL server spent for one database's client connections between two samples: what a push
// costs the server, which waiting for a loaded machine's cores does not inflate (client-observed database time
// does). Read from /proc (processCpuMs) for each backend of that database; null where /proc is not
// readable (not Linux, or a remote WAREHOUSE_URL). A backend that exits between the samples is not counted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Query = <T extends Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<T[]>;

export interface BackendCpuSample {
  /** pid → CPU ms so far. */
  readonly byPid: ReadonlyMap<number, number>;
}

let msPerTick: number | undefined;

/**
 * CPU time of a local server process so far, in ms; undefined where /proc cannot be read. /proc/<pid>/schedstat's
 * first field (time on a CPU, in ns) where the kernel has it, else user + system time from /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks: 10 ms, too coarse for a few percent of a 600 ms query).
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / 1e6;
  } catch {
    // no schedstat: fall back to the tick counts
  }
  try {
    msPerTick ??= 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is index 0, so utime (field 14) is 11 and stime (15) is 12.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(after[11]) + Number(after[12])) * msPerTick;
  } catch {
    return undefined;
  }
}

/** The client backends of `database` and their CPU so far; null when any cannot be read. */
export async function sampleBackendCpu(query: Query, database: string): Promise<BackendCpuSample | null> {
  const rows = await query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
    [database],
  );
  const byPid = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(Number(pid));
    if (ms === undefined) return null;
    byPid.set(Number(pid), ms);
  }
  return { byPid };
}

/** CPU ms spent between the samples by the backends alive at the second one (new ones count from zero). */
export function backendCpuBetween(before: BackendCpuSample | null, after: BackendCpuSample | null): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after.byPid) total += ms - (before.byPid.get(pid) ?? 0);
  return total;
}
