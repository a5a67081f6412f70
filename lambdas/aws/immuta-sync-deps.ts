// What the Immuta fetch and reconcile Lambdas sync with, from the environment the stack sets: the Immuta client
// (API key from Secrets Manager, re-read within the store's TTL after a rotation), the warehouse state through
// the Data API as the system user, and the event bus the webhooks use.
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ENV } from '../../shared/contract/lambda-environment.js';
import { parseImmutaConfig } from '../../shared/immuta/connector-config.js';
import { ImmutaClient } from '../../shared/immuta/immuta-client.js';
import { versionClock, type SyncDeps } from '../../shared/immuta/sync.js';
import { warehouseStateReader } from '../../shared/immuta/warehouse-state.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { redshiftTargetFromEnv, requiredEnv } from './read-environment.js';
import { EventBridgeBus } from './eventbridge-bus.js';
import { RedshiftDataWarehouse } from '../../shared/adapters/redshift-data-warehouse.js';
import { SecretsManagerStore } from './secrets-manager-store.js';

/** VIEWGUARD_IMMUTA_SETTINGS: the connector settings plus where Immuta's tables live in this warehouse. */
export const SettingsEnvSchema = z
  .object({
    placement: z.object({ database: z.string().min(1), externalSchemas: z.array(z.string()).default([]) }),
  })
  .passthrough();

export function immutaSyncDeps(tracer: Tracer, statementName: string): SyncDeps {
  const raw = SettingsEnvSchema.parse(JSON.parse(requiredEnv(process.env, ENV.immutaSettings)));
  const { placement, ...settings } = raw;
  const parsed = parseImmutaConfig(settings);
  if (!parsed.ok) throw new Error(`${ENV.immutaSettings}: ${parsed.diagnostics.map((d) => d.summary).join('; ')}`);
  const secrets = new SecretsManagerStore(tracer.captureAWSv3Client(new SecretsManagerClient({})));
  const apiKeyArn = requiredEnv(process.env, ENV.immutaApiKeySecretArn);
  return {
    fetch: {
      client: new ImmutaClient({
        baseUrl: parsed.value.url,
        apiKey: () => secrets.get(apiKeyArn),
        timeoutMs: parsed.value.requestTimeoutMs,
        concurrency: parsed.value.concurrency,
      }),
      config: parsed.value,
      placement: { database: placement.database, externalSchemas: new Set(placement.externalSchemas) },
    },
    state: warehouseStateReader(
      new RedshiftDataWarehouse({
        client: tracer.captureAWSv3Client(new RedshiftDataClient({})),
        target: redshiftTargetFromEnv(process.env),
        statementName,
      }),
      redshift,
    ),
    bus: new EventBridgeBus(
      tracer.captureAWSv3Client(new EventBridgeClient({})),
      requiredEnv(process.env, ENV.eventBusName),
    ),
    now: () => new Date(),
    version: versionClock(),
  };
}
