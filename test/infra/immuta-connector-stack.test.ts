// The stack with the Immuta connector on (docs/immuta.md): POST /immuta → immuta-notice, the hint queue and its
// DLQ → immuta-fetch, the reconcile schedule (+ DLQ) → immuta-reconcile; both secrets created or imported; each
// function's IAM is only what it needs (no "*" action); alarms and the dashboard row; cdk-nag clean; deploy
// parameters validated at synth. Synthesized without bundling (the structure is what is checked here); the
// three handlers' bundles are built and loaded by immuta-bundles.test.ts.
import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFields, parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { IMMUTA_HANDLERS } from '../../infra/stack/immuta-connector.js';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { ViewguardStack } from '../../infra/stack/viewguard-stack.js';
import { DiagnosticError } from '../../shared/diagnostics/diagnostic.js';
import { CLUSTER_FIELDS, secretArn } from '../support/deploy-fixtures.js';

const ARN = secretArn;
const BASE = { ...CLUSTER_FIELDS, rawSources: ['sales.public'] };

let template: Template;
let json: Record<string, any>;
let stack: ViewguardStack;
let outdir: string;

beforeAll(() => {
  // No bundling: a stack-structure test (the CDK skips bundling for stacks not listed here).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  // In an environment: its prefix names the functions' services, which the alarms and the dashboard must follow.
  const config = parseDeployConfig({
    ...BASE,
    env: 'staging',
    immutaUrl: 'https://acme.hosted.immutacloud.com',
    immutaUserNamePrefix: 'IAM:',
    immutaReconcileSchedule: '30',
  });
  stack = new ViewguardStack(app, 'WithImmuta', { config });
  outdir = app.synth().directory;
  template = Template.fromStack(stack);
  json = template.toJSON();
}, 600_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const resources = (type: string): [string, any][] =>
  Object.entries(json.Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
function statementsOf(fnId: string): any[] {
  const roleId = json.Resources[fnId].Properties.Role['Fn::GetAtt'][0];
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (fnId: string) => statementsOf(fnId).flatMap((s) => asList(s.Action));

describe('Immuta connector in the stack', () => {
  it('adds the three functions', () => {
    for (const name of IMMUTA_HANDLERS)
      expect(
        resources('AWS::Lambda::Function').some(
          ([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === `viewguard-staging-${name}`,
        ),
        name,
      ).toBe(true);
  });

  it('POST /immuta → immuta-notice, without an API Gateway header check (a missing signature is our 401)', () => {
    const resource = resources('AWS::ApiGateway::Resource').find(([, r]) => r.Properties.PathPart === 'immuta');
    expect(resource).toBeDefined();
    const method = resources('AWS::ApiGateway::Method').find(
      ([, r]) => r.Properties.ResourceId?.Ref === resource![0],
    )![1];
    expect(method.Properties).toMatchObject({ HttpMethod: 'POST', Integration: { Type: 'AWS_PROXY' } });
    expect(method.Properties.RequestParameters).toBeUndefined();
    expect(json.Outputs.ImmutaNoticeUrl).toBeDefined();
  });

  it('hint queue with a DLQ (10 receives) feeds immuta-fetch in batches with partial failures', () => {
    const f = stack.immuta!.functions;
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 10, deadLetterTargetArn: Match.anyValue() },
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 600,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(f['immuta-fetch']) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('EventBridge Scheduler invokes the reconciler on the configured schedule, with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    expect(json.Outputs.ImmutaReconcileFunctionName).toBeDefined();
  });

  it(
    'creates both secrets when not given, and passes the ' + 'settings (user-name rule, placement) to the functions',
    () => {
      expect(
        resources('AWS::SecretsManager::Secret')
          .map(([id]) => id)
          .filter((id) => id.startsWith('Immuta')),
      ).toHaveLength(2);
      const env =
        json.Resources[logicalId(stack.immuta!.functions['immuta-reconcile'])].Properties.Environment.Variables;
      const settings = JSON.parse(env[ENV.immutaSettings]);
      expect(settings).toMatchObject({
        url: 'https://acme.hosted.immutacloud.com',
        userName: { prefix: 'IAM:', source: 'externalIdOrUserid' },
        placement: { database: 'sales' },
      });
      expect(env).toMatchObject({
        [ENV.clusterId]: 'analytics',
        [ENV.dbUser]: 'immuta_system_user',
        [ENV.eventBusName]: { Ref: expect.any(String) },
      });
    },
  );

  it(
    'least privilege: the receiver reads its secret and queues; the syncers read the key, the Data API and put ' +
      'events; no "*" action',
    () => {
      const f = stack.immuta!.functions;
      const notice = actionsOf(logicalId(f['immuta-notice']));
      expect(notice).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue', 'sqs:SendMessage']));
      expect(notice.some((a) => a.startsWith('redshift') || a.startsWith('events:'))).toBe(false);
      for (const name of ['immuta-fetch', 'immuta-reconcile'] as const) {
        const acts = actionsOf(logicalId(f[name]));
        expect(acts, name).toEqual(
          expect.arrayContaining([
            'events:PutEvents',
            'redshift-data:ExecuteStatement',
            'secretsmanager:GetSecretValue',
          ]),
        );
        // The notice secret is the receiver's only.
        const noticeSecret = logicalId(stack.immuta!.noticeSecret as never);
        expect(JSON.stringify(statementsOf(logicalId(f[name])))).not.toContain(noticeSecret);
        expect(
          acts.some((a) => a.includes('*')),
          name,
        ).toBe(false);
      }
      expect(notice.some((a) => a.includes('*'))).toBe(false);
    },
  );

  it('alarms on drift, dead letters and failing syncs, on the stack topic; a dashboard row', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Immuta'));
    expect(alarms).toHaveLength(4);
    const drift = alarms.find(([id]) => id.includes('Drift'))![1];
    expect(drift.Properties.Threshold).toBe(1);
    // The alarm watches the dimension the reconciler publishes with: its own POWERTOOLS_SERVICE_NAME.
    const reconcileService =
      json.Resources[logicalId(stack.immuta!.functions['immuta-reconcile'])].Properties.Environment.Variables
        .POWERTOOLS_SERVICE_NAME;
    expect(reconcileService).toBe('viewguard-staging-immuta-reconcile');
    expect(drift.Properties.Metrics).toEqual([
      expect.objectContaining({
        MetricStat: expect.objectContaining({
          Metric: {
            MetricName: 'ImmutaObjectsChanged',
            Namespace: 'viewguard',
            Dimensions: [{ Name: 'service', Value: reconcileService }],
          },
        }),
      }),
    ]);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toHaveLength(1);
    // Every service an alarm or the dashboard reads is one a function of this stack publishes as.
    const services = new Set(
      resources('AWS::Lambda::Function').map(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME),
    );
    const read = [...JSON.stringify(alarms).matchAll(/"Name":"service","Value":"([^"]+)"/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(1);
    for (const s of read) expect(services.has(s), s).toBe(true);
    const body = JSON.stringify(resources('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    const widgets = [...body.matchAll(/\\"service\\",\\"([^\\"]+)\\"/g)]
      .map((m) => m[1])
      .filter((v) => v!.includes('immuta'));
    expect(widgets.length).toBeGreaterThan(3);
    for (const s of widgets) expect(services.has(s), s).toBe(true);
    expect(JSON.stringify(resources('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody)).toContain(
      'Immuta: objects checked / changed',
    );
  });

  it('cdk-nag AwsSolutions: zero unacknowledged findings', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath ?? '').join(', ')}`,
      ),
    ).toEqual([]);
  });
});

describe('Immuta deploy parameters', () => {
  const problems = (fields: Record<string, unknown>): string[] => {
    try {
      parseDeployConfig(fields);
      return [];
    } catch (e) {
      return (e as DiagnosticError).diagnostics.map((d) => d.summary);
    }
  };

  it('imports given secrets instead of creating them; the default schedule is every 15 minutes', () => {
    const c = parseDeployConfig(
      contextFields({
        ...Object.fromEntries(Object.entries(BASE).map(([k, v]) => [`viewguard:${k}`, v])),
        'viewguard:immutaUrl': 'https://acme.hosted.immutacloud.com',
        'viewguard:immutaApiKeySecretArn': ARN('key'),
        'viewguard:immutaNoticeSecretArn': ARN('notice'),
      }),
    );
    expect(c.immuta).toMatchObject({
      apiKeySecretArn: ARN('key'),
      noticeSecretArn: ARN('notice'),
      reconcileSchedule: 'rate(15 minutes)',
    });
  });

  it.each([
    [{ immutaUrl: 'http://acme.example.com' }, 'viewguard:immutaUrl: must be an https:// URL'],
    [
      { immutaUrl: 'https://a.example.com', immutaReconcileSchedule: 'every hour' },
      'viewguard:immutaReconcileSchedule: must be rate(',
    ],
    [
      { immutaUrl: 'https://a.example.com', immutaReconcileSchedule: '2' },
      'viewguard:immutaReconcileSchedule: reconcile at most every 5 minutes',
    ],
    [{ immutaUrl: 'https://a.example.com', immutaUserNamePrefix: 'iam:' }, 'viewguard:immutaUserNamePrefix:'],
    [
      { immutaUrl: 'https://a.example.com', immutaApiKeySecretArn: 'key' },
      'viewguard:immutaApiKeySecretArn: must be a secretsmanager ARN',
    ],
    [
      { immutaUserNameSource: 'userid' },
      'viewguard:immutaUserNameSource: set viewguard:immutaUrl to turn the Immuta connector on',
    ],
  ])('%j → %s', (fields, message) => {
    expect(
      problems({ ...BASE, ...fields }).some((p) => p.startsWith(message)),
      problems({ ...BASE, ...fields }).join('; '),
    ).toBe(true);
  });

  it('without immutaUrl the connector is off: no Immuta resources', () => {
    expect(parseDeployConfig(BASE).immuta).toBeUndefined();
  });
});
