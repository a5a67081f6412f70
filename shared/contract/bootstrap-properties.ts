// The properties of the bootstrap custom resource: what the stack hands the handler. CloudFormation passes every
// scalar as a string, so the handler parses them back here (fail closed: anything unexpected throws).
import { z } from 'zod';
import type { IntegrationConfig } from '../layout/integration-config.js';

export interface DatabaseIdentity {
  dbUser?: string;
  secretArn?: string;
}

/** How an identity signs in: with a secret's user name and password, or through IAM (DbUser). */
export const signInOf = (identity: DatabaseIdentity): 'iam' | 'password' => (identity.secretArn ? 'password' : 'iam');

export interface BootstrapProperties {
  integration: IntegrationConfig;
  target: { clusterId?: string; workgroupName?: string; database: string };
  admin: DatabaseIdentity;
  system: DatabaseIdentity;
  hashKeySecretArn: string;
  /** A hash of the full layout plan: a new layout changes the property, so CloudFormation sends an Update. */
  planHash: string;
  retainDataOnDelete: boolean;
}

const identity = z
  .object({ dbUser: z.string().min(1).optional(), secretArn: z.string().min(1).optional() })
  .strict()
  .refine((i) => (i.dbUser === undefined) !== (i.secretArn === undefined), 'exactly one of dbUser or secretArn');

const PropertiesSchema = z
  .object({
    ServiceToken: z.string().optional(),
    integration: z.object({
      mode: z.enum(['single', 'multi']),
      database: z.string().min(1),
      viewSchema: z.string().min(1),
      systemUser: z.string().min(1),
      rawSources: z.array(z.object({ database: z.string().min(1), schema: z.string().min(1) })).default([]),
    }),
    target: z
      .object({
        clusterId: z.string().min(1).optional(),
        workgroupName: z.string().min(1).optional(),
        database: z.string().min(1),
      })
      .strict()
      .refine(
        (t) => (t.clusterId === undefined) !== (t.workgroupName === undefined),
        'exactly one of clusterId or workgroupName',
      ),
    admin: identity,
    system: identity,
    hashKeySecretArn: z.string().startsWith('arn:'),
    planHash: z.string().regex(/^[0-9a-f]{64}$/),
    retainDataOnDelete: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
  })
  .strict();

export function parseBootstrapProperties(raw: unknown): BootstrapProperties {
  const { ServiceToken: _token, ...props } = PropertiesSchema.parse(raw);
  return props as BootstrapProperties;
}
