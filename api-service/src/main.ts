import {
  createLogger,
  createRegistry,
  exitOnBootFailure,
  handleShutdownSignals,
  logReady,
  startMetricsServer,
  tokenSettings,
} from 'service-kit';
import { buildApp } from './app.ts';
import { headerAuthenticator, jwtAuthenticator } from './auth.ts';
import { loadApiConfig } from './config.ts';
import { connectStore } from './store-client.ts';

const SERVICE = 'api-service';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const identity = { service: SERVICE, track: config.DEPLOYMENT_TRACK, version: config.APP_VERSION };
  const logger = createLogger(identity, config.LOG_LEVEL);
  const registry = createRegistry(identity);
  const metrics = await startMetricsServer(registry, config.METRICS_PORT, config.BIND_HOST);
  const store = connectStore(config.STORE_ADDRESS, config.STORE_DEADLINE_MS, registry);
  if (config.AUTH_JWKS_URL === undefined)
    logger.warn(
      'AUTH_DEV_TRUST_HEADERS=true and no AUTH_JWKS_URL: no authentication, X-Tenant-ID is trusted (a developer setup only)',
    );
  const settings = tokenSettings(config);
  const authenticate = settings === undefined ? headerAuthenticator() : jwtAuthenticator(settings);
  const { app, markNotReady } = await buildApp({
    identity,
    store,
    authenticate,
    faults: { delayMs: config.FAULT_DELAY_MS, errorRatio: config.FAULT_ERROR_RATIO },
    logger,
    corsOrigins: config.CORS_ORIGINS,
    readyDeadlineMs: config.READY_DEADLINE_MS,
    registry,
  });
  await app.listen({ port: config.PORT, host: config.BIND_HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT;

  handleShutdownSignals(logger, async () => {
    markNotReady();
    if (config.SHUTDOWN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DELAY_MS));
    const timeout = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time: closing connections');
      app.server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS);
    await app.close();
    clearTimeout(timeout);
    store.close();
    await metrics.close();
  });
  logReady(logger, { port, metrics_port: metrics.port });
}

main().catch((err: unknown) => exitOnBootFailure(SERVICE, err));
