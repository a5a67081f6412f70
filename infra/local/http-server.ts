// The local HTTP face of the pipeline: POST /webhooks (the raw body, exactly as received, goes to ingest —
// the signature is over those bytes) and GET /status. Bound to 127.0.0.1 only: this is a development server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_CONFIGURABLE_BODY_BYTES } from '../../shared/events/webhook-parser.js';
import type { LocalImmutaConnector } from './local-immuta.js';
import type { LocalPipeline } from './local-pipeline.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) races a client that reuses the
 * connection just as the server closes it: the request fails with "fetch failed" (a reset socket). fetch
 * (undici) keeps an idle connection one second less than the server's Keep-Alive hint, which a loaded machine
 * can miss by more; a minute is longer than any pause between a sender's requests here. `server.close()` still
 * ends idle connections at once (Node ≥ 19).
 */
export const KEEP_ALIVE_MS = 65_000;

/** Reads at most `limit` + 1 bytes: a larger body is answered 413 by ingest without buffering it all. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    if (size <= limit) chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks).subarray(0, limit + 1);
}

export function createLocalServer(
  pipeline: LocalPipeline,
  log: (entry: Record<string, unknown>) => void = () => undefined,
  immuta?: LocalImmutaConnector,
): Server {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      try {
        if (req.method === 'POST' && path === '/webhooks') {
          const raw = await readBody(req, MAX_CONFIGURABLE_BODY_BYTES);
          const headers: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          // base64 keeps the exact bytes (ingest verifies the signature over them, UTF-8 or not).
          const outcome = await pipeline.receiveWebhook({
            body: raw.toString('base64'),
            isBase64Encoded: true,
            headers,
          });
          if (outcome.status >= 400)
            log({
              level: outcome.status >= 500 ? 'error' : 'warn',
              message: 'webhook not accepted',
              status: outcome.status,
              diagnostics: outcome.diagnostics,
            });
          send(res, outcome.status, outcome.body);
        } else if (req.method === 'GET' && path === '/status') {
          send(res, 200, immuta ? { ...pipeline.status(), immuta: immuta.status() } : pipeline.status());
        } else if (immuta && req.method === 'POST' && path === '/immuta') {
          await immutaNotice(req, res, immuta, log);
        } else if (immuta && req.method === 'POST' && path === '/immuta/reconcile') {
          const report = await immuta.reconcile();
          send(res, 200, { checked: report.checked, changed: report.changed, diagnostics: report.diagnostics });
        } else {
          send(res, 404, {
            error: `not found: POST /webhooks, GET /status${immuta ? ', POST /immuta, POST /immuta/reconcile' : ''}`,
          });
        }
      } catch (err) {
        log({ level: 'error', message: 'request failed', error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) send(res, 500, { error: 'internal error; retry later' });
      }
    })();
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Above the keep-alive time, so an idle connection is ended by the keep-alive timer, not as a slow request.
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}

/** POST /immuta: the raw body, exactly as received, to the connector's receiver (it verifies the HMAC over it). */
async function immutaNotice(
  req: IncomingMessage,
  res: ServerResponse,
  immuta: LocalImmutaConnector,
  log: (entry: Record<string, unknown>) => void,
): Promise<void> {
  const raw = await readBody(req, MAX_CONFIGURABLE_BODY_BYTES);
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const outcome = await immuta.receiveNotice({ body: raw.toString('base64'), isBase64Encoded: true, headers });
  if (outcome.status >= 400)
    log({
      level: outcome.status >= 500 ? 'error' : 'warn',
      message: 'immuta notice not accepted',
      status: outcome.status,
      diagnostics: outcome.diagnostics,
    });
  send(res, outcome.status, outcome.body);
}

/** Listen on 127.0.0.1:`port` (0 = any free port); resolves with the port. */
export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
