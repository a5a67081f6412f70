// The alarms for what fails first, each with a runbook line in docs/deploy.md "Alarms": a spike of rejected
// webhooks (a wrong secret after a rotation looks exactly like this), no webhook at all for hours, ingest or
// router Lambda errors, and Data API throttling (DataApiThrottled, emitted by apply and the policy router);
// plus the dashboard row that shows them (webhooks accepted / rejected / failed first).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AlarmSettings } from './front-door-config.js';
import { METRICS_NAMESPACE } from '../../shared/contract/lambda-environment.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { Operations } from './operations-dashboard.js';

export interface OperatorAlarmsProps {
  operations: Operations;
  ingest: lambda.IFunction;
  /** The routers by category (datasource, policy, user). */
  routers: Record<string, lambda.IFunction>;
  /** Powertools service names: ingest's, and those of the functions that call the Data API. */
  ingestService: string;
  dataApiServices: string[];
  settings: AlarmSettings;
}

const FIVE_MINUTES = Duration.minutes(5);

export class OperatorAlarms extends Construct {
  readonly rejectedWebhooks: cloudwatch.Alarm;
  readonly noTraffic?: cloudwatch.Alarm;
  readonly functionErrors: Record<string, cloudwatch.Alarm> = {};
  readonly dataApiThrottled: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OperatorAlarmsProps) {
    super(scope, id);
    const { operations, settings } = props;
    const emf = (metricName: string, service: string, period = FIVE_MINUTES) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Sum',
        period,
      });
    const GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

    this.rejectedWebhooks = operations.addAlarm('WebhooksRejected', {
      alarmDescription:
        `viewguard: ${settings.rejectedWebhooksAlarmThreshold}+ webhooks rejected (400/401/413) in 5 minutes — ` +
        `after a secret rotation the sender signs with the wrong secret (docs/deploy.md "Alarms")`,
      metric: emf(METRIC.webhooksRejected, props.ingestService),
      threshold: settings.rejectedWebhooksAlarmThreshold,
      evaluationPeriods: 1,
      comparisonOperator: GTE,
    });

    if (settings.noTrafficAlarmHours > 0) {
      // Every webhook-shaped request (the three Standard Webhooks headers) invokes ingest, accepted or not.
      // An hour with no invocation has no data point: missing data is breaching here.
      const hours = settings.noTrafficAlarmHours;
      this.noTraffic = operations.addAlarm('NoTraffic', {
        alarmDescription:
          `viewguard: no webhook reached ingest for ${hours} h — is the webhook still registered, the URL and ` +
          `network path unchanged? (docs/deploy.md "Alarms")`,
        metric: props.ingest.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }

    const functions: [string, lambda.IFunction][] = [['ingest', props.ingest], ...Object.entries(props.routers)];
    for (const [name, fn] of functions) {
      const title = name[0]!.toUpperCase() + name.slice(1);
      this.functionErrors[name] = operations.addAlarm(`${title}Errors`, {
        alarmDescription:
          `viewguard: the ${name === 'ingest' ? 'ingest' : `${name} router`} Lambda failed ` +
          `${settings.functionErrorsAlarmThreshold}+ times in 5 minutes (docs/deploy.md "Alarms")`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: settings.functionErrorsAlarmThreshold,
        evaluationPeriods: 1,
        comparisonOperator: GTE,
      });
    }

    const throttled = this.throttledMetric(props.dataApiServices, emf);
    this.dataApiThrottled = operations.addAlarm('DataApiThrottled', {
      alarmDescription:
        `viewguard: ${settings.dataApiThrottledAlarmThreshold}+ Data API calls refused at a limit in each of two ` +
        `5-minute periods (docs/deploy.md "Alarms")`,
      metric: throttled,
      threshold: settings.dataApiThrottledAlarmThreshold,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: GTE,
    });

    const minute = Duration.minutes(1);
    operations.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Webhooks: accepted / rejected / failed (ingest)',
        left: [METRIC.webhooksAccepted, METRIC.webhooksRejected, METRIC.webhooksFailed].map((m) =>
          emf(m, props.ingestService, minute).with({ label: m }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest and routers: errors',
        left: functions.map(([name, fn]) => fn.metricErrors({ period: minute, statistic: 'Sum', label: name })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Data API: calls refused at a limit',
        left: props.dataApiServices.map((service) =>
          emf(METRIC.dataApiThrottled, service, minute).with({ label: `${METRIC.dataApiThrottled} (${service})` }),
        ),
      }),
    );
  }

  /** The sum over the functions that call the Data API (a missing series counts as 0). */
  private throttledMetric(services: string[], emf: (m: string, s: string) => cloudwatch.Metric): cloudwatch.IMetric {
    const usingMetrics = Object.fromEntries(services.map((s, i) => [`t${i}`, emf(METRIC.dataApiThrottled, s)]));
    return new cloudwatch.MathExpression({
      expression: Object.keys(usingMetrics)
        .map((k) => `FILL(${k}, 0)`)
        .join(' + '),
      usingMetrics,
      label: METRIC.dataApiThrottled,
      period: FIVE_MINUTES,
    });
  }
}
