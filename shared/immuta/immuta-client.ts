// A small read-only client for Immuta's REST API with what a flaky, rate-limited upstream needs:
//   - the API key is exchanged for a bearer token (POST /bim/apikey/authenticate) and re-exchanged once when
//     a request answers 401; the key itself never appears in logs or errors;
//   - every request has a timeout; 429, 5xx, timeouts and network errors are retried with exponential backoff
//     and full jitter (Retry-After honoured, capped), then reported as `unavailable` — which the callers turn
//     into "try again later", never into a deletion;
//   - at most `concurrency` requests are in flight at once, whoever issues them;
//   - answers are parsed with zod; 404 is "not there" (null), other 4xx are permanent errors.
import type { z } from 'zod';
import { AuthenticateSchema, pageOf } from './api-shapes.js';

export type ImmutaErrorKind = 'unavailable' | 'auth' | 'client' | 'shape';

export class ImmutaApiError extends Error {
  constructor(
    readonly kind: ImmutaErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ImmutaApiError';
  }
}

export interface ImmutaClientOptions {
  baseUrl: string;
  /** Reads the API key (Secrets Manager in AWS); called again after a 401. */
  apiKey: () => Promise<string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A counting semaphore: `run` waits for a slot. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class ImmutaClient {
  private readonly base: URL;
  private readonly limiter: Limiter;
  private token: Promise<string> | undefined;
  private readonly o: Required<Omit<ImmutaClientOptions, 'baseUrl' | 'apiKey'>> & Pick<ImmutaClientOptions, 'apiKey'>;
  /** Requests sent (each attempt counts), for metrics and tests. */
  requests = 0;

  constructor(options: ImmutaClientOptions) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.o = {
      apiKey: options.apiKey,
      fetch: options.fetch ?? fetch,
      timeoutMs: options.timeoutMs ?? 8000,
      maxAttempts: options.maxAttempts ?? 5,
      backoffMs: options.backoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      concurrency: options.concurrency ?? 4,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
    };
    this.limiter = new Limiter(this.o.concurrency);
  }

  /** GET one object; null when Immuta answers 404. */
  async get<S extends z.ZodType>(
    path: string,
    schema: S,
    query: Record<string, string | number> = {},
  ): Promise<z.infer<S> | null> {
    const json = await this.request('GET', path, query);
    if (json === NOT_FOUND) return null;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ');
      throw new ImmutaApiError('shape', `GET ${path}: the answer is not the shape we read (${where})`);
    }
    return parsed.data;
  }

  /** Every item of a paged search (`size`/`offset`, `hits`), up to `limit` items. */
  async list<S extends z.ZodType>(
    path: string,
    item: S,
    query: Record<string, string | number> = {},
    pageSize = 100,
    limit = 100_000,
  ): Promise<z.infer<S>[]> {
    const out: z.infer<S>[] = [];
    for (let offset = 0; offset < limit; offset += pageSize) {
      const page = await this.get(path, pageOf(item), { ...query, size: pageSize, offset });
      if (page === null) throw new ImmutaApiError('client', `GET ${path}: 404 for a search`, 404);
      out.push(...(page.hits as z.infer<S>[]));
      if (page.hits.length < pageSize) return out;
    }
    throw new ImmutaApiError('shape', `GET ${path}: more than ${limit} items; refusing to read on`);
  }

  private authToken(): Promise<string> {
    this.token ??= (async () => {
      const apikey = await this.o.apiKey();
      const json = await this.send('POST', 'bim/apikey/authenticate', {}, { apikey }, null);
      const parsed = AuthenticateSchema.safeParse(json);
      if (!parsed.success) throw new ImmutaApiError('auth', 'POST /bim/apikey/authenticate: no token in the answer');
      return parsed.data.token;
    })();
    this.token.catch(() => (this.token = undefined));
    return this.token;
  }

  private async request(method: string, path: string, query: Record<string, string | number>): Promise<unknown> {
    for (let auth = 0; ; auth++) {
      const token = await this.authToken();
      try {
        return await this.send(method, path, query, undefined, token);
      } catch (err) {
        // A token can expire between requests: exchange the key once more, then give up.
        if (err instanceof ImmutaApiError && err.kind === 'auth' && auth === 0) {
          this.token = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  private async send(
    method: string,
    path: string,
    query: Record<string, string | number>,
    body: unknown,
    token: string | null,
  ): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const where = `${method} /${path.replace(/^\//, '')}`;
    let last = '';
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      const outcome = await this.limiter.run(async () => {
        this.requests++;
        try {
          const res = await this.o.fetch(url, {
            method,
            headers: {
              accept: 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(this.o.timeoutMs),
          });
          const text = await res.text();
          return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
        } catch (err) {
          return { status: 0, text: err instanceof Error ? err.name : 'network error', retryAfter: null };
        }
      });
      if (outcome.status === 404) return NOT_FOUND;
      if (outcome.status >= 200 && outcome.status < 300) {
        try {
          return JSON.parse(outcome.text);
        } catch {
          throw new ImmutaApiError('shape', `${where}: the answer is not JSON`);
        }
      }
      if (outcome.status === 401 || outcome.status === 403)
        throw new ImmutaApiError(
          'auth',
          `${where}: ${outcome.status} (check the API key and its permissions)`,
          outcome.status,
        );
      if (outcome.status !== 0 && outcome.status !== 429 && outcome.status < 500)
        throw new ImmutaApiError('client', `${where}: ${outcome.status}`, outcome.status);
      last = outcome.status === 0 ? outcome.text : String(outcome.status);
      const seconds = outcome.retryAfter !== null ? Number(outcome.retryAfter) : NaN;
      if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = Math.min(seconds * 1000, this.o.maxBackoffMs);
      if (attempt < this.o.maxAttempts) {
        const cap = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1));
        await this.o.sleep(retryAfterMs ?? Math.floor(this.o.random() * cap));
      }
    }
    throw new ImmutaApiError(
      'unavailable',
      `${where}: Immuta unavailable after ${this.o.maxAttempts} attempts (last: ${last})`,
    );
  }
}

const NOT_FOUND = Symbol('not found');
