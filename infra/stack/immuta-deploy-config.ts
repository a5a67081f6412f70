// The Immuta connector's deploy parameters (docs/immuta.md "Deploy parameters"): `viewguard:immutaUrl` turns the
// connector on; the others are validated here, at synth, and reported with their context key (VG204) like every
// other deploy parameter. The connector's own settings go through shared/immuta's schema as well.
import { z } from 'zod';
import type { Diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { parseImmutaConfig, type ImmutaConnectorConfig } from '../../shared/immuta/connector-config.js';

const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'must be a secretsmanager ARN');
const list = z
  .union([z.array(z.string()), z.string().transform((s) => s.split(','))])
  .transform((l) => l.map((x) => x.trim()).filter(Boolean));
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** `rate(15 minutes)`, `cron(0/15 * * * ? *)` (EventBridge Scheduler), or a number of minutes. */
const schedule = z
  .union([z.number(), z.string()])
  .transform((v) =>
    typeof v === 'number' || /^\d+$/.test(v)
      ? `rate(${Number(v)} ${Number(v) === 1 ? 'minute' : 'minutes'})`
      : v.trim(),
  )
  .refine(
    (v) =>
      /^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$/.test(v) ||
      /^cron\(\S+( \S+){5}\)$/.test(v),
    {
      message:
        'must be rate(<n> minutes|hours|days), cron(<6 fields>) or a number of minutes ' +
        '(https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html)',
    },
  )
  .refine((v) => !/^rate\(([1-4]) minutes?\)$/.test(v), {
    message: 'reconcile at most every 5 minutes: a full read of Immuta must end before the next starts',
  });

/** Spread into the deploy context schema (deploy-config.ts). */
export const IMMUTA_CONTEXT_SHAPE = {
  immutaUrl: z.string().optional(),
  immutaApiKeySecretArn: secretArn.optional(),
  immutaNoticeSecretArn: secretArn.optional(),
  immutaReconcileSchedule: schedule.default('rate(15 minutes)'),
  immutaUserNameSource: z.enum(['externalIdOrUserid', 'externalId', 'userid']).optional(),
  immutaUserNamePrefix: z.enum(['', 'IAM:', 'IAMR:']).optional(),
  immutaUserNameLowercase: bool.optional(),
  immutaExternalIdKey: z.string().min(1).optional(),
  immutaIamIds: list.optional(),
  immutaHandlerTypes: list.optional(),
  immutaSignatureEncoding: z.enum(['auto', 'hex', 'base64']).optional(),
};

type Fields = z.infer<z.ZodObject<typeof IMMUTA_CONTEXT_SHAPE>>;

export interface ImmutaDeployConfig {
  settings: ImmutaConnectorConfig;
  apiKeySecretArn?: string;
  noticeSecretArn?: string;
  reconcileSchedule: string;
}

/** The connector's config when `immutaUrl` is set (problems go to `problem(key, summary)`); undefined when off. */
export function immutaDeployConfig(
  c: Fields,
  problem: (key: string, summary: string) => Diagnostic,
): { config?: ImmutaDeployConfig; problems: Diagnostic[] } {
  const others = (Object.keys(IMMUTA_CONTEXT_SHAPE) as (keyof Fields)[]).filter(
    (k) => k !== 'immutaUrl' && k !== 'immutaReconcileSchedule' && c[k] !== undefined,
  );
  if (!c.immutaUrl)
    return { problems: others.map((k) => problem(k, 'set viewguard:immutaUrl to turn the Immuta connector on')) };
  const parsed = parseImmutaConfig({
    url: c.immutaUrl,
    userName: {
      ...(c.immutaUserNameSource ? { source: c.immutaUserNameSource } : {}),
      ...(c.immutaUserNamePrefix !== undefined ? { prefix: c.immutaUserNamePrefix } : {}),
      ...(c.immutaUserNameLowercase !== undefined ? { lowercase: c.immutaUserNameLowercase } : {}),
      ...(c.immutaExternalIdKey ? { externalIdKey: c.immutaExternalIdKey } : {}),
    },
    ...(c.immutaIamIds ? { iamIds: c.immutaIamIds } : {}),
    ...(c.immutaHandlerTypes ? { handlerTypes: c.immutaHandlerTypes } : {}),
    ...(c.immutaSignatureEncoding ? { signatureEncoding: c.immutaSignatureEncoding } : {}),
  });
  if (!parsed.ok) {
    const keyOf: Record<string, string> = {
      url: 'immutaUrl',
      userName: 'immutaUserNameSource',
      iamIds: 'immutaIamIds',
      handlerTypes: 'immutaHandlerTypes',
      signatureEncoding: 'immutaSignatureEncoding',
    };
    return {
      problems: parsed.diagnostics.map((d) =>
        problem(keyOf[String(d.path[0])] ?? 'immutaUrl', d.summary.replace(/^invalid Immuta connector setting: /, '')),
      ),
    };
  }
  return {
    config: {
      settings: parsed.value,
      reconcileSchedule: c.immutaReconcileSchedule,
      ...(c.immutaApiKeySecretArn ? { apiKeySecretArn: c.immutaApiKeySecretArn } : {}),
      ...(c.immutaNoticeSecretArn ? { noticeSecretArn: c.immutaNoticeSecretArn } : {}),
    },
    problems: [],
  };
}
