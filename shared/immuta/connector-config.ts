// The connector's settings (deploy parameters in AWS, environment variables locally), validated with zod so that
// a wrong value is a VG708 diagnostic naming the setting — at `cdk synth`, at cold start, at `npm start`.
import { z } from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { issuesToDiagnostics } from '../diagnostics/zod-issues.js';
import type { IntegrationConfig } from '../layout/integration-config.js';
import type { DataSourcePlacement } from './map-datasource.js';
import { UserNameRuleSchema } from './map-user.js';

/** Immuta over TLS; plain http only to this machine (the fake Immuta, tests). */
const immutaUrl = z.url().refine((u) => {
  const url = new URL(u);
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  );
}, 'must be an https:// URL (http:// only for 127.0.0.1 or localhost)');

export const ImmutaConnectorConfigSchema = z
  .object({
    url: immutaUrl,
    userName: UserNameRuleSchema.default({
      source: 'externalIdOrUserid',
      externalIdKey: 'redshiftUser',
      prefix: '',
      lowercase: false,
    }),
    /** The Immuta identity managers whose users get profiles. */
    iamIds: z.array(z.string().min(1)).min(1).default(['bim']),
    /** `blobHandlerType` values of the data sources this warehouse serves; [] = every data source. */
    handlerTypes: z.array(z.string().min(1)).default(['Redshift']),
    signatureEncoding: z.enum(['auto', 'hex', 'base64']).default('auto'),
    concurrency: z.number().int().min(1).max(16).default(4),
    requestTimeoutMs: z.number().int().min(500).max(30_000).default(8000),
    pageSize: z.number().int().min(10).max(1000).default(100),
  })
  .strict();

export type ImmutaConnectorConfig = z.infer<typeof ImmutaConnectorConfigSchema>;
export type ImmutaConnectorConfigInput = z.input<typeof ImmutaConnectorConfigSchema>;

export function parseImmutaConfig(
  input: unknown,
): { ok: true; value: ImmutaConnectorConfig } | { ok: false; diagnostics: Diagnostic[] } {
  const r = ImmutaConnectorConfigSchema.safeParse(input);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, diagnostics: issuesToDiagnostics('VG708', r.error, { what: 'invalid Immuta connector setting' }) };
}

/** Where Immuta's tables live in this warehouse, from the integration config. */
export function placementFor(config: IntegrationConfig): DataSourcePlacement {
  const rawDatabase = config.rawSources.find((s) => s.database !== undefined)?.database ?? config.database;
  const externalSchemas = new Set(
    config.rawSources
      .filter((s) => s.external)
      .flatMap((s) => (s.database ? [`${s.database}.${s.schema}`] : [s.schema])),
  );
  return { database: rawDatabase, externalSchemas };
}

export const invalidSetting = (setting: string, summary: string): Diagnostic =>
  diagnostic('VG708', `${setting}: ${summary}`, [setting]);
