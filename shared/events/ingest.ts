// The ingest step, free of AWS and HTTP frameworks so the Lambda and the local server run the same code:
// raw request in → verified, validated event on the bus → the HTTP answer out. An event is acknowledged
// (202) only after the bus accepted it; anything the bus did not take is a 5xx so the sender retries
// (the same webhook-id and body make the retry harmless downstream).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { EventBus } from '../ports/event-bus.js';
import type { SecretStore } from '../ports/secret-store.js';
import { busEntrySize, MAX_BUS_ENTRY_BYTES, toBusEntry } from './bus-entry.js';
import type { WebhookEvent } from './event-types.js';
import { userNameWarnings } from '../policy/user-name.js';
import { parseWebhook, type WebhookHeaders } from './webhook-parser.js';

/** Default name of the signing secret in the secret store (the stack and the local wiring may override it). */
export const WEBHOOK_SECRET_NAME = 'viewguard/webhook-signing-secret';

export interface IngestRequest {
  /** The body as the HTTP layer delivered it: text, or base64 when `isBase64Encoded`. */
  body: string | null | undefined;
  isBase64Encoded?: boolean;
  headers: WebhookHeaders | null | undefined;
}

export interface IngestDeps {
  bus: EventBus;
  secrets: SecretStore;
  now: () => Date;
  secretName?: string;
  /** Body limit; see MAX_WEBHOOK_BODY_BYTES. */
  maxBodyBytes?: number;
}

export type IngestResponseBody = { id: string; warnings?: Diagnostic[] } | { error: string; diagnostics: Diagnostic[] };

export interface IngestOutcome {
  status: 202 | 400 | 401 | 413 | 500 | 503;
  body: IngestResponseBody;
  /** For the caller's logs and metrics, never for the HTTP answer. */
  event?: WebhookEvent;
  diagnostics: Diagnostic[];
  /** The infrastructure failure behind a 5xx, for the caller's logs. */
  cause?: unknown;
}

const rejected = (status: 400 | 401 | 413, diagnostics: Diagnostic[]): IngestOutcome => ({
  status,
  body: { error: 'webhook rejected; do not retry it unchanged', diagnostics },
  diagnostics,
});

export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestOutcome> {
  const raw = request.isBase64Encoded
    ? Buffer.from(request.body ?? '', 'base64')
    : Buffer.from(request.body ?? '', 'utf8');

  let secret: string;
  try {
    secret = await deps.secrets.get(deps.secretName ?? WEBHOOK_SECRET_NAME);
  } catch (cause) {
    return {
      status: 500,
      body: { error: 'signing secret unavailable; retry later', diagnostics: [] },
      diagnostics: [],
      cause,
    };
  }

  let parsed;
  try {
    parsed = parseWebhook(raw, request.headers ?? {}, secret, deps.now(), { maxBodyBytes: deps.maxBodyBytes });
  } catch (cause) {
    // Only a misconfigured secret or limit gets here; the error names the problem, never the secret.
    return {
      status: 500,
      body: { error: 'webhook verification failed on our side; retry later', diagnostics: [] },
      diagnostics: [],
      cause,
    };
  }
  if (!parsed.ok) return rejected(parsed.status, parsed.diagnostics);

  const { event } = parsed;
  const entry = toBusEntry(event);
  const size = busEntrySize(entry);
  if (size >= MAX_BUS_ENTRY_BYTES) {
    // Defaults filled in by validation can make a body near the limit grow past what the bus accepts.
    return rejected(413, [
      diagnostic('VG506', `the validated event is ${size} bytes; the event bus takes less than ${MAX_BUS_ENTRY_BYTES}`),
    ]);
  }

  try {
    const result = await deps.bus.put([entry]);
    if (result.failed.length > 0) {
      const f = result.failed[0]!;
      const diagnostics = [diagnostic('VG507', `event bus rejected the event (${f.code}); retry later`)];
      return {
        status: 503,
        body: { error: 'event not accepted; retry later', diagnostics },
        event,
        diagnostics,
        cause: f,
      };
    }
  } catch (cause) {
    const diagnostics = [diagnostic('VG507', 'event bus unavailable; retry later')];
    return { status: 503, body: { error: 'event not accepted; retry later', diagnostics }, event, diagnostics, cause };
  }
  // Accepted, but a user name that no Redshift session can have would make the profile match nobody: say so.
  const warnings = acceptedWarnings(event);
  return {
    status: 202,
    body: warnings.length ? { id: event.id, warnings } : { id: event.id },
    event,
    diagnostics: warnings,
  };
}

/** Warnings about a valid event (VG508: a userId that can never be a Redshift current_user). */
export function acceptedWarnings(event: WebhookEvent): Diagnostic[] {
  if (event.type === 'user.updated') return userNameWarnings(event.data.user.userId, ['data', 'user', 'userId']);
  if (event.type === 'user.deleted') return userNameWarnings(event.data.userId, ['data', 'userId']);
  return [];
}
