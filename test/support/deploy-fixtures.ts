// The deploy settings the stack and deploy-config tests start from: a provisioned cluster whose functions sign
// in through IAM (dbUser), and a serverless workgroup signed in with secrets, in one example account and region;
// and the diagnostics a deploy setting is refused with, one "<code> <summary>" line each.
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';

export const secretArn = (name: string): string =>
  `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

export const CLUSTER_FIELDS = {
  clusterId: 'analytics',
  database: 'immuta',
  dbUser: 'immuta_system_user',
  adminDbUser: 'awsuser',
  integrationMode: 'multi',
  viewSchema: 'secure',
};

export const WORKGROUP_FIELDS = {
  workgroupName: 'analytics-wg',
  workgroupId: '0f1e2d3c-4b5a-4678-9abc-def012345678',
  database: 'dev',
  secretArn: secretArn('system'),
  adminSecretArn: secretArn('admin'),
  viewSchema: 'secure',
};

/** The diagnostics `run` is refused with (none when it succeeds); any other error is rethrown. */
export function refusals(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map((d) => `${d.code} ${d.summary}`);
    throw e;
  }
  return [];
}
