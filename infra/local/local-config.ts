// Local mode's settings from the environment (README "Run it locally"): the integration config goes through
// the same zod schema as the deployed one, so a bad value is a VG204 diagnostic, not a surprise later.
import { randomBytes } from 'node:crypto';
import { parseIntegrationConfig, type IntegrationConfig } from '../../shared/layout/integration-config.js';

export interface LocalSettings {
  port: number;
  webhookSecret: string;
  /** True when the secret was generated (main prints it once so a sender can be configured). */
  generatedSecret: boolean;
  warehouseUrl?: string;
  dataDir: string;
  config: IntegrationConfig;
}

/** A Standard Webhooks secret: "whsec_" + base64 of random bytes. */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export function localSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const port = Number(env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  const warehouseUrl = env.WAREHOUSE_URL || undefined;
  const database = warehouseUrl
    ? decodeURIComponent(new URL(warehouseUrl).pathname.slice(1)) || 'postgres'
    : 'postgres';
  const parsed = parseIntegrationConfig({
    mode: 'single',
    database,
    viewSchema: env.VIEW_SCHEMA || 'secure',
    ...(env.SYSTEM_USER ? { systemUser: env.SYSTEM_USER } : {}),
    rawSources: (env.RAW_SCHEMAS || 'public')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((schema) => ({ schema })),
  });
  if (!parsed.ok)
    throw new Error(`invalid local configuration: ${parsed.diagnostics.map((d) => d.summary).join('; ')}`);
  const secret = env.WEBHOOK_SECRET || undefined;
  return {
    port,
    webhookSecret: secret ?? generateWebhookSecret(),
    generatedSecret: secret === undefined,
    ...(warehouseUrl ? { warehouseUrl } : {}),
    dataDir: env.DATA_DIR || '.data/pglite',
    config: parsed.value,
  };
}
