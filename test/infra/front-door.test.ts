// The front door of the webhook endpoint, option by option, asserted on the synthesized template (bundling
// skipped: the Lambda code is not what these tests look at): resource policy by source IP, PRIVATE endpoint
// with VPC endpoints, WAF web ACL, custom domain; every invalid combination fails at synth with its key; and
// cdk-nag AwsSolutions stays clean for each.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { ViewguardStack } from '../../infra/stack/viewguard-stack.js';
import { CLUSTER_FIELDS, refusals } from '../support/deploy-fixtures.js';

const base = { ...CLUSTER_FIELDS, region: 'eu-west-1' };
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/4f1c7a52-0d2e-4b7a-9a51-3c8e2b6d9f10';

let n = 0;
function synth(fields: Record<string, unknown>) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ViewguardStack(app, `FrontDoor${++n}`, { config: parseDeployConfig({ ...base, ...fields }) });
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    json: template.toJSON() as { Resources: Record<string, any>; Outputs: Record<string, any> },
  };
}
const ofType = (json: { Resources: Record<string, any> }, type: string) =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const restApi = (json: { Resources: Record<string, any> }) =>
  ofType(json, 'AWS::ApiGateway::RestApi')[0]![1].Properties;
const deploymentId = (json: { Resources: Record<string, any> }) => ofType(json, 'AWS::ApiGateway::Deployment')[0]![0];

const problems = (fields: Record<string, unknown>): string =>
  refusals(() => parseDeployConfig({ ...base, ...fields })).join('\n');

function nagFindings(stack: ViewguardStack): string[] {
  return new AwsSolutionsChecks()
    .validateScope(stack)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath ?? '').join(', ')}`);
}

describe('front door: defaults', () => {
  it('a regional endpoint on stage v1, no resource policy, no WAF, no custom domain', () => {
    const { json, template } = synth({});
    expect(restApi(json)).toMatchObject({ EndpointConfiguration: { Types: ['REGIONAL'] } });
    expect(restApi(json).Policy).toBeUndefined();
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1' });
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });
});

describe('front door: resource policy by source IP (regional)', () => {
  const { json, stack } = synth({ allowedSourceIps: ['203.0.113.0/24', '198.51.100.17', '2001:db8::/32'] });

  it('allows the stage and denies everything outside the ranges (single IPs become /32)', () => {
    const policy = restApi(json).Policy;
    expect(policy.Statement).toEqual([
      {
        Sid: 'AllowInvoke',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/v1/*',
      },
      {
        Sid: 'DenyOutsideAllowedSourceRanges',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.17/32', '2001:db8::/32'] } },
      },
    ]);
  });

  it(
    'a changed allow-list is a new deployment (API Gateway ' + 'applies a policy only when the stage is redeployed)',
    () => {
      const other = synth({ allowedSourceIps: ['203.0.113.0/24'] }).json;
      const open = synth({}).json;
      expect(new Set([deploymentId(json), deploymentId(other), deploymentId(open)]).size).toBe(3);
      // ...and the same settings give the same deployment (no needless redeploys).
      expect(deploymentId(synth({ allowedSourceIps: ['203.0.113.0/24'] }).json)).toBe(deploymentId(other));
    },
  );

  it('cdk-nag clean', () => expect(nagFindings(stack)).toEqual([]));
});

describe('front door: PRIVATE endpoint with VPC endpoints', () => {
  const ids = ['vpce-0a1b2c3d4e5f60718', 'vpce-12345678'];
  const { json, stack, template } = synth({ endpointType: 'private', allowedVpcEndpointIds: ids.join(',') });

  it('is PRIVATE, associated with the endpoints, and its policy denies any other source endpoint', () => {
    expect(restApi(json).EndpointConfiguration).toEqual({ Types: ['PRIVATE'], VpcEndpointIds: ids });
    const deny = restApi(json).Policy.Statement.find((s: any) => s.Effect === 'Deny');
    expect(deny.Condition).toEqual({ StringNotEquals: { 'aws:SourceVpce': ids } });
    // The webhook URL is the execute-api one (PrivateLink senders call it; no custom domain).
    expect(JSON.stringify(json.Outputs.WebhookUrl.Value)).toContain('execute-api');
    template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });

  it('cdk-nag clean', () => expect(nagFindings(stack)).toEqual([]));
});

describe('front door: WAF web ACL', () => {
  const { json, stack, template } = synth({ env: 'qa', waf: true, wafRateLimit: 1200, wafRateWindowSeconds: '120' });
  const [aclId, acl] = ofType(json, 'AWS::WAFv2::WebACL')[0]!;

  it('a regional web ACL: a per-IP rate-based rule first, then the default managed rule groups', () => {
    expect(acl.Properties).toMatchObject({
      Name: 'viewguard-qa-webhooks',
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
    });
    const rules = acl.Properties.Rules;
    expect(rules[0]).toMatchObject({
      Name: 'RatePerSourceIp',
      Priority: 0,
      Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 1200, EvaluationWindowSec: 120, AggregateKeyType: 'IP' } },
    });
    expect(rules.slice(1).map((r: any) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    for (const r of rules.slice(1)) expect(r.Statement.ManagedRuleGroupStatement.VendorName).toBe('AWS');
    for (const r of rules)
      expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true });
  });

  it('counts (does not block) bodies over 8 KB in the core rule set: webhooks may be larger', () => {
    const crs = acl.Properties.Rules.find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet');
    expect(crs.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
  });

  it('is associated with the stage and logs to aws-waf-logs-… with the signature header redacted', () => {
    const stageId = ofType(json, 'AWS::ApiGateway::Stage')[0]![0];
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: stageId }])]) }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-viewguard-qa-webhooks',
      RetentionInDays: 30,
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      RedactedFields: [{ SingleHeader: { Name: 'webhook-signature' } }],
    });
  });

  it('cdk-nag clean without the APIG3 (no WAF) acknowledgement', () => {
    expect(nagFindings(stack)).toEqual([]);
    // With WAF on, nothing acknowledges APIG3: it is satisfied, not suppressed.
    const acks = JSON.stringify(stack.node.metadata) + JSON.stringify(stack.api.api.node.metadata);
    expect(acks).not.toContain('AwsSolutions-APIG3');
  });

  it('chosen managed rule groups, and only offered ones', () => {
    const picked = synth({ waf: true, wafManagedRuleGroups: 'AWSManagedRulesAnonymousIpList' }).json;
    const rules = ofType(picked, 'AWS::WAFv2::WebACL')[0]![1].Properties.Rules;
    expect(rules.map((r: any) => r.Name)).toEqual(['RatePerSourceIp', 'AWSManagedRulesAnonymousIpList']);
  });
});

describe('front door: custom domain', () => {
  const { json, stack, template } = synth({
    customDomainName: 'webhooks.data.example.com',
    certificateArn: CERT,
    basePath: 'viewguard',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    hostedZoneName: 'data.example.com',
    disableExecuteApiEndpoint: true,
  });

  it('a regional TLS 1.2 domain with the certificate, mapped to the stage under the base path', () => {
    const [domainId] = ofType(json, 'AWS::ApiGateway::DomainName')[0]!;
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'webhooks.data.example.com',
      RegionalCertificateArn: CERT,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    const stageId = ofType(json, 'AWS::ApiGateway::Stage')[0]![0];
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      DomainName: { Ref: domainId },
      BasePath: 'viewguard',
      Stage: { Ref: stageId },
    });
  });

  it('an alias record in the zone, the execute-api URL off, and the URL that survives a re-create as output', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Name: 'webhooks.data.example.com.',
    });
    expect(restApi(json).DisableExecuteApiEndpoint).toBe(true);
    expect(json.Outputs.WebhookUrl.Value).toBe('https://webhooks.data.example.com/viewguard/webhooks');
  });

  it('without a hosted zone: no record, the regional target to point DNS at is an output', () => {
    const { json: j, template: t } = synth({ customDomainName: 'webhooks.data.example.com', certificateArn: CERT });
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(j.Outputs.WebhookUrl.Value).toBe('https://webhooks.data.example.com/webhooks');
    expect(j.Outputs.CustomDomainTarget.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'RegionalDomainName'] });
  });

  it('cdk-nag clean', () => expect(nagFindings(stack)).toEqual([]));
});

describe('front door: invalid combinations fail at synth with the key to fix', () => {
  it.each([
    [
      'private without VPC endpoints',
      { endpointType: 'private' },
      'viewguard:allowedVpcEndpointIds: a private endpoint needs',
    ],
    [
      'source IPs on a private endpoint',
      { endpointType: 'private', allowedVpcEndpointIds: ['vpce-12345678'], allowedSourceIps: ['10.0.0.0/8'] },
      'viewguard:allowedSourceIps: applies to a regional endpoint',
    ],
    [
      'a custom domain on a private endpoint',
      {
        endpointType: 'private',
        allowedVpcEndpointIds: ['vpce-12345678'],
        customDomainName: 'a.example.com',
        certificateArn: CERT,
      },
      'viewguard:customDomainName: a custom domain is supported for a regional endpoint only',
    ],
    [
      'VPC endpoints on a regional endpoint',
      { allowedVpcEndpointIds: ['vpce-12345678'] },
      'viewguard:allowedVpcEndpointIds: applies to endpointType "private" only',
    ],
    [
      'not a VPC endpoint id',
      { endpointType: 'private', allowedVpcEndpointIds: ['vpc-12345678'] },
      'viewguard:allowedVpcEndpointIds',
    ],
    ['not an address or range', { allowedSourceIps: ['10.0.0.0/33'] }, 'must be an IPv4/IPv6 address or CIDR range'],
    [
      'the SQL-injection rule group',
      { waf: true, wafManagedRuleGroups: ['AWSManagedRulesSQLiRuleSet'] },
      'policy webhooks carry SQL',
    ],
    ['an unknown rule group', { waf: true, wafManagedRuleGroups: ['MyRules'] }, '"MyRules" is not offered'],
    ['a rate limit under 10', { waf: true, wafRateLimit: 5 }, 'viewguard:wafRateLimit'],
    ['a rate window AWS does not offer', { waf: true, wafRateWindowSeconds: 240 }, 'viewguard:wafRateWindowSeconds'],
    [
      'a domain without certificate',
      { customDomainName: 'a.example.com' },
      'viewguard:certificateArn: required with customDomainName',
    ],
    [
      'a certificate in another region',
      { customDomainName: 'a.example.com', certificateArn: CERT.replace('eu-west-1', 'us-east-1') },
      "is in us-east-1; a regional custom domain needs a certificate in the stack's region eu-west-1",
    ],
    [
      'a domain outside the hosted zone',
      { customDomainName: 'a.example.com', certificateArn: CERT, hostedZoneId: 'Z123', hostedZoneName: 'other.org' },
      'a.example.com is not in the zone other.org',
    ],
    [
      'a zone id without its name',
      { customDomainName: 'a.example.com', certificateArn: CERT, hostedZoneId: 'Z123' },
      'viewguard:hostedZoneName: required with hostedZoneId',
    ],
    ['a base path without domain', { basePath: 'v1' }, 'viewguard:basePath: applies only with customDomainName'],
    [
      'no URL at all',
      { disableExecuteApiEndpoint: true },
      'viewguard:disableExecuteApiEndpoint: needs customDomainName',
    ],
    [
      'an uppercase domain',
      { customDomainName: 'Webhooks.Example.com', certificateArn: CERT },
      'viewguard:customDomainName: must be a lowercase DNS name',
    ],
  ])('%s', (_name, fields, expected) => {
    const found = problems(fields);
    expect(found).toContain(expected);
    expect(found.split('\n').every((p) => p.startsWith('VG204 viewguard:'))).toBe(true);
  });
});

describe('the account-level API Gateway CloudWatch role', () => {
  it('is created by default, and left to another stack of the account with apiCloudWatchRole: false', () => {
    synth({}).template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const { template, stack } = synth({ apiCloudWatchRole: 'false' });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    // Logging stays on: the stage uses the account's existing role.
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ LoggingLevel: 'ERROR' })]),
    });
    expect(nagFindings(stack)).toEqual([]);
  });
});
