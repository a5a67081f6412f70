// What `cdk deploy` will create for an environment, from the same stack code synthesized offline (no bundling,
// no AWS call): the stack, its resources by type, the front door, the alarms and where the webhook URL will be.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import type { DeployConfig } from '../stack/deploy-config.js';
import { ViewguardStack } from '../stack/viewguard-stack.js';

export const STACK_DESCRIPTION = 'viewguard: policy-push secure views for Amazon Redshift';

/** The stack of one environment in an app (infra/app.ts, tests and the plan build it the same way). */
export function createViewguardStack(app: App, config: DeployConfig): ViewguardStack {
  const env: Environment | undefined =
    config.account || config.region
      ? { ...(config.account ? { account: config.account } : {}), ...(config.region ? { region: config.region } : {}) }
      : undefined;
  return new ViewguardStack(app, config.names.stackName, {
    config,
    description: STACK_DESCRIPTION,
    ...(env ? { env } : {}),
  });
}

export interface DeployPlan {
  stackName: string;
  where: string;
  resources: [type: string, count: number][];
  frontDoor: string[];
  alarms: string[];
  webhookUrl: string;
}

const dnsNote = (zone: { name: string } | undefined): string =>
  zone ? ` (alias record in ${zone.name})` : " (point its DNS at the API domain's regional name)";

export function deployPlan(config: DeployConfig): DeployPlan {
  const outdir = mkdtempSync(path.join(tmpdir(), 'vg-plan-'));
  try {
    // Skipping bundling keeps the plan fast and offline; the resources are the same.
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = createViewguardStack(app, config);
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const counts = new Map<string, number>();
    const alarms: string[] = [];
    for (const r of Object.values(template.Resources)) {
      counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
      const description = r.Properties?.AlarmDescription;
      if (r.Type === 'AWS::CloudWatch::Alarm' && typeof description === 'string')
        alarms.push(description.replace(/^viewguard: /, ''));
    }
    const fd = config.frontDoor;
    const frontDoor = [
      `endpoint: ${fd.endpointType.toUpperCase()}, stage ${fd.stageName}`,
      fd.endpointType === 'private'
        ? `resource policy: only from VPC endpoints ${fd.allowedVpcEndpointIds.join(', ')}`
        : fd.allowedSourceIps.length > 0
          ? `resource policy: only from ${fd.allowedSourceIps.join(', ')}`
          : 'resource policy: none (open to the internet; requests still need a valid signature)',
      fd.waf
        ? `WAF: ${fd.waf.managedRuleGroups.join(', ')} + ${fd.waf.rateLimit} requests per ${fd.waf.rateWindowSeconds}` +
          ` s per IP`
        : 'WAF: none',
      fd.customDomain
        ? `custom domain: ${fd.customDomain.domainName}${dnsNote(fd.customDomain.hostedZone)}`
        : 'custom domain: none (the URL changes if the stack is re-created)',
    ];
    const webhookUrl = fd.customDomain
      ? `https://${fd.customDomain.domainName}/${fd.customDomain.basePath ? `${fd.customDomain.basePath}/` : ''}` +
        `webhooks`
      : `https://<api-id>.execute-api.${config.region ?? '<region>'}.amazonaws.com/${fd.stageName}/webhooks (the ` +
        `WebhookUrl output after the deploy)`;
    return {
      stackName: config.names.stackName,
      where: `${config.account ?? 'the current account'} / ${config.region ?? 'the current region'}`,
      resources: [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)),
      frontDoor,
      alarms,
      webhookUrl,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
