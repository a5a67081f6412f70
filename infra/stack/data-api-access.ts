// Least-privilege access to the Redshift Data API for one function and one database identity.
// - Execute/BatchExecute only on the configured cluster or workgroup (the only actions with a resource type);
// - Describe/GetStatementResult/Cancel have no resource type, so they are limited to the statements this very
//   IAM identity submitted with the `redshift-data:statement-owner-iam-userid` condition, as the AWS managed
//   policy AmazonRedshiftDataFullAccess does
//   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html,
//    https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-iam.html);
// - temporary credentials only for the one database user on the one database, or read access to the one secret.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { WarehouseAuth, WarehouseTarget } from './deploy-config.js';

export function warehouseArn(scope: Construct, target: WarehouseTarget): string {
  const stack = Stack.of(scope);
  return target.kind === 'cluster'
    ? stack.formatArn({
        service: 'redshift',
        resource: 'cluster',
        resourceName: target.clusterId,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })
    : stack.formatArn({
        service: 'redshift-serverless',
        resource: 'workgroup',
        resourceName: target.workgroupId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
}

/** Import a secret given by ARN once per stack (several functions may read it). */
export function importedSecret(scope: Construct, id: string, secretArn: string): secretsmanager.ISecret {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id) as secretsmanager.ISecret | undefined;
  return existing ?? secretsmanager.Secret.fromSecretCompleteArn(stack, id, secretArn);
}

export function grantDataApi(
  scope: Construct,
  grantee: iam.IGrantable,
  target: WarehouseTarget,
  auth: WarehouseAuth,
  secretId: string,
  /** Distinguishes the statements when one function signs in as two identities (Sids must be unique). */
  label: string,
  /** Databases besides the target's that this identity connects to (admin grants on raw data, multi mode). */
  otherDatabases: readonly string[] = [],
): void {
  const stack = Stack.of(scope);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `${label}RunStatementsOnTheConfiguredWarehouse`,
      actions: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'],
      resources: [warehouseArn(scope, target)],
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `${label}ReadOnlyOwnStatements`,
      actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      resources: ['*'],
      conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    }),
  );
  if ('dbUser' in auth) {
    if (target.kind !== 'cluster') throw new Error('dbUser authentication needs a provisioned cluster');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: `${label}TemporaryCredentialsForOneDbUser`,
        actions: ['redshift:GetClusterCredentials'],
        resources: [
          stack.formatArn({
            service: 'redshift',
            resource: 'dbuser',
            resourceName: `${target.clusterId}/${auth.dbUser}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          ...[...new Set([target.database, ...otherDatabases])].map((db) =>
            stack.formatArn({
              service: 'redshift',
              resource: 'dbname',
              resourceName: `${target.clusterId}/${db}`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        ],
      }),
    );
  } else {
    importedSecret(scope, secretId, auth.secretArn).grantRead(grantee);
  }
}
