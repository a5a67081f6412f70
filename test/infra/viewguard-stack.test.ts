// The synthesized stack, bundling the real handlers once per run (two configurations share the bundles through
// the CDK asset cache): resources and properties, one rule per route, IAM least privilege (no "*" action
// anywhere), alarms, bundle sizes, and cdk-nag AwsSolutions with zero unacknowledged findings.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { handlerEntry, PIPELINE_HANDLERS } from '../../infra/stack/handler-function.js';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { ViewguardStack } from '../../infra/stack/viewguard-stack.js';
import { EVENT_SOURCE, ROUTES } from '../../shared/routing/routing-table.js';
import { CLUSTER_FIELDS, secretArn as ACCOUNT_SECRET, WORKGROUP_FIELDS } from '../support/deploy-fixtures.js';

const APPLY_TIMEOUT = 120;

const clusterFields = {
  ...CLUSTER_FIELDS,
  rawSources: ['sales.public'],
  alarmEmail: 'oncall@example.com',
  applyTimeoutSeconds: APPLY_TIMEOUT,
};
const clusterConfig = parseDeployConfig(clusterFields);
const workgroupConfig = parseDeployConfig({
  ...WORKGROUP_FIELDS,
  webhookSecretArn: ACCOUNT_SECRET('webhook'),
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
  retainDataOnDelete: false,
});

interface Synth {
  stack: ViewguardStack;
  template: Template;
  json: Record<string, any>;
  outdir: string;
}
let cluster: Synth;
let workgroup: Synth;

// One app for both stacks: the second stack reuses the first one's bundles (the CDK asset cache is per output
// directory), so each handler is bundled once per run. Asset metadata (as the CDK CLI sets it) says where.
const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });

function synth(id: string, config: typeof clusterConfig): Synth {
  const stack = new ViewguardStack(app, id, { config });
  const assembly = app.synth({ force: true });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON(), outdir: assembly.directory };
}

beforeAll(() => {
  // The handlers are written by other helpers; the stack bundles the real files, never stand-ins.
  const missing = [...PIPELINE_HANDLERS, 'bootstrap'].map(handlerEntry).filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`handlers not written yet: ${missing.join(', ')}`);
  cluster = synth('ClusterStack', clusterConfig);
  workgroup = synth('WorkgroupStack', workgroupConfig);
  const bundlesStaged = readdirSync(cluster.outdir).filter(
    (d) => d.startsWith('asset.') && existsSync(path.join(cluster.outdir, d, 'index.mjs')),
  );
  // + the bootstrap (both handlers in one bundle) + drift-audit
  expect(bundlesStaged.length).toBe(PIPELINE_HANDLERS.length + 2);
}, 600_000);

afterAll(() => {
  if (cluster) rmSync(cluster.outdir, { recursive: true, force: true });
});

const resources = (s: Synth, type: string): [string, any][] =>
  Object.entries(s.json.Resources).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];
const ours = (s: Synth) =>
  resources(s, 'AWS::Lambda::Function').filter(([, r]) =>
    r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME?.startsWith('viewguard-'),
  );
const logicalId = (s: Synth, construct: { node: { defaultChild?: unknown } }) =>
  s.stack.getLogicalId(construct.node.defaultChild as never);

/** Every policy document in the template (identity, resource, key and trust policies). */
function policyDocuments(node: unknown, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => policyDocuments(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (/PolicyDocument$|^KeyPolicy$/.test(k) && v && typeof v === 'object' && 'Statement' in v) out.push(v);
      policyDocuments(v, out);
    }
  }
  return out;
}
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const statementsOf = (s: Synth, fnLogicalId: string) => {
  const fn = s.json.Resources[fnLogicalId];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return resources(s, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
};
const actionsOf = (statements: any[]) => statements.flatMap((st) => asList(st.Action));

describe('functions', () => {
  it('every viewguard function: Node.js 22, arm64, tracing, Powertools settings, log retention', () => {
    for (const s of [cluster, workgroup]) {
      const fns = ours(s);
      expect(fns).toHaveLength(8); // ingest, 3 routers, apply, bootstrap onEvent + isComplete, drift-audit
      for (const [, fn] of fns) {
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(fn.Properties.Environment.Variables).toMatchObject({
          POWERTOOLS_METRICS_NAMESPACE: 'viewguard',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        });
        const logGroup = s.json.Resources[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect(logGroup.Properties.RetentionInDays).toBe(30);
      }
    }
  });

  it('passes the warehouse, queue, bus and secret to the functions that need them', () => {
    const env = (fn: { node: { defaultChild?: unknown } }) =>
      cluster.json.Resources[logicalId(cluster, fn as never)].Properties.Environment.Variables;
    const f = cluster.stack.functions;
    expect(env(f.ingest)).toMatchObject({
      [ENV.eventBusName]: { Ref: expect.any(String) },
      [ENV.webhookSecretArn]: { Ref: expect.any(String) },
      [ENV.maxBodyBytes]: String(200 * 1024),
    });
    expect(env(f.apply)).toMatchObject({
      [ENV.clusterId]: 'analytics',
      [ENV.database]: 'immuta',
      [ENV.dbUser]: 'immuta_system_user',
      [ENV.viewSchema]: 'secure',
      [ENV.integrationMode]: 'multi',
      [ENV.workQueueUrl]: { Ref: expect.any(String) },
    });
    for (const r of ['datasource', 'policy', 'user'] as const) expect(env(f[r])).toHaveProperty(ENV.workQueueUrl);
    expect(env(f.datasource)).not.toHaveProperty(ENV.clusterId);
    const wenv =
      workgroup.json.Resources[logicalId(workgroup, workgroup.stack.functions.apply as never)].Properties.Environment
        .Variables;
    expect(wenv).toMatchObject({
      [ENV.workgroupName]: 'analytics-wg',
      [ENV.dbSecretArn]: ACCOUNT_SECRET('system'),
      [ENV.database]: 'dev',
    });
    expect(wenv).not.toHaveProperty(ENV.clusterId);
  });

  it('bundles each handler minified with the AWS SDK inside, each ≤ 1 MB', () => {
    for (const [name, fn] of [
      ...Object.entries(cluster.stack.functions),
      ['bootstrap', cluster.stack.bootstrap.onEvent] as const,
      ['drift-audit', cluster.stack.driftAudit.fn] as const,
    ]) {
      const res = cluster.json.Resources[logicalId(cluster, fn as never)];
      const assetDir = path.join(cluster.outdir, res.Metadata['aws:asset:path']);
      const bundle = path.join(assetDir, 'index.mjs');
      const size = statSync(bundle).size;
      expect(size, `${name} bundle`).toBeLessThanOrEqual(1024 * 1024);
      const text = readFileSync(bundle, 'utf8');
      // The SDK's user-agent marker: the clients are inside the bundle, not taken from the runtime.
      expect(text, `${name} bundles @aws-sdk`).toContain('aws-sdk-js');
      expect(size / text.split('\n').length, `${name} is minified`).toBeGreaterThan(1000);
    }
  });
  it('ships the PostgreSQL parser WebAssembly exactly with the bundles that load it', () => {
    const fns = [
      ...Object.entries(cluster.stack.functions),
      ['bootstrap', cluster.stack.bootstrap.onEvent] as const,
      ['drift-audit', cluster.stack.driftAudit.fn] as const,
    ];
    let shipped = 0;
    for (const [name, fn] of fns) {
      const dir = path.join(
        cluster.outdir,
        cluster.json.Resources[logicalId(cluster, fn as never)].Metadata['aws:asset:path'],
      );
      const needs = readFileSync(path.join(dir, 'index.mjs'), 'utf8').includes('libpg-query.wasm');
      expect(existsSync(path.join(dir, 'libpg-query.wasm')), name).toBe(needs);
      if (needs) shipped++;
    }
    expect(shipped).toBeGreaterThan(0); // the compiler parses custom WHERE clauses (apply and the routers reach it)
  });

  it('each bundle loads as an ES module on Node 22 and exports its handler', async () => {
    // In a fresh `node` process importing from a .mjs file, as Lambda's ESM loader does: vitest's module
    // runner (and `node -e`) define __dirname/require for the module, which once hid a cold-start crash of
    // libpg-query's loader in four bundles.
    const fns = [
      ...Object.values(cluster.stack.functions),
      cluster.stack.bootstrap.onEvent,
      cluster.stack.bootstrap.isComplete,
      cluster.stack.driftAudit.fn,
    ];
    const probe = path.join(mkdtempSync(path.join(tmpdir(), 'vg-load-')), 'probe.mjs');
    writeFileSync(probe, 'const m = await import(process.argv[2]); process.stdout.write(typeof m[process.argv[3]]);');
    for (const fn of fns) {
      const res = cluster.json.Resources[logicalId(cluster, fn as never)];
      const [file, exportName] = res.Properties.Handler.split('.');
      const bundle = pathToFileURL(path.join(cluster.outdir, res.Metadata['aws:asset:path'], `${file}.mjs`)).href;
      const out = execFileSync(process.execPath, [probe, bundle, exportName], { encoding: 'utf8', cwd: tmpdir() });
      expect(out, res.Properties.Handler).toBe('function');
    }
  });
});

describe('webhook path', () => {
  it('POST /webhooks → ingest, throttled, headers and body validated without rewriting it', () => {
    const t = cluster.template;
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: { Type: 'AWS_PROXY' },
      RequestParameters: {
        'method.request.header.webhook-id': true,
        'method.request.header.webhook-timestamp': true,
        'method.request.header.webhook-signature': true,
      },
    });
    t.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DataTraceEnabled: false }),
      ]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('a custom bus with an archive of every webhook', () => {
    cluster.template.resourceCountIs('AWS::Events::EventBus', 1);
    cluster.template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 90,
    });
  });

  it('one rule per route of the routing table, each with retries and its own DLQ', () => {
    // (the drift-and-audit schedule is a rule too, on the default bus: not a route)
    const rules = resources(cluster, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const match = rules.filter(
        ([, r]) => JSON.stringify(r.Properties.EventPattern['detail-type']) === JSON.stringify(route.types),
      );
      expect(match, route.category).toHaveLength(1);
      const rule = match[0]![1].Properties;
      expect(rule.EventPattern.source).toEqual([EVENT_SOURCE]);
      expect(rule.EventBusName).toEqual({ Ref: expect.any(String) });
      const target = rule.Targets[0];
      const routerId = logicalId(cluster, cluster.stack.functions[route.category] as never);
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [routerId, 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 6 * 3600 });
      expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][1]).toBe('Arn');
    }
    const dlqs = new Set(rules.map(([, r]) => r.Properties.Targets[0].DeadLetterConfig.Arn['Fn::GetAtt'][0]));
    expect(dlqs.size).toBe(ROUTES.length);
  });

  it('FIFO work queue: explicit dedup ids, visibility 6× apply timeout, FIFO DLQ after 5 receives', () => {
    const queues = resources(cluster, 'AWS::SQS::Queue');
    const work = queues.find(([, q]) => q.Properties.RedrivePolicy)!;
    expect(work[1].Properties).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      VisibilityTimeout: 6 * APPLY_TIMEOUT,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    const dlqId = work[1].Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(cluster.json.Resources[dlqId].Properties.FifoQueue).toBe(true);
    for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('apply consumes the queue with partial batch failures, ≤ 10 per batch, bounded concurrency', () => {
    cluster.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(cluster, cluster.stack.functions.apply as never) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });
});

describe('least privilege', () => {
  it('no "*" in any allowed action of any policy document; wildcards only in the TLS-only denies', () => {
    for (const s of [cluster, workgroup]) {
      const docs = policyDocuments(s.json.Resources);
      expect(docs.length).toBeGreaterThan(10);
      for (const doc of docs) {
        for (const st of doc.Statement) {
          const wildcard = asList(st.Action ?? []).some((a: string) => a.includes('*'));
          if (st.Effect === 'Allow') expect(wildcard, JSON.stringify(st)).toBe(false);
          // A deny only takes away: enforceSSL's "deny everything without TLS" is the one allowed wildcard.
          else if (wildcard)
            expect(st.Condition, JSON.stringify(st)).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
        }
      }
    }
  });

  it('Data API: run statements only on the configured cluster; read only own statements', () => {
    const apply = statementsOf(cluster, logicalId(cluster, cluster.stack.functions.apply as never));
    const exec = apply.filter((st) => asList(st.Action).includes('redshift-data:BatchExecuteStatement'));
    expect(exec).toHaveLength(1);
    expect(JSON.stringify(exec[0].Resource)).toContain(':cluster:analytics');
    const own = apply.filter((st) => asList(st.Action).includes('redshift-data:DescribeStatement'));
    expect(own).toHaveLength(1);
    expect(own[0].Condition).toEqual({ StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } });
    expect(asList(own[0].Action).sort()).toEqual([
      'redshift-data:CancelStatement',
      'redshift-data:DescribeStatement',
      'redshift-data:GetStatementResult',
    ]);
    const creds = apply.filter((st) => asList(st.Action).includes('redshift:GetClusterCredentials'));
    expect(creds).toHaveLength(1);
    const arns = JSON.stringify(creds[0].Resource);
    expect(arns).toContain(':dbuser:analytics/immuta_system_user');
    expect(arns).toContain(':dbname:analytics/immuta');
    expect(arns).not.toContain('awsuser');
    // Only these functions may use the Data API at all.
    const dataApiUsers = ours(cluster).filter(([id]) =>
      actionsOf(statementsOf(cluster, id)).some((a) => a.startsWith('redshift')),
    );
    const expected = ['apply', 'policy'].map((n) => logicalId(cluster, cluster.stack.functions[n as 'apply'] as never));
    expected.push(
      logicalId(cluster, cluster.stack.bootstrap.onEvent as never),
      logicalId(cluster, cluster.stack.bootstrap.isComplete as never),
      logicalId(cluster, cluster.stack.driftAudit.fn as never),
    );
    expect(dataApiUsers.map(([id]) => id).sort()).toEqual(expected.sort());
  });

  it(
    'the bootstrap signs in as the administrator (and the ' + 'system user only in isComplete), raw databases included',
    () => {
      const isComplete = statementsOf(cluster, logicalId(cluster, cluster.stack.bootstrap.isComplete as never));
      const arns = JSON.stringify(
        isComplete
          .filter((st) => asList(st.Action).includes('redshift:GetClusterCredentials'))
          .map((st) => st.Resource),
      );
      for (const part of [
        ':dbuser:analytics/awsuser',
        ':dbuser:analytics/immuta_system_user',
        ':dbname:analytics/sales',
        ':dbname:analytics/immuta',
      ]) {
        expect(arns).toContain(part);
      }
      const onEvent = statementsOf(cluster, logicalId(cluster, cluster.stack.bootstrap.onEvent as never));
      expect(JSON.stringify(onEvent)).not.toContain('immuta_system_user');
    },
  );

  it('a workgroup is scoped by its id; each secret is readable only by the functions that need it', () => {
    const s = workgroup;
    const apply = statementsOf(s, logicalId(s, s.stack.functions.apply as never));
    const exec = apply.find((st) => asList(st.Action).includes('redshift-data:ExecuteStatement'));
    expect(JSON.stringify(exec.Resource)).toContain(':workgroup/0f1e2d3c-4b5a-4678-9abc-def012345678');
    expect(actionsOf(apply)).not.toContain('redshift:GetClusterCredentials');
    const readers = (secretArn: string) =>
      ours(s)
        .filter(([id]) =>
          statementsOf(s, id).some(
            (st) =>
              asList(st.Action).includes('secretsmanager:GetSecretValue') &&
              JSON.stringify(st.Resource).includes(secretArn),
          ),
        )
        .map(([id]) => id)
        .sort();
    const id = (c: { node: { defaultChild?: unknown } }) => logicalId(s, c as never);
    const f = s.stack.functions;
    expect(readers(ACCOUNT_SECRET('webhook'))).toEqual([id(f.ingest)]);
    expect(readers(ACCOUNT_SECRET('system'))).toEqual(
      [id(f.apply), id(s.stack.bootstrap.isComplete), id(f.policy), id(s.stack.driftAudit.fn)].sort(),
    );
    expect(readers(ACCOUNT_SECRET('admin'))).toEqual(
      [id(s.stack.bootstrap.isComplete), id(s.stack.bootstrap.onEvent), id(s.stack.driftAudit.fn)].sort(),
    );
    // The generated hashing key: only isComplete.
    const hashKeyRef = JSON.stringify({ Ref: s.stack.getLogicalId(s.stack.hashKeySecret.node.defaultChild as never) });
    const hashReaders = ours(s).filter(([fid]) =>
      statementsOf(s, fid).some((st) => JSON.stringify(st.Resource ?? '').includes(hashKeyRef)),
    );
    expect(hashReaders.map(([fid]) => fid)).toEqual([id(s.stack.bootstrap.isComplete)]);
  });

  it('only ingest may put events on the bus; only routers and apply may send to the work queue', () => {
    const senders = ours(cluster).filter(([id]) => actionsOf(statementsOf(cluster, id)).includes('events:PutEvents'));
    expect(senders.map(([id]) => id)).toEqual([logicalId(cluster, cluster.stack.functions.ingest as never)]);
    const f = cluster.stack.functions;
    const queueSenders = ours(cluster)
      .filter(([id]) => actionsOf(statementsOf(cluster, id)).includes('sqs:SendMessage'))
      .map(([id]) => id)
      .sort();
    expect(queueSenders).toEqual(
      [f.apply, f.datasource, f.policy, f.user].map((fn) => logicalId(cluster, fn as never)).sort(),
    );
  });
});

describe('bootstrap custom resource', () => {
  it('carries the plan hash and the deletion choice; data are kept unless configured', () => {
    const layout = resources(cluster, 'Custom::ViewguardWarehouseLayout');
    expect(layout).toHaveLength(1);
    const p = layout[0]![1].Properties;
    expect(p.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(p.retainDataOnDelete).toBe(true);
    expect(p.admin).toEqual({ dbUser: 'awsuser' });
    expect(p.system).toEqual({ dbUser: 'immuta_system_user' });
    expect(p.integration).toMatchObject({ mode: 'multi', viewSchema: 'secure' });
    const w = resources(workgroup, 'Custom::ViewguardWarehouseLayout')[0]![1].Properties;
    expect(w.retainDataOnDelete).toBe(false);
    expect(w.target).toEqual({ workgroupName: 'analytics-wg', database: 'dev' });
    // A layout change is a property change (re-run); a different view schema gives a different hash.
    expect(w.planHash).not.toBe(p.planHash);
  });

  it('polls through the Provider framework (isComplete + a waiter state machine)', () => {
    cluster.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const onEvent = cluster.json.Resources[logicalId(cluster, cluster.stack.bootstrap.onEvent as never)];
    const isComplete = cluster.json.Resources[logicalId(cluster, cluster.stack.bootstrap.isComplete as never)];
    expect(onEvent.Properties.Handler).toBe('index.onEvent');
    expect(isComplete.Properties.Handler).toBe('index.isComplete');
  });
});

describe('operations', () => {
  it(
    'alarms: a message in any DLQ, old work, apply error rate, a ' +
      'view failed closed, API 5xx — all to the SNS topic',
    () => {
      const alarms = resources(cluster, 'AWS::CloudWatch::Alarm');
      const topicId = cluster.stack.getLogicalId(cluster.stack.operations.topic.node.defaultChild as never);
      for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      const dlqAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
      expect(dlqAlarms).toHaveLength(ROUTES.length + 1);
      for (const [, a] of dlqAlarms)
        expect(a.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(
        alarms.some(
          ([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage' && a.Properties.Threshold === 900,
        ),
      ).toBe(true);
      expect(
        alarms.some(([, a]) => JSON.stringify(a.Properties.Metrics ?? '').includes('100 * errors / invocations')),
      ).toBe(true);
      expect(
        alarms.some(
          ([, a]) => a.Properties.MetricName === 'ViewsFailedClosed' && a.Properties.Namespace === 'viewguard',
        ),
      ).toBe(true);
      cluster.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
      });
      // A given topic is used, not created.
      workgroup.template.resourceCountIs('AWS::SNS::Topic', 0);
      for (const [, a] of resources(workgroup, 'AWS::CloudWatch::Alarm'))
        expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops']);
    },
  );

  it('the dashboard shows the path of a webhook and the apply EMF metrics', () => {
    const [, dash] = resources(cluster, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dash.Properties.DashboardBody);
    for (const m of [
      '4XXError',
      '5XXError',
      'Latency',
      'MatchedEvents',
      'FailedInvocations',
      'ApproximateAgeOfOldestMessage',
      'Throttles',
      'Duration',
    ]) {
      expect(body).toContain(m);
    }
    const emf = (m: string, service: string) => `\\"viewguard\\",\\"${m}\\",\\"service\\",\\"${service}\\"`;
    for (const m of [
      'Applied',
      'Failed',
      'Skipped',
      'ViewsFailedClosed',
      'StatementsFinished',
      'StatementsFailed',
      'StatementsAborted',
      'StatementLatency',
      'EndToEndLag',
    ]) {
      expect(body).toContain(emf(m, 'viewguard-apply'));
    }
    for (const r of ROUTES) expect(body).toContain(emf('EventsReceived', `viewguard-${r.functionName}`));
    expect(body).toContain('p99');
  });

  it(
    'drift and audit: a daily schedule (configurable), the system user and the administrator, alarms to the topic, ' +
      'a dashboard row',
    () => {
      const fnId = logicalId(cluster, cluster.stack.driftAudit.fn as never);
      cluster.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 day)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
      });
      expect(cluster.json.Resources[fnId].Properties.Environment.Variables).toMatchObject({
        [ENV.clusterId]: 'analytics',
        [ENV.dbUser]: 'immuta_system_user',
        [ENV.systemUser]: 'immuta_system_user',
        [ENV.adminDbUser]: 'awsuser',
        POWERTOOLS_SERVICE_NAME: 'viewguard-drift-audit',
      });
      const creds = JSON.stringify(
        statementsOf(cluster, fnId)
          .filter((st) => asList(st.Action).includes('redshift:GetClusterCredentials'))
          .map((st) => st.Resource),
      );
      for (const part of [':dbuser:analytics/awsuser', ':dbuser:analytics/immuta_system_user'])
        expect(creds).toContain(part);
      const topicId = cluster.stack.getLogicalId(cluster.stack.operations.topic.node.defaultChild as never);
      const alarms = resources(cluster, 'AWS::CloudWatch::Alarm');
      for (const m of ['DriftFindings', 'RawTableBypasses']) {
        const a = alarms.find(([, x]) => x.Properties.MetricName === m)?.[1];
        expect(a?.Properties, m).toMatchObject({
          Namespace: 'viewguard',
          Threshold: 1,
          AlarmActions: [{ Ref: topicId }],
          Dimensions: [{ Name: 'service', Value: 'viewguard-drift-audit' }],
        });
      }
      const body = JSON.stringify(resources(cluster, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
      expect(body).toContain('Drift and privilege audit');
      // The workgroup signs the administrator in with its secret; another schedule can be configured.
      const wid = logicalId(workgroup, workgroup.stack.driftAudit.fn as never);
      expect(workgroup.json.Resources[wid].Properties.Environment.Variables).toMatchObject({
        [ENV.adminSecretArn]: ACCOUNT_SECRET('admin'),
        [ENV.workgroupName]: 'analytics-wg',
      });
      expect(parseDeployConfig({ ...clusterFields, driftAuditSchedule: 'cron(0 6 * * ? *)' }).driftAuditSchedule).toBe(
        'cron(0 6 * * ? *)',
      );
      expect(() => parseDeployConfig({ ...clusterFields, driftAuditSchedule: 'daily' })).toThrow(
        /driftAuditSchedule: must be an EventBridge schedule expression/,
      );
    },
  );

  it('outputs the webhook URL, the secret ARN and the dashboard name', () => {
    const outputs = Object.keys(cluster.json.Outputs);
    for (const o of ['WebhookUrl', 'WebhookSecretArn', 'DashboardName', 'AlarmTopicArn', 'ArchiveName'])
      expect(outputs).toContain(o);
  });
});

describe('cdk-nag', () => {
  it.each([
    ['cluster', () => cluster],
    ['workgroup', () => workgroup],
  ])('AwsSolutions: zero unacknowledged findings (%s)', (_n, get) => {
    const report = new AwsSolutionsChecks().validateScope(get().stack);
    expect(
      report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath ?? '').join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('would catch a finding (a queue without a DLQ and without acknowledgement)', async () => {
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const probeApp = new App({ outdir: path.join(cluster.outdir, 'probe') }); // removed with the assembly
    const stack = new (await import('aws-cdk-lib')).Stack(probeApp, 'Probe');
    new Queue(stack, 'Plain', { enforceSSL: true });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SQS3');
  });
});
