// The Immuta connector (docs/immuta.md): POST /immuta on the webhook API → immuta-notice (verify, hint) → SQS hint
// queue (+ DLQ) → immuta-fetch; EventBridge Scheduler (+ DLQ) → immuta-reconcile; both sync Immuta's state onto
// the existing event bus as our own contract events. Two secrets (the notice signing secret, the API key), least
// privilege per function, a dashboard row and alarms (drift, dead letters, sync failures) on the stack's topic.
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Stack, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC } from '../../shared/contract/metric-names.js';
import { placementFor } from '../../shared/immuta/connector-config.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { grantDataApi } from './data-api-access.js';
import type { WarehouseTarget } from './deploy-config.js';
import { handlerEntry, handlerFunction, serviceName } from './handler-function.js';
import type { ImmutaDeployConfig } from './immuta-deploy-config.js';
import { ENV, METRICS_NAMESPACE } from '../../shared/contract/lambda-environment.js';
import type { Operations } from './operations-dashboard.js';

export const IMMUTA_HANDLERS = ['immuta-notice', 'immuta-fetch', 'immuta-reconcile'] as const;

export interface ImmutaConnectorProps {
  config: ImmutaDeployConfig;
  integration: IntegrationConfig;
  warehouse: WarehouseTarget;
  /** The Data API environment the policy router and apply get (cluster or workgroup, database, identity). */
  warehouseEnv: Record<string, string>;
  systemSecretId: string;
  api: apigateway.RestApi;
  bus: events.IEventBus;
  operations: Operations;
  removalPolicy: RemovalPolicy;
}

const FETCH_TIMEOUT = Duration.minutes(5);

export class ImmutaConnector extends Construct {
  readonly noticeSecret: secretsmanager.ISecret;
  readonly apiKeySecret: secretsmanager.ISecret;
  readonly hintQueue: sqs.Queue;
  readonly hintDeadLetterQueue: sqs.Queue;
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly functions: Record<(typeof IMMUTA_HANDLERS)[number], NodejsFunction>;
  readonly schedule: scheduler.Schedule;
  readonly scheduleRole: iam.Role;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly noticeUrl: string;

  constructor(scope: Construct, id: string, props: ImmutaConnectorProps) {
    super(scope, id);
    const { config, removalPolicy } = props;
    const secret = (sid: string, arn: string | undefined, description: string) =>
      arn
        ? secretsmanager.Secret.fromSecretCompleteArn(this, sid, arn)
        : new secretsmanager.Secret(this, sid, {
            description,
            generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
            removalPolicy,
          });
    this.noticeSecret = secret(
      'NoticeSecret',
      config.noticeSecretArn,
      'viewguard: the shared secret Immuta signs its webhook notices with (x-immuta-webhook-signature-sha256)',
    );
    this.apiKeySecret = secret(
      'ApiKeySecret',
      config.apiKeySecretArn,
      'viewguard: the Immuta API key the connector reads Immuta with (put the real key here: docs/immuta.md)',
    );

    const queue = (qid: string, extra: sqs.QueueProps = {}) =>
      new sqs.Queue(this, qid, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy,
        ...extra,
      });
    this.hintDeadLetterQueue = queue('HintDlq');
    // A hint that keeps failing (Immuta down for long) ends here after ~10 tries; the reconcile covers it anyway.
    this.hintQueue = queue('Hints', {
      visibilityTimeout: FETCH_TIMEOUT.plus(FETCH_TIMEOUT),
      deadLetterQueue: { queue: this.hintDeadLetterQueue, maxReceiveCount: 10 },
    });
    this.scheduleDeadLetterQueue = queue('ReconcileDlq');

    const settings = JSON.stringify({
      ...config.settings,
      placement: {
        ...placementFor(props.integration),
        externalSchemas: [...placementFor(props.integration).externalSchemas],
      },
    });
    const fn = (
      name: (typeof IMMUTA_HANDLERS)[number],
      fid: string,
      timeout: Duration,
      environment: Record<string, string>,
      memorySize?: number,
    ) =>
      handlerFunction(this, fid, {
        name,
        entry: handlerEntry(name),
        timeout,
        removalPolicy,
        environment: { [ENV.immutaSettings]: settings, ...environment },
        ...(memorySize ? { memorySize } : {}),
      });
    // Immuta gives up after 10 s: the receiver only queues.
    const notice = fn('immuta-notice', 'Notice', Duration.seconds(8), {
      [ENV.immutaNoticeSecretArn]: this.noticeSecret.secretArn,
      [ENV.immutaHintQueueUrl]: this.hintQueue.queueUrl,
    });
    const syncEnv = {
      ...props.warehouseEnv,
      [ENV.eventBusName]: props.bus.eventBusName,
      [ENV.immutaApiKeySecretArn]: this.apiKeySecret.secretArn,
    };
    const fetch = fn('immuta-fetch', 'Fetch', FETCH_TIMEOUT, syncEnv, 1024);
    const reconcile = fn('immuta-reconcile', 'Reconcile', Duration.minutes(15), syncEnv, 1024);
    this.functions = { 'immuta-notice': notice, 'immuta-fetch': fetch, 'immuta-reconcile': reconcile };

    this.noticeSecret.grantRead(notice);
    this.hintQueue.grantSendMessages(notice);
    for (const f of [fetch, reconcile]) {
      this.apiKeySecret.grantRead(f);
      props.bus.grantPutEventsTo(f);
      grantDataApi(this, f, props.warehouse, props.warehouse.auth, props.systemSecretId, 'System');
    }
    fetch.addEventSource(
      new SqsEventSource(this.hintQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(2),
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );

    // Not a request validator on the signature header: a missing signature must be our 401 (VG701), not a 400.
    props.api.root.addResource('immuta').addMethod('POST', new apigateway.LambdaIntegration(notice));
    this.noticeUrl = props.api.urlForPath('/immuta');

    // Our own role, so that its one finding can be acknowledged here: grantInvoke also grants the versions (":*").
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: 'viewguard: EventBridge Scheduler invokes the Immuta reconciler',
    });
    this.schedule = new scheduler.Schedule(this, 'ReconcileSchedule', {
      description: 'viewguard: reconcile Immuta with the warehouse (docs/immuta.md)',
      schedule: scheduler.ScheduleExpression.expression(config.reconcileSchedule),
      target: new targets.LambdaInvoke(reconcile, {
        role: this.scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.scheduleDeadLetterQueue,
      }),
    });

    this.operationsRow(props.operations, reconcile);
    this.acknowledgeNagFindings(props.api);
    new CfnOutput(this, 'ImmutaNoticeUrl', {
      value: this.noticeUrl,
      description: 'the URL of the Immuta webhook (docs/immuta.md, step 5)',
    }).overrideLogicalId('ImmutaNoticeUrl');
    new CfnOutput(this, 'ImmutaNoticeSecretArn', {
      value: this.noticeSecret.secretArn,
      description: 'the webhook secret Immuta signs with',
    }).overrideLogicalId('ImmutaNoticeSecretArn');
    new CfnOutput(this, 'ImmutaApiKeySecretArn', {
      value: this.apiKeySecret.secretArn,
      description: 'put the Immuta API key here',
    }).overrideLogicalId('ImmutaApiKeySecretArn');
    new CfnOutput(this, 'ImmutaReconcileFunctionName', {
      value: reconcile.functionName,
      description: 'aws lambda invoke it to reconcile now',
    }).overrideLogicalId('ImmutaReconcileFunctionName');
  }

  /** Alarms (drift, dead letters, failing syncs) on the stack's topic, and one dashboard row. */
  private operationsRow(operations: Operations, reconcile: NodejsFunction): void {
    const action = new actions.SnsAction(operations.topic);
    // The `service` dimension the handlers publish with: their POWERTOOLS_SERVICE_NAME (prefixed per environment).
    const svc = {
      notice: serviceName(this, 'immuta-notice'),
      fetch: serviceName(this, 'immuta-fetch'),
      reconcile: serviceName(this, 'immuta-reconcile'),
    };
    const emf = (metricName: string, service: string, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period,
        label: `${metricName} (${service.replace(/^.*-immuta-/, '')})`,
      });
    const alarm = (
      aid: string,
      props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number },
    ) => {
      const a = new cloudwatch.Alarm(this, aid, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        ...props,
        evaluationPeriods: props.evaluationPeriods ?? 1,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
    };
    const changed = emf(METRIC.immutaObjectsChanged, svc.reconcile, Duration.minutes(15));
    alarm('Drift', {
      alarmDescription:
        'viewguard: the Immuta reconcile found drift (VG711) — a notice was lost or not sent; the reconcile fixed ' +
        'it (docs/immuta.md)',
      metric: changed,
      threshold: 1,
    });
    for (const [aid, q, what] of [
      ['HintDeadLetters', this.hintDeadLetterQueue, 'Immuta hint DLQ'],
      ['ReconcileDeadLetters', this.scheduleDeadLetterQueue, 'Immuta reconcile schedule DLQ'],
    ] as const) {
      alarm(aid, {
        alarmDescription: `viewguard: a message reached the ${what}: Immuta could not be read for a long time (VG709)`,
        metric: q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 1,
      });
    }
    const failures = new cloudwatch.MathExpression({
      expression: 'f + r',
      usingMetrics: {
        f: emf(METRIC.immutaSyncFailed, svc.fetch, Duration.minutes(15)),
        r: emf(METRIC.immutaSyncFailed, svc.reconcile, Duration.minutes(15)),
      },
      label: 'Immuta syncs failed',
      period: Duration.minutes(15),
    });
    alarm('SyncFailures', {
      alarmDescription:
        'viewguard: Immuta syncs keep failing (VG709: Immuta down, the API key, the Data API) — access changes wait',
      metric: failures,
      threshold: 3,
      evaluationPeriods: 2,
    });
    operations.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Immuta: notices',
        left: [
          emf(METRIC.immutaNoticesAccepted, svc.notice, Duration.minutes(1)),
          emf(METRIC.immutaNoticesRejected, svc.notice, Duration.minutes(1)),
          emf(METRIC.immutaNoticesFailed, svc.notice, Duration.minutes(1)),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Immuta: objects checked / changed (reconcile; changed > 0 = drift)',
        left: [
          emf(METRIC.immutaObjectsChecked, svc.reconcile, Duration.minutes(15)),
          changed,
          emf(METRIC.immutaObjectsChanged, svc.fetch, Duration.minutes(15)),
        ],
        right: [failures],
      }),
      new cloudwatch.GraphWidget({
        title: 'Immuta: hint queue, DLQs; reconcile duration (ms)',
        left: [
          this.hintQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
          this.hintDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            label: 'hint DLQ',
          }),
          this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: 'Maximum',
            label: 'reconcile DLQ',
          }),
        ],
        right: [reconcile.metricDuration({ statistic: 'Maximum' })],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Immuta alarms', alarms: this.alarms, width: 24 }),
    );
  }

  private acknowledgeNagFindings(api: apigateway.RestApi): void {
    const ack = (scope: Construct, rule: string, reason: string) =>
      Validations.of(scope).acknowledge({ id: rule, reason });
    const XRAY =
      'X-Ray PutTraceSegments/PutTelemetryRecords (tracing: ACTIVE) have no resource type, so "*" is the only ' +
      'resource.';
    const DATA_API =
      'redshift-data Describe/GetStatementResult/CancelStatement have no resource type; they are limited to the ' +
      'statements this identity submitted by the redshift-data:statement-owner-iam-userid condition.';
    ack(this.functions['immuta-notice'], 'AwsSolutions-IAM5[Resource::*]', XRAY);
    for (const f of [this.functions['immuta-fetch'], this.functions['immuta-reconcile']])
      ack(f, 'AwsSolutions-IAM5[Resource::*]', `${XRAY} ${DATA_API}`);
    for (const q of [this.hintDeadLetterQueue, this.scheduleDeadLetterQueue])
      ack(q, 'AwsSolutions-SQS3', 'This queue IS a dead-letter queue.');
    if (this.noticeSecret instanceof secretsmanager.Secret) {
      ack(
        this.noticeSecret,
        'AwsSolutions-SMG4',
        'The notice secret is also typed into Immuta: rotating it must be coordinated with Immuta (docs/immuta.md ' +
          '"Rotate the Immuta secrets").',
      );
    }
    if (this.apiKeySecret instanceof secretsmanager.Secret) {
      ack(
        this.apiKeySecret,
        'AwsSolutions-SMG4',
        'Immuta API keys are generated in Immuta, not by a rotation Lambda (docs/immuta.md "Rotate the Immuta ' +
          'secrets").',
      );
    }
    const reconcileId = Stack.of(this).getLogicalId(this.functions['immuta-reconcile'].node.defaultChild as never);
    ack(
      this.scheduleRole,
      `AwsSolutions-IAM5[Resource::<${reconcileId}.Arn>:*]`,
      'lambda:InvokeFunction on the reconciler and its versions (":*"), as grantInvoke grants it; nothing else.',
    );
    const method = api.root.getResource('immuta')!.node.findChild('POST');
    ack(
      method,
      'AwsSolutions-APIG4',
      "Authorisation is Immuta's HMAC-SHA256 " +
        'signature over the raw body, verified in ' +
        'the immuta-notice Lambda: REQUEST ' +
        'authorizers never receive the body.',
    );
    ack(
      method,
      'AwsSolutions-COG4',
      'Machine-to-machine notices from Immuta: no Cognito users; requests are authenticated by HMAC signature.',
    );
  }
}
