// A fake Immuta tenant over HTTP, for the tests, the demo and `npm start` (IMMUTA_URL): it serves the V1 API
// endpoints the connector reads (shapes: docs/immuta.md "Endpoints the connector reads"), from fixtures written
// from Immuta's public shapes, and sends webhook notices the way Immuta does — a short signed text notice to
// every registered webhook, no state in it. Faults for the tests: an outage (503), rate limiting (429 with
// Retry-After), latency, and dropped notices (the notice is recorded in the history as failed, never sent).
//
//   npm run fake-immuta   → http://127.0.0.1:$FAKE_IMMUTA_PORT (default 8788), prints the API key and the
//                           notice secret to give `npm start` (IMMUTA_URL, IMMUTA_API_KEY, IMMUTA_NOTICE_SECRET)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { signImmutaNotice, SIGNATURE_HEADER } from '../../shared/immuta/notice-signature.js';

type Json = Record<string, unknown>;

export interface FakeDataSource {
  dataSource: Json & { id: number };
  dictionary: Json[];
  tags: string[];
  jsonRules: unknown[] | null;
  access: { userid: string; iamid: string; state?: string }[];
}

export interface FakeTenant {
  dataSources: FakeDataSource[];
  globalPolicies: (Json & { id: number })[];
  users: (Json & { iamid: string; userid: string })[];
  groups: { id: number; name: string; members: { userid: string; iamid: string }[] }[];
  projects: {
    id: number;
    name: string;
    purposes: string[];
    members: { userid: string; iamid: string; acknowledged?: boolean }[];
  }[];
}

export const DEFAULT_TENANT_FILE = new URL('./fake-immuta-tenant.json', import.meta.url);

export function loadTenant(file: URL | string = DEFAULT_TENANT_FILE): FakeTenant {
  const { _comment, ...tenant } = JSON.parse(readFileSync(file, 'utf8')) as FakeTenant & { _comment?: string };
  void _comment;
  return structuredClone(tenant);
}

export interface Notice {
  notificationType: string;
  metadata: Json;
  text: string;
}

interface HistoryRecord {
  id: number;
  webhookId: number;
  notificationType: string;
  requestBody: string;
  responseStatus: number | null;
  success: boolean;
  createdAt: string;
}

export interface FakeImmutaOptions {
  tenant?: FakeTenant;
  apiKey?: string;
  /** The shared secret of the webhooks (what an operator types into Immuta's webhook settings). */
  noticeSecret?: string;
  port?: number;
}

export class FakeImmuta {
  readonly apiKey: string;
  readonly noticeSecret: string;
  tenant: FakeTenant;
  url = '';
  /** Faults: every API request answers 503 while `outage`; the next `rateLimited` requests answer 429. */
  faults = { outage: false, rateLimited: 0, latencyMs: 0, dropNotices: false };
  /** Every request, as "METHOD /path". */
  readonly requests: string[] = [];
  readonly webhooks: { id: number; url: string; name: string; global: boolean; notificationType: string[] }[] = [];
  readonly history: HistoryRecord[] = [];
  private readonly tokens = new Set<string>();
  private server: Server | undefined;

  constructor(options: FakeImmutaOptions = {}) {
    this.tenant = options.tenant ?? loadTenant();
    this.apiKey = options.apiKey ?? randomBytes(16).toString('hex');
    this.noticeSecret = options.noticeSecret ?? randomBytes(24).toString('base64');
  }

  static async start(options: FakeImmutaOptions = {}): Promise<FakeImmuta> {
    const fake = new FakeImmuta(options);
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      fake.server!.once('error', reject);
      fake.server!.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- the tenant, as a governor would change it ----
  dataSource(id: number): FakeDataSource | undefined {
    return this.tenant.dataSources.find((d) => d.dataSource.id === id);
  }
  user(userid: string): (Json & { iamid: string; userid: string }) | undefined {
    return this.tenant.users.find((u) => u.userid === userid);
  }

  // ---- notices, as Immuta sends them ----
  /**
   * Send one notice to every registered webhook (or to `url`): the body is the short text notice, signed with
   * the shared secret over the exact bytes sent. Returns the HTTP status of each delivery (null = dropped).
   */
  async notify(notice: Notice, url?: string): Promise<(number | null)[]> {
    const { body } = this.signedNotice(notice);
    const targets = url
      ? [{ id: 0, url }]
      : this.webhooks.filter(
          (w) =>
            w.notificationType.includes('ALL_NOTIFICATIONS') || w.notificationType.includes(notice.notificationType),
        );
    const out: (number | null)[] = [];
    for (const t of targets) out.push(await this.deliver(t.id, t.url, notice.notificationType, body));
    return out;
  }

  /** The body of a notice and the headers Immuta sends with it (for tests that invoke a receiver directly). */
  signedNotice(notice: Notice): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify({
      text: notice.text,
      attachments: [{ text: notice.text }],
      metadata: { notificationType: notice.notificationType, ...notice.metadata },
    });
    return {
      body,
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signImmutaNotice(body, this.noticeSecret) },
    };
  }

  private async deliver(
    webhookId: number,
    url: string,
    notificationType: string,
    body: string,
  ): Promise<number | null> {
    const record: HistoryRecord = {
      id: this.history.length + 1,
      webhookId,
      notificationType,
      requestBody: body,
      responseStatus: null,
      success: false,
      createdAt: new Date().toISOString(),
    };
    this.history.push(record);
    if (this.faults.dropNotices) return null;
    try {
      // Immuta gives up after 10 s.
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signImmutaNotice(body, this.noticeSecret) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.text();
      record.responseStatus = res.status;
      record.success = res.status >= 200 && res.status < 300;
      return res.status;
    } catch {
      return null;
    }
  }

  // ---- the API ----
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const answer = await this.answer(
      req.method ?? 'GET',
      req.url ?? '/',
      req.headers.authorization,
      Buffer.concat(chunks).toString('utf8'),
    );
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  }

  /** The same API in process, as a `fetch` (the property tests read the fake this way: no sockets). */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers);
    const a = await this.answer(
      init?.method ?? 'GET',
      url,
      headers.get('authorization') ?? undefined,
      typeof init?.body === 'string' ? init.body : '',
    );
    return new Response(a.body, { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
  };

  private async answer(
    method: string,
    rawUrl: string,
    authorization: string | undefined,
    text: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const url = new URL(rawUrl, 'http://fake');
    const path = url.pathname.replace(/\/+$/, '');
    this.requests.push(`${method} ${path}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      headers,
      body: JSON.stringify(body),
    });
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.faults.outage) return send(503, { message: 'Service Unavailable' });
    if (this.faults.rateLimited > 0) {
      this.faults.rateLimited--;
      return send(429, { message: 'Too Many Requests' }, { 'retry-after': '0' });
    }
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      return send(400, { message: 'invalid JSON' });
    }
    if (method === 'POST' && path === '/bim/apikey/authenticate') {
      const given = body.apikey ?? authorization;
      if (given !== this.apiKey) return send(401, { message: 'invalid API key' });
      const token = randomBytes(12).toString('hex');
      this.tokens.add(token);
      return send(200, { token, tokenExpiration: new Date(Date.now() + 3_600_000).toISOString() });
    }
    const auth = authorization ?? '';
    const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.tokens.has(bearer) && auth !== this.apiKey) return send(401, { message: 'unauthorized' });
    const answer = this.route(method, path, url.searchParams, body);
    return answer === null ? send(404, { message: 'Not Found' }) : send(answer.status ?? 200, answer.body);
  }

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: Json,
  ): { status?: number; body: unknown } | null {
    const page = <T>(items: T[]) => {
      const size = Number(q.get('size') ?? 100);
      const offset = Number(q.get('offset') ?? 0);
      return { body: { count: items.length, hits: items.slice(offset, offset + size) } };
    };
    const m = (re: RegExp) => re.exec(path);
    const ds = (id: string) => this.dataSource(Number(id));
    let r: RegExpExecArray | null;
    if (method === 'GET') {
      if (path === '/dataSource')
        return page(
          this.tenant.dataSources.map((d) => {
            const { id, name, deleted, blobHandlerType, subscriptionType } = d.dataSource;
            return { id, name, deleted, blobHandlerType, subscriptionType };
          }),
        );
      if ((r = m(/^\/dataSource\/([^/]+)$/))) return ds(r[1]!) ? { body: ds(r[1]!)!.dataSource } : null;
      if ((r = m(/^\/dataSource\/([^/]+)\/access$/))) return ds(r[1]!) ? page(ds(r[1]!)!.access) : null;
      if ((r = m(/^\/dictionary\/([^/]+)$/)))
        return ds(r[1]!) ? { body: { dataSource: Number(r[1]), metadata: ds(r[1]!)!.dictionary } } : null;
      if ((r = m(/^\/tag\/datasource\/([^/]+)$/)))
        return ds(r[1]!) ? { body: ds(r[1]!)!.tags.map((name) => ({ name })) } : null;
      if ((r = m(/^\/policy\/handler\/([^/]+)$/)))
        return ds(r[1]!)?.jsonRules ? { body: { dataSourceId: Number(r[1]), jsonRules: ds(r[1]!)!.jsonRules } } : null;
      if (path === '/policy/global') return { body: this.tenant.globalPolicies };
      if ((r = m(/^\/policy\/global\/([^/]+)$/)))
        return this.tenant.globalPolicies.find((p) => String(p.id) === r![1])
          ? { body: this.tenant.globalPolicies.find((p) => String(p.id) === r![1]) }
          : null;
      if ((r = m(/^\/bim\/iam\/([^/]+)\/user$/)))
        return page(this.tenant.users.filter((u) => u.iamid === decodeURIComponent(r![1]!)));
      if ((r = m(/^\/bim\/iam\/([^/]+)\/user\/([^/]+)$/)))
        return this.tenant.users.find(
          (u) => u.iamid === decodeURIComponent(r![1]!) && u.userid === decodeURIComponent(r![2]!),
        )
          ? {
              body: this.tenant.users.find(
                (u) => u.iamid === decodeURIComponent(r![1]!) && u.userid === decodeURIComponent(r![2]!),
              ),
            }
          : null;
      if (path === '/bim/group') return page(this.tenant.groups.map(({ id, name }) => ({ id, name })));
      if ((r = m(/^\/bim\/group\/([^/]+)\/user$/)))
        return this.tenant.groups.find((g) => String(g.id) === r![1])
          ? page(this.tenant.groups.find((g) => String(g.id) === r![1])!.members)
          : null;
      if (path === '/project')
        return page(
          this.tenant.projects.map(({ id, name, purposes }) => ({
            id,
            name,
            purposes: purposes.map((p) => ({ name: p })),
          })),
        );
      if ((r = m(/^\/project\/([^/]+)\/members$/)))
        return this.tenant.projects.find((p) => String(p.id) === r![1])
          ? page(this.tenant.projects.find((p) => String(p.id) === r![1])!.members)
          : null;
      if (path === '/webhooks') return { body: this.webhooks };
      if (path === '/webhooks/actions')
        return {
          body: [
            'ALL_NOTIFICATIONS',
            'modelCreated',
            'modelDeleted',
            'dataSourceUpdated',
            'modelTagAdded',
            'modelTagRemoved',
            'policyUpdated',
            'globalPolicyCreated',
            'globalPolicyUpdated',
            'globalPolicyDeleted',
            'globalPolicyDisabled',
            'globalPolicyApproved',
            'modelAccessApproved',
            'modelAccessRevoked',
            'modelAccessUpdated',
            'userCreated',
            'userUpdated',
            'userDeleted',
            'userDisabled',
            'groupUserAdded',
            'groupUserDeleted',
            'attributeAdded',
            'attributeRemoved',
            'attributeUpdated',
            'switchedCurrentProject',
            'acknowledgedAccess',
            'projectUpdated',
            'purposeCreated',
            'purposeUpdated',
            'purposeDeleted',
          ],
        };
      if (path === '/webhooks/history') return { body: { count: this.history.length, hits: this.history } };
    }
    if (method === 'POST' && path === '/webhooks') {
      const created = ((body.webhooks as Json[] | undefined) ?? []).map((w) => {
        const hook = {
          id: this.webhooks.length + 1,
          url: String(w.url),
          name: String(w.name),
          global: w.global === true,
          notificationType: (w.notificationType as string[] | undefined) ?? [],
        };
        this.webhooks.push(hook);
        return hook;
      });
      return { body: { createdWebhooks: created, errors: [] } };
    }
    if (method === 'POST' && (r = m(/^\/webhooks\/history\/retry\/([^/]+)$/))) {
      const rec = this.history.find((h) => String(h.id) === r![1]);
      const hook = rec ? this.webhooks.find((w) => w.id === rec.webhookId) : undefined;
      if (!rec || !hook) return null;
      void this.deliver(hook.id, hook.url, rec.notificationType, rec.requestBody);
      return { body: { retried: rec.id } };
    }
    return null;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.FAKE_IMMUTA_PORT ?? 8788);
  FakeImmuta.start({
    port,
    ...(process.env.FAKE_IMMUTA_API_KEY ? { apiKey: process.env.FAKE_IMMUTA_API_KEY } : {}),
    ...(process.env.FAKE_IMMUTA_NOTICE_SECRET ? { noticeSecret: process.env.FAKE_IMMUTA_NOTICE_SECRET } : {}),
  }).then(
    (fake) => {
      console.log(`fake Immuta on ${fake.url} (a test double: fixtures from infra/local/fake-immuta-tenant.json)`);
      console.log(`  IMMUTA_URL=${fake.url} IMMUTA_API_KEY=${fake.apiKey} IMMUTA_NOTICE_SECRET=${fake.noticeSecret}`);
      const webhook = {
        url: 'http://127.0.0.1:8787/immuta',
        name: 'viewguard',
        global: true,
        notificationType: ['ALL_NOTIFICATIONS'],
      };
      console.log(`  register the local receiver: POST /webhooks ${JSON.stringify({ webhooks: [webhook] })}`);
    },
    (err: unknown) => {
      console.error(`fake Immuta: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
