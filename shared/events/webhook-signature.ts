// Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${raw body}` with the shared secret ("whsec_" + base64), sent as
// `webhook-signature: v1,<base64>` (several space-separated signatures are allowed, e.g. during rotation).
//
// The `standardwebhooks` package computes the HMAC (Webhook#sign). We do not call its verify(): it reads
// Date.now() (the tolerance window could not be tested or injected) and parseInt accepts "123abc". Its
// compare is constant-time (an XOR loop; it returns early only when lengths differ), and so is
// node:crypto timingSafeEqual, which we use behind the same length check.
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Signatures older or newer than this (seconds) are rejected; the spec's and the package's 5 minutes. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

// A type alias, not an interface, so it can be passed wherever a header record is expected.
export type WebhookSignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export type SignatureCheck = { ok: true } | { ok: false; reason: 'signature' | 'timestamp'; summary: string };

function webhookFor(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    // The package's message could one day echo the input; ours names only what is wrong.
    throw new Error('webhook signing secret is not a Standard Webhooks secret ("whsec_" followed by base64)');
  }
}

const unixSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** Headers a sender attaches to `body` (the exact bytes it will POST). */
export function signWebhook(
  body: string | Uint8Array,
  secret: string,
  id: string,
  timestamp: Date,
): WebhookSignatureHeaders {
  const signature = webhookFor(secret).sign(id, timestamp, typeof body === 'string' ? body : Buffer.from(body));
  return { 'webhook-id': id, 'webhook-timestamp': String(unixSeconds(timestamp)), 'webhook-signature': signature };
}

/**
 * Check the signature headers against the raw body as received (never a re-serialisation of it).
 * `headers` must already have lower-case names.
 */
export function verifyWebhookSignature(
  rawBody: Uint8Array,
  headers: Readonly<Record<string, string | undefined>>,
  secret: string,
  now: Date,
): SignatureCheck {
  const wh = webhookFor(secret);
  const id = headers['webhook-id'];
  const timestampHeader = headers['webhook-timestamp'];
  const signatureHeader = headers['webhook-signature'];
  if (!timestampHeader) return { ok: false, reason: 'timestamp', summary: 'webhook-timestamp header is missing' };
  if (!/^\d{1,15}$/.test(timestampHeader)) {
    return { ok: false, reason: 'timestamp', summary: 'webhook-timestamp is not a number of seconds since the epoch' };
  }
  const timestamp = Number(timestampHeader);
  const skew = unixSeconds(now) - timestamp;
  if (skew > TIMESTAMP_TOLERANCE_SECONDS)
    return { ok: false, reason: 'timestamp', summary: 'webhook-timestamp is more than 5 minutes old' };
  if (-skew > TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'timestamp', summary: 'webhook-timestamp is more than 5 minutes in the future' };
  }
  if (!id) return { ok: false, reason: 'signature', summary: 'webhook-id header is missing' };
  if (!signatureHeader) return { ok: false, reason: 'signature', summary: 'webhook-signature header is missing' };

  // The package turns a Buffer into a string with UTF-8 decoding before signing, exactly as a sender that
  // signs its JSON text does; a body that is not valid UTF-8 is rejected later as malformed.
  const expected = Buffer.from(wh.sign(id, new Date(timestamp * 1000), Buffer.from(rawBody)).split(',')[1]!, 'utf8');
  // Bounded so a header stuffed with candidates cannot make us compare forever.
  const candidates = signatureHeader.split(' ').slice(0, 16);
  let matched = false;
  for (const candidate of candidates) {
    const [version, signature] = candidate.split(',');
    if (version !== 'v1' || signature === undefined) continue;
    const given = Buffer.from(signature, 'utf8');
    // No early exit on a match: every candidate costs the same whatever it holds.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'signature', summary: 'no webhook-signature matches the body' };
}
