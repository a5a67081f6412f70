// `viewguard <command>`: the operator CLI (docs/operations.md). Parses the command line, connects
// (connect.ts), runs the command's domain logic (shared/operations/) and prints a table or, with --json, the
// result object. Exit codes (EXIT) are the contract a CI job relies on.
import { parseArgs } from 'node:util';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { DiagnosticError, type Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { explain } from '../../shared/operations/explain.js';
import { WarehouseError } from '../../shared/ports/warehouse.js';
import { connect, UsageError, type Connection, type TargetFlags } from './connect.js';
import { renderExplanation } from './explain-command.js';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { audit } from '../../shared/operations/audit.js';
import { detectDrift, repairDrift } from '../../shared/operations/drift.js';
import { rebuild } from '../../shared/operations/rebuild.js';
import { planHasFindings, renderPlan, runPlan } from './plan-command.js';
import { progressLine, renderAudit, renderDrift, renderRebuild } from './operations-commands.js';

/**
 * 0: done, nothing found · 1: findings (drift, a bypass, a view that would fail closed, a failed rebuild step) · 2:
 * usage · 3: the warehouse or AWS failed.
 */
export const EXIT = { ok: 0, findings: 1, usage: 2, failed: 3 } as const;

export const USAGE = `usage: viewguard <command> [options]

commands:
  plan <event.json | dir>...     what applying these events (or this desired state) would change; runs nothing
                                 [--sql] [--users a,b]
  explain <view> --as <user>     what one user sees in one view and why [--sample N]
  drift                          the warehouse vs the stored state [--repair]
  audit                          who can read raw tables or change our objects outside the views
  rebuild                        re-apply the routines and every view from the stored state [--resume FILE]

where (default: the local warehouse — WAREHOUSE_URL, else PGlite in DATA_DIR, like npm start):
  --redshift [-c viewguard:key=value]...   Redshift through the Data API, from the deploy environment (viewguard:env)
      [--as-admin]                         sign in as the context's administrator (audit needs to see every user)
  --cluster ID (--db-user U | --secret-arn ARN) | --workgroup NAME --secret-arn ARN
      --database DB [--view-schema S] [--system-user U] [--mode single|multi]

output: a table; --json for the result object. exit: 0 nothing found · 1 findings · 2 usage · 3 warehouse/AWS failure`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Tests: a connection to their own engine instead of connect(). */
  connect?: (flags: TargetFlags) => Promise<Connection>;
  /** Tests: the Data API client (mocked at the SDK boundary). */
  redshiftClient?: RedshiftDataClient;
}

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  sql: { type: 'boolean' },
  users: { type: 'string' },
  as: { type: 'string' },
  sample: { type: 'string' },
  repair: { type: 'boolean' },
  resume: { type: 'string' },
  redshift: { type: 'boolean' },
  'as-admin': { type: 'boolean' },
  context: { type: 'string', short: 'c', multiple: true },
  cluster: { type: 'string' },
  workgroup: { type: 'string' },
  database: { type: 'string' },
  'db-user': { type: 'string' },
  'secret-arn': { type: 'string' },
  'view-schema': { type: 'string' },
  'system-user': { type: 'string' },
  mode: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface CommandContext {
  args: string[];
  values: Values;
  connection: Connection;
  io: CliIo;
}

/** A command prints its result and returns the exit code. */
type Command = (c: CommandContext) => Promise<number>;

const print = (c: CommandContext, json: unknown, lines: () => string[]): void => {
  if (c.values.json) c.io.out(JSON.stringify(json, null, 2));
  else for (const l of lines()) c.io.out(l);
};

const positiveInt = (v: string | undefined, name: string, fallback: number): number => {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} takes a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
};

const COMMANDS: Record<string, Command> = {
  async explain(c) {
    if (c.args.length !== 1) throw new UsageError('explain takes one view: viewguard explain <view> --as <user>');
    if (!c.values.as)
      throw new UsageError('explain needs --as <user> (the Redshift user name the profile is stored under)');
    const { warehouse, dialect, config } = c.connection;
    const e = await explain({
      warehouse,
      dialect,
      config,
      view: c.args[0]!,
      user: c.values.as,
      sample: positiveInt(c.values.sample, '--sample', 5),
    });
    print(c, e, () => renderExplanation(e));
    return EXIT.ok;
  },

  async plan(c) {
    const users = c.values.users
      ?.split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    const p = await runPlan(c.connection, { paths: c.args, ...(users ? { users } : {}) });
    print(c, p, () => renderPlan(p, c.values.sql ?? false));
    return planHasFindings(p) ? EXIT.findings : EXIT.ok;
  },

  async drift(c) {
    if (c.args.length > 0) throw new UsageError('drift takes no arguments');
    const before = await detectDrift(c.connection);
    if (!c.values.repair) {
      print(c, before, () => renderDrift(before));
      return before.findings.length > 0 ? EXIT.findings : EXIT.ok;
    }
    const results = await repairDrift(c.connection, before);
    const after = await detectDrift(c.connection);
    print(c, { before, repair: results, after }, () => renderDrift(before, { results, after }));
    return after.findings.length > 0 ? EXIT.findings : EXIT.ok;
  },

  async audit(c) {
    if (c.args.length > 0) throw new UsageError('audit takes no arguments');
    const r = await audit(c.connection);
    print(c, r, () => renderAudit(r));
    return r.findings.length > 0 ? EXIT.findings : EXIT.ok;
  },

  async rebuild(c) {
    if (c.args.length > 0) throw new UsageError('rebuild takes no arguments');
    const file = c.values.resume;
    const resumeAfter = file && existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
    // Progress goes to stdout for people, to stderr with --json (stdout is the result object).
    const say = c.values.json ? c.io.err : c.io.out;
    if (resumeAfter) say(`resuming after data source ${resumeAfter} (${file})`);
    // The checkpoint is the last view of an unbroken run of successes: a resumed run retries a failed view.
    let broken = false;
    const r = await rebuild({
      ...c.connection,
      ...(resumeAfter ? { resumeAfter } : {}),
      progress: (done, total, result) => {
        say(progressLine(done, total, result));
        broken ||= result.outcome === 'failed';
        if (file && !broken) writeFileSync(file, `${result.dataSourceId}\n`);
      },
    });
    const failed = r.views.some((v) => v.outcome === 'failed');
    if (file && !failed) rmSync(file, { force: true });
    print(c, r, () => renderRebuild(r));
    return failed ? EXIT.findings : EXIT.ok;
  },
};

function targetFlags(v: Values): TargetFlags {
  return {
    redshift: v.redshift,
    context: v.context,
    cluster: v.cluster,
    workgroup: v.workgroup,
    database: v.database,
    dbUser: v['db-user'],
    secretArn: v['secret-arn'],
    viewSchema: v['view-schema'],
    systemUser: v['system-user'],
    mode: v.mode,
    asAdmin: v['as-admin'],
  };
}

const describe = (ds: readonly Diagnostic[]): string[] => ds.map((d) => `${d.code} ${d.summary}`);

export async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (e) {
    io.err(`viewguard: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [name, ...args] = parsed.positionals;
  if (parsed.values.help || name === undefined || name === 'help') {
    (name === undefined && !parsed.values.help ? io.err : io.out)(USAGE);
    return name === undefined && !parsed.values.help ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`viewguard: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  let connection: Connection | undefined;
  try {
    const flags = targetFlags(parsed.values);
    connection = io.connect ? await io.connect(flags) : await connect(flags, io.env, io.cwd, io.redshiftClient);
    return await command({ args, values: parsed.values, connection, io });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`viewguard ${name}: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof DiagnosticError) {
      for (const l of describe(e.diagnostics)) io.err(`viewguard ${name}: ${l}`);
      return EXIT.usage;
    }
    // Warehouse messages are redacted by the adapters (no bound values); other errors say what failed.
    io.err(
      `viewguard ${name}: ${e instanceof WarehouseError ? `warehouse error (${e.kind}): ` : ''}` +
        `${e instanceof Error ? e.message : String(e)}`,
    );
    return EXIT.failed;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The bin's entry (viewguard.mjs). */
export async function main(argv: string[]): Promise<number> {
  return run(argv, {
    env: process.env,
    cwd: process.cwd(),
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
}
