import {
  createLogger,
  createRegistry,
  exitOnBootFailure,
  handleShutdownSignals,
  logReady,
  startMetricsServer,
  tokenSettings,
  tokenVerifier,
} from 'service-kit';
import { loadStoreConfig } from './config.ts';
import { DynamoItemRepository } from './data/dynamo-repository.ts';
import { InMemoryItemRepository } from './data/memory-repository.ts';
import { ensureTable } from './data/table.ts';
import { ItemService } from './domain/items.ts';
import { PageTokens } from './domain/page-token.ts';
import { createDynamo } from './dynamodb.ts';
import { tokenAuthenticator, trustRequestTenant } from './grpc/caller.ts';
import { storeMetrics } from './grpc/metrics.ts';
import { bindServer, createStoreServer } from './server.ts';

const SERVICE = 'store-service';

async function main(): Promise<void> {
  const config = loadStoreConfig();
  const identity = { service: SERVICE, track: config.DEPLOYMENT_TRACK, version: config.APP_VERSION };
  const logger = createLogger(identity, config.LOG_LEVEL);
  const registry = createRegistry(identity);
  const metrics = await startMetricsServer(registry, config.METRICS_PORT, config.BIND_HOST);

  const dynamo = config.STORE_BACKEND === 'dynamodb' ? await createDynamo(config) : undefined;
  if (dynamo !== undefined && config.DYNAMODB_CREATE_TABLE) {
    await ensureTable(dynamo, config.TABLE_NAME);
    logger.info({ table: config.TABLE_NAME }, 'table ready');
  }
  if (dynamo === undefined)
    logger.warn('STORE_BACKEND=memory: items live in this process only and are lost when it stops');
  const repository =
    dynamo === undefined ? new InMemoryItemRepository() : new DynamoItemRepository(dynamo, config.TABLE_NAME);
  if (config.PAGE_TOKEN_KEYS === undefined)
    logger.warn('PAGE_TOKEN_KEYS is not set: page tokens are sealed with a key of this process only');
  const tokens = tokenSettings(config);
  if (tokens === undefined)
    logger.warn(
      "AUTH_DEV_TRUST_HEADERS=true and no AUTH_JWKS_URL: calls are not authenticated, each request's tenant_id is trusted (a developer setup only)",
    );
  const store = createStoreServer({
    identity,
    items: new ItemService(repository, {
      listBudget: config.LIST_SCAN_BUDGET,
      pageTokens:
        config.PAGE_TOKEN_KEYS === undefined
          ? PageTokens.ephemeral()
          : PageTokens.fromConfig(config.PAGE_TOKEN_KEYS),
    }),
    repository,
    logger,
    metrics: storeMetrics(registry),
    authenticate: tokens === undefined ? trustRequestTenant : tokenAuthenticator(tokenVerifier(tokens)),
  });
  const port = await bindServer(store.server, config.BIND_HOST, config.PORT);
  const healthPort =
    config.HEALTH_PORT === undefined
      ? undefined
      : await bindServer(store.healthServer, config.BIND_HOST, config.HEALTH_PORT);
  store.startHealthMonitor(2000);

  handleShutdownSignals(logger, async () => {
    store.markDraining();
    if (config.SHUTDOWN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DELAY_MS));
    await store.shutdown(config.SHUTDOWN_TIMEOUT_MS);
    await metrics.close();
    dynamo?.close();
  });
  logReady(logger, {
    port,
    metrics_port: metrics.port,
    ...(healthPort === undefined ? {} : { health_port: healthPort }),
  });
}

main().catch((err: unknown) => exitOnBootFailure(SERVICE, err));
