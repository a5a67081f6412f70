import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_BUS_ENTRY_BYTES } from '../../shared/events/bus-entry.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { ingest, WEBHOOK_SECRET_NAME, type IngestDeps } from '../../shared/events/ingest.js';
import { MAX_CONFIGURABLE_BODY_BYTES, MAX_WEBHOOK_BODY_BYTES } from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';
import type { BusEntry, EventBus, PutResult } from '../../shared/ports/event-bus.js';
import type { SecretStore } from '../../shared/ports/secret-store.js';
import { EVENT_SOURCE } from '../../shared/routing/routing-table.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');

class RecordingBus implements EventBus {
  entries: BusEntry[] = [];
  constructor(private readonly answer: (e: BusEntry[]) => PutResult | Promise<PutResult> = () => ({ failed: [] })) {}
  async put(entries: BusEntry[]): Promise<PutResult> {
    const result = await this.answer(entries);
    const failed = new Set(result.failed.map((f) => f.index));
    this.entries.push(...entries.filter((_, i) => !failed.has(i)));
    return result;
  }
}

const secrets = (value = secret): SecretStore & { asked: string[] } => {
  const asked: string[] = [];
  return { asked, get: async (name) => (asked.push(name), value) };
};

function deps(over: Partial<IngestDeps> = {}): IngestDeps & { bus: RecordingBus } {
  return { bus: new RecordingBus(), secrets: secrets(), now: () => now, ...over } as IngestDeps & { bus: RecordingBus };
}

const signedRequest = (body: string, at = now) => ({ body, headers: { ...signWebhook(body, secret, 'msg_1', at) } });

describe('ingest', () => {
  it(
    'puts the validated envelope on the bus (source, ' + 'DetailType = type) and answers 202 with the event id',
    async () => {
      const d = deps();
      const body = JSON.stringify(EVENT_EXAMPLES['policy.updated']);
      const out = await ingest(signedRequest(body), d);
      expect(out.status).toBe(202);
      expect(out.body).toEqual({ id: 'evt-0005' });
      expect(d.bus.entries).toHaveLength(1);
      const [entry] = d.bus.entries;
      expect(entry!.source).toBe(EVENT_SOURCE);
      expect(entry!.detailType).toBe('policy.updated');
      expect(JSON.parse(entry!.detail)).toMatchObject(EVENT_EXAMPLES['policy.updated']);
      expect((d.secrets as ReturnType<typeof secrets>).asked).toEqual([WEBHOOK_SECRET_NAME]);
    },
  );

  it('asks the store for the configured secret name', async () => {
    const s = secrets();
    await ingest(
      signedRequest(JSON.stringify(EVENT_EXAMPLES['user.deleted'])),
      deps({ secrets: s, secretName: 'prod/hook' }),
    );
    expect(s.asked).toEqual(['prod/hook']);
  });

  it('decodes a base64-encoded body before verifying the signature over its bytes', async () => {
    const d = deps();
    const body = JSON.stringify(EVENT_EXAMPLES['user.updated']);
    const out = await ingest(
      {
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
        headers: signWebhook(body, secret, 'm', now),
      },
      d,
    );
    expect(out.status).toBe(202);
    expect(d.bus.entries).toHaveLength(1);
    // The same base64 text taken literally is not what was signed.
    const literal = await ingest(
      {
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: false,
        headers: signWebhook(body, secret, 'm', now),
      },
      deps(),
    );
    expect(literal.status).toBe(401);
  });

  it.each([
    ['bad signature', 401, 'VG501', () => ({ body: '{}', headers: { ...signWebhook('{ }', secret, 'm', now) } })],
    [
      'stale timestamp',
      401,
      'VG502',
      () => signedRequest(JSON.stringify(EVENT_EXAMPLES['user.deleted']), new Date(now.getTime() - 400_000)),
    ],
    ['malformed JSON', 400, 'VG503', () => signedRequest('{"id":')],
    [
      'schema violation',
      400,
      'VG504',
      () => signedRequest(JSON.stringify({ ...EVENT_EXAMPLES['user.deleted'], subject: 'bob' })),
    ],
    [
      'unknown type',
      400,
      'VG505',
      () => signedRequest(JSON.stringify({ ...EVENT_EXAMPLES['user.deleted'], type: 'user.renamed' })),
    ],
    ['body too large', 413, 'VG506', () => signedRequest(JSON.stringify({ pad: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) }))],
    ['no body and no headers', 401, 'VG502', () => ({ body: null, headers: {} })],
    ['a signed empty body', 400, 'VG503', () => signedRequest('')],
  ] as const)('rejects %s with %i %s and puts nothing on the bus', async (_name, status, code, request) => {
    const d = deps();
    const out = await ingest(request(), d);
    expect(out.status).toBe(status);
    expect(out.diagnostics.map((x) => x.code)).toContain(code);
    expect(out.body).toMatchObject({ diagnostics: out.diagnostics });
    expect(d.bus.entries).toEqual([]);
  });

  it('rejects with 413 an event that grows past the bus entry limit once defaults are filled in', async () => {
    // Columns without tags gain `"tags":[]` in the validated event: a body under the body limit can
    // become an entry EventBridge would refuse.
    const base = structuredClone(EVENT_EXAMPLES['datasource.created']) as any;
    const column = (i: number) => ({ name: `c${String(i).padStart(6, '0')}`, type: 'int4' });
    base.data.dataSource.columns = [];
    const emptySize = Buffer.byteLength(JSON.stringify(base));
    const perColumn = Buffer.byteLength(JSON.stringify(column(0))) + 1; // + the comma
    base.data.dataSource.columns = Array.from(
      { length: Math.floor((MAX_CONFIGURABLE_BODY_BYTES - emptySize + 1) / perColumn) },
      (_, i) => column(i),
    );
    const body = JSON.stringify(base);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_CONFIGURABLE_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_CONFIGURABLE_BODY_BYTES - perColumn);
    const d = deps();
    const out = await ingest(signedRequest(body), { ...d, maxBodyBytes: MAX_CONFIGURABLE_BODY_BYTES });
    expect(out.status).toBe(413);
    expect(out.diagnostics[0]!.summary).toMatch(String(MAX_BUS_ENTRY_BYTES));
    expect(d.bus.entries).toEqual([]);
  });

  it('answers 503 VG507 when the bus reports the entry as failed, so the sender retries', async () => {
    const d = deps({
      bus: new RecordingBus((e) => ({
        failed: e.map((_, index) => ({ index, code: 'InternalFailure', message: 'x' })),
      })),
    });
    const out = await ingest(signedRequest(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), d);
    expect(out).toMatchObject({ status: 503, diagnostics: [{ code: 'VG507' }] });
    expect(d.bus.entries).toEqual([]);
  });

  it('answers 503 VG507 when the bus throws', async () => {
    const d = deps({
      bus: new RecordingBus(() => {
        throw new Error('socket hang up');
      }),
    });
    const out = await ingest(signedRequest(JSON.stringify(EVENT_EXAMPLES['policy.deleted'])), d);
    expect(out.status).toBe(503);
    expect((out.cause as Error).message).toBe('socket hang up');
  });

  it('answers 500 when the secret cannot be read, and 500 (not 401) when it is not a valid secret', async () => {
    const failing: SecretStore = { get: async () => Promise.reject(new Error('AccessDenied')) };
    const body = JSON.stringify(EVENT_EXAMPLES['policy.deleted']);
    const d1 = deps({ secrets: failing });
    expect((await ingest(signedRequest(body), d1)).status).toBe(500);
    const d2 = deps({ secrets: secrets('whsec_***not base64***') });
    const out = await ingest(signedRequest(body), d2);
    expect(out.status).toBe(500);
    expect(JSON.stringify(out.body)).not.toContain('not base64');
    expect(String(out.cause)).not.toContain('not base64');
    expect(d1.bus.entries.length + d2.bus.entries.length).toBe(0);
  });

  it('never puts the secret in an answer', async () => {
    const requests = [
      signedRequest(JSON.stringify(EVENT_EXAMPLES['policy.updated'])),
      signedRequest('{"id":'),
      {
        body: '{}',
        headers: { 'webhook-id': 'm', 'webhook-timestamp': String(now.getTime() / 1000), 'webhook-signature': 'v1,x' },
      },
    ];
    const secretBody = secret.slice('whsec_'.length);
    for (const r of requests) {
      const out = await ingest(r, deps());
      expect(JSON.stringify(out.body)).not.toContain(secretBody);
      expect(JSON.stringify(out.diagnostics)).not.toContain(secretBody);
    }
  });
});
