// cdk-nag AwsSolutions findings we acknowledge, each with the reason it does not apply to viewguard. cdk-nag v3
// acknowledges one finding id at a time (`Rule[finding]`), so every wildcard we accept is spelled out; anything
// new fails the synth and the tests.
import { Validations, type Stack } from 'aws-cdk-lib';

const RUNTIME_REASON =
  'Node.js 22 on purpose: the project pins node@22 as a devDependency so tests run on the same major as Lambda; move both together.';

export function addNagSuppressions(stack: Stack): void {
  Validations.of(stack).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS-managed minimum for a Lambda function to write its own logs.',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The AWS-managed role API Gateway needs to write execution logs (account-level setting).',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'redshift-data Describe/GetStatementResult/CancelStatement have no resource type; they are limited to the statements this identity submitted by the redshift-data:statement-owner-iam-userid condition.',
    },
    { id: 'AwsSolutions-L1', reason: RUNTIME_REASON },
  );
}
