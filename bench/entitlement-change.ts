// Section c: entitlement changes (user.updated) through the local pipeline, with the consumer loop running
// as `npm start` runs it (LocalPipeline.start(), default 50 ms poll when idle). Changes are offered open-
// loop at a fixed rate (each is sent at its scheduled time, whether or not earlier ones are applied), so
// queueing shows in the latency instead of being hidden by a closed loop.
//   latency = webhook received (before ingest) → the transaction holding that user's CALL committed, i.e.
//   the moment any new query through the views sees the change.
// Also counted: statements, transactions and DDL per change (target: one statement, no DDL), and a check
// that real login roles read their newest profile through immuta_system.user_profile afterwards.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { encodeList } from '../shared/layout/profile-encoding.js';
import { postgres as d } from '../shared/sql/postgres-dialect.js';
import type { BenchServer } from './bench-postgres.js';
import { envelope } from './fixtures.js';
import { openPipelineDatabase } from './pipeline-database.js';
import { nowMs, round, roundSummary, summarize, type Summary } from './stats.js';

export interface EntitlementResult {
  changes: number;
  users: number;
  offeredPerSecond: number;
  pollMs: number;
  latencyMs: Summary;
  statementsPerChange: number;
  transactionsPerChange: number;
  ddlStatements: number;
  reads: number;
  failed: number;
  /** Every change's commit was observed. */
  allObserved: boolean;
  /** Login roles that read their newest version through user_profile after the run, of those checked. */
  visibleToUsers: { checked: number; ok: number };
  wallMs: number;
}

export async function benchEntitlements(
  server: BenchServer,
  opts: { changes: number; users: number; ratePerSecond: number; log: (s: string) => void },
): Promise<EntitlementResult> {
  const name = 'vg_bench_entitlements';
  const checkedUsers = Math.min(5, opts.users);
  const password = `pw-${process.pid}`;
  const userId = (u: number) => `vg_bench_user_${process.pid}_${u}`;
  const db = await openPipelineDatabase(
    server,
    name,
    Array.from(
      { length: checkedUsers },
      (_, u) => `CREATE ROLE ${d.quoteIdent(userId(u))} LOGIN PASSWORD ${d.quoteLiteral(password)}`,
    ),
  );
  try {
    const sentAt = new Map<string, number>();
    const committedAt = new Map<string, number>();
    db.counting.onCommit = (statements, at) => {
      for (const s of statements) {
        const p = s.params;
        if (p && typeof p.p_userid === 'string' && p.p_version !== undefined)
          committedAt.set(`${p.p_userid}@${String(p.p_version)}`, at);
      }
    };
    db.pipeline.start();
    const version = new Array<number>(opts.users).fill(0);
    const groupsOf = (v: number): string[] => ['analysts', ...(v % 2 === 0 ? ['hr'] : []), `g${v % 7}`];
    const interval = 1000 / opts.ratePerSecond;
    const t0 = nowMs();
    for (let i = 0; i < opts.changes; i++) {
      const due = t0 + i * interval;
      const wait = due - nowMs();
      if (wait > 1) await sleep(wait);
      const u = i % opts.users;
      const v = ++version[u]!;
      const groups = groupsOf(v);
      const e = envelope('user.updated', userId(u), {
        user: { userId: userId(u), version: v, groups, attributes: { region: [v % 2 ? 'eu' : 'us'] } },
      });
      sentAt.set(`${userId(u)}@${v}`, nowMs());
      await db.post(e);
    }
    // Wait for the consumer to catch up (bounded).
    const deadline = nowMs() + 120_000;
    while (committedAt.size < sentAt.size && nowMs() < deadline) await sleep(20);
    const wallMs = nowMs() - t0;
    await db.pipeline.stop();
    const latencies: number[] = [];
    for (const [key, s] of sentAt) {
      const c = committedAt.get(key);
      if (c !== undefined) latencies.push(c - s);
    }
    const counts = db.counting.counts;
    let ok = 0;
    for (let u = 0; u < checkedUsers; u++) {
      const url = new URL(db.url);
      url.username = encodeURIComponent(userId(u));
      url.password = encodeURIComponent(password);
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        // user_profile exposes no version: the newest change's groups (each version's differ) stand for it.
        const rows = (await c.query<{ groups: string }>('SELECT groups FROM immuta_system.user_profile')).rows;
        if (rows.length === 1 && rows[0]!.groups === encodeList(groupsOf(version[u]!))) ok++;
      } finally {
        await c.end();
      }
    }
    const st = db.pipeline.status();
    const result: EntitlementResult = {
      changes: opts.changes,
      users: opts.users,
      offeredPerSecond: opts.ratePerSecond,
      pollMs: 50,
      latencyMs: roundSummary(summarize(latencies)),
      statementsPerChange: round(counts.statements / opts.changes, 3),
      transactionsPerChange: round(counts.transactions / opts.changes, 3),
      ddlStatements: counts.ddlStatements,
      reads: counts.reads,
      failed: st.failed,
      allObserved: latencies.length === sentAt.size,
      visibleToUsers: { checked: checkedUsers, ok },
      wallMs: round(wallMs, 0),
    };
    opts.log(
      `    ${opts.changes} changes: p50 ${result.latencyMs.median} ms, p95 ${result.latencyMs.p95} ms, p99 ` +
        `${result.latencyMs.p99} ms; ${result.statementsPerChange} statements/change, ${counts.ddlStatements} DDL`,
    );
    return result;
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    for (let u = 0; u < checkedUsers; u++)
      await c.query(`DROP ROLE IF EXISTS ${d.quoteIdent(userId(u))}`).catch(() => undefined);
    await c.end();
  }
}
