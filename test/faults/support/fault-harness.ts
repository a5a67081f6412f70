// The AWS path of a work item with faults injected at the SDK boundary and nothing else faked:
//
//   LocalFifoQueue (SQS FIFO: groups, visibility timeout, receive counts, DLQ, redrive; a controlled clock)
//     → SQS event → the REAL apply Lambda handler (lambdas/apply/handler.ts: middy, Powertools FIFO partial
//       batch processor, EMF metrics) → RedshiftDataClient (aws-sdk-client-mock) → PgliteDataApi → PGlite
//
// SendMessageBatch (the apply step's re-fan-out, the routers) is mocked onto the same LocalFifoQueue. The
// Lambda's partial-batch response decides what is deleted and what comes back; the failure reason a message
// carries into the DLQ is the one the Lambda logged for that message id (SQS itself keeps no reason).
// Time: the queue's clock is a number the test advances (visibility timeout → redelivery).
import { mockClient } from 'aws-sdk-client-mock';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { PGlite } from '@electric-sql/pglite';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { ENV } from '../../../shared/contract/lambda-environment.js';
import { openLocalWarehouse, type LocalWarehouse } from '../../../infra/local/local-warehouse.js';
import { LocalFifoQueue } from '../../../infra/local/local-fifo-queue.js';
import { toSqsEvent } from '../../support/local-sqs-event.js';
import type { PGliteWarehouse } from '../../../shared/adapters/pglite-warehouse.js';
import { parseIntegrationConfig, type IntegrationConfig } from '../../../shared/layout/integration-config.js';
import type { WorkMessage } from '../../../shared/ports/work-queue.js';
import { stmt, type SqlStatement } from '../../../shared/sql/statement.js';
import { Objects } from './objects.js';
import { SentHistory } from './oracle.js';
import { PgliteDataApi } from './pglite-data-api.js';

export const VISIBILITY_TIMEOUT_MS = 30_000;
export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/1/viewguard-work.fifo';

export function faultConfig(): IntegrationConfig {
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database: 'postgres',
    viewSchema: 'secure',
    rawSources: [{ schema: 'raw' }],
  });
  if (!parsed.ok) throw new Error('config');
  return parsed.value;
}

/** The environment the stack gives the apply Lambda (shared/contract/lambda-environment.ts). */
export function setApplyEnvironment(config: IntegrationConfig, deadlineMarginMs = 1000): void {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    POWERTOOLS_SERVICE_NAME: 'viewguard-apply',
    [ENV.database]: config.database,
    [ENV.clusterId]: 'cluster-1',
    [ENV.dbUser]: config.systemUser,
    [ENV.viewSchema]: config.viewSchema,
    [ENV.integrationMode]: config.mode,
    [ENV.workQueueUrl]: QUEUE_URL,
    [ENV.deadlineMarginMs]: String(deadlineMarginMs),
  });
}

/** Raw tables, the layout, and an audit of every committed state version (the per-object order oracle). */
export async function openFaultWarehouse(
  config: IntegrationConfig,
  extra: SqlStatement[] = [],
): Promise<LocalWarehouse> {
  const wh = await openLocalWarehouse(config, 'fault-test-hash-key', {
    prepare: (admin) =>
      admin([
        stmt('CREATE SCHEMA raw'),
        stmt('CREATE TABLE raw.orders (id int4, region varchar(8), email varchar(32), amount int4)'),
        stmt("INSERT INTO raw.orders VALUES (1, 'eu', 'a@x', 10), (2, 'us', 'b@x', 20), (3, 'eu', NULL, 30)"),
        stmt('CREATE TABLE raw.items (id int4, sku varchar(16))'),
        stmt("INSERT INTO raw.items VALUES (1, 'k1'), (2, 'k2')"),
        ...extra,
      ]),
  });
  await wh.admin([
    stmt('CREATE SCHEMA faults_audit'),
    stmt(
      'CREATE TABLE faults_audit.applied (seq serial PRIMARY KEY, kind text NOT NULL, id text NOT NULL, version ' +
        'bigint NOT NULL, deleted boolean)',
    ),
    // SECURITY DEFINER: the procedures run as the system role, which must not need rights on the audit.
    stmt(`CREATE FUNCTION faults_audit.record() RETURNS trigger LANGUAGE plpgsql
          SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  INSERT INTO faults_audit.applied (kind, id, version, deleted) VALUES (TG_ARGV[0], to_jsonb(NEW) ->>
    TG_ARGV[1], NEW.version, NEW.deleted);
  RETURN NEW;
END $$`),
    ...[
      ['datasource_state', 'datasource', 'datasource_id'],
      ['policy_state', 'policy', 'policy_id'],
      ['profile', 'user', 'immuta__userid'],
    ].flatMap(([table, kind, key]) => [
      stmt(
        `CREATE TRIGGER audit_insert AFTER INSERT ON immuta_system.${table} FOR EACH ROW EXECUTE FUNCTION ` +
          `faults_audit.record('${kind}', '${key}')`,
      ),
      // A signature-only update (apply_policy recording a view) keeps the version: not a new application.
      stmt(
        `CREATE TRIGGER audit_update AFTER UPDATE ON immuta_system.${table} FOR EACH ROW WHEN (OLD.version IS ` +
          `DISTINCT FROM NEW.version) EXECUTE FUNCTION faults_audit.record('${kind}', '${key}')`,
      ),
    ]),
  ]);
  return wh;
}

export const pgliteOf = (wh: LocalWarehouse): PGlite => (wh.system as PGliteWarehouse).db;

type ApplyHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface InvokeOptions {
  /** Lambda time left at the start of the invocation (default 60 s). */
  remainingMs?: number;
  /** The function dies after the handler returned and before SQS deletes anything (or reports failures). */
  crash?: boolean;
  batchSize?: number;
}

export interface InvocationRecord {
  received: string[];
  /** The message group of each received record. */
  groups: string[];
  failed: string[];
  /** The records the handler logged as failed themselves (the rest of `failed` were not processed). */
  failedThemselves: string[];
  crashed: boolean;
}

/** The apply Lambda fed by a LocalFifoQueue, with the Data API on PGlite and SQS sends into the same queue. */
export class ApplyLambdaDriver {
  clock = 1_700_000_000_000;
  readonly queue: LocalFifoQueue;
  readonly rd = mockClient(RedshiftDataClient);
  readonly sqs = mockClient(SQSClient);
  readonly api: PgliteDataApi;
  readonly invocations: InvocationRecord[] = [];
  /** Every line the Lambda printed (logs and EMF), across invocations. */
  readonly output: string[] = [];

  constructor(
    private readonly handler: ApplyHandler,
    db: PGlite,
    options: { maxReceiveCount?: number } = {},
  ) {
    this.queue = new LocalFifoQueue({
      visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS,
      maxReceiveCount: options.maxReceiveCount ?? 5,
      clock: () => this.clock,
    });
    this.api = new PgliteDataApi(this.rd, db);
    this.sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      this.queue.sendNow(
        input.Entries.map((e) => ({
          groupId: e.MessageGroupId!,
          deduplicationId: e.MessageDeduplicationId!,
          body: e.MessageBody!,
        })),
      );
      return {
        Successful: input.Entries.map((e) => ({ Id: e.Id!, MessageId: `sqs-${e.Id}`, MD5OfMessageBody: '' })),
        Failed: [],
      };
    });
  }

  /** Capture stdout/stderr (Powertools writes logs and EMF there). Call in beforeEach; vi.restoreAllMocks after. */
  captureOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        this.output.push(
          ...String(chunk)
            .split('\n')
            .filter((l) => l.trim() !== ''),
        );
        return true;
      });
    }
  }

  send(messages: WorkMessage[]): void {
    this.queue.sendNow(messages);
  }

  advance(ms: number): void {
    this.clock += ms;
  }

  /**
   * One receive → one Lambda invocation → delete the successes, fail the reported ones. Returns how many were received.
   */
  async invoke(options: InvokeOptions = {}): Promise<number> {
    const batch = this.queue.receive(options.batchSize ?? 10);
    if (batch.length === 0) return 0;
    const remaining = options.remainingMs ?? 60_000;
    const started = Date.now();
    const context = {
      getRemainingTimeInMillis: () => remaining - (Date.now() - started),
      functionName: 'viewguard-apply',
      awsRequestId: `req-${this.invocations.length + 1}`,
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:viewguard-apply',
    } as unknown as Context;
    const outputBefore = this.output.length;
    const response = await this.handler(toSqsEvent(batch), context);
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    const reasons = this.loggedReasons(outputBefore);
    this.invocations.push({
      received: batch.map((m) => m.messageId),
      groups: batch.map((m) => m.groupId),
      failed,
      failedThemselves: [...reasons.keys()],
      crashed: options.crash === true,
    });
    if (options.crash) return batch.length; // nothing deleted: every message comes back after the visibility timeout
    for (const m of batch) {
      if (failed.includes(m.messageId))
        this.queue.fail(
          m.receiptHandle,
          reasons.get(m.messageId) ?? 'not processed: an earlier record of the FIFO batch failed',
        );
      else this.queue.ack(m.receiptHandle);
    }
    return batch.length;
  }

  /**
   * Invoke until nothing is deliverable; when only invisible messages remain, let the visibility timeout pass.
   * Bounded (a livelock is a test failure, not a hang).
   */
  async drain(options: InvokeOptions & { maxInvocations?: number } = {}): Promise<void> {
    const max = options.maxInvocations ?? 200;
    for (let i = 0; i < max; i++) {
      if ((await this.invoke(options)) > 0) continue;
      const c = this.queue.counters();
      if (c.depth === 0 && c.inFlight === 0) return;
      this.advance(VISIBILITY_TIMEOUT_MS + 1);
    }
    throw new Error(`drain: still ${JSON.stringify(this.queue.counters())} after ${max} invocations`);
  }

  /** JSON log lines printed by the Lambda. */
  logs(): Record<string, unknown>[] {
    return this.output.flatMap((l) => {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        return j && typeof j === 'object' && !('_aws' in j) ? [j] : [];
      } catch {
        return [];
      }
    });
  }

  /** Sum of one EMF metric over every document printed so far. */
  metric(name: string): number {
    let sum = 0;
    for (const l of this.output) {
      if (!l.includes('"_aws"')) continue;
      const doc = JSON.parse(l) as Record<string, unknown>;
      const v = doc[name];
      if (typeof v === 'number') sum += v;
      else if (Array.isArray(v)) sum += (v as number[]).reduce((a, b) => a + b, 0);
    }
    return sum;
  }

  private loggedReasons(from: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of this.output.slice(from)) {
      if (!l.includes('work item failed')) continue;
      const j = JSON.parse(l) as { messageId?: string; reason?: string };
      if (j.messageId && j.reason) out.set(j.messageId, j.reason);
    }
    return out;
  }
}

/** What a fault test file works with: the file's warehouse and, per test, a fresh driver and objects. */
export interface ApplyLambdaTest {
  readonly config: IntegrationConfig;
  /** The file's warehouse (opened once; tests are isolated by the objects' prefix). */
  readonly wh: LocalWarehouse;
  /** The real apply handler, imported after its environment was set. */
  readonly handler: ApplyHandler;
  /** This test's driver: a new queue and new SDK mocks, the Lambda's output captured. */
  readonly driver: ApplyLambdaDriver;
  /** This test's objects: ids prefixed `<prefix><n>`, recorded in a new SentHistory. */
  readonly o: Objects;
}

export interface ApplyLambdaOptions {
  maxReceiveCount?: number;
  /** More environment for the handlers the file imports itself (set before any of them is imported). */
  environment?: Record<string, string>;
}

/**
 * Registers the hooks every apply-Lambda fault test needs and returns getters for what they set up. Call it at
 * the top of the file, before the file's own hooks (they run after these; after-hooks run in reverse).
 */
export function useApplyLambda(prefix: string, options: ApplyLambdaOptions = {}): ApplyLambdaTest {
  const config = faultConfig();
  let wh: LocalWarehouse | undefined;
  let handler: ApplyHandler | undefined;
  let driver: ApplyLambdaDriver | undefined;
  let o: Objects | undefined;
  let run = 0;
  beforeAll(async () => {
    setApplyEnvironment(config);
    Object.assign(process.env, options.environment);
    wh = await openFaultWarehouse(config);
    // Imported only now: the handler reads its environment when the module loads.
    ({ handler } = (await import('../../../lambdas/apply/handler.js')) as unknown as { handler: ApplyHandler });
  });
  afterAll(async () => {
    await wh?.close();
  });
  beforeEach(() => {
    driver = new ApplyLambdaDriver(handler!, pgliteOf(wh!), { maxReceiveCount: options.maxReceiveCount });
    driver.captureOutput();
    o = new Objects(`${prefix}${++run}`, wh!, new SentHistory());
  });
  afterEach(() => {
    vi.restoreAllMocks();
    driver?.rd.restore();
    driver?.sqs.restore();
  });
  const set = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useApplyLambda: ${what} is set up by the hooks (used outside a test?)`);
    return value;
  };
  return {
    config,
    get wh() {
      return set(wh, 'wh');
    },
    get handler() {
      return set(handler, 'handler');
    },
    get driver() {
      return set(driver, 'driver');
    },
    get o() {
      return set(o, 'o');
    },
  };
}
