// docs/events.md is part of the contract: its examples must be the real, valid examples and its worked
// signature example must be reproducible, or a sender following the page would fail.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../shared/diagnostics/codes.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { MAX_WEBHOOK_BODY_BYTES, parseWebhook } from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { EVENT_TYPES } from '../../shared/routing/routing-table.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'events.md'), 'utf8');

describe('docs/events.md', () => {
  it('shows, under a heading per type, exactly the example events, and each one is accepted', () => {
    const shown = [...doc.matchAll(/^### `([a-z.]+)`\n\n```json\n([\s\S]*?)\n```/gm)].map(
      (m) => [m[1]!, JSON.parse(m[2]!)] as const,
    );
    expect(shown.map(([t]) => t)).toEqual([...EVENT_TYPES]);
    const secret = `whsec_${Buffer.from('doc-test-key-0123456789abcdef012').toString('base64')}`;
    const now = new Date();
    for (const [type, example] of shown) {
      expect(example, type).toEqual(EVENT_EXAMPLES[type as keyof typeof EVENT_EXAMPLES]);
      const body = JSON.stringify(example);
      expect(parseWebhook(body, signWebhook(body, secret, 'm', now), secret, now).ok, type).toBe(true);
    }
  });

  it('has a worked signature example that reproduces and verifies', () => {
    const field = (name: string) => doc.match(new RegExp(`^${name}:\\s+(\\S+)`, 'm'))?.[1];
    const secret = field('secret')!;
    const id = field('webhook-id')!;
    const timestamp = Number(field('webhook-timestamp'));
    const body = doc.match(/^body \((\d+) bytes\):\s+(\S.*)$/m)!;
    const signature = field('webhook-signature')!;
    expect(Buffer.byteLength(body[2]!)).toBe(Number(body[1]));
    const at = new Date(timestamp * 1000);
    expect(signWebhook(body[2]!, secret, id, at)['webhook-signature']).toBe(signature);
    const parsed = parseWebhook(
      body[2]!,
      { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
      secret,
      at,
    );
    expect(parsed.ok).toBe(true);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64').toString()).toBe('viewguard-example-signing-key!!!');
  });

  it('documents every webhook code and the body limit that is enforced', () => {
    for (const code of Object.keys(DIAGNOSTIC_CODES).filter((c) => /^VG50[1-7]$/.test(c)))
      expect(doc).toContain(`| ${code} |`);
    expect(doc).toContain(`${MAX_WEBHOOK_BODY_BYTES.toLocaleString('en-US')} bytes`);
  });
});
