import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import {
  MAX_CONFIGURABLE_BODY_BYTES,
  MAX_WEBHOOK_BODY_BYTES,
  parseWebhook,
  type ParseWebhookResult,
} from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import { EVENT_TYPES } from '../../shared/routing/routing-table.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');

/** Sign `body` as a sender would and parse it as the receiver does. */
function roundTrip(
  body: string | Uint8Array,
  mutateHeaders: (h: Record<string, string>) => Record<string, string> = (h) => h,
): ParseWebhookResult {
  const headers = mutateHeaders({ ...signWebhook(body, secret, 'msg_1', now) });
  return parseWebhook(body, headers, secret, now);
}
const json = (v: unknown) => JSON.stringify(v);
const clone = <T>(v: T): T => structuredClone(v) as T;

function failure(r: ParseWebhookResult) {
  if (r.ok) throw new Error('expected a rejection');
  return {
    status: r.status,
    codes: r.diagnostics.map((d) => d.code),
    paths: r.diagnostics.map((d) => d.path),
    summaries: r.diagnostics.map((d) => d.summary),
  };
}

describe('parseWebhook accepts', () => {
  it.each(EVENT_TYPES.map((t) => [t]))('the %s example', (type) => {
    const r = roundTrip(json(EVENT_EXAMPLES[type]));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.type).toBe(type);
      expect(r.event.subject).toBe(EVENT_EXAMPLES[type].subject);
      expect(r.webhookId).toBe('msg_1');
    }
  });

  it('header names in any case (API Gateway passes them as sent)', () => {
    const r = roundTrip(json(EVENT_EXAMPLES['user.updated']), (h) => ({
      'Webhook-Id': h['webhook-id']!,
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp']!,
      'Webhook-Signature': h['webhook-signature']!,
    }));
    expect(r.ok).toBe(true);
  });

  it('fills defaults and drops attributes the contract does not know, so only validated fields travel on', () => {
    const e = {
      ...clone(EVENT_EXAMPLES['user.updated']),
      traceparent: 'x',
      data: { user: { userId: 'alice', version: 1, extra: 1 } },
    };
    const r = roundTrip(json(e));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).not.toHaveProperty('traceparent');
    expect(r.event.data).toEqual({
      user: {
        userId: 'alice',
        version: 1,
        groups: [],
        attributes: {},
        projects: [],
        currentProject: null,
        purposes: [],
        dataSources: [],
      },
    });
  });
});

describe('parseWebhook rejects', () => {
  const body = json(EVENT_EXAMPLES['policy.created']);

  it('a bad signature with 401 VG501', () => {
    const r = roundTrip(body, (h) => ({
      ...h,
      'webhook-signature': signWebhook(body, `whsec_${randomBytes(32).toString('base64')}`, 'msg_1', now)[
        'webhook-signature'
      ],
    }));
    expect(failure(r)).toMatchObject({ status: 401, codes: ['VG501'] });
  });

  it('a stale timestamp with 401 VG502, before looking at the body', () => {
    const old = new Date(now.getTime() - 301_000);
    const r = parseWebhook('not json at all', signWebhook('not json at all', secret, 'msg_1', old), secret, now);
    expect(failure(r)).toMatchObject({ status: 401, codes: ['VG502'] });
  });

  it('an unsigned body that is malformed JSON with 401, not 400 (nothing is parsed before the signature)', () => {
    const r = parseWebhook(
      '{',
      { 'webhook-id': 'x', 'webhook-timestamp': String(now.getTime() / 1000), 'webhook-signature': 'v1,AAAA' },
      secret,
      now,
    );
    expect(failure(r)).toMatchObject({ status: 401, codes: ['VG501'] });
  });

  it('valid JSON that was re-serialised after signing with 401 VG501', () => {
    const headers = signWebhook(body, secret, 'msg_1', now);
    const reformatted = JSON.stringify(JSON.parse(body), null, 1);
    expect(failure(parseWebhook(reformatted, headers, secret, now))).toMatchObject({ status: 401, codes: ['VG501'] });
  });

  it.each([['{"specversion":'], [''], ['{"a":1}{"b":2}'], ['\uFEFF{}']])('malformed JSON %j with 400 VG503', (text) => {
    expect(failure(roundTrip(text))).toMatchObject({ status: 400, codes: ['VG503'] });
  });

  it('a body that is not UTF-8 with 400 VG503', () => {
    const bad = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect(failure(roundTrip(bad))).toMatchObject({ status: 400, codes: ['VG503'], summaries: [/UTF-8/] });
  });

  it('an unknown type with 400 VG505', () => {
    const r = roundTrip(json({ ...EVENT_EXAMPLES['policy.created'], type: 'policy.archived' }));
    expect(failure(r)).toMatchObject({ status: 400, codes: ['VG505'], paths: [['type']] });
  });

  it('a body over the limit with 413 VG506, and takes one of exactly the limit past the size check', () => {
    const padded = (n: number) => {
      const base = json({ ...EVENT_EXAMPLES['user.deleted'], pad: '' });
      return base.replace('"pad":""', `"pad":"${'x'.repeat(n - Buffer.byteLength(base))}"`);
    };
    expect(Buffer.byteLength(padded(MAX_WEBHOOK_BODY_BYTES))).toBe(MAX_WEBHOOK_BODY_BYTES);
    expect(roundTrip(padded(MAX_WEBHOOK_BODY_BYTES)).ok).toBe(true);
    expect(failure(roundTrip(padded(MAX_WEBHOOK_BODY_BYTES + 1)))).toMatchObject({ status: 413, codes: ['VG506'] });
  });

  it('takes a lower configured limit and refuses one the bus could not take', () => {
    const body = json(EVENT_EXAMPLES['user.deleted']);
    const headers = signWebhook(body, secret, 'msg_1', now);
    const size = Buffer.byteLength(body);
    expect(parseWebhook(body, headers, secret, now, { maxBodyBytes: size }).ok).toBe(true);
    expect(failure(parseWebhook(body, headers, secret, now, { maxBodyBytes: size - 1 }))).toMatchObject({
      status: 413,
      codes: ['VG506'],
    });
    expect(MAX_WEBHOOK_BODY_BYTES).toBeLessThanOrEqual(MAX_CONFIGURABLE_BODY_BYTES);
    expect(MAX_CONFIGURABLE_BODY_BYTES).toBeLessThan(256 * 1024);
    expect(() => parseWebhook(body, headers, secret, now, { maxBodyBytes: 256 * 1024 })).toThrow(/maxBodyBytes/);
    expect(() => parseWebhook(body, headers, secret, now, { maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
  });

  it('counts the limit in bytes, not characters', () => {
    const chars = Math.floor(MAX_WEBHOOK_BODY_BYTES / 3) + 1; // 3-byte characters
    expect(failure(roundTrip(json({ x: '€'.repeat(chars) })))).toMatchObject({ status: 413, codes: ['VG506'] });
  });

  it('a missing or non-string type with 400 VG504 on "type"', () => {
    const { type: _t, ...noType } = EVENT_EXAMPLES['policy.created'];
    expect(failure(roundTrip(json(noType)))).toMatchObject({ status: 400, codes: ['VG504'], paths: [['type']] });
    expect(failure(roundTrip(json({ ...noType, type: 7 })))).toMatchObject({
      status: 400,
      codes: ['VG504'],
      paths: [['type']],
    });
    expect(failure(roundTrip(json([1, 2])))).toMatchObject({ status: 400 });
  });

  it('each schema violation as its own VG504 with the JSON path of the field', () => {
    const e = clone(EVENT_EXAMPLES['datasource.created']) as any;
    e.specversion = '0.3';
    e.time = 'yesterday';
    e.data.dataSource.version = -1;
    e.data.dataSource.columns[1].type = 'geometry';
    e.data.dataSource.columns[2].name = 'order_id';
    const r = failure(roundTrip(json(e)));
    expect(r.status).toBe(400);
    expect(r.codes.every((c) => c === 'VG504')).toBe(true);
    expect(r.paths).toEqual(
      expect.arrayContaining([
        ['specversion'],
        ['time'],
        ['data', 'dataSource', 'version'],
        ['data', 'dataSource', 'columns', 1, 'type'],
      ]),
    );
    expect(r.summaries).toEqual(
      expect.arrayContaining([expect.stringMatching(/^data\.dataSource\.columns\[1\]\.type: /)]),
    );
  });

  it('a policy whose nested union is wrong, naming the nested path', () => {
    const e = clone(EVENT_EXAMPLES['policy.created']) as any;
    e.data.policy.condition = { kind: 'everyoneExcept', except: { groups: [] } };
    const r = failure(roundTrip(json(e)));
    expect(r).toMatchObject({ status: 400, codes: ['VG504'] });
    expect(r.paths[0]!.slice(0, 4)).toEqual(['data', 'policy', 'condition', 'except']);
  });

  it.each([
    ['datasource.updated', 'ds-other'],
    ['datasource.deleted', 'ds-other'],
    ['policy.updated', 'pol-other'],
    ['policy.deleted', 'pol-other'],
    ['user.updated', 'bob'],
    ['user.deleted', 'bob'],
  ] as const)('%s whose subject is not the object id, on "subject"', (type, subject) => {
    const r = failure(roundTrip(json({ ...EVENT_EXAMPLES[type], subject })));
    expect(r).toMatchObject({ status: 400, codes: ['VG504'], paths: [['subject']] });
  });

  it('a data-less event, a datacontenttype other than JSON, a fractional version', () => {
    const { data: _d, ...noData } = EVENT_EXAMPLES['user.deleted'];
    expect(failure(roundTrip(json(noData)))).toMatchObject({ status: 400, paths: [['data']] });
    expect(failure(roundTrip(json({ ...EVENT_EXAMPLES['user.deleted'], datacontenttype: 'text/xml' })))).toMatchObject({
      paths: [['datacontenttype']],
    });
    const frac = { ...EVENT_EXAMPLES['user.deleted'], data: { userId: 'alice', version: 1.5 } };
    expect(failure(roundTrip(json(frac)))).toMatchObject({ paths: [['data', 'version']] });
  });
});
