// Bootstrap on deploy: a custom resource (Provider framework) whose onEvent inspects the warehouse and whose
// isComplete submits the layout plan batch by batch through the Data API and polls each statement until it
// FINISHED (FAILED/ABORTED fail the deployment). The layout plan's hash is a property, so a changed layout
// re-runs it; the plan is idempotent, so a re-run on an installed warehouse changes nothing.
// Stack deletion removes the integration's schemas only when `retainDataOnDelete` is false.
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BootstrapProperties, DatabaseIdentity } from '../../shared/contract/bootstrap-properties.js';
import { bootstrapPlanHash } from '../../shared/contract/bootstrap-plan-hash.js';
import type { DeployConfig, WarehouseAuth } from './deploy-config.js';
import { grantDataApi } from './data-api-access.js';
import { handlerEntry, handlerFunction } from './handler-function.js';

export interface WarehouseBootstrapProps {
  config: DeployConfig;
  hashKeySecret: secretsmanager.ISecret;
  /** Construct id under which the system user's secret is imported (shared with the pipeline functions). */
  systemSecretId: string;
  removalPolicy: RemovalPolicy;
  entry?: string;
}

const identity = (auth: WarehouseAuth): DatabaseIdentity =>
  'dbUser' in auth ? { dbUser: auth.dbUser } : { secretArn: auth.secretArn };

export class WarehouseBootstrap extends Construct {
  readonly onEvent: NodejsFunction;
  readonly isComplete: NodejsFunction;
  readonly resource: CustomResource;
  readonly provider: Provider;
  readonly properties: BootstrapProperties;

  constructor(scope: Construct, id: string, props: WarehouseBootstrapProps) {
    super(scope, id);
    const { config } = props;
    const entry = props.entry ?? handlerEntry('bootstrap');
    const common = { name: 'bootstrap', entry, removalPolicy: props.removalPolicy, environment: {} };
    this.onEvent = handlerFunction(this, 'OnEvent', { ...common, exportName: 'onEvent', timeout: Duration.minutes(2) });
    this.isComplete = handlerFunction(this, 'IsComplete', {
      ...common,
      exportName: 'isComplete',
      timeout: Duration.minutes(1),
    });

    // onEvent only inspects (as the administrator, who can see roles); isComplete runs the plan as both.
    grantDataApi(this, this.onEvent, config.warehouse, config.adminAuth, 'AdminDbSecret', 'Admin');
    const rawDatabases = config.integration.rawSources.map((r) => r.database);
    grantDataApi(this, this.isComplete, config.warehouse, config.adminAuth, 'AdminDbSecret', 'Admin', rawDatabases);
    grantDataApi(this, this.isComplete, config.warehouse, config.warehouse.auth, props.systemSecretId, 'System');
    // Only the function that submits the plan reads the hashing key, and only to bind it as a parameter.
    props.hashKeySecret.grantRead(this.isComplete);

    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.onEvent,
      isCompleteHandler: this.isComplete,
      queryInterval: Duration.seconds(10),
      totalTimeout: Duration.minutes(30),
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: props.removalPolicy,
      }),
      disableWaiterStateMachineLogging: false,
      // Execution data is the resource properties (names and ARNs, never secret values).
      waiterStateMachineLogOptions: {
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
        destination: new logs.LogGroup(this, 'WaiterLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: props.removalPolicy,
        }),
      },
    });

    this.properties = {
      integration: config.integration,
      target: {
        database: config.warehouse.database,
        ...(config.warehouse.kind === 'cluster'
          ? { clusterId: config.warehouse.clusterId }
          : { workgroupName: config.warehouse.workgroupName }),
      },
      admin: identity(config.adminAuth),
      system: identity(config.warehouse.auth),
      hashKeySecretArn: props.hashKeySecret.secretArn,
      planHash: bootstrapPlanHash(config.integration),
      retainDataOnDelete: config.retainDataOnDelete,
    };
    this.resource = new CustomResource(this, 'Layout', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::ViewguardWarehouseLayout',
      properties: { ...this.properties },
      // CloudFormation must call Delete so that the handler can decide (it keeps the data unless configured).
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
