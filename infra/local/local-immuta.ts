// The Immuta connector in the local process (`npm start` with IMMUTA_URL, the demo, the tests): the same
// receiver and sync code the Lambdas run, wired to the local pipeline's bus and warehouse. Hints wait in an
// in-process queue; `processHints` syncs them (a failure keeps them for the next round, with backoff), and
// `reconcile` compares everything — on a timer when `reconcileEveryMs` is set, or on demand.
import type { Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { parseImmutaConfig, type ImmutaConnectorConfig } from '../../shared/immuta/connector-config.js';
import { FULL_SCOPE, scopeOfHints } from '../../shared/immuta/fetch-state.js';
import { ImmutaClient } from '../../shared/immuta/immuta-client.js';
import type { DataSourcePlacement } from '../../shared/immuta/map-datasource.js';
import type { Hint } from '../../shared/immuta/notice.js';
import { receiveNotice, type NoticeOutcome, type NoticeRequest } from '../../shared/immuta/receive-notice.js';
import { syncScope, versionClock, type SyncMode, type SyncReport } from '../../shared/immuta/sync.js';
import { warehouseStateReader } from '../../shared/immuta/warehouse-state.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import type { LocalPipeline } from './local-pipeline.js';

export interface LocalImmutaOptions {
  pipeline: LocalPipeline;
  config: ImmutaConnectorConfig;
  placement: DataSourcePlacement;
  apiKey: string;
  noticeSecret: string;
  now?: () => Date;
  /** Reconcile on a timer (start()); undefined = only on demand. */
  reconcileEveryMs?: number;
  /** Client options for tests (fast retries). */
  client?: { maxAttempts?: number; backoffMs?: number; maxBackoffMs?: number };
  log?: (entry: Record<string, unknown>) => void;
}

export interface ImmutaStatus {
  hintsPending: number;
  syncs: number;
  syncFailures: number;
  reconciles: number;
  /** The last reconcile's counts; `changed` > 0 means drift (a lost notice). */
  lastReconcile: { at: string; checked: number; changed: number } | null;
  lastError: { at: string; reason: string } | null;
}

export class LocalImmutaConnector {
  private hints: Hint[] = [];
  private readonly counts = { syncs: 0, syncFailures: 0, reconciles: 0 };
  private lastReconcile: ImmutaStatus['lastReconcile'] = null;
  private lastError: ImmutaStatus['lastError'] = null;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private retryAt = 0;
  private failuresInARow = 0;
  readonly diagnostics: Diagnostic[] = [];
  readonly client: ImmutaClient;
  private readonly version: () => number;

  constructor(private readonly o: LocalImmutaOptions) {
    this.version = versionClock(() => this.now().getTime());
    this.client = new ImmutaClient({
      baseUrl: o.config.url,
      apiKey: async () => o.apiKey,
      timeoutMs: o.config.requestTimeoutMs,
      concurrency: o.config.concurrency,
      ...o.client,
    });
  }

  private get now(): () => Date {
    return this.o.now ?? (() => new Date());
  }

  /** POST /immuta: verify, turn into hints, queue them. */
  receiveNotice(request: NoticeRequest): Promise<NoticeOutcome> {
    return receiveNotice(request, {
      secrets: { get: async () => this.o.noticeSecret },
      secretName: 'immuta-notice-secret',
      encoding: this.o.config.signatureEncoding,
      hints: { send: async (hints) => void this.hints.push(...hints) },
    });
  }

  /** Sync every pending hint as one scope; on failure they stay queued and the next round waits longer. */
  async processHints(): Promise<SyncReport | null> {
    if (this.hints.length === 0 || Date.now() < this.retryAt) return null;
    const taken = this.hints.splice(0);
    try {
      const report = await this.exclusive(() => this.sync(scopeOfHints(taken), 'notice'));
      this.failuresInARow = 0;
      return report;
    } catch (err) {
      this.hints.unshift(...taken);
      this.failuresInARow++;
      this.retryAt = Date.now() + Math.min(1000 * 2 ** (this.failuresInARow - 1), 60_000);
      throw err;
    }
  }

  /** Compare everything in Immuta with the warehouse and emit every difference. */
  async reconcile(): Promise<SyncReport> {
    const report = await this.exclusive(() => this.sync(FULL_SCOPE, 'reconcile'));
    this.counts.reconciles++;
    this.lastReconcile = { at: this.now().toISOString(), checked: report.checked, changed: report.changed };
    if (report.changed > 0)
      this.o.log?.({
        level: 'warn',
        message: 'VG711 reconcile found drift between Immuta and the warehouse',
        changed: report.changed,
        checked: report.checked,
      });
    return report;
  }

  private async sync(scope: Parameters<typeof syncScope>[0], mode: SyncMode): Promise<SyncReport> {
    try {
      const report = await syncScope(scope, mode, {
        fetch: { client: this.client, config: this.o.config, placement: this.o.placement },
        state: warehouseStateReader(this.o.pipeline.warehouse, postgres),
        bus: this.o.pipeline.bus,
        now: this.now,
        version: this.version,
      });
      this.counts.syncs++;
      this.diagnostics.push(...report.diagnostics);
      if (this.diagnostics.length > 1000) this.diagnostics.splice(0, this.diagnostics.length - 1000);
      this.o.log?.({
        level: 'info',
        message: `immuta ${mode} sync`,
        checked: report.checked,
        changed: report.changed,
        diagnostics: report.diagnostics.map((d) => `${d.code} ${d.summary}`),
      });
      return report;
    } catch (err) {
      this.counts.syncFailures++;
      const reason = err instanceof Error ? err.message : String(err);
      this.lastError = { at: this.now().toISOString(), reason };
      this.o.log?.({ level: 'error', message: `VG709 immuta ${mode} sync failed; retried later`, reason });
      throw err;
    }
  }

  /** One sync at a time: a reconcile and a hint round never interleave their reads and writes. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Background rounds for `npm start`: hints every `pollMs`, a reconcile every `reconcileEveryMs`. */
  start(pollMs = 200): void {
    if (this.timer) return;
    let lastReconcile = Date.now();
    this.timer = setInterval(() => {
      void this.processHints().catch(() => undefined);
      if (this.o.reconcileEveryMs !== undefined && Date.now() - lastReconcile >= this.o.reconcileEveryMs) {
        lastReconcile = Date.now();
        void this.reconcile().catch(() => undefined);
      }
    }, pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
  }

  status(): ImmutaStatus {
    return {
      hintsPending: this.hints.length,
      ...this.counts,
      lastReconcile: this.lastReconcile,
      lastError: this.lastError,
    };
  }
}

/**
 * `npm start` settings (README "Connect Immuta"): IMMUTA_URL turns the connector on; IMMUTA_API_KEY and
 * IMMUTA_NOTICE_SECRET are then required; IMMUTA_RECONCILE_SECONDS (default 900, 0 = only on demand);
 * IMMUTA_USER_NAME_SOURCE, IMMUTA_USER_NAME_PREFIX, IMMUTA_USER_NAME_LOWERCASE, IMMUTA_EXTERNAL_ID_KEY.
 */
export function localImmutaFromEnv(
  env: NodeJS.ProcessEnv,
  pipeline: LocalPipeline,
  placement: DataSourcePlacement,
  log?: (entry: Record<string, unknown>) => void,
): LocalImmutaConnector | undefined {
  if (!env.IMMUTA_URL) return undefined;
  const missing = ['IMMUTA_API_KEY', 'IMMUTA_NOTICE_SECRET'].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`IMMUTA_URL is set, so ${missing.join(' and ')} must be set too`);
  const parsed = parseImmutaConfig({
    url: env.IMMUTA_URL,
    userName: {
      ...(env.IMMUTA_USER_NAME_SOURCE ? { source: env.IMMUTA_USER_NAME_SOURCE } : {}),
      ...(env.IMMUTA_USER_NAME_PREFIX !== undefined ? { prefix: env.IMMUTA_USER_NAME_PREFIX } : {}),
      ...(env.IMMUTA_USER_NAME_LOWERCASE ? { lowercase: env.IMMUTA_USER_NAME_LOWERCASE === 'true' } : {}),
      ...(env.IMMUTA_EXTERNAL_ID_KEY ? { externalIdKey: env.IMMUTA_EXTERNAL_ID_KEY } : {}),
    },
  });
  if (!parsed.ok)
    throw new Error(
      `invalid Immuta settings: ` +
        `${parsed.diagnostics.map((d) => `${d.code} ${d.path.join('.')}` + `: ${d.summary}`).join('; ')}`,
    );
  const seconds = Number(env.IMMUTA_RECONCILE_SECONDS ?? 900);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new Error('IMMUTA_RECONCILE_SECONDS must be a whole number of seconds (0 = only on demand)');
  return new LocalImmutaConnector({
    pipeline,
    config: parsed.value,
    placement,
    apiKey: env.IMMUTA_API_KEY!,
    noticeSecret: env.IMMUTA_NOTICE_SECRET!,
    ...(seconds > 0 ? { reconcileEveryMs: seconds * 1000 } : {}),
    ...(log ? { log } : {}),
  });
}
