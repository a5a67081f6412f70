// Immuta signs each webhook delivery with an HMAC over a shared secret and sends it in
// `x-immuta-webhook-signature-sha256` (SHA-256; the older SHA-1 header `x-immuta-webhook-signature` is being
// retired and is never accepted here). Immuta's public pages name the header, the algorithm and the shared
// secret but not the exact input or encoding (docs/immuta.md "Notice signature"), so this module:
//   - computes HMAC-SHA256 with the secret's UTF-8 bytes as the key over the RAW body bytes exactly as
//     received (never a re-serialisation of the JSON);
//   - accepts the header as hex (either case) or base64 / base64url, with or without a `sha256=` prefix
//     (`encoding: 'auto'`), or only one of them when a deployment pins it;
//   - compares the decoded 32-byte digests in constant time; anything that does not decode to 32 bytes is a
//     mismatch, never an exception.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-immuta-webhook-signature-sha256';
/** Retired by Immuta (SHA-1); deliberately ignored even when present. */
export const RETIRED_SHA1_HEADER = 'x-immuta-webhook-signature';

export type SignatureEncoding = 'auto' | 'hex' | 'base64';

const DIGEST_BYTES = 32;

export function immutaSignatureDigest(rawBody: Uint8Array, secret: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest();
}

/** The header value a sender attaches (the fake Immuta signs this way: lowercase hex, no prefix). */
export function signImmutaNotice(
  rawBody: string | Uint8Array,
  secret: string,
  encoding: 'hex' | 'base64' = 'hex',
): string {
  const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return immutaSignatureDigest(bytes, secret).toString(encoding);
}

/** The digest bytes a header value stands for under `encoding`, or null when it is not one. */
function decodeSignature(value: string, encoding: SignatureEncoding): Buffer | null {
  const v = value.trim().replace(/^sha256=/i, '');
  if ((encoding === 'auto' || encoding === 'hex') && /^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (encoding === 'auto' || encoding === 'base64') {
    // 32 bytes are 43 base64 characters plus one "=" of padding; base64url uses - and _ and may drop the "=".
    if (/^[A-Za-z0-9+/]{43}=?$/.test(v) || /^[A-Za-z0-9_-]{43}=?$/.test(v)) {
      const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      return bytes.length === DIGEST_BYTES ? bytes : null;
    }
  }
  return null;
}

export type NoticeSignatureCheck = { ok: true } | { ok: false; summary: string };

/**
 * Check the SHA-256 signature header against the raw body. `headers` must have lower-case names. A header
 * repeated by a proxy arrives joined with ", "; every candidate is compared (at most 4), with no early exit.
 */
export function verifyImmutaSignature(
  rawBody: Uint8Array,
  headers: Readonly<Record<string, string | undefined>>,
  secret: string,
  encoding: SignatureEncoding = 'auto',
): NoticeSignatureCheck {
  if (secret === '') throw new Error('the Immuta notice signing secret is empty');
  const header = headers[SIGNATURE_HEADER];
  if (header === undefined || header.trim() === '') {
    return { ok: false, summary: `${SIGNATURE_HEADER} header is missing` };
  }
  const expected = immutaSignatureDigest(rawBody, secret);
  let matched = false;
  for (const candidate of header.split(',').slice(0, 4)) {
    const given = decodeSignature(candidate, encoding);
    if (given !== null && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, summary: `${SIGNATURE_HEADER} does not match the body` };
}
