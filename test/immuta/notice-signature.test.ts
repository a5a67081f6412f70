// The receiver's HMAC check over the raw body: what a sender with the shared secret produces is accepted in every
// encoding Immuta might use (hex, base64, base64url, with or without "sha256="); anything else — another
// secret, another body, a truncated or padded digest, the retired SHA-1 header, garbage — is refused, never thrown.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RETIRED_SHA1_HEADER,
  SIGNATURE_HEADER,
  signImmutaNotice,
  verifyImmutaSignature,
} from '../../shared/immuta/notice-signature.js';

const SECRET = 'shared-secret-typed-into-immuta';
const BODY = Buffer.from('{"text":"Alice has updated the data source Orders.","attachments":[{"text":"…"}]}', 'utf8');
const h = (value: string) => ({ [SIGNATURE_HEADER]: value });

describe('Immuta notice signature', () => {
  it(
    'is HMAC-SHA256 with the secret’s UTF-8 bytes as key over ' + 'the raw body (checked against node:crypto directly)',
    () => {
      const independent = createHmac('sha256', 'shared-secret-typed-into-immuta').update(BODY).digest('hex');
      expect(signImmutaNotice(BODY, SECRET)).toBe(independent);
      expect(verifyImmutaSignature(BODY, h(independent), SECRET)).toEqual({ ok: true });
    },
  );

  it('accepts the digest as hex (either case), base64 and base64url, with or without a sha256= prefix', () => {
    const digest = createHmac('sha256', SECRET).update(BODY).digest();
    const forms = [
      digest.toString('hex'),
      digest.toString('hex').toUpperCase(),
      digest.toString('base64'),
      digest.toString('base64url'),
      `sha256=${digest.toString('hex')}`,
      `SHA256=${digest.toString('base64')}`,
      ` ${digest.toString('hex')} `,
    ];
    for (const f of forms) expect(verifyImmutaSignature(BODY, h(f), SECRET), f).toEqual({ ok: true });
  });

  it('a deployment can pin the encoding: hex only refuses base64, base64 only refuses hex', () => {
    const digest = createHmac('sha256', SECRET).update(BODY).digest();
    expect(verifyImmutaSignature(BODY, h(digest.toString('base64')), SECRET, 'hex').ok).toBe(false);
    expect(verifyImmutaSignature(BODY, h(digest.toString('hex')), SECRET, 'base64').ok).toBe(false);
    expect(verifyImmutaSignature(BODY, h(digest.toString('hex')), SECRET, 'hex').ok).toBe(true);
  });

  it('refuses a missing header, the retired SHA-1 header alone, another secret, another body', () => {
    const sha1 = createHmac('sha1', SECRET).update(BODY).digest('hex');
    expect(verifyImmutaSignature(BODY, {}, SECRET)).toEqual({
      ok: false,
      summary: `${SIGNATURE_HEADER} header is missing`,
    });
    expect(verifyImmutaSignature(BODY, { [RETIRED_SHA1_HEADER]: sha1 }, SECRET).ok).toBe(false);
    expect(verifyImmutaSignature(BODY, h(signImmutaNotice(BODY, 'another-secret')), SECRET).ok).toBe(false);
    expect(
      verifyImmutaSignature(Buffer.concat([BODY, Buffer.from(' ')]), h(signImmutaNotice(BODY, SECRET)), SECRET).ok,
    ).toBe(false);
  });

  it('one matching candidate among several (a proxy joined repeated headers) is enough', () => {
    const good = signImmutaNotice(BODY, SECRET);
    expect(verifyImmutaSignature(BODY, h(`${'0'.repeat(64)}, ${good}`), SECRET).ok).toBe(true);
  });

  it('never throws and never accepts a header that is not the digest (property, 500 runs)', () => {
    const good = signImmutaNotice(BODY, SECRET);
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (value) => {
        const r = verifyImmutaSignature(BODY, h(value), SECRET);
        // Only the true digest, in one of its encodings, may pass.
        const digest = Buffer.from(good, 'hex');
        const v = value.trim().replace(/^sha256=/i, '');
        const isDigest =
          [
            digest.toString('hex'),
            digest.toString('base64'),
            digest.toString('base64url'),
            digest.toString('base64url') + '=',
          ].includes(v) || v.toLowerCase() === good;
        return (
          r.ok ===
          (isDigest ||
            value.split(',').some(
              (c) =>
                c
                  .trim()
                  .replace(/^sha256=/i, '')
                  .toLowerCase() === good,
            ))
        );
      }),
      { numRuns: 500 },
    );
  });

  it('refuses to verify with an empty secret (a misconfiguration, not a pass)', () => {
    expect(() => verifyImmutaSignature(BODY, h('x'), '')).toThrow(/empty/);
  });
});
