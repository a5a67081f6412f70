// What an operator watches: the path of a webhook from left to right (API → bus → rules → queue → apply →
// Redshift statements), and the alarms that page: a message in any dead-letter queue, work waiting too long, the
// apply Lambda failing too often. Alarms go to one SNS topic (given, or created with an optional e-mail).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/contract/lambda-environment.js';
import { METRIC } from '../../shared/contract/metric-names.js';

export interface OperationsProps {
  api: apigateway.RestApi;
  bus: events.EventBus;
  rules: { name: string; rule: events.Rule; deadLetterQueue: sqs.IQueue }[];
  workQueue: sqs.IQueue;
  workDeadLetterQueue: sqs.IQueue;
  apply: lambda.IFunction;
  /** Powertools adds a `service` dimension with the function's service name to every EMF metric. */
  applyServiceName: string;
  /** Service names of the routers, which count the events they receive (`EventsReceived`). */
  routerServiceNames: string[];
  alarmTopicArn?: string;
  alarmEmail?: string;
  oldestMessageAlarmSeconds: number;
  applyErrorRateAlarmPercent: number;
  removalPolicy: RemovalPolicy;
  /** The dashboard's name (the environment's); default `viewguard-<stack name>`. */
  dashboardName?: string;
}

export class Operations extends Construct {
  readonly topic: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly alarmAction: actions.SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = props.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : this.createTopic(props);
    this.alarmAction = new actions.SnsAction(this.topic);
    const period = Duration.minutes(1);
    const alarm = (alarmId: string, a: cloudwatch.AlarmProps) => this.addAlarm(alarmId, a);

    const dlqs = [
      ...props.rules.map((r) => ({ name: `${r.name} target DLQ`, queue: r.deadLetterQueue })),
      { name: 'work queue DLQ', queue: props.workDeadLetterQueue },
    ];
    for (const [i, d] of dlqs.entries()) {
      alarm(`DeadLetters${i}`, {
        alarmDescription: `viewguard: a message reached the ${d.name} (see docs/deploy.md "Redrive")`,
        metric: d.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    const oldest = props.workQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' });
    alarm('WorkQueueLag', {
      alarmDescription: `viewguard: the oldest work item waited more than ${props.oldestMessageAlarmSeconds} s`,
      metric: oldest,
      threshold: props.oldestMessageAlarmSeconds,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
      usingMetrics: {
        errors: props.apply.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        invocations: props.apply.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
      },
      label: 'apply error rate (%)',
      period: Duration.minutes(5),
    });
    alarm('ApplyErrorRate', {
      alarmDescription: `viewguard: more than ${props.applyErrorRateAlarmPercent}% of apply invocations failed`,
      metric: errorRate,
      threshold: props.applyErrorRateAlarmPercent,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const api5xx = props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
    alarm('Api5xx', {
      alarmDescription: 'viewguard: the webhook endpoint answered 5xx (senders retry; check ingest and the bus)',
      metric: api5xx,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    const emf = (metricName: string, statistic = 'Sum', service = props.applyServiceName) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period,
        ...(service === props.applyServiceName ? {} : { label: `${metricName} (${service})` }),
      });
    // A view that could not be compiled fails closed (no rows): visible, and worth a page.
    alarm('ViewsFailedClosed', {
      alarmDescription:
        'viewguard: a view fails closed and shows no rows — a policy could not be compiled (VG301), the warehouse ' +
        'refused the compiled view (VG308), it is too large to send (VG320) or it cannot be dropped (VG321); see ' +
        'the apply logs',
      metric: emf(METRIC.viewsFailedClosed),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const busMetric = (metricName: string, dims: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: 'AWS/Events', metricName, dimensionsMap: dims, statistic: 'Sum', period });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `viewguard-${Stack.of(this).stackName}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Webhooks: API 4xx / 5xx',
        left: [
          props.api.metricClientError({ period, statistic: 'Sum' }),
          props.api.metricServerError({ period, statistic: 'Sum' }),
          props.api.metricCount({ period, statistic: 'Sum' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhooks: API latency (ms)',
        left: [
          props.api.metricLatency({ period, statistic: 'p50' }),
          props.api.metricLatency({ period, statistic: 'p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Events in (bus)',
        left: [
          busMetric('MatchedEvents', { EventBusName: props.bus.eventBusName }),
          ...props.routerServiceNames.map((svc) => emf(METRIC.eventsReceived, 'Sum', svc)),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rules: FailedInvocations',
        left: props.rules.map((r) =>
          busMetric('FailedInvocations', { EventBusName: props.bus.eventBusName, RuleName: r.rule.ruleName }).with({
            label: r.name,
          }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues (messages visible)',
        left: dlqs.map((d) =>
          d.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: d.name }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Work queue: depth and oldest message (s)',
        left: [props.workQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })],
        right: [oldest],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Apply Lambda: errors, throttles',
        left: [
          props.apply.metricErrors({ period, statistic: 'Sum' }),
          props.apply.metricThrottles({ period, statistic: 'Sum' }),
          props.apply.metricInvocations({ period, statistic: 'Sum' }),
        ],
        right: [errorRate],
      }),
      new cloudwatch.GraphWidget({
        title: 'Apply Lambda: duration (ms)',
        left: [
          props.apply.metricDuration({ period, statistic: 'p50' }),
          props.apply.metricDuration({ period, statistic: 'p99' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Object changes: applied / failed',
        left: [emf(METRIC.applied), emf(METRIC.failed), emf(METRIC.skipped), emf(METRIC.viewsFailedClosed)],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Redshift statements: finished / failed / aborted',
        left: [emf(METRIC.statementsFinished), emf(METRIC.statementsFailed), emf(METRIC.statementsAborted)],
      }),
      new cloudwatch.GraphWidget({
        title: 'Redshift statement latency (ms)',
        left: [emf(METRIC.statementLatency, 'p50'), emf(METRIC.statementLatency, 'p99')],
      }),
      new cloudwatch.GraphWidget({
        title: 'End-to-end lag: webhook time → applied (ms)',
        left: [emf(METRIC.endToEndLag, 'p50'), emf(METRIC.endToEndLag, 'p99')],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  /** An alarm that notifies the topic (alarm and OK) and shows on the dashboard's alarm-status widget. */
  addAlarm(alarmId: string, a: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...a,
    });
    created.addAlarmAction(this.alarmAction);
    created.addOkAction(this.alarmAction);
    this.alarms.push(created);
    return created;
  }

  private createTopic(props: OperationsProps): sns.Topic {
    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key; it needs a key it may use.
    // An explicit key policy: the account administers the key with named actions (no "kms:*"), CloudWatch may
    // encrypt for the topic and SNS may decrypt for delivery.
    const account = new iam.AccountRootPrincipal();
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministersTheKey',
          principals: [account],
          actions: [
            'kms:DescribeKey',
            'kms:GetKeyPolicy',
            'kms:PutKeyPolicy',
            'kms:GetKeyRotationStatus',
            'kms:EnableKeyRotation',
            'kms:DisableKeyRotation',
            'kms:EnableKey',
            'kms:DisableKey',
            'kms:UpdateKeyDescription',
            'kms:ListResourceTags',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
          ],
          resources: ['*'], // in a key policy, "*" means this key
        }),
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
        }),
      ],
    });
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'viewguard alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      policy,
    });
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'viewguard alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    return topic;
  }
}
