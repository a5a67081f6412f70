// The scheduled drift-and-audit run: a Lambda (lambdas/drift-audit) on an EventBridge schedule (default daily,
// context key driftAuditSchedule) that signs in as the system user for the drift check and as the bootstrap's
// administrator for the privilege audit, publishes DriftFindings / RawTableBypasses / AuditFindings, and pages
// (the operations topic) when drift or a raw-table bypass is found; one dashboard row shows the counts.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { grantDataApi } from './data-api-access.js';
import type { DeployConfig } from './deploy-config.js';
import { handlerEntry, handlerFunction, serviceName } from './handler-function.js';
import { ENV, METRICS_NAMESPACE } from '../../shared/contract/lambda-environment.js';
import { METRIC } from '../../shared/contract/metric-names.js';
import type { Operations } from './operations-dashboard.js';

export interface DriftAuditScheduleProps {
  config: DeployConfig;
  /** The Data API target and view settings the apply Lambda gets too. */
  warehouseEnv: Record<string, string>;
  systemSecretId: string;
  operations: Operations;
  removalPolicy: RemovalPolicy;
}

export class DriftAuditSchedule extends Construct {
  readonly fn: NodejsFunction;
  readonly rule: events.Rule;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DriftAuditScheduleProps) {
    super(scope, id);
    const { config } = props;
    const admin = config.adminAuth;
    this.fn = handlerFunction(this, 'Function', {
      name: 'drift-audit',
      entry: handlerEntry('drift-audit'),
      timeout: Duration.minutes(15),
      memorySize: 1024,
      removalPolicy: props.removalPolicy,
      // One run at a time: a slow run must not overlap the next.
      reservedConcurrentExecutions: 1,
      environment: {
        ...props.warehouseEnv,
        [ENV.systemUser]: config.integration.systemUser,
        ...('dbUser' in admin ? { [ENV.adminDbUser]: admin.dbUser } : { [ENV.adminSecretArn]: admin.secretArn }),
      },
    });
    grantDataApi(this, this.fn, config.warehouse, config.warehouse.auth, props.systemSecretId, 'System');
    grantDataApi(this, this.fn, config.warehouse, admin, 'AdminDbSecret', 'Admin');
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'viewguard: drift and privilege audit (docs/operations.md)',
      schedule: events.Schedule.expression(config.driftAuditSchedule),
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 2 })],
    });

    // The service the function publishes as (its POWERTOOLS_SERVICE_NAME, prefixed per environment).
    const service = serviceName(this, 'drift-audit');
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
    const action = new actions.SnsAction(props.operations.topic);
    const alarm = (alarmId: string, metricName: string, what: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `viewguard: ${what} — run \`viewguard drift\` / \`viewguard audit\` (docs/operations.md)`,
        metric: metric(metricName),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    this.alarms = [
      alarm(
        'Drift',
        METRIC.driftFindings,
        'the warehouse differs from the stored state (a view, grant, owner, routine or profile changed by hand)',
      ),
      alarm(
        'RawTableBypass',
        METRIC.rawTableBypasses,
        'someone can read a registered raw table around the secure views, or a table has no view',
      ),
      // The run itself failing is a silent gap in the checks.
      new cloudwatch.Alarm(this, 'RunFailed', {
        alarmDescription: 'viewguard: the drift-and-audit run failed (see its logs)',
        metric: this.fn.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    this.alarms[2]!.addAlarmAction(action);
    this.alarms[2]!.addOkAction(action);

    props.operations.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Drift and privilege audit (findings per run)',
        left: [metric(METRIC.driftFindings), metric(METRIC.rawTableBypasses), metric(METRIC.auditFindings)],
        width: 18,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Drift / bypass alarms', alarms: this.alarms, width: 6 }),
    );
  }
}
