// The one viewguard stack, in the order a webhook travels:
// POST /webhooks → ingest → EventBridge bus (+ archive) → one rule per route → datasource | policy | user
// → SQS FIFO work queue → apply → Redshift Data API; plus the warehouse bootstrap and the operations view.
import { Duration, RemovalPolicy, Stack, type StackProps, CfnOutput } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ROUTES, type EventCategory, type Route } from '../../shared/routing/routing-table.js';
import type { DeployConfig } from './deploy-config.js';
import { grantDataApi } from './data-api-access.js';
import { EventRouting } from './event-routing.js';
import { handlerEntry, handlerFunction, serviceName, type PipelineHandler } from './handler-function.js';
import { OperatorAlarms } from './operator-alarms.js';
import { ENV } from '../../shared/contract/lambda-environment.js';
// API Gateway REST accepts up to 10 MB; the real webhook limit (≤ an EventBridge entry) is enforced by ingest.
import { MAX_WEBHOOK_BODY_BYTES } from '../../shared/events/webhook-parser.js';
import { Operations } from './operations-dashboard.js';
import { WarehouseBootstrap } from './warehouse-bootstrap.js';
import { WebhookApi } from './webhook-api.js';
import { WorkQueue } from './work-queue.js';
import { DriftAuditSchedule } from './drift-audit-schedule.js';
import { addNagSuppressions } from './nag-suppressions.js';
import { ImmutaConnector } from './immuta-connector.js';

export interface ViewguardStackProps extends StackProps {
  config: DeployConfig;
  /** Handler entry files; defaults to lambdas/<name>/handler.ts. */
  entries?: Partial<Record<PipelineHandler, string>>;
}

const SYSTEM_SECRET_ID = 'SystemDbSecret';

export class ViewguardStack extends Stack {
  readonly functions: Record<PipelineHandler, NodejsFunction>;
  readonly webhookSecret: secretsmanager.ISecret;
  readonly hashKeySecret: secretsmanager.ISecret;
  readonly workQueue: WorkQueue;
  readonly routing: EventRouting;
  readonly api: WebhookApi;
  readonly operations: Operations;
  readonly bootstrap: WarehouseBootstrap;
  readonly driftAudit: DriftAuditSchedule;
  readonly alarms: OperatorAlarms;
  /** The environment's resource prefix (`viewguard-<env>`); handlerFunction names services with it. */
  readonly namePrefix: string;
  /** The Immuta connector (docs/immuta.md), when viewguard:immutaUrl is set. */
  readonly immuta?: ImmutaConnector;

  constructor(scope: Construct, id: string, props: ViewguardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.namePrefix = config.names.prefix;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const entry = (name: PipelineHandler) => props.entries?.[name] ?? handlerEntry(name);
    const applyTimeout = Duration.seconds(config.applyTimeoutSeconds);

    this.webhookSecret = config.webhookSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'WebhookSecret', config.webhookSecretArn)
      : new secretsmanager.Secret(this, 'WebhookSecret', {
          description: 'viewguard: Standard Webhooks signing secret (base64; share it with the sender)',
          // 64 alphanumeric characters are valid base64 (48 random bytes) for the standardwebhooks library.
          generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
          removalPolicy,
        });
    this.hashKeySecret = config.hashKeySecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'HashKeySecret', config.hashKeySecretArn)
      : new secretsmanager.Secret(this, 'HashKeySecret', {
          description: 'viewguard: key of the hashing masks, stored once in immuta_system.hash_key by the bootstrap',
          generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
          removalPolicy,
        });

    this.workQueue = new WorkQueue(this, 'Work', { consumerTimeout: applyTimeout, removalPolicy });

    const warehouseEnv: Record<string, string> = {
      [ENV.database]: config.warehouse.database,
      [ENV.viewSchema]: config.integration.viewSchema,
      [ENV.integrationMode]: config.integration.mode,
      ...(config.warehouse.kind === 'cluster'
        ? { [ENV.clusterId]: config.warehouse.clusterId }
        : { [ENV.workgroupName]: config.warehouse.workgroupName }),
      ...(config.integration.schemas
        ? {
            [ENV.systemSchema]: config.integration.schemas.system,
            [ENV.functionsSchema]: config.integration.schemas.functions,
            [ENV.proceduresSchema]: config.integration.schemas.procedures,
          }
        : {}),
      ...('dbUser' in config.warehouse.auth
        ? { [ENV.dbUser]: config.warehouse.auth.dbUser }
        : { [ENV.dbSecretArn]: config.warehouse.auth.secretArn }),
    };

    const ingest = handlerFunction(this, 'Ingest', {
      name: 'ingest',
      entry: entry('ingest'),
      // Senders such as Immuta wait 10 s for the acknowledgement.
      timeout: Duration.seconds(8),
      removalPolicy,
      environment: {
        [ENV.webhookSecretArn]: this.webhookSecret.secretArn,
        [ENV.maxBodyBytes]: String(MAX_WEBHOOK_BODY_BYTES),
      },
    });
    // One router per entry of the routing table (the rules are made from the same table in EventRouting).
    // A router that reads the catalog (the policy router: its fan-out) gets the warehouse settings and access.
    const router = (route: Route) =>
      handlerFunction(this, `${route.category[0]!.toUpperCase()}${route.category.slice(1)}Router`, {
        name: route.functionName,
        entry: entry(route.functionName),
        timeout: Duration.seconds(60),
        removalPolicy,
        environment: { [ENV.workQueueUrl]: this.workQueue.queue.queueUrl, ...(route.readsCatalog ? warehouseEnv : {}) },
      });
    const routers = Object.fromEntries(ROUTES.map((route) => [route.category, router(route)])) as Record<
      EventCategory,
      NodejsFunction
    >;
    const apply = handlerFunction(this, 'Apply', {
      name: 'apply',
      entry: entry('apply'),
      timeout: applyTimeout,
      memorySize: 1024,
      removalPolicy,
      environment: {
        ...warehouseEnv,
        [ENV.workQueueUrl]: this.workQueue.queue.queueUrl,
        [ENV.deadlineMarginMs]: '5000',
      },
    });
    this.functions = { ingest, ...routers, apply };

    this.api = new WebhookApi(this, 'Webhooks', {
      ingest,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      removalPolicy,
      frontDoor: config.frontDoor,
      namePrefix: this.namePrefix,
    });
    this.routing = new EventRouting(this, 'Routing', { routers, removalPolicy, archiveRetention: Duration.days(90) });
    ingest.addEnvironment(ENV.eventBusName, this.routing.bus.eventBusName);
    this.routing.bus.grantPutEventsTo(ingest);
    this.webhookSecret.grantRead(ingest);
    for (const fn of Object.values(routers)) this.workQueue.queue.grantSendMessages(fn);
    // A policy's first committed version may widen its fan-out: apply enqueues the missing views itself.
    this.workQueue.queue.grantSendMessages(apply);
    for (const route of ROUTES.filter((r) => r.readsCatalog))
      grantDataApi(this, routers[route.category], config.warehouse, config.warehouse.auth, SYSTEM_SECRET_ID, 'System');
    grantDataApi(this, apply, config.warehouse, config.warehouse.auth, SYSTEM_SECRET_ID, 'System');

    apply.addEventSource(
      new SqsEventSource(this.workQueue.queue, {
        batchSize: config.applyBatchSize,
        reportBatchItemFailures: true,
        // Each invocation holds at most one Data API statement at a time; see docs/deploy.md "Concurrency".
        maxConcurrency: config.applyMaxConcurrency,
      }),
    );

    this.bootstrap = new WarehouseBootstrap(this, 'Bootstrap', {
      config,
      hashKeySecret: this.hashKeySecret,
      systemSecretId: SYSTEM_SECRET_ID,
      removalPolicy,
    });

    this.operations = new Operations(this, 'Operations', {
      api: this.api.api,
      bus: this.routing.bus,
      rules: this.routing.routes.map((r) => ({ name: r.category, rule: r.rule, deadLetterQueue: r.deadLetterQueue })),
      workQueue: this.workQueue.queue,
      workDeadLetterQueue: this.workQueue.deadLetterQueue,
      apply,
      applyServiceName: serviceName(this, 'apply'),
      // handlerFunction names each service <prefix>-<name>; the router names come from the same table.
      routerServiceNames: ROUTES.map((route) => serviceName(this, route.functionName)),
      ...(config.env ? { dashboardName: this.namePrefix } : {}),
      oldestMessageAlarmSeconds: config.oldestMessageAlarmSeconds,
      applyErrorRateAlarmPercent: config.applyErrorRateAlarmPercent,
      removalPolicy,
      ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    this.driftAudit = new DriftAuditSchedule(this, 'DriftAudit', {
      config,
      warehouseEnv,
      systemSecretId: SYSTEM_SECRET_ID,
      operations: this.operations,
      removalPolicy,
    });
    this.alarms = new OperatorAlarms(this, 'OperatorAlarms', {
      operations: this.operations,
      ingest,
      routers,
      ingestService: serviceName(this, 'ingest'),
      dataApiServices: [serviceName(this, 'apply'), serviceName(this, 'policy')],
      settings: config.alarms,
    });
    if (config.immuta) {
      this.immuta = new ImmutaConnector(this, 'Immuta', {
        config: config.immuta,
        integration: config.integration,
        warehouse: config.warehouse,
        warehouseEnv,
        systemSecretId: SYSTEM_SECRET_ID,
        api: this.api.api,
        bus: this.routing.bus,
        operations: this.operations,
        removalPolicy,
      });
    }

    new CfnOutput(this, 'WebhookUrl', { value: this.api.webhookUrl, description: 'POST signed webhooks here' });
    const domain = this.api.frontDoor.domain;
    if (domain && !config.frontDoor.customDomain?.hostedZone) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: domain.domainNameAliasDomainName,
        description: 'point a CNAME for the custom domain here',
      });
    }
    new CfnOutput(this, 'WebhookSecretArn', {
      value: this.webhookSecret.secretArn,
      description: 'share with the sender',
    });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.topic.topicArn });
    new CfnOutput(this, 'EventBusName', { value: this.routing.bus.eventBusName });
    new CfnOutput(this, 'ArchiveName', { value: this.routing.archive.archiveName, description: 'replay source' });
    new CfnOutput(this, 'WorkDeadLetterQueueUrl', { value: this.workQueue.deadLetterQueue.queueUrl });

    addNagSuppressions(this);
  }
}
