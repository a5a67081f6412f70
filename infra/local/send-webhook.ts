// `npm run send`: post signed webhooks to a running `npm start` from the shell (README "Run it locally").
//   npm run send -- <file.json | -> [--url http://127.0.0.1:8787/webhooks] [--secret whsec_…]
//   npm run send -- --example <type>
// The input is one CloudEvents envelope or a JSON array of them. Every event is checked locally first with
// the receiver's own parseWebhook, so a bad event gets the same coded diagnostics (with JSON paths) the server
// would give — and nothing is sent unless every event passes. Each event is then signed with a fresh
// webhook-id and timestamp over the exact bytes POSTed. Exit 0 only when every event was accepted (202).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { isEventType } from '../../shared/events/event-types.js';
import { parseWebhook } from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { EVENT_TYPES } from '../../shared/routing/routing-table.js';

export const SEND_USAGE = `usage: npm run send -- <file.json | ->
         [--url http://127.0.0.1:8787/webhooks] [--secret whsec_…]
       npm run send -- --example <type>
The input is one CloudEvents envelope or a JSON array of them; "-" reads standard input.
The secret defaults to WEBHOOK_SECRET, the URL to http://127.0.0.1:$PORT/webhooks (PORT defaults to 8787).
Types: ${EVENT_TYPES.join(', ')}`;

/** Exit codes: every event accepted; an event invalid or not accepted; the command line or setup is wrong. */
export const EXIT = { accepted: 0, notAccepted: 1, usage: 2 } as const;

/** The docs' answer time for a receiver (docs/events.md "Retrying"): no answer within 10 s is a timeout. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface SendIo {
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => Date;
}

class UsageError extends Error {}

const eventId = (event: unknown): string =>
  event !== null && typeof event === 'object' && typeof (event as { id?: unknown }).id === 'string'
    ? (event as { id: string }).id
    : '(no id)';

const describe = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics.map((d) => `${d.code} ${d.summary}`).join('; ');

function defaultUrl(env: NodeJS.ProcessEnv): string {
  const port = env.PORT || '8787';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw new UsageError(`PORT must be a port number, got ${JSON.stringify(port)}`);
  return `http://127.0.0.1:${port}/webhooks`;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError('--url must be http:// or https://');
  return parsed.href;
}

function checkSecret(secret: string | undefined, now: Date): string {
  if (!secret)
    throw new UsageError(
      'no signing secret: set WEBHOOK_SECRET (npm start prints the one it generated) or pass --secret',
    );
  try {
    signWebhook('', secret, 'check', now);
  } catch (e) {
    // signWebhook's message names what is wrong, never the secret itself.
    throw new UsageError((e as Error).message);
  }
  return secret;
}

/** The events in the input, or a line that says why there are none. */
function readEvents(text: string, source: string): { events: unknown[]; many: boolean } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // One line per problem: JSON.parse quotes the input, line breaks included.
    return { problem: `VG503 ${source} is not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}` };
  }
  const events = Array.isArray(json) ? json : [json];
  return events.length > 0
    ? { events, many: Array.isArray(json) }
    : { problem: `${source} is an empty array: nothing to send` };
}

/**
 * The receiver's whole check (size → signature → JSON → type → schema), run here on our own signature: the
 * verdict is the server's for everything but the secret itself, which only the server can judge.
 */
function localDiagnostics(body: string, secret: string, now: Date): Diagnostic[] {
  const parsed = parseWebhook(body, signWebhook(body, secret, 'local-check', now), secret, now);
  return parsed.ok ? [] : parsed.diagnostics;
}

/** The answer to one POST: the HTTP status (or ERR when there was none) and, unless 202, why. */
async function post(url: string, body: string, secret: string, now: Date): Promise<{ status: string; detail: string }> {
  // A fresh webhook-id per message; the timestamp is signed right before sending (5-minute tolerance).
  const headers = { 'content-type': 'application/json', ...signWebhook(body, secret, `msg_${randomUUID()}`, now) };
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout, a refused port) is in its cause.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (e as Error).message;
    return { status: 'ERR', detail: `cannot reach ${url}: ${reason} (is npm start running?)` };
  }
  const status = String(res.status);
  const text = await res.text();
  if (res.status === 202) {
    // Accepted; warnings (e.g. VG508, a userId no Redshift user can have) are shown, not treated as failures.
    const warnings = (JSON.parse(text) as { warnings?: Diagnostic[] }).warnings;
    return { status, detail: warnings?.length ? describe(warnings) : '' };
  }
  try {
    const answer = JSON.parse(text) as { error?: unknown; diagnostics?: unknown };
    if (Array.isArray(answer.diagnostics) && answer.diagnostics.length > 0)
      return { status, detail: describe(answer.diagnostics as Diagnostic[]) };
    return { status, detail: String(answer.error ?? text) };
  } catch {
    // Not our server's JSON answer: show a bounded piece of what came back.
    return { status, detail: text.slice(0, 200) };
  }
}

async function run(argv: string[], io: SendIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        secret: { type: 'string' },
        example: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(SEND_USAGE);
    return EXIT.accepted;
  }
  if (values.example !== undefined) {
    if (positionals.length > 0) throw new UsageError('--example takes no input file');
    if (!isEventType(values.example))
      throw new UsageError(`unknown event type ${JSON.stringify(values.example)}; one of: ${EVENT_TYPES.join(', ')}`);
    io.out(JSON.stringify(EVENT_EXAMPLES[values.example], null, 2));
    return EXIT.accepted;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one input: a file name, or - for standard input');

  const url = checkUrl(values.url ?? defaultUrl(io.env));
  const secret = checkSecret(values.secret ?? io.env.WEBHOOK_SECRET, io.now());
  const input = positionals[0]!;
  let text: string;
  try {
    text = input === '-' ? await io.readStdin() : await readFile(input, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const read = readEvents(text, input === '-' ? 'standard input' : input);
  if ('problem' in read) {
    io.out(`invalid ${read.problem}`);
    return EXIT.notAccepted;
  }

  // Compact JSON: these exact bytes are validated, signed and sent.
  const bodies = read.events.map((event) => JSON.stringify(event));
  // In an array, an event's JSON path in the input prefixes its line.
  const label = (i: number): string => (read.many ? `[${i}] ` : '');
  let invalid = 0;
  bodies.forEach((body, i) => {
    const diagnostics = localDiagnostics(body, secret, io.now());
    if (diagnostics.length === 0) return;
    invalid++;
    io.out(`invalid ${label(i)}${eventId(read.events[i])}: ${describe(diagnostics)}`);
  });
  if (invalid > 0) {
    io.out(`nothing sent: ${invalid} of ${bodies.length} event(s) invalid`);
    return EXIT.notAccepted;
  }

  let accepted = 0;
  // In input order, one at a time: a later event may depend on an earlier one (e.g. a policy on its data source).
  for (const [i, body] of bodies.entries()) {
    const { status, detail } = await post(url, body, secret, io.now());
    if (status === '202') accepted++;
    io.out(`${status} ${label(i)}${eventId(read.events[i])}${detail ? `: ${detail}` : ''}`);
  }
  return accepted === bodies.length ? EXIT.accepted : EXIT.notAccepted;
}

/** The command: returns the exit code; usage problems go to `io.err`. */
export async function runSend(argv: string[], io: SendIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`send: ${e.message} (usage: npm run send -- --help)`);
    return EXIT.usage;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSend(process.argv.slice(2), {
    env: process.env,
    readStdin,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    now: () => new Date(),
  }).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(`send: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = EXIT.usage;
    },
  );
}
