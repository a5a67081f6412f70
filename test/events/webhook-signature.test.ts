import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  TIMESTAMP_TOLERANCE_SECONDS,
  verifyWebhookSignature,
} from '../../shared/events/webhook-signature.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);
const body = '{"specversion":"1.0","id":"evt-1"}';
const bytes = (s: string) => Buffer.from(s, 'utf8');
const atOffset = (seconds: number) => new Date((nowSeconds + seconds) * 1000);

describe('signWebhook', () => {
  it('is HMAC-SHA256 of "id.timestamp.body" keyed by the base64-decoded secret (the Standard Webhooks scheme)', () => {
    const headers = signWebhook(body, secret, 'msg_1', now);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`msg_1.${nowSeconds}.${body}`).digest('base64');
    expect(headers).toEqual({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(nowSeconds),
      'webhook-signature': `v1,${expected}`,
    });
  });

  it('accepts a bare base64 secret (no whsec_ prefix) as the same key', () => {
    const bare = secret.slice('whsec_'.length);
    expect(signWebhook(body, bare, 'm', now)).toEqual(signWebhook(body, secret, 'm', now));
    expect(verifyWebhookSignature(bytes(body), signWebhook(body, secret, 'm', now), bare, now)).toEqual({ ok: true });
  });

  it('signs bytes and text alike', () => {
    expect(signWebhook(bytes(body), secret, 'm', now)).toEqual(signWebhook(body, secret, 'm', now));
  });

  it('rejects a malformed secret without echoing it', () => {
    const bad = 'whsec_!!!not-base64-secret-value!!!';
    let message = '';
    try {
      signWebhook(body, bad, 'm', now);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not a Standard Webhooks secret/);
    expect(message).not.toContain('not-base64-secret-value');
  });
});

describe('verifyWebhookSignature', () => {
  const signed = (b: string, at = now, s = secret, id = 'msg_1') => signWebhook(b, s, id, at);

  it('accepts the sender’s signature over the exact bytes', () => {
    expect(verifyWebhookSignature(bytes(body), signed(body), secret, now)).toEqual({ ok: true });
  });

  it('rejects a body that is the same JSON re-serialised (the raw bytes are what is signed)', () => {
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(body));
    expect(verifyWebhookSignature(bytes(pretty), signed(body), secret, now)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('rejects another secret, another id, a flipped byte', () => {
    expect(verifyWebhookSignature(bytes(body), signed(body, now, otherSecret), secret, now)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
    expect(verifyWebhookSignature(bytes(body), { ...signed(body), 'webhook-id': 'msg_2' }, secret, now)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
    const flipped = bytes(body);
    flipped[5] ^= 1;
    expect(verifyWebhookSignature(flipped, signed(body), secret, now)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('rejects a signature for another timestamp presented with this one', () => {
    const h = signed(body, atOffset(-10));
    expect(
      verifyWebhookSignature(bytes(body), { ...h, 'webhook-timestamp': String(nowSeconds) }, secret, now),
    ).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('accepts any matching v1 signature among several and ignores other versions', () => {
    const good = signed(body)['webhook-signature'];
    const wrong = signed(body, now, otherSecret)['webhook-signature'];
    const h = { ...signed(body), 'webhook-signature': `v1a,${good.slice(3)} ${wrong} ${good}` };
    expect(verifyWebhookSignature(bytes(body), h, secret, now)).toEqual({ ok: true });
    // The right value labelled with another version is not a v1 signature.
    const relabelled = { ...signed(body), 'webhook-signature': `v1a,${good.slice(3)} ${wrong}` };
    expect(verifyWebhookSignature(bytes(body), relabelled, secret, now)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('rejects missing headers: id and signature as bad signature, timestamp as bad timestamp', () => {
    const h = signed(body);
    expect(verifyWebhookSignature(bytes(body), { ...h, 'webhook-id': undefined }, secret, now)).toMatchObject({
      reason: 'signature',
    });
    expect(verifyWebhookSignature(bytes(body), { ...h, 'webhook-signature': '' }, secret, now)).toMatchObject({
      reason: 'signature',
    });
    expect(verifyWebhookSignature(bytes(body), { ...h, 'webhook-timestamp': undefined }, secret, now)).toMatchObject({
      reason: 'timestamp',
    });
  });

  it.each(['12a', '-5', '1.5', ' 1', '0x10', ''])('rejects timestamp %j as a bad timestamp', (ts) => {
    const h = { ...signed(body), 'webhook-timestamp': ts };
    expect(verifyWebhookSignature(bytes(body), h, secret, now)).toMatchObject({ ok: false, reason: 'timestamp' });
  });

  it('tolerates exactly 5 minutes of skew either way and rejects one second more', () => {
    expect(TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    for (const offset of [-300, -1, 0, 1, 300]) {
      expect(
        verifyWebhookSignature(bytes(body), signed(body, atOffset(offset)), secret, now),
        `offset ${offset}`,
      ).toEqual({ ok: true });
    }
    expect(verifyWebhookSignature(bytes(body), signed(body, atOffset(-301)), secret, now)).toMatchObject({
      reason: 'timestamp',
      summary: /old/,
    });
    expect(verifyWebhookSignature(bytes(body), signed(body, atOffset(301)), secret, now)).toMatchObject({
      reason: 'timestamp',
      summary: /future/,
    });
  });

  it('uses the receiver clock to the second: 300.999 s old is still in the window', () => {
    const receiverNow = new Date(now.getTime() + 999);
    expect(verifyWebhookSignature(bytes(body), signed(body, atOffset(-300)), secret, receiverNow)).toEqual({
      ok: true,
    });
  });

  it('agrees with the standardwebhooks package’s own verify() on random bodies, ids and tampering', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,20}$/),
        fc.boolean(),
        (text, id, tamper) => {
          const at = new Date();
          const headers = signWebhook(text, secret, id, at);
          const received = tamper ? `${text} ` : text;
          let packageSays: boolean;
          try {
            new Webhook(secret).verify(received, headers, { jsonParse: false });
            packageSays = true;
          } catch {
            packageSays = false;
          }
          const oursSays = verifyWebhookSignature(bytes(received), headers, secret, at).ok;
          expect(oursSays).toBe(packageSays);
          expect(oursSays).toBe(!tamper);
        },
      ),
      { numRuns: 200 },
    );
  });
});
