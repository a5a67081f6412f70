// The deploy settings of the webhook endpoint (the "front door"), the environment's names and the operator
// alarms: their zod fields (merged into the deploy configuration's schema) and the cross-field rules, so that a
// combination AWS would refuse, or one that would silently leave the endpoint open, fails `cdk synth`.
// docs/deploy.md "Front door" explains each option and cites the AWS pages behind these rules.
import { z } from 'zod';
import type { Diagnostic } from '../../shared/diagnostics/diagnostic.js';

/** An AWS managed rule group we offer, with its web ACL capacity (WCU) as AWS documents it. */
export const MANAGED_RULE_GROUPS = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
  AWSManagedRulesAnonymousIpList: 50,
} as const;
export type ManagedRuleGroup = keyof typeof MANAGED_RULE_GROUPS;
export const DEFAULT_MANAGED_RULE_GROUPS: ManagedRuleGroup[] = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
];
/** Default web ACL capacity of an account (WCU); the rate-based rule costs 2. */
export const WEB_ACL_CAPACITY = 1500;

// A list, or the comma-separated string that `-c key=a,b` gives.
const list = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
        : v,
    z.array(item),
  );
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const cidr = z.union(
  [z.cidrv4(), z.cidrv6(), z.ipv4().transform((ip) => `${ip}/32`), z.ipv6().transform((ip) => `${ip}/128`)],
  {
    error: 'must be an IPv4/IPv6 address or CIDR range',
  },
);

/** Fields of one environment's identity: which stack, which account and region. */
export const EnvironmentFields = {
  /** The environment's name (the file infra/environments/<env>.json); names the stack and its resources. */
  env: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lowercase letters, digits and "-" (≤ 20, a letter first)')
    .optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .optional(),
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional(),
};

export const FrontDoorFields = {
  stageName: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be letters, digits and "_"')
    .default('v1'),
  endpointType: z.enum(['regional', 'private']).default('regional'),
  allowedSourceIps: list(cidr).default([]),
  allowedVpcEndpointIds: list(z.string().regex(/^vpce-[0-9a-f]{8,17}$/, 'must be a VPC endpoint id (vpce-…)')).default(
    [],
  ),
  waf: bool.default(false),
  wafRateLimit: int(10, 2_000_000_000).default(6000),
  wafRateWindowSeconds: z.coerce
    .number()
    .pipe(z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]))
    .default(300),
  wafManagedRuleGroups: list(z.string()).default(DEFAULT_MANAGED_RULE_GROUPS),
  customDomainName: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase DNS name')
    .optional(),
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, 'must be an ACM certificate ARN')
    .optional(),
  basePath: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be one path segment (letters, digits, . _ ~ -)')
    .optional(),
  hostedZoneId: z
    .string()
    .regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id')
    .optional(),
  hostedZoneName: z.string().optional(),
  disableExecuteApiEndpoint: bool.default(false),
  /** Create the account's API Gateway CloudWatch role (one owner per account and region; docs/deploy.md). */
  apiCloudWatchRole: bool.default(true),
};

export const AlarmFields = {
  /** Rejected webhooks (400/401/413 from ingest) in 5 minutes that page: a wrong secret after a rotation. */
  rejectedWebhooksAlarmThreshold: int(1, 100_000).default(5),
  /** Hours without a single webhook reaching ingest before the no-traffic alarm; 0 turns it off. */
  noTrafficAlarmHours: int(0, 168).default(24),
  /** Errors of the ingest or of one router Lambda in 5 minutes that page. */
  functionErrorsAlarmThreshold: int(1, 10_000).default(1),
  /** Data API calls refused at a limit (DataApiThrottled) in 5 minutes, two periods in a row, that page. */
  dataApiThrottledAlarmThreshold: int(1, 100_000).default(10),
};

const FrontDoorObject = z.object(FrontDoorFields);
const AlarmObject = z.object(AlarmFields);
export type FrontDoorFieldValues = z.output<typeof FrontDoorObject>;
export type AlarmSettings = z.output<typeof AlarmObject>;

export interface CustomDomain {
  domainName: string;
  certificateArn: string;
  basePath?: string;
  hostedZone?: { id: string; name: string };
}

export interface FrontDoorConfig {
  stageName: string;
  endpointType: 'regional' | 'private';
  /** Source ranges (REGIONAL) allowed by the resource policy; empty: no IP restriction. */
  allowedSourceIps: string[];
  /** VPC endpoints (PRIVATE) allowed by the resource policy; also associated with the API. */
  allowedVpcEndpointIds: string[];
  waf?: { rateLimit: number; rateWindowSeconds: 60 | 120 | 300 | 600; managedRuleGroups: ManagedRuleGroup[] };
  customDomain?: CustomDomain;
  disableExecuteApiEndpoint: boolean;
  apiCloudWatchRole: boolean;
}

type Problem = (field: string, summary: string) => Diagnostic;

/** The cross-field rules of the front door; every violation is pushed with the field to fix. */
export function resolveFrontDoor(
  c: FrontDoorFieldValues & { region?: string },
  problem: Problem,
  problems: Diagnostic[],
): FrontDoorConfig {
  const add = (field: string, summary: string) => problems.push(problem(field, summary));
  if (c.endpointType === 'private') {
    // A private API is reachable only through interface VPC endpoints the resource policy allows.
    if (c.allowedVpcEndpointIds.length === 0)
      add(
        'allowedVpcEndpointIds',
        "a private endpoint needs the VPC endpoint ids allowed to call it (e.g. the sender's PrivateLink endpoint)",
      );
    if (c.allowedSourceIps.length > 0)
      add('allowedSourceIps', 'applies to a regional endpoint; a private one is restricted by allowedVpcEndpointIds');
    if (c.customDomainName)
      add(
        'customDomainName',
        'a custom domain is supported for a regional endpoint only (senders over PrivateLink call the execute-api URL)',
      );
  } else if (c.allowedVpcEndpointIds.length > 0) {
    add('allowedVpcEndpointIds', 'applies to endpointType "private" only');
  }
  const groups = [...new Set(c.wafManagedRuleGroups)];
  for (const g of groups) {
    if (!(g in MANAGED_RULE_GROUPS)) {
      const why =
        g === 'AWSManagedRulesSQLiRuleSet'
          ? ' (policy webhooks carry SQL in custom WHERE clauses and would be blocked)'
          : '';
      add(
        'wafManagedRuleGroups',
        `"${g}" is not offered${why}; choose from ${Object.keys(MANAGED_RULE_GROUPS).join(', ')}`,
      );
    }
  }
  const capacity = groups.reduce((sum, g) => sum + (MANAGED_RULE_GROUPS[g as ManagedRuleGroup] ?? 0), 2);
  if (capacity > WEB_ACL_CAPACITY)
    add('wafManagedRuleGroups', `needs ${capacity} WCU, more than the ${WEB_ACL_CAPACITY} of a web ACL`);

  let customDomain: CustomDomain | undefined;
  if (c.customDomainName) {
    if (!c.certificateArn) add('certificateArn', 'required with customDomainName (an ACM certificate for that name)');
    const certRegion = c.certificateArn?.split(':')[3];
    if (c.region && certRegion && certRegion !== c.region) {
      add(
        'certificateArn',
        `is in ${certRegion}; a regional custom domain needs a certificate in the stack's region ${c.region}`,
      );
    }
    if (c.hostedZoneId && !c.hostedZoneName)
      add('hostedZoneName', "required with hostedZoneId (the zone's domain name)");
    if (c.hostedZoneName && !c.hostedZoneId) add('hostedZoneId', 'required with hostedZoneName');
    if (c.hostedZoneName && !`.${c.customDomainName}`.endsWith(`.${c.hostedZoneName.replace(/\.$/, '')}`)) {
      add('hostedZoneName', `${c.customDomainName} is not in the zone ${c.hostedZoneName}`);
    }
    if (c.certificateArn) {
      customDomain = {
        domainName: c.customDomainName,
        certificateArn: c.certificateArn,
        ...(c.basePath ? { basePath: c.basePath } : {}),
        ...(c.hostedZoneId && c.hostedZoneName
          ? { hostedZone: { id: c.hostedZoneId, name: c.hostedZoneName.replace(/\.$/, '') } }
          : {}),
      };
    }
  } else {
    for (const f of ['certificateArn', 'basePath', 'hostedZoneId', 'hostedZoneName'] as const) {
      if (c[f] !== undefined) add(f, 'applies only with customDomainName');
    }
    if (c.disableExecuteApiEndpoint)
      add('disableExecuteApiEndpoint', 'needs customDomainName (or the API would have no URL at all)');
  }
  return {
    stageName: c.stageName,
    endpointType: c.endpointType,
    allowedSourceIps: [...new Set(c.allowedSourceIps)],
    allowedVpcEndpointIds: [...new Set(c.allowedVpcEndpointIds)],
    ...(c.waf
      ? {
          waf: {
            rateLimit: c.wafRateLimit,
            rateWindowSeconds: c.wafRateWindowSeconds as 60 | 120 | 300 | 600,
            managedRuleGroups: groups as ManagedRuleGroup[],
          },
        }
      : {}),
    ...(customDomain ? { customDomain } : {}),
    disableExecuteApiEndpoint: c.disableExecuteApiEndpoint,
    apiCloudWatchRole: c.apiCloudWatchRole,
  };
}

/** Names of the stack and of the resources operators look for, derived from the environment. */
export interface ResourceNames {
  stackName: string;
  /** `viewguard-<env>`, or `viewguard` without an environment; prefixes the API, dashboard, WAF and services. */
  prefix: string;
}

export function resourceNames(env: string | undefined, stackName: string | undefined): ResourceNames {
  const prefix = env ? `viewguard-${env}` : 'viewguard';
  return { stackName: stackName ?? (env ? prefix : 'Viewguard'), prefix };
}
