// `npm start`: the pipeline in one process behind http://127.0.0.1:PORT (POST /webhooks, GET /status),
// on PGlite in DATA_DIR (default .data/pglite) or the PostgreSQL server WAREHOUSE_URL names. The layout is
// bootstrapped on start (idempotent). Ctrl-C stops taking requests, finishes the batch in hand and closes.
import { mkdir } from 'node:fs/promises';
import { placementFor } from '../../shared/immuta/connector-config.js';
import { createLocalServer, listen } from './http-server.js';
import { localSettings } from './local-config.js';
import { localImmutaFromEnv } from './local-immuta.js';
import { LocalPipeline } from './local-pipeline.js';
import { localHashKey, openLocalWarehouse } from './local-warehouse.js';

const log = (entry: Record<string, unknown>): void =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...entry }));

async function main(): Promise<void> {
  const settings = localSettings();
  if (!settings.warehouseUrl) await mkdir(settings.dataDir, { recursive: true });
  const warehouse = await openLocalWarehouse(
    settings.config,
    localHashKey(),
    settings.warehouseUrl ? { url: settings.warehouseUrl } : { dataDir: settings.dataDir },
  );
  log({
    level: 'info',
    message: 'warehouse ready (layout bootstrapped)',
    warehouse: warehouse.kind === 'pglite' ? `PGlite in ${settings.dataDir}` : 'PostgreSQL (WAREHOUSE_URL)',
    viewSchema: settings.config.viewSchema,
    systemUser: settings.config.systemUser,
  });
  const pipeline = new LocalPipeline({
    config: settings.config,
    warehouse: warehouse.system,
    webhookSecret: settings.webhookSecret,
    // Visibility timeout 30 s like SQS; a failed message waits 1 s, 2 s, 4 s… before its redelivery.
    queue: { visibilityTimeoutMs: 30_000, maxReceiveCount: 5 },
    retryDelayMs: (n) => Math.min(1000 * 2 ** (n - 1), 30_000),
    log,
  });
  pipeline.start();
  // IMMUTA_URL: the Immuta connector too (POST /immuta, POST /immuta/reconcile; README "Connect Immuta").
  const immuta = localImmutaFromEnv(process.env, pipeline, placementFor(settings.config), log);
  immuta?.start();
  const server = createLocalServer(pipeline, log, immuta);
  const port = await listen(server, settings.port);
  log({
    level: 'info',
    message: `listening on http://127.0.0.1:${port}`,
    endpoints: ['POST /webhooks', 'GET /status', ...(immuta ? ['POST /immuta', 'POST /immuta/reconcile'] : [])],
  });
  if (settings.generatedSecret) {
    // A development secret only: it lives as long as this process. Set WEBHOOK_SECRET to keep one.
    console.log(`WEBHOOK_SECRET not set; signing secret for this run: ${settings.webhookSecret}`);
  }

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log({ level: 'info', message: `${signal}: shutting down`, status: pipeline.status() });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await immuta?.stop();
    await pipeline.stop();
    await warehouse.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`viewguard local: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
