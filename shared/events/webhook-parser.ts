// From raw HTTP request to a validated event, in the order that keeps unauthenticated input cheap and
// harmless: size (413) → signature and timestamp on the raw bytes (401) → JSON (400) → type (400) →
// schema (400). Nothing is trusted before the signature matches, and nothing is parsed before that.
import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { issuesToDiagnostics } from '../diagnostics/zod-issues.js';
import { CloudEventEnvelopeSchema } from './cloud-event-envelope.js';
import { EVENT_SCHEMAS, isEventType, type WebhookEvent } from './event-types.js';
import { verifyWebhookSignature } from './webhook-signature.js';

/**
 * Largest accepted body by default: 200 KiB. EventBridge takes entries below 256 KiB (Source + DetailType +
 * Detail, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html); the margin covers
 * defaults that validation fills in, and ingest re-checks the normalised entry (bus-entry.ts) anyway.
 */
export const MAX_WEBHOOK_BODY_BYTES = 200 * 1024;

/** A deployment may lower the limit, never raise it past what the bus could ever take. */
export const MAX_CONFIGURABLE_BODY_BYTES = 240 * 1024;

export interface ParseWebhookOptions {
  /** Defaults to MAX_WEBHOOK_BODY_BYTES; must be 1..MAX_CONFIGURABLE_BODY_BYTES. */
  maxBodyBytes?: number;
}

export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

export type ParseWebhookResult =
  | { ok: true; event: WebhookEvent; webhookId: string }
  | { ok: false; status: 400 | 401 | 413; diagnostics: Diagnostic[] };

const reject = (status: 400 | 401 | 413, diagnostics: Diagnostic[]): ParseWebhookResult => ({
  ok: false,
  status,
  diagnostics,
});

/** HTTP header names are case-insensitive; API Gateway passes them as the sender spelled them. */
export function lowerCaseHeaders(headers: WebhookHeaders | null | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

const schemaDiagnostics = (error: z.ZodError): Diagnostic[] => issuesToDiagnostics('VG504', error, { root: '(body)' });

/**
 * Verify and parse one webhook. `rawBody` is the body exactly as received (a string is taken as its UTF-8
 * bytes); `now` is the receiver's clock for the timestamp tolerance.
 */
export function parseWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  now: Date,
  options: ParseWebhookOptions = {},
): ParseWebhookResult {
  const limit = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CONFIGURABLE_BODY_BYTES) {
    throw new Error(`maxBodyBytes must be an integer from 1 to ${MAX_CONFIGURABLE_BODY_BYTES}`);
  }
  const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  if (bytes.byteLength > limit) {
    return reject(413, [diagnostic('VG506', `body is ${bytes.byteLength} bytes; the limit is ${limit}`)]);
  }

  const h = lowerCaseHeaders(headers);
  const signature = verifyWebhookSignature(bytes, h, secret, now);
  if (!signature.ok)
    return reject(401, [diagnostic(signature.reason === 'timestamp' ? 'VG502' : 'VG501', signature.summary)]);

  if (!isUtf8(bytes)) return reject(400, [diagnostic('VG503', 'body is not UTF-8 text')]);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return reject(400, [diagnostic('VG503', `body is not JSON: ${(e as Error).message}`)]);
  }

  const type =
    json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && isEventType(type)) {
    const event = EVENT_SCHEMAS[type].safeParse(json);
    if (!event.success) return reject(400, schemaDiagnostics(event.error));
    return { ok: true, event: event.data as WebhookEvent, webhookId: h['webhook-id']! };
  }
  // An unknown type is its own answer: the sender speaks a contract version (or a product) we do not know.
  if (typeof type === 'string' && type !== '') {
    return reject(400, [diagnostic('VG505', `unknown event type ${JSON.stringify(type.slice(0, 100))}`, ['type'])]);
  }
  // No usable type: report every envelope problem, the missing or invalid type among them.
  const envelope = CloudEventEnvelopeSchema.safeParse(json);
  return reject(
    400,
    envelope.success ? [diagnostic('VG504', 'type: expected a string', ['type'])] : schemaDiagnostics(envelope.error),
  );
}
