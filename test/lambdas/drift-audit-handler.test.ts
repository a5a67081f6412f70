// The scheduled drift-and-audit Lambda, with the Data API mocked at the SDK boundary (the fake cluster of the
// operator tests): drift as the system user, the audit as the administrator, the counts as EMF metrics in the
// `viewguard` namespace (what the alarms watch), one log line per finding; it never repairs.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { BatchExecuteStatementCommand, ExecuteStatementCommand } from '@aws-sdk/client-redshift-data';
import type { Context } from 'aws-lambda';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { fake, installFakeCluster, rd, sent } from '../operations/support/fake-redshift.js';
import { lintRedshift } from '../support/lint/redshift-lint.js';

let handler: (
  event: unknown,
  context: Context,
) => Promise<{ driftFindings: number; rawTableBypasses: number; auditFindings: number }>;
let adminTargetFromEnv: (env: Record<string, string | undefined>) => unknown;
let out: string[] = [];
const context = {
  getRemainingTimeInMillis: () => 900_000,
  functionName: 'drift-audit',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:drift-audit',
} as unknown as Context;
const emf = () =>
  out
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
    POWERTOOLS_SERVICE_NAME: 'viewguard-drift-audit',
    [ENV.database]: 'dev',
    [ENV.clusterId]: 'analytics',
    [ENV.dbUser]: 'immuta_system_user',
    [ENV.viewSchema]: 'secure',
    [ENV.integrationMode]: 'single',
    [ENV.systemUser]: 'immuta_system_user',
    [ENV.adminDbUser]: 'awsuser',
  });
  ({ handler, adminTargetFromEnv } = (await import('../../lambdas/drift-audit/handler.js')) as never);
});
beforeEach(() => {
  installFakeCluster();
  sent.length = 0;
  fake.probes = [];
  fake.edited = true;
  out = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('drift-and-audit Lambda', () => {
  it(
    'drift as the system user, audit as the administrator; ' +
      'counts as EMF metrics; findings logged; nothing repaired',
    async () => {
      const summary = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context);
      // drift: the edited view and the 7 routines the fake catalog does not list; audit: bob, the group, the default
      expect(summary).toEqual({ driftFindings: 8, rawTableBypasses: 3, auditFindings: 3 });
      const docs = emf();
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({
        DriftFindings: 8,
        RawTableBypasses: 3,
        AuditFindings: 3,
        service: 'viewguard-drift-audit',
      });
      expect(docs[0]!._aws).toMatchObject({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'viewguard' })] });
      const auths = rd.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input.DbUser);
      expect(new Set(auths)).toEqual(new Set(['immuta_system_user', 'awsuser']));
      // Audit statements (HAS_TABLE_PRIVILEGE, SVV views) go out as the administrator only.
      for (const c of rd.commandCalls(ExecuteStatementCommand)) {
        if (/HAS_TABLE_PRIVILEGE|svv_default_privileges/.test(c.args[0].input.Sql!))
          expect(c.args[0].input.DbUser).toBe('awsuser');
      }
      // Probes only: the drift check creates and drops them; no view of ours is touched.
      for (const c of rd.commandCalls(BatchExecuteStatementCommand))
        for (const sql of c.args[0].input.Sqls!) expect(sql).not.toMatch(/VIEW "secure"\./);
      expect(out.join('')).toMatch(/"message":"drift".*"object":"secure\.orders"/);
      for (const s of sent) expect(lintRedshift(s.sql), s.sql).toEqual([]);
    },
  );

  it('the administrator signs in on the same cluster or workgroup with its own credentials; exactly one way', () => {
    expect(
      adminTargetFromEnv({
        [ENV.database]: 'dev',
        [ENV.clusterId]: 'c',
        [ENV.dbUser]: 'sys',
        [ENV.adminDbUser]: 'awsuser',
      }),
    ).toEqual({ database: 'dev', clusterIdentifier: 'c', dbUser: 'awsuser' });
    expect(
      adminTargetFromEnv({
        [ENV.database]: 'dev',
        [ENV.workgroupName]: 'wg',
        [ENV.dbSecretArn]: 's',
        [ENV.adminSecretArn]: 'a',
      }),
    ).toEqual({ database: 'dev', workgroupName: 'wg', secretArn: 'a' });
    expect(() => adminTargetFromEnv({ [ENV.database]: 'dev', [ENV.clusterId]: 'c', [ENV.dbUser]: 'sys' })).toThrow(
      /exactly one of VIEWGUARD_REDSHIFT_ADMIN_DB_USER and VIEWGUARD_REDSHIFT_ADMIN_SECRET_ARN/,
    );
  });
});
