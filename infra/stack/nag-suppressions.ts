// cdk-nag AwsSolutions findings we acknowledge, each on the construct it concerns and with the reason it does
// not apply to viewguard. cdk-nag v3 acknowledges one finding id at a time (`Rule[finding]`), so every wildcard
// we accept is spelled out; anything new fails `cdk synth` and test/infra.
import { Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ViewguardStack } from './viewguard-stack.js';

const API_GATEWAY_LOGS_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });

const XRAY =
  'X-Ray PutTraceSegments/PutTelemetryRecords (tracing: ACTIVE) have no resource type, so "*" is the only resource.';
const DATA_API =
  'redshift-data Describe/GetStatementResult/CancelStatement have no resource type; they are limited to the ' +
  'statements this identity submitted by the redshift-data:statement-owner-iam-userid condition.';

export function addNagSuppressions(stack: ViewguardStack): void {
  const s: Stack = stack;
  ack(
    s,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The AWS-managed minimum for a Lambda function to write its own logs (CloudWatch Logs, no data access).',
  );
  if (stack.api.api.node.tryFindChild('CloudWatchRole')) {
    ack(
      stack.api.api,
      `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}]`,
      'The AWS-managed role API Gateway needs to write execution logs (an account-level setting).',
    );
  }
  // Node.js 22 everywhere: the project pins node@22 as a devDependency so that tests run on Lambda's major.
  ack(
    s,
    'AwsSolutions-L1',
    'Node.js 22 on purpose: tests run on the node@22 devDependency, the same major as Lambda; upgrade both together.',
  );

  for (const [name, fn] of Object.entries(stack.functions)) {
    const usesDataApi = name === 'apply' || name === 'policy';
    ack(fn, 'AwsSolutions-IAM5[Resource::*]', usesDataApi ? `${XRAY} ${DATA_API}` : XRAY);
  }
  for (const fn of [stack.bootstrap.onEvent, stack.bootstrap.isComplete, stack.driftAudit.fn]) {
    ack(fn, 'AwsSolutions-IAM5[Resource::*]', `${XRAY} ${DATA_API}`);
  }

  // The Provider framework (aws-cdk-lib/custom-resources) owns these roles and functions.
  const provider = stack.bootstrap.provider;
  const providerReason = 'Provider framework: invokes the bootstrap handlers by ARN, including their versions (":*").';
  for (const fn of [stack.bootstrap.onEvent, stack.bootstrap.isComplete]) {
    ack(
      provider,
      `AwsSolutions-IAM5[Resource::<${s.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      providerReason,
    );
  }
  for (const child of provider.node.findAll()) {
    const id = child.node.id;
    if (id === 'framework-isComplete' || id === 'framework-onTimeout') {
      const fn = child.node.defaultChild;
      if (fn) ack(provider, `AwsSolutions-IAM5[Resource::<${s.getLogicalId(fn as never)}.Arn>:*]`, providerReason);
    }
  }
  ack(
    provider.node.findChild('waiter-state-machine'),
    'AwsSolutions-IAM5[Resource::*]',
    'Step Functions log delivery (logs:CreateLogDelivery, DescribeLogGroups, …) has no resource type; the waiter ' +
      'logs to its own log group.',
  );
  ack(
    provider,
    'AwsSolutions-SF2',
    'Provider framework waiter state machine: no X-Ray option; its executions are logged (ALL) instead.',
  );

  if (!stack.api.frontDoor.webAcl) {
    ack(
      stack.api.api,
      'AwsSolutions-APIG3',
      'WAF is off in this environment (waf: false): each request is authenticated by its Standard Webhooks HMAC ' +
        'signature and the stage is throttled; set waf: true to attach a web ACL.',
    );
  }
  ack(
    stack.api.api,
    'AwsSolutions-APIG4',
    'Authorisation is the Standard Webhooks HMAC over the raw body, verified in the ingest Lambda: REQUEST ' +
      'authorizers never receive the body.',
  );
  ack(
    stack.api.api,
    'AwsSolutions-COG4',
    'Machine-to-machine webhooks from the governance control plane: no Cognito users; requests are authenticated ' +
      'by HMAC signature.',
  );

  for (const r of stack.routing.routes) {
    ack(r.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue IS the dead-letter queue of an EventBridge rule target.');
  }
  ack(stack.workQueue.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue IS the dead-letter queue of the work queue.');

  if (stack.node.tryFindChild('WebhookSecret') === stack.webhookSecret && 'grantRead' in stack.webhookSecret) {
    ack(
      stack.webhookSecret,
      'AwsSolutions-SMG4',
      'Rotating the webhook secret must be coordinated with the sender (docs/deploy.md "Rotate the webhook ' +
        'secret"); a Lambda rotation would break delivery.',
    );
  }
  if (stack.node.tryFindChild('HashKeySecret') === stack.hashKeySecret) {
    ack(
      stack.hashKeySecret,
      'AwsSolutions-SMG4',
      'The hashing key must never rotate on its own: it is stored once in immuta_system.hash_key and every hashed ' +
        'value depends on it.',
    );
  }
}
