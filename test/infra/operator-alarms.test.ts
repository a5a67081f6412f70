// The alarms for what fails first and the dashboard row that shows them, on the synthesized template (bundling
// skipped): rejected webhooks, no traffic, ingest/router errors, Data API throttling — thresholds from the
// environment, all to the alarm topic, in the alarm-status widget; and the environment's names in the metrics.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { ViewguardStack } from '../../infra/stack/viewguard-stack.js';
import { ROUTES } from '../../shared/routing/routing-table.js';
import { CLUSTER_FIELDS } from '../support/deploy-fixtures.js';

const base = CLUSTER_FIELDS;

function synth(fields: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ViewguardStack(app, 'Alarms', { config: parseDeployConfig({ ...base, ...fields }) });
  const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, any> };
  const alarms = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
  const byId = (prefix: string) =>
    alarms.filter(([id]) => id.startsWith(`Operations${prefix}`)).map(([, a]) => a.Properties);
  const one = (prefix: string) => {
    const found = byId(prefix);
    expect(found, prefix).toHaveLength(1);
    return found[0];
  };
  const dashboard = JSON.stringify(
    Object.values(json.Resources).find((r: any) => r.Type === 'AWS::CloudWatch::Dashboard').Properties.DashboardBody,
  );
  return {
    stack,
    json,
    alarms,
    one,
    byId,
    dashboard,
    id: (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never),
  };
}

describe('operator alarms (defaults)', () => {
  const s = synth();
  const topic = { Ref: s.id(s.stack.operations.topic as never) };

  it('rejected webhooks: ingest’s WebhooksRejected, 5+ in 5 minutes', () => {
    expect(s.one('WebhooksRejected')).toMatchObject({
      Namespace: 'viewguard',
      MetricName: 'WebhooksRejected',
      Dimensions: [{ Name: 'service', Value: 'viewguard-ingest' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('no traffic: no ingest invocation for 24 hours, missing data breaching', () => {
    expect(s.one('NoTraffic')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id(s.stack.functions.ingest as never) } }],
      Period: 3600,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('errors of ingest and of each router: one alarm each on its own function', () => {
    for (const name of ['ingest', ...ROUTES.map((r) => r.category)] as const) {
      const title = name[0]!.toUpperCase() + name.slice(1);
      expect(s.one(`${title}Errors`), name).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id(s.stack.functions[name] as never) } }],
        Threshold: 1,
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('Data API throttling: the sum of apply’s and the policy router’s DataApiThrottled, twice in a row', () => {
    const a = s.one('DataApiThrottled');
    expect(a).toMatchObject({
      Threshold: 10,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const expr = a.Metrics.find((m: any) => m.Expression);
    expect(expr.Expression).toBe('FILL(t0, 0) + FILL(t1, 0)');
    const services = a.Metrics.filter((m: any) => m.MetricStat).map((m: any) => {
      expect(m.MetricStat).toMatchObject({
        Metric: { Namespace: 'viewguard', MetricName: 'DataApiThrottled' },
        Period: 300,
        Stat: 'Sum',
      });
      return m.MetricStat.Metric.Dimensions[0].Value;
    });
    expect(services.sort()).toEqual(['viewguard-apply', 'viewguard-policy']);
  });

  it('every alarm notifies the topic (alarm and OK) and is on the alarm-status widget', () => {
    for (const [id, a] of s.alarms) {
      expect(a.Properties.AlarmActions, id).toEqual([topic]);
      expect(a.Properties.OKActions, id).toEqual([topic]);
      expect(s.dashboard, id).toContain(id);
    }
  });

  it('the dashboard shows webhooks accepted / rejected / failed, the function errors and DataApiThrottled', () => {
    for (const m of ['WebhooksAccepted', 'WebhooksRejected', 'WebhooksFailed'])
      expect(s.dashboard).toContain(`\\"viewguard\\",\\"${m}\\",\\"service\\",\\"viewguard-ingest\\"`);
    for (const svc of ['viewguard-apply', 'viewguard-policy'])
      expect(s.dashboard).toContain(`\\"viewguard\\",\\"DataApiThrottled\\",\\"service\\",\\"${svc}\\"`);
    expect(s.dashboard).toContain('Webhooks: accepted / rejected / failed (ingest)');
  });
});

describe('operator alarms (settings and environment)', () => {
  it('thresholds come from the settings; noTrafficAlarmHours 0 turns the no-traffic alarm off', () => {
    const s = synth({
      rejectedWebhooksAlarmThreshold: '20',
      noTrafficAlarmHours: 0,
      functionErrorsAlarmThreshold: 3,
      dataApiThrottledAlarmThreshold: 50,
    });
    expect(s.one('WebhooksRejected').Threshold).toBe(20);
    expect(s.byId('NoTraffic')).toEqual([]);
    expect(s.one('IngestErrors').Threshold).toBe(3);
    expect(s.one('DataApiThrottled').Threshold).toBe(50);
  });

  it('a week is the longest no-traffic window (CloudWatch: period × evaluation periods ≤ 7 days)', () => {
    expect(synth({ noTrafficAlarmHours: 168 }).one('NoTraffic')).toMatchObject({
      Period: 3600,
      EvaluationPeriods: 168,
    });
    expect(() => parseDeployConfig({ ...base, noTrafficAlarmHours: 169 })).toThrow(/noTrafficAlarmHours/);
  });

  it('in an environment the metrics are the environment’s services', () => {
    const s = synth({ env: 'prod' });
    expect(s.one('WebhooksRejected').Dimensions).toEqual([{ Name: 'service', Value: 'viewguard-prod-ingest' }]);
    expect(s.dashboard).toContain('viewguard-prod-apply');
    expect(s.dashboard).not.toContain('\\"viewguard-apply\\"');
  });

  it(
    'in an environment, with the Immuta connector on, every ' + 'service an alarm or a widget reads is a function’s',
    () => {
      const s = synth({ env: 'prod', immutaUrl: 'https://acme.hosted.immutacloud.com' });
      const published = new Set(
        Object.values(s.json.Resources)
          .map((r: any) => r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
          .filter(Boolean),
      );
      const inAlarms = [...JSON.stringify(s.alarms).matchAll(/"Name":"service","Value":"([^"]+)"/g)].map((m) => m[1]!);
      const inWidgets = [...s.dashboard.matchAll(/\\"service\\",\\"([^\\"]+)\\"/g)].map((m) => m[1]!);
      // Alarms and widgets of ingest, the Data API, drift-and-audit and the Immuta connector all read a service.
      for (const svc of ['viewguard-prod-ingest', 'viewguard-prod-drift-audit', 'viewguard-prod-immuta-reconcile'])
        expect(inAlarms).toContain(svc);
      for (const svc of ['viewguard-prod-apply', 'viewguard-prod-drift-audit', 'viewguard-prod-immuta-notice'])
        expect(inWidgets).toContain(svc);
      expect([...inAlarms, ...inWidgets].filter((svc) => !published.has(svc))).toEqual([]);
    },
  );
});
