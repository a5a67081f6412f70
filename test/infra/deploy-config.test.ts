// Deploy configuration: every wrong or missing setting fails synth with the context key to fix.
import { describe, expect, it } from 'vitest';
import { contextFields, parseDeployConfig } from '../../infra/stack/deploy-config.js';
import { CLUSTER_FIELDS as cluster, refusals, WORKGROUP_FIELDS as workgroup } from '../support/deploy-fixtures.js';

const problems = (fields: Record<string, unknown>): string[] => refusals(() => parseDeployConfig(fields));

describe('deploy config', () => {
  it('reads viewguard:* context keys only', () => {
    expect(contextFields({ 'viewguard:clusterId': 'c', other: 1, 'viewguard:alarmEmail': '' })).toEqual({
      clusterId: 'c',
    });
  });

  it('resolves a provisioned cluster with dbUser and defaults', () => {
    const c = parseDeployConfig({ ...cluster, rawSources: 'sales.public, crm.public' });
    expect(c.warehouse).toEqual({
      kind: 'cluster',
      clusterId: 'analytics',
      database: 'immuta',
      auth: { dbUser: 'immuta_system_user' },
    });
    expect(c.adminAuth).toEqual({ dbUser: 'awsuser' });
    expect(c.integration).toMatchObject({
      mode: 'multi',
      database: 'immuta',
      viewSchema: 'secure',
      systemUser: 'immuta_system_user',
    });
    expect(c.integration.rawSources).toEqual([
      { database: 'sales', schema: 'public' },
      { database: 'crm', schema: 'public' },
    ]);
    expect(c.retainDataOnDelete).toBe(true);
    expect(c.removalPolicy).toBe('retain');
    expect(c.applyMaxConcurrency).toBe(5);
  });

  it('resolves a serverless workgroup with a secret', () => {
    const c = parseDeployConfig(workgroup);
    expect(c.warehouse).toMatchObject({
      kind: 'workgroup',
      workgroupName: 'analytics-wg',
      auth: { secretArn: workgroup.secretArn },
    });
    expect(c.integration.mode).toBe('single');
  });

  it('coerces the string values the command line gives', () => {
    const c = parseDeployConfig({
      ...cluster,
      retainDataOnDelete: 'false',
      applyMaxConcurrency: '8',
      removalPolicy: 'destroy',
    });
    expect(c.retainDataOnDelete).toBe(false);
    expect(c.applyMaxConcurrency).toBe(8);
    expect(c.removalPolicy).toBe('destroy');
  });

  it('reports an unknown key together with the other problems', () => {
    const found = problems({ ...cluster, dbUser: 'someone', bogus: 1 });
    expect(found).toEqual([
      'VG204 viewguard:bogus: unknown setting (see docs/deploy.md for the context keys)',
      'VG204 viewguard:dbUser: must be the system user "immuta_system_user" the views are owned by',
    ]);
  });

  it.each([
    ['no warehouse', { database: 'd', viewSchema: 'v', adminDbUser: 'a' }, 'viewguard:clusterId: set clusterId'],
    ['cluster and workgroup', { ...cluster, workgroupName: 'wg-one' }, 'not both'],
    [
      'cluster without identity',
      { ...cluster, dbUser: undefined },
      'viewguard:dbUser: a provisioned cluster needs dbUser or secretArn',
    ],
    ['dbUser and secret', { ...cluster, secretArn: workgroup.secretArn }, 'set either dbUser'],
    [
      'dbUser is not the system user',
      { ...cluster, dbUser: 'someone' },
      'must be the system user "immuta_system_user"',
    ],
    [
      'workgroup without id',
      { ...workgroup, workgroupId: undefined },
      'viewguard:workgroupId: required with workgroupName',
    ],
    ['workgroup without secret', { ...workgroup, secretArn: undefined }, 'viewguard:secretArn:'],
    [
      'no administrator',
      { ...cluster, adminDbUser: undefined },
      'viewguard:adminSecretArn: the bootstrap needs an administrator',
    ],
    ['unknown key', { ...cluster, clusterID: 'x' }, 'viewguard:clusterID: unknown setting'],
    [
      'bad secret ARN',
      { ...cluster, webhookSecretArn: 'my-secret' },
      'viewguard:webhookSecretArn: must be an secretsmanager ARN',
    ],
    ['reserved view schema', { ...cluster, viewSchema: 'immuta_system' }, 'viewguard:viewSchema:'],
    ['a three-part raw source', { ...cluster, rawSources: ['a.b.c'] }, 'viewguard:rawSources: "a.b.c" must be'],
    ['bad mode', { ...cluster, integrationMode: 'dual' }, 'viewguard:integrationMode:'],
    ['concurrency too high', { ...cluster, applyMaxConcurrency: 500 }, 'viewguard:applyMaxConcurrency:'],
    ['batch size over the SQS limit', { ...cluster, applyBatchSize: 11 }, 'viewguard:applyBatchSize:'],
    [
      'both alarm targets',
      { ...cluster, alarmEmail: 'a@example.com', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' },
      'alarmTopicArn or alarmEmail',
    ],
  ])('rejects %s', (_name, fields, expected) => {
    const found = problems(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.startsWith('VG204 viewguard:'))).toBe(true);
    expect(found.join('\n')).toContain(expected);
  });
});
