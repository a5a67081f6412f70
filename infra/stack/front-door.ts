// What stands in front of POST /webhooks besides the HMAC: the API's resource policy (source IP ranges, or the
// VPC endpoints of a PRIVATE API), an optional WAF web ACL on the stage (AWS managed rule groups + a rate-based
// rule), and an optional custom domain with a base path mapping, so that the webhook URL survives a re-create.
// API Gateway applies a changed resource policy only with a new deployment; the CDK hashes the RestApi (its
// policy included) into the deployment's logical id, so a policy change re-deploys the stage (test/infra).
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { FrontDoorConfig } from './front-door-config.js';

/** The path callers POST to, below the stage (or the custom domain's base path). */
export const WEBHOOK_PATH = 'webhooks';

/** The endpoint configuration and resource policy a RestApi must be created with. */
export function restApiFrontDoorProps(
  scope: Construct,
  config: FrontDoorConfig,
): Pick<apigateway.RestApiProps, 'endpointConfiguration' | 'policy' | 'disableExecuteApiEndpoint'> {
  const policy = resourcePolicy(config);
  return {
    endpointConfiguration:
      config.endpointType === 'private'
        ? {
            types: [apigateway.EndpointType.PRIVATE],
            // Associating the endpoints gives each a Route 53 alias ({api-id}-{vpce-id}.execute-api…) that
            // resolves without private DNS, also for an endpoint in another account.
            vpcEndpoints: config.allowedVpcEndpointIds.map((vpcEndpointId) =>
              ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(scope, `AllowedEndpoint-${vpcEndpointId}`, {
                vpcEndpointId,
                port: 443,
              }),
            ),
          }
        : { types: [apigateway.EndpointType.REGIONAL] },
    ...(policy ? { policy } : {}),
    disableExecuteApiEndpoint: config.disableExecuteApiEndpoint,
  };
}

/**
 * Allow the API's methods (POST /webhooks and any route added later); deny every request that does not come
 * from the allowed ranges or VPC endpoints. None when open. With a resource policy API Gateway needs an explicit
 * allow, so the allow is not narrowed to one route: a route another construct adds must not be locked out.
 */
export function resourcePolicy(config: FrontDoorConfig): iam.PolicyDocument | undefined {
  const restriction =
    config.endpointType === 'private'
      ? { StringNotEquals: { 'aws:SourceVpce': config.allowedVpcEndpointIds } }
      : config.allowedSourceIps.length > 0
        ? { NotIpAddress: { 'aws:SourceIp': config.allowedSourceIps } }
        : undefined;
  if (!restriction) return undefined;
  // The policy lives on the API itself, so it names resources in API Gateway's short form (no API id).
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AllowInvoke',
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [`execute-api:/${config.stageName}/*`],
      }),
      new iam.PolicyStatement({
        sid: config.endpointType === 'private' ? 'DenyOutsideAllowedVpcEndpoints' : 'DenyOutsideAllowedSourceRanges',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: restriction,
      }),
    ],
  });
}

export interface FrontDoorProps {
  api: apigateway.RestApi;
  config: FrontDoorConfig;
  /** Prefix of the web ACL and its log group names (the environment's resource prefix). */
  namePrefix: string;
  removalPolicy: RemovalPolicy;
}

/** WAF and the custom domain, added to an API created with restApiFrontDoorProps. */
export class FrontDoor extends Construct {
  readonly webAcl?: wafv2.CfnWebACL;
  readonly domain?: apigateway.DomainName;
  /** The URL to register with the sender. */
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const { api, config } = props;
    if (config.waf) this.webAcl = this.addWebAcl(props);
    if (config.customDomain) {
      const d = config.customDomain;
      this.domain = new apigateway.DomainName(this, 'Domain', {
        domainName: d.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', d.certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      });
      this.domain.addBasePathMapping(api, {
        stage: api.deploymentStage,
        ...(d.basePath ? { basePath: d.basePath } : {}),
      });
      if (d.hostedZone) {
        const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: d.hostedZone.id,
          zoneName: d.hostedZone.name,
        });
        new route53.ARecord(this, 'Alias', {
          zone,
          recordName: d.domainName,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domain)),
        });
      }
      this.webhookUrl = `https://${d.domainName}/${d.basePath ? `${d.basePath}/` : ''}${WEBHOOK_PATH}`;
    } else {
      this.webhookUrl = api.urlForPath(`/${WEBHOOK_PATH}`);
    }
  }

  private addWebAcl(props: FrontDoorProps): wafv2.CfnWebACL {
    const waf = props.config.waf!;
    const name = `${props.namePrefix}-webhooks`;
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const managed = waf.managedRuleGroups.map((group, i): wafv2.CfnWebACL.RuleProperty => ({
      name: group,
      priority: i + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group,
          // The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY); webhooks may be up to the
          // ingest limit, which ingest enforces itself (413): count instead of block.
          ...(group === 'AWSManagedRulesCommonRuleSet'
            ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] }
            : {}),
        },
      },
      visibilityConfig: visibility(`${name}-${group}`),
    }));
    const rate: wafv2.CfnWebACL.RuleProperty = {
      name: 'RatePerSourceIp',
      priority: 0,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: waf.rateLimit,
          evaluationWindowSec: waf.rateWindowSeconds,
          aggregateKeyType: 'IP',
        },
      },
      visibilityConfig: visibility(`${name}-rate`),
    };
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name,
      description: 'viewguard: managed rule groups and a per-IP rate limit in front of POST /webhooks',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules: [rate, ...managed],
      visibilityConfig: visibility(name),
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: props.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    // WAF logs to a group whose name starts with aws-waf-logs-; the signature header is redacted.
    const logGroup = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      // The group's ARN without the ":*" suffix of logGroupArn.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'webhook-signature' } }],
    });
    return acl;
  }
}
